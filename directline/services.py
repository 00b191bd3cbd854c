"""Every change to a request: checked, locked, audited, one transaction.

Raising a request routes it; officials of its department (and district) ask for more
information (the clock pauses until the enterprise answers), transfer it (with a reason)
or answer it; the enterprise rates the answer, and an unsatisfied rating reopens it once
to the department's supervisor on a fresh clock. A transfer keeps the clock running: the
enterprise does not wait longer because the first department was the wrong one.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accounts.selectors import officials_of, supervisors_of
from departments.models import Department, District
from enterprises.models import Enterprise, EnterpriseMembership, EnterpriseStatus
from qinqing.audit.services import record_event
from qinqing.audit.transitions import change_status
from qinqing.masking import BANK_ACCOUNT, ID_NUMBER
from qinqing.notifications.services import Delivery, notify, notify_many
from qinqing.notifications.text import Message
from qinqing.workhours import deadlines
from qinqing.workhours.clock import TimeLimit, reading

from . import attachments
from .models import (
    COORDINATING_OFFICE,
    TRANSITIONS,
    Category,
    MessageKind,
    PublishedAnswer,
    Rating,
    Request,
    RequestAttachment,
    RequestHop,
    RequestMessage,
    RequestPause,
    RequestStatus,
    RoutingRule,
)

logger = logging.getLogger(__name__)
S = RequestStatus
SUBJECT_MAX = 200
TEXT_MAX = 5000
REQUEST_KIND = "directline.request"
DEADLINE_KIND = "directline.deadline"
PUSH_KIND = "policy.push"


class RequestRefused(Exception):
    """The action cannot be done: the message says why (400)."""


class NotAllowed(RequestRefused):
    """This person may not act on this request (403)."""


class RequestConflict(RequestRefused):
    """The request is not in a state that allows this (409)."""


# --- who may act -----------------------------------------------------------------------


def is_enterprise_side(user: Any, request: Request) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and user.role == Role.ENTERPRISE
        and EnterpriseMembership.objects.filter(
            enterprise_id=request.enterprise_id, user=user
        ).exists()
    )


def is_request_official(user: Any, request: Request) -> bool:
    """An official of the request's department, and of its district when they have one;
    once reopened, only the department's supervisors."""
    if not (
        getattr(user, "is_authenticated", False)
        and user.role == Role.OFFICIAL
        and user.department_id == request.department_id
        and (user.district_id is None or user.district_id == request.district_id)
    ):
        return False
    return (
        request.status != S.REOPENED
        or user.is_supervisor
        or user.pk == request.supervisor_id  # the one it was reopened to (see _supervisor)
    )


def _require_enterprise(user: Any, request: Request) -> None:
    if not is_enterprise_side(user, request):
        raise NotAllowed(_("Only the enterprise's members may do this."))


def _require_official(user: Any, request: Request) -> None:
    if not is_request_official(user, request):
        raise NotAllowed(
            _("Only an official of the request's department and district may do this.")
        )


def clean_text(text: str, *, what: str, limit: int = TEXT_MAX) -> str:
    text = (text or "").strip()
    if not text:
        raise RequestRefused(_("Write the %(what)s: it cannot be empty.") % {"what": what})
    if len(text) > limit:
        raise RequestRefused(
            _("The %(what)s is too long: at most %(max)d characters.")
            % {"what": what, "max": limit}
        )
    return text


# --- locking, the state machine and the clock ---------------------------------------------


def _locked(request_id: int) -> Request:
    try:
        return (
            Request.objects.select_for_update(of=("self",))
            .select_related("enterprise", "category", "department", "district")
            .get(pk=request_id)
        )
    except Request.DoesNotExist:
        raise RequestRefused(_("There is no such request.")) from None


