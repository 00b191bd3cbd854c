"""What the pages show, computed once in the view: answers as a person reads them, the
sheet grouped by section, each item's clock, the application's timeline. Pure reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from datahub.catalogue import CATALOGUE
from departments.models import Department, District
from enterprises.industries import DIVISIONS
from qinqing.audit.models import AuditEvent
from qinqing.i18n import join_list
from qinqing.masking import mask_digits
from qinqing.money import yuan
from qinqing.workhours.case_services import read_clock

from .models import OPEN_STATES, Application, ApplicationStatus, FieldType, Item, SheetField

# Sections of the starting packages; a package an administrator adds may use others, shown
# by their key.
SECTION_LABELS = {
    "main": gettext_lazy("Questions"),
    "project": gettext_lazy("The project"),
    "site": gettext_lazy("Site and buildings"),
    "operations": gettext_lazy("Production and environment"),
    "identity": gettext_lazy("Name and address"),
    "business": gettext_lazy("Business and capital"),
    "people": gettext_lazy("People"),
    "bank": gettext_lazy("Bank account"),
}


def section_label(key: str) -> str:
    label = SECTION_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


def limit_text(amount: int, unit: str) -> str:
    if unit == "days":
        return ngettext("%(n)d working day", "%(n)d working days", amount) % {"n": amount}
    return ngettext("%(n)d working hour", "%(n)d working hours", amount) % {"n": amount}


def _division_names() -> dict[str, str]:
    english = (get_language() or "").startswith("en")
    return {d.code: f"{d.code} {d.name_en if english else d.name_zh}" for d in DIVISIONS}


def display_value(
    field: SheetField, value: Any, *, districts: Mapping[str, str] | None = None
) -> str:
    """One stored answer as text for a person; "" when unanswered."""
    if value is None or value == "" or value == []:
        return ""
    kind = field.type
    if kind == FieldType.BOOLEAN:
        return _("Yes") if value is True else _("No") if value is False else str(value)
    if kind == FieldType.CHOICE:
        return dict(field.choice_pairs()).get(str(value), str(value))
    if kind == FieldType.DISTRICT:
        if districts is None:
            district = District.objects.filter(code=str(value)).first()
            return district.name if district else str(value)
        return districts.get(str(value), str(value))
    if kind == FieldType.INDUSTRY:
        return _division_names().get(str(value), str(value))
    if kind == FieldType.BANK_ACCOUNT:
        return mask_digits(str(value))  # the last four, as everywhere an account is shown
    if kind == FieldType.MONEY:
        try:
            return f"¥{yuan(value):,.2f}"
        except Exception:
            return str(value)
    if kind == FieldType.PEOPLE and isinstance(value, list):
        names = []
        for person in value:
            if isinstance(person, Mapping):
                share = person.get("share")
                names.append(f"{person.get('name', '')}" + (f" ({share})" if share else ""))
            else:
                names.append(str(person))
        return join_list(names)
    return str(value)


def form_value(field: SheetField, value: Any) -> Any:
    """A stored answer as the form shows it for editing."""
    if value is None:
        return ""
    if field.type == FieldType.BOOLEAN:
        return "true" if value is True else "false" if value is False else ""
    if field.type == FieldType.PEOPLE and isinstance(value, list):
        return "\n".join(
            str(p.get("name", "")) if isinstance(p, Mapping) else str(p) for p in value
        )
    return str(value)


@dataclass
class Source:
    """Where a prefilled answer came from, and whether the applicant said it is wrong."""

    kind: str  # "register" or "hub"
    label: str  # the department's name, or "the enterprise register"
    fact: str
    fetched_at: datetime | None
    value_text: str
    changed: bool
    disputed: bool
    note: str

    @property
    def changed_note(self) -> str:
        """Once the applicant changed a prefilled answer it is theirs: this says what the
        source's records said instead of claiming the answer came from there."""
        return _("your answer; %(source)s's records said: %(value)s") % {
            "source": self.label,
            "value": self.value_text,
        }


# A prefilled "nothing" (no value, or a choice meaning none) is said in words, never "None".
NOTHING_VALUES = (None, "", "none", [])


def prefilled_text(field: SheetField, value: Any, districts: Mapping[str, str]) -> str:
    if value in NOTHING_VALUES:
        return _("nothing recorded")
    return display_value(field, value, districts=districts)


def prefill_sources(application: Application, fields: Iterable[SheetField]) -> dict[str, Source]:
    departments = {d.code: d.name for d in Department.objects.all()}
    districts = {d.code: d.name for d in District.objects.all()}
    sources: dict[str, Source] = {}
    for sheet_field in fields:
        entry = application.prefill.get(sheet_field.key)
        if not isinstance(entry, Mapping):
            continue
        fetched = entry.get("fetched_at")
        try:
            fetched_at = datetime.fromisoformat(fetched) if fetched else None
        except (TypeError, ValueError):
            fetched_at = None
        fact = str(entry.get("fact") or "")
        spec = CATALOGUE.get(fact)
        if entry.get("source") == "hub":
            label = departments.get(str(entry.get("department") or ""), _("a department"))
        else:
            label = _("the enterprise register")
        sources[sheet_field.key] = Source(
            kind=str(entry.get("source") or ""),
            label=label,
            fact=spec.label if spec else fact,
            fetched_at=fetched_at,
            value_text=prefilled_text(sheet_field, entry.get("value"), districts),
            changed=application.answers.get(sheet_field.key) != entry.get("value"),
            disputed=bool(entry.get("disputed")),
            note=str(entry.get("note") or ""),
        )
    return sources


