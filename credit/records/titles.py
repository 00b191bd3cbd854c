"""Credit records titled in words: a commitment's record reads "行政审批事项告知承诺书 — 用地
预审, application no. 3", never "…（approvals.item:10）". The stored title stays as
written (evidence); pages show these words."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from datahub.purposes import describe

_REPAIR = re.compile(r"^repair:record:(?P<id>\d+)$")
_REFERENCE = re.compile(r"^[a-z_]+\.[\w-]+:[\w-]+$")


def subject_words(subject_ref: str, kind_label: str = "") -> str:
    """What a commitment is about, in words: the owning app's describer for a reference
    such as `approvals.item:10` (datahub.purposes), a repair's record by number, or the
    subject kind when nothing more is known."""
    ref = (subject_ref or "").strip()
    if not ref:
        return kind_label
    repair = _REPAIR.match(ref)
    if repair:
        return _("repair of credit record no. %(id)s") % {"id": repair["id"]}
    if _REFERENCE.match(ref):
        words = describe([ref]).get(ref, ref)
        return words if words != ref else kind_label or ref
    return ref


def record_title(record) -> str:
    """A record's title for people: a commitment's notice and what it was about, in the
    reader's language; other records as the department wrote them."""
    commitment = getattr(record, "commitment", None) if record.commitment_id else None
    if commitment is None:
        return record.title
    about = subject_words(commitment.subject_ref, commitment.get_subject_kind_display())
    notice = commitment.notice.display_title
    return f"{notice} — {about}" if about else notice