def move(request: Request, to: str, actor: Any, **changes: Any) -> Request:
    """The one place a request's status changes."""
    return change_status(
        request,
        to,
        table=TRANSITIONS,
        actor=actor,
        action_prefix="directline.request",
        refusal=lambda here: RequestConflict(
            _("This request is %(status)s; that cannot be done now.")
            % {"status": RequestStatus(here).label}
        ),
        **changes,
    )


def request_pauses(request: Request) -> list[tuple[datetime, datetime | None]]:
    if request.pk is None:
        return []
    return [(pause.started_at, pause.ended_at) for pause in request.pauses.all()]


def request_clock(request: Request, now: datetime | None = None):
    """Where the request stands against its limit (a qinqing.workhours ClockReading)."""
    limit = TimeLimit(request.limit_hours, "hours")
    return reading(request.started_at, limit, request_pauses(request), now=now)


def _refresh_deadline(request: Request) -> None:
    request.deadline = request_clock(request).deadline
    request.save(update_fields=["deadline"])


# --- routing ----------------------------------------------------------------------------


def route(
    *,
    category: Category,
    subject: str,
    description: str,
    district: District,
    enterprise: Enterprise,
) -> tuple[Department, RoutingRule | None]:
    """The department of the first active rule (by priority) whose every condition holds,
    else the coordinating office."""
    text = f"{subject}\n{description}".lower()
    for rule in RoutingRule.objects.filter(active=True).select_related("department"):
        if rule.category_id and rule.category_id != category.pk:
            continue
        if rule.district_id and rule.district_id != district.pk:
            continue
        if rule.industry_section and rule.industry_section != enterprise.industry_section:
            continue
        words = rule.keyword_list()
        if words and not any(word.lower() in text for word in words):
            continue
        return rule.department, rule
    return Department.objects.get(code=COORDINATING_OFFICE), None


def _reference() -> str:
    return f"ZTC{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


def raise_request(
    *,
    actor: Any,
    enterprise: Enterprise,
    category: Category,
    subject: str,
    description: str,
    district: District | None = None,
    files: Iterable[Any] = (),
) -> Request:
    if not (
        getattr(actor, "is_authenticated", False)
        and actor.role == Role.ENTERPRISE
        and EnterpriseMembership.objects.filter(enterprise=enterprise, user=actor).exists()
    ):
        raise NotAllowed(_("Only the enterprise's members may raise a request for it."))
    subject = clean_text(subject, what=_("subject"), limit=SUBJECT_MAX)
    description = clean_text(description, what=_("description"))
    checked = _checked_files(list(files), already=0)
    district = district or enterprise.district
    department, rule = route(
        category=category,
        subject=subject,
        description=description,
        district=district,
        enterprise=enterprise,
    )
    with transaction.atomic():
        request = Request(
            reference=_reference(),
            enterprise=enterprise,
            raised_by=actor,
            category=category,
            subject=subject,
            description=description,
            district=district,
            department=department,
            limit_hours=category.limit_hours,
        )
        request.deadline = request_clock(request).deadline
        request.save(force_insert=True)
        RequestHop.objects.create(
            request=request, to_department=department, rule=rule, created_at=request.started_at
        )
        record_event(
            actor=actor,
            action="directline.request.raised",
            obj=request,
            after={"department": department.code, "rule": rule.pk if rule else None},
        )
        _store_files(request, checked, actor)
        _tell_department(request, gettext_lazy("New request: {subject}"))
    return request


def _checked_files(files: list[Any], *, already: int) -> list[attachments.CheckedFile]:
    if already + len(files) > attachments.MAX_PER_REQUEST:
        raise RequestRefused(
            _("At most %(max)d attachments per request.") % {"max": attachments.MAX_PER_REQUEST}
        )
    try:
        return [attachments.check(upload) for upload in files]
    except attachments.AttachmentRefused as error:
        raise RequestRefused(str(error)) from error