@dataclass
class AnswerRow:
    field: SheetField
    text: str
    missing: bool
    source: Source | None = None


@dataclass
class Section:
    key: str
    label: str
    rows: list[Any] = field(default_factory=list)
    answered: int = 0
    required: int = 0

    @property
    def complete(self) -> bool:
        return self.answered >= self.required


def answer_sections(
    application: Application,
    fields: list[SheetField],
    missing: Mapping[str, Any] | None = None,
    keys: Iterable[str] | None = None,
) -> list[Section]:
    """The answers grouped by section, in the sheet's order; `keys` limits them to what a
    department receives."""
    wanted = set(keys) if keys is not None else None
    districts = {d.code: d.name for d in District.objects.all()}
    sources = prefill_sources(application, fields)
    sections: dict[str, Section] = {}
    for sheet_field in fields:
        if wanted is not None and sheet_field.key not in wanted:
            continue
        section = sections.setdefault(
            sheet_field.section, Section(sheet_field.section, section_label(sheet_field.section))
        )
        text = display_value(
            sheet_field, application.answers.get(sheet_field.key), districts=districts
        )
        is_missing = bool(missing and sheet_field.key in missing) or (
            sheet_field.required and not text
        )
        section.rows.append(AnswerRow(sheet_field, text, is_missing, sources.get(sheet_field.key)))
        if sheet_field.required:
            section.required += 1
            section.answered += not is_missing
    return list(sections.values())


@dataclass
class Countdown:
    """An item's clock as the pages show it."""

    state: str  # "running", "warn", "overdue", "paused" or "closed"
    remaining_seconds: int
    overdue_seconds: int
    fraction_used: float
    deadline: datetime | None
    calendar_gaps: tuple[int, ...]

    @property
    def signed_remaining(self) -> int:
        """Remaining office seconds, negative once overdue."""
        return self.remaining_seconds or -self.overdue_seconds

    @property
    def percent_used(self) -> int:
        return max(0, min(100, round(self.fraction_used * 100)))


def countdown(item: Item, now: datetime | None = None) -> Countdown:
    if item.status not in OPEN_STATES:
        return Countdown("closed", 0, 0, 0.0, None, ())
    clock = read_clock(item, now)
    if clock.paused or item.status != "pending":
        state = "paused"
    elif clock.overdue:
        state = "overdue"
    elif clock.warn:
        state = "warn"
    else:
        state = "running"
    return Countdown(
        state=state,
        remaining_seconds=max(clock.remaining_seconds, 0),
        overdue_seconds=max(-clock.remaining_seconds, 0),
        fraction_used=clock.fraction_used,
        deadline=clock.deadline,
        calendar_gaps=tuple(clock.calendar_gaps),
    )


# --- the timeline -----------------------------------------------------------------------

APPLICATION_EVENTS = {
    "approvals.application.started": gettext_lazy("Application started"),
    "approvals.application.submitted": gettext_lazy("Submitted: each department received its item"),
    "approvals.application.in_review": gettext_lazy("In review"),
    "approvals.application.approved": gettext_lazy("Application approved"),
    "approvals.application.rejected": gettext_lazy("Rejected: fix and resubmit"),
    "approvals.application.revoked": gettext_lazy("Approval revoked"),
    "approvals.application.withdrawn": gettext_lazy("Application withdrawn"),
}
ITEM_EVENTS = {
    "approvals.item.approved": gettext_lazy("approved"),
    "approvals.item.rejected": gettext_lazy("rejected"),
    "approvals.item.supplement": gettext_lazy("supplement requested"),
    "approvals.item.pending": gettext_lazy("back in review"),
    "approvals.item.committed": gettext_lazy("approved on commitment"),
    "approvals.item.verified": gettext_lazy("commitment verified"),
    "approvals.item.revoked": gettext_lazy("approval revoked"),
    "approvals.item.withdrawn": gettext_lazy("withdrawn"),
    "approvals.item.escalated": gettext_lazy("time limit exceeded, escalated"),
}
# Only officials read these: the department's own work organisation.
INTERNAL_ITEM_EVENTS = {
    "approvals.item.assigned": gettext_lazy("assigned"),
    "approvals.item.deadline_warning": gettext_lazy(
        "deadline warning: most of the time limit used"
    ),
}


def _is_submission_move(event: AuditEvent) -> bool:
    return (
        event.action == "approvals.application.in_review"
        and (event.before or {}).get("status") == ApplicationStatus.DRAFT
    )


@dataclass
class TimelineEntry:
    at: datetime
    text: str
    automatic: bool


def timeline(
    application: Application, items: list[Item], *, internal: bool, limit: int = 200
) -> list[TimelineEntry]:
    """What happened to the application and the given items, oldest first."""
    item_names = {str(item.pk): item.item_type.name for item in items}
    item_labels = {**ITEM_EVENTS, **(INTERNAL_ITEM_EVENTS if internal else {})}
    events = AuditEvent.objects.filter(
        Q(
            object_type="approvals.application",
            object_id=str(application.pk),
            action__in=list(APPLICATION_EVENTS),
        )
        | Q(
            object_type="approvals.item",
            object_id__in=list(item_names),
            action__in=list(item_labels),
        )
    ).order_by("occurred_at", "pk")
    entries = []
    for event in events[:limit]:
        if _is_submission_move(event):  # "submitted" says it, with the items it created
            continue
        if event.object_type == "approvals.application":
            text = str(APPLICATION_EVENTS[event.action])
        else:
            text = f"{item_names.get(event.object_id, '')}: {item_labels[event.action]}"
        entries.append(TimelineEntry(event.occurred_at, text, event.actor_id is None))
    return entries
