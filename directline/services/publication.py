"""Answers published for everyone, anonymised, and searched."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from qinqing.audit.services import record_event
from qinqing.masking import BANK_ACCOUNT, ID_NUMBER
from qinqing.scoping import official_covers

from ..models import (
    PublishedAnswer,
    Request,
    RequestStatus,
)
from .refusals import NotAllowed, RequestConflict
from .status import locked_request

_PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_USCC = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Z])")
REDACTED = "***"


def anonymise(text: str, request: Request) -> str:
    """Remove who asked: the enterprise's name and code, its people's names, ID card,
    phone and bank account numbers and e-mail addresses."""
    enterprise = request.enterprise
    names = {
        enterprise.name,
        enterprise.legal_representative,
        request.raised_by.display_name,
        request.raised_by.get_full_name(),
        request.raised_by.username,
    }
    for name in sorted((n for n in names if n and len(n) > 1), key=len, reverse=True):
        text = text.replace(name, _("an enterprise") if name == enterprise.name else REDACTED)
    text = _USCC.sub(REDACTED, text.replace(enterprise.uscc, REDACTED))
    # ID card numbers before phones (a phone pattern must not eat part of one), bank
    # accounts after them: no person's or account's number is ever published.
    text = ID_NUMBER.sub(REDACTED, text)
    text = _PHONE.sub(REDACTED, _EMAIL.sub(REDACTED, text))
    return BANK_ACCOUNT.sub(REDACTED, text)


def publish(request_id: int, *, actor: Any) -> PublishedAnswer:
    with transaction.atomic():
        request = locked_request(request_id)
        if not official_covers(
            actor, department_id=request.department_id, district_id=request.district_id
        ):
            raise NotAllowed(_("Only an official of the request's department may publish it."))
        if request.status not in (RequestStatus.ANSWERED, RequestStatus.CLOSED):
            raise RequestConflict(_("Only an answered request can be published."))
        if request.publication_refused:
            raise RequestConflict(_("The enterprise has refused publication."))
        if PublishedAnswer.objects.filter(request=request).exists():
            raise RequestConflict(_("This answer is already published."))
        entry = PublishedAnswer.objects.create(
            request=request,
            category=request.category,
            department=request.department,
            question=anonymise(f"{request.subject}\n\n{request.description}", request),
            answer=anonymise(request.answer, request),
            published_by=actor,
        )
        record_event(actor=actor, action="directline.request.published", obj=request)
    return entry


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[A-Za-z0-9]{2,}")
SEARCH_TERMS = 20


def search_terms(text: str) -> list[str]:
    """Words of Latin letters and digits, and the two-character pieces of Chinese runs
    (Chinese has no spaces; most words are two characters)."""
    terms: list[str] = []
    for word in _WORD.findall(text or ""):
        terms.append(word.lower())
    for run in _CJK_RUN.findall(text or ""):
        terms += [run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)]
    return list(dict.fromkeys(terms))[:SEARCH_TERMS]


def search_answers(query: str, limit: int = 5) -> list[PublishedAnswer]:
    """Published answers sharing most terms with the query, best first."""
    terms = search_terms(query)
    if not terms:
        return []
    condition = Q()
    for term in terms:
        condition |= Q(question__icontains=term) | Q(answer__icontains=term)
    candidates = PublishedAnswer.objects.select_related("category", "department").filter(condition)[
        :200
    ]
    scored = [(sum(t in f"{c.question} {c.answer}".lower() for t in terms), c) for c in candidates]
    scored.sort(key=lambda pair: (-pair[0], -pair[1].published_at.timestamp()))
    return [entry for _score, entry in scored[:limit]]