def _store_files(request: Request, checked: list[attachments.CheckedFile], actor: Any) -> None:
    for item in checked:
        attachment = RequestAttachment(
            request=request,
            name=item.name,
            size=item.size,
            content_type=item.content_type,
            uploaded_by=actor,
        )
        attachment.file.save(item.content.name, item.content, save=False)
        attachment.save()
        record_event(
            actor=actor,
            action="directline.request.attachment",
            obj=request,
            after={"name": item.name, "size": item.size},
        )


def add_attachments(request_id: int, *, actor: Any, files: Iterable[Any]) -> Request:
    """The enterprise adds files to an unclosed request."""
    files = list(files)
    if not files:
        raise RequestRefused(_("Choose a file to attach."))
    with transaction.atomic():
        request = _locked(request_id)
        _require_enterprise(actor, request)
        if request.status == S.CLOSED:
            raise RequestConflict(_("A closed request takes no more attachments."))
        checked = _checked_files(files, already=request.attachments.count())
        _store_files(request, checked, actor)
    return request


# --- the department's side ------------------------------------------------------------------


def ask_for_information(request_id: int, *, actor: Any, message: str) -> Request:
    """The clock stops until the enterprise supplies what is asked."""
    with transaction.atomic():
        request = _locked(request_id)
        _require_official(actor, request)
        message = clean_text(message, what=_("question"))
        move(request, S.INFO_REQUESTED, actor, deadline=None)
        RequestPause.objects.create(request=request)
        RequestMessage.objects.create(
            request=request, author=actor, kind=MessageKind.INFO_REQUEST, body=message
        )
        _tell_enterprise(request, gettext_lazy("The department asks for more information"))
    return request


def supply_information(request_id: int, *, actor: Any, message: str) -> Request:
    with transaction.atomic():
        request = _locked(request_id)
        _require_enterprise(actor, request)
        if request.status != S.INFO_REQUESTED:
            raise RequestConflict(_("No information is awaited on this request."))
        message = clean_text(message, what=_("information"))
        RequestMessage.objects.create(
            request=request, author=actor, kind=MessageKind.INFO_ANSWER, body=message
        )
        request.pauses.filter(ended_at__isnull=True).update(ended_at=timezone.now())
        move(request, S.OPEN, actor)
        _refresh_deadline(request)
    return request


def transfer(request_id: int, *, actor: Any, department: Department, reason: str) -> Request:
    with transaction.atomic():
        request = _locked(request_id)
        _require_official(actor, request)
        if request.status != S.OPEN:
            raise RequestConflict(_("Only an open request can be transferred."))
        if department.pk == request.department_id:
            raise RequestRefused(_("Choose another department."))
        reason = clean_text(reason, what=_("reason"))
        before = request.department
        RequestHop.objects.create(
            request=request,
            from_department=before,
            to_department=department,
            reason=reason,
            actor=actor,
        )
        RequestMessage.objects.create(
            request=request, author=actor, kind=MessageKind.TRANSFER, body=reason
        )
        request.department = department
        request.save(update_fields=["department"])
        record_event(
            actor=actor,
            action="directline.request.transferred",
            obj=request,
            before={"department": before.code},
            after={"department": department.code, "reason": reason},
        )
        _tell_department(request, gettext_lazy("Request transferred to you: {subject}"))
    return request


def answer(request_id: int, *, actor: Any, text: str) -> Request:
    with transaction.atomic():
        request = _locked(request_id)
        _require_official(actor, request)
        text = clean_text(text, what=_("answer"))
        move(
            request,
            S.ANSWERED,
            actor,
            answer=text,
            answered_at=timezone.now(),
            answered_by=actor,
            deadline=None,  # answered: no longer running against its limit
        )
        RequestMessage.objects.create(
            request=request, author=actor, kind=MessageKind.ANSWER, body=text
        )
        _tell_enterprise(request, gettext_lazy("Your request has been answered: please rate it"))
    return request


# --- the enterprise's side ------------------------------------------------------------------


def rate(request_id: int, *, actor: Any, rating: str, comment: str = "") -> Request:
    """Satisfied or basically satisfied closes the request; unsatisfied reopens it to the
    department's supervisor, once (a second unsatisfied rating closes it)."""
    if rating not in Rating.values:
        raise RequestRefused(_("Choose satisfied, basically satisfied or unsatisfied."))
    comment = (comment or "").strip()
    if len(comment) > TEXT_MAX:
        raise RequestRefused(
            _("The comment is too long: at most %(max)d characters.") % {"max": TEXT_MAX}
        )
    if rating == Rating.UNSATISFIED and not comment:
        raise RequestRefused(_("Say what is missing from the answer."))
    with transaction.atomic():
        request = _locked(request_id)
        _require_enterprise(actor, request)
        if request.status != S.ANSWERED:
            raise RequestConflict(_("Only an answered request can be rated."))
        now = timezone.now()
        RequestMessage.objects.create(
            request=request,
            author=actor,
            kind=MessageKind.RATING,
            body=f"{Rating(rating).label}: {comment}" if comment else str(Rating(rating).label),
        )
        if rating == Rating.UNSATISFIED and request.reopened_at is None:
            supervisor = _supervisor(request)
            # Earlier pauses stay on record; the clock ignores those before the restart.
            move(
                request,
                S.REOPENED,
                actor,
                rating=rating,
                rating_comment=comment,
                rated_at=now,
                reopened_at=now,
                supervisor=supervisor,
                started_at=now,
                warned_at=None,
                escalated_at=None,
            )
            RequestHop.objects.create(
                request=request,
                from_department=request.department,
                to_department=request.department,
                actor=actor,
                reason=_("Reopened: the enterprise is unsatisfied."),
            )
            _refresh_deadline(request)
            if supervisor is not None:
                notify(
                    [supervisor],
                    REQUEST_KIND,
                    Message(gettext_lazy("Reopened request: {subject}"), subject=request.subject),
                    link=f"/requests/queue/{request.pk}/",
                )
        else:
            move(request, S.CLOSED, actor, rating=rating, rating_comment=comment, rated_at=now)
    return request


def _supervisor(request: Request) -> User | None:
    """Who a reopened request goes to: a supervisor of the department (its district's
    first), or, when it has none, a city-wide official of the department, so that a
    reopened request always has someone who may answer it."""
    officials = User.objects.filter(
        role=Role.OFFICIAL, is_active=True, department_id=request.department_id
    ).order_by("pk")
    supervisors = officials.filter(is_supervisor=True)
    return (
        supervisors.filter(district_id=request.district_id).first()
        or supervisors.filter(district__isnull=True).first()
        or officials.filter(district__isnull=True).first()
    )


def refuse_publication(request_id: int, *, actor: Any) -> Request:
    """The enterprise does not want its request published (an entry already published is
    withdrawn)."""
    with transaction.atomic():
        request = _locked(request_id)
        _require_enterprise(actor, request)
        request.publication_refused = True
        request.save(update_fields=["publication_refused"])
        PublishedAnswer.objects.filter(request=request).delete()
        record_event(actor=actor, action="directline.request.publication_refused", obj=request)
    return request


# --- publication ---------------------------------------------------------------------------

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
        request = _locked(request_id)
        if not (
            getattr(actor, "is_authenticated", False)
            and actor.role == Role.OFFICIAL
            and actor.department_id == request.department_id
        ):
            raise NotAllowed(_("Only an official of the request's department may publish it."))
        if request.status not in (S.ANSWERED, S.CLOSED):
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


# --- telling people ------------------------------------------------------------------------


def department_officials(request: Request) -> list[int]:
    return list(
        officials_of(request.department_id, request.district_id).values_list("pk", flat=True)
    )


def _tell_department(request: Request, title: Any) -> None:
    users = department_officials(request)
    if users:
        notify(
            users,
            REQUEST_KIND,
            Message(title, subject=request.subject),
            link=f"/requests/queue/{request.pk}/",
        )


def _tell_enterprise(request: Request, title: Any) -> None:
    notify(
        [request.raised_by_id],
        REQUEST_KIND,
        title,
        request.subject,
        link=f"/requests/{request.pk}/",
    )


# --- deadlines -------------------------------------------------------------------------------


def watch_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Warns at 80 % of an open request's limit and escalates once it is exceeded, each
    once (qinqing.workhours.deadlines)."""
    candidates = Request.objects.filter(status__in=[S.OPEN, S.REOPENED]).prefetch_related("pauses")
    return deadlines.sweep(
        candidates, clock_of=request_clock, warn=_warn, escalate=_escalate, now=now
    )


def _warn(request: Request) -> None:
    record_event(actor=None, action="directline.request.deadline_warning", obj=request)
    users = department_officials(request)
    if users:
        notify(
            users,
            DEADLINE_KIND,
            Message(gettext_lazy("Time limit 80 percent used: {subject}"), subject=request.subject),
            link=f"/requests/queue/{request.pk}/",
        )


def _escalate(request: Request) -> None:
    supervisors = supervisors_of(request.department_id)
    record_event(
        actor=None, action="directline.request.escalated", obj=request, after={"told": supervisors}
    )
    if supervisors:
        notify(
            supervisors,
            DEADLINE_KIND,
            Message(gettext_lazy("Overdue request: {subject}"), subject=request.subject),
            link=f"/requests/queue/{request.pk}/",
        )


# --- policy push -------------------------------------------------------------------------------


def qualifying_enterprises(version) -> list[tuple[int, int]]:
    """(enterprise id, amount in fen) for every active enterprise the version fits, from
    the batch evaluation over the hub's bulk extracts."""
    from policies.evaluation import evaluate_all

    decision = evaluate_all(version)
    inactive = Enterprise.objects.exclude(status=EnterpriseStatus.ACTIVE)
    rows = np.flatnonzero(
        decision.eligible
        & ~np.isin(decision.enterprise_ids, list(inactive.values_list("pk", flat=True)))
    )
    return list(
        zip(decision.enterprise_ids[rows].tolist(), decision.amount_fen[rows].tolist(), strict=True)
    )


def push_policy(version_id: int) -> int:
    """Tell every member of every enterprise the version fits, in bulk; once per version
    (a task delivered twice finds the push row and does nothing)."""
    from datahub.snapshots import SnapshotMissing
    from policies.models import PolicyVersion

    from .models import PolicyPush

    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    try:
        fits = qualifying_enterprises(version)
    except SnapshotMissing:
        logger.warning("policy push for version %s: bulk extracts missing", version_id)
        return 0
    with transaction.atomic():
        push, created = PolicyPush.objects.get_or_create(version=version)
        if not created:
            return 0
        amounts = dict(fits)
        members: list[tuple[int, int]] = []
        ids = list(amounts)
        for begin in range(0, len(ids), 2000):
            members += EnterpriseMembership.objects.filter(
                enterprise_id__in=ids[begin : begin + 2000]
            ).values_list("user_id", "enterprise_id")
        policy = version.policy
        link = f"/policies/{policy.code}/"
        deliveries = [
            Delivery(
                user_id,
                Message(gettext_lazy("A policy fits your enterprise: {policy}"), policy=policy),
                Message(
                    gettext_lazy("Estimated amount: ¥{amount}. Claim it in one click."),
                    amount=f"{Decimal(amounts[enterprise_id]) / 100:,.2f}",
                ),
                link,
            )
            for user_id, enterprise_id in members
        ]
        notify_many(PUSH_KIND, deliveries)
        push.enterprises = len(amounts)
        push.recipients = len(deliveries)
        push.save(update_fields=["enterprises", "recipients"])
    return len(amounts)
