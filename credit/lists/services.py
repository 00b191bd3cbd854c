"""Putting enterprises on the red and black lists and taking them off, by the list rules
(data, credit/lists/rules.py): for one enterprise when a record arrives, and for every
candidate in the daily sweep. Both paths evaluate with the same function on facts loaded
the same way (one grouped query per distinct record selection), so they always agree.

Precedence: a current black-list entry ends any red-list entry and keeps the enterprise
off the red list. Black-list entries run their term; a rule marked "ends when the
condition no longer holds" (red, usually) is re-checked and its entry removed when it
fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.models import Enterprise
from qinqing.audit.services import record_events
from qinqing.bulk import any_of, bulk_insert
from qinqing.iterables import chunked
from qinqing.transitions import move_many

from ..defaults import LIST_RULES_V1
from ..grades.models import CreditGrade
from ..grades.scoring import grade_for
from ..grades.selectors import scoring_model_in_force
from ..hub import forget_cached_facts
from ..limits import SWEEP_CHUNK
from ..records.models import CreditRecord, RecordStatus, add_months
from .models import EntryStatus, ListEntry, ListKind, ListRule
from .rules import (
    GradeLeaf,
    Group,
    Node,
    RecordsLeaf,
    describe,
    evaluate,
    grade_leaves,
    parse_condition,
    records_leaves,
)

# Conduct within a rule's window counts until it is repaired; a superseded tax grade does
# not (the newer grade replaced it).
COUNTED_STATUSES = (RecordStatus.ACTIVE, RecordStatus.EXPIRED)


def active_rules() -> list[tuple[ListRule, Node]]:
    """Black-list rules first (they take precedence), each with its parsed condition."""
    rules = sorted(ListRule.objects.filter(active=True),
                   key=lambda rule: (rule.list_kind != ListKind.BLACK, rule.code))  # fmt: skip
    return [(rule, parse_condition(rule.condition)) for rule in rules]


def ensure_default_rules() -> None:
    """A fresh or flushed database gets the first rules back (never when any rule exists,
    so a rule the back office removed stays removed)."""
    if ListRule.objects.exists():
        return
    for rule in LIST_RULES_V1:
        ListRule.objects.get_or_create(code=rule["code"], defaults=rule)


def _selection_rows(leaf: RecordsLeaf, today: date):
    return CreditRecord.objects.filter(
        status__in=COUNTED_STATUSES, kind__in=leaf.kinds, severity__in=leaf.severities,
        occurred_on__gt=leaf.since(today), occurred_on__lte=today,
    ).order_by()  # fmt: skip


@dataclass
class LoadedFacts:
    """What the rules read, for many enterprises at once."""

    today: date
    counts: dict[tuple, dict[int, int]] = field(default_factory=dict)
    grades: dict[int, tuple[str, date]] = field(default_factory=dict)
    default_grade: str = "B"

    def of(self, enterprise_id: int) -> _EnterpriseFacts:
        return _EnterpriseFacts(self, enterprise_id)


@dataclass
class _EnterpriseFacts:
    loaded: LoadedFacts
    enterprise_id: int

    def count(self, leaf: RecordsLeaf) -> int:
        return self.loaded.counts[leaf.selection].get(self.enterprise_id, 0)

    def grade(self) -> tuple[str, date | None]:
        return self.loaded.grades.get(self.enterprise_id, (self.loaded.default_grade, None))


def load_facts(nodes: list[Node], enterprise_ids: list[int], today: date,
               default_grade: str) -> LoadedFacts:  # fmt: skip
    loaded = LoadedFacts(today=today, default_grade=default_grade)
    selections = {leaf.selection: leaf for node in nodes for leaf in records_leaves(node)}
    for selection, leaf in selections.items():
        counts: dict[int, int] = {}
        for chunk in chunked(enterprise_ids, 20_000):
            rows = (_selection_rows(leaf, today).filter(any_of("enterprise_id", chunk))
                    .values("enterprise_id").annotate(n=Count("id"))
                    .values_list("enterprise_id", "n"))  # fmt: skip
            counts.update(rows)
        loaded.counts[selection] = counts
    if any(grade_leaves(node) for node in nodes):
        for chunk in chunked(enterprise_ids, 20_000):
            loaded.grades.update(
                (row[0], (row[1], row[2]))
                for row in CreditGrade.objects.filter(any_of("enterprise_id", chunk)).values_list(
                    "enterprise_id", "grade", "grade_since"
                )
            )
    return loaded


def candidates(node: Node, today: date) -> set[int] | None:
    """Enterprises that might meet the condition (None: cannot tell — every enterprise)."""
    if isinstance(node, Group):
        found = [candidates(child, today) for child in node.children]
        if node.op == "any":
            return None if any(f is None for f in found) else set().union(*found)
        known = [f for f in found if f is not None]
        return set.intersection(*known) if known else None
    if isinstance(node, RecordsLeaf):
        if not node.generative:
            return None
        return set(
            _selection_rows(node, today).values("enterprise_id").annotate(n=Count("id"))
            .filter(n__gte=node.at_least).values_list("enterprise_id", flat=True)
        )  # fmt: skip
    assert isinstance(node, GradeLeaf)
    return set(CreditGrade.objects.filter(
        grade__in=node.grades, grade_since__lte=node.held_since_at_most(today)
    ).values_list("enterprise_id", flat=True))  # fmt: skip


def candidate_ids(today: date, rules: list[tuple[ListRule, Node]] | None = None) -> set[int]:
    """Everyone a rule might list, and everyone whose entry must be re-checked."""
    ids: set[int] = set()
    for _rule, node in rules if rules is not None else active_rules():
        found = candidates(node, today)
        if found is not None:
            ids |= found
    ids |= set(ListEntry.objects.filter(status=EntryStatus.CURRENT,
                                        rule__ends_when_condition_fails=True)
               .values_list("enterprise_id", flat=True))  # fmt: skip
    return ids


@dataclass
class ListChanges:
    added: list[ListEntry] = field(default_factory=list)
    # Entries to take off (each with why) until written; then those taken off.
    ending: list[tuple[ListEntry, str]] = field(default_factory=list)
    ended: list[ListEntry] = field(default_factory=list)

    def end(self, entry: ListEntry, reason: str) -> None:
        self.ending.append((entry, reason))

    @property
    def enterprise_ids(self) -> set[int]:
        return {entry.enterprise_id for entry in [*self.added, *self.ended]}


def _reason(rule: ListRule, evidence: list[dict[str, Any]]) -> str:
    met = "; ".join(f"{item['condition']}: {item['value']}" for item in evidence if item["holds"])
    return _("%(rule)s — %(met)s") % {"rule": rule.name, "met": met or describe(
        parse_condition(rule.condition))}  # fmt: skip


def apply_rules(enterprise_ids: Iterable[int] | None = None, *, today: date | None = None,
                actor: Any = None, cause: str = "") -> ListChanges:  # fmt: skip
    """Put on and take off the lists as the rules say, for the enterprises given, or (None)
    for every candidate: those that may meet a rule and those with an entry to re-check.
    The caller holds the enterprises' row locks when it gives them (services do)."""
    today = today or timezone.localdate()
    rules = active_rules()
    current = ListEntry.objects.filter(status=EntryStatus.CURRENT, valid_from__lte=today,
                                       valid_until__gte=today)  # fmt: skip
    ids = candidate_ids(today, rules) if enterprise_ids is None else set(enterprise_ids)
    ordered = sorted(ids)
    if not ordered:
        return ListChanges()
    # An entry past its term that the sweep has not ended yet would block a new one.
    expire_entries(today, ordered)
    model = scoring_model_in_force(today)
    facts = load_facts([node for _rule, node in rules], ordered, today,
                       grade_for(model.base_score, model.thresholds))  # fmt: skip
    entries: dict[tuple[int, str], ListEntry] = {}
    for chunk in chunked(ordered, 20_000):
        for entry in current.filter(any_of("enterprise_id", chunk)).select_related("rule"):
            entries[(entry.enterprise_id, entry.list_kind)] = entry
    changes = ListChanges()
    for enterprise_id in ordered:
        view = facts.of(enterprise_id)
        black = entries.get((enterprise_id, ListKind.BLACK))
        red = entries.get((enterprise_id, ListKind.RED))
        for rule, node in rules:
            held = entries.get((enterprise_id, rule.list_kind))
            finding = evaluate(node, view, today)
            if held is not None:
                if (held.rule_id == rule.pk and rule.ends_when_condition_fails
                        and not finding.holds):  # fmt: skip
                    changes.end(held, _("The rule no longer holds: %(rule)s")
                                % {"rule": rule.name})  # fmt: skip
                    entries.pop((enterprise_id, rule.list_kind))
                continue
            if not finding.holds:
                continue
            if rule.list_kind == ListKind.RED and black is not None:
                continue  # black-listed: never red at the same time
            entry = ListEntry(
                enterprise_id=enterprise_id, list_kind=rule.list_kind, rule=rule,
                legal_basis=rule.legal_basis, source=f"rule:{rule.code}",
                reason=_reason(rule, finding.evidence), evidence=finding.evidence,
                valid_from=today, valid_until=add_months(today, rule.duration_months),
                status=EntryStatus.CURRENT, created_by=None,
            )  # fmt: skip
            changes.added.append(entry)
            entries[(enterprise_id, rule.list_kind)] = entry
            if rule.list_kind == ListKind.BLACK:
                black = entry
                if red is not None and red.pk is not None:
                    changes.end(red, _("Put on the black list."))
                    entries.pop((enterprise_id, ListKind.RED), None)
                    red = None
    _write(changes, actor=actor, cause=cause)
    return changes


def end_entries(entries: Iterable[tuple[ListEntry, str]], *, actor: Any) -> list[int]:
    """Take these entries off their lists (each with why), set-based per reason. Only an
    entry still current is ended: a repair or the expiry sweep may have ended it since it
    was read, and that end stands (and is not audited twice). Returns the ids ended."""
    by_reason: dict[str, list[ListEntry]] = {}
    for entry, reason in entries:
        by_reason.setdefault(reason[:300], []).append(entry)
    now = timezone.now()
    ended: list[int] = []
    for reason, group in by_reason.items():
        ended += move_many(
            ListEntry, [entry.pk for entry in group], EntryStatus.REMOVED, actor=actor,
            labels={entry.pk: f"{entry.list_kind} {entry.enterprise_id}" for entry in group},
            ended_at=now, ended_reason=reason,
        )  # fmt: skip
    return ended


def _write(changes: ListChanges, *, actor: Any, cause: str) -> None:
    ended = set(end_entries(changes.ending, actor=actor))
    changes.ended = [entry for entry, _reason in changes.ending if entry.pk in ended]
    for entry in changes.ended:
        entry.refresh_from_db(fields=["status", "ended_at", "ended_reason"])
    bulk_insert(changes.added)
    record_events(actor=actor, events=[
        (f"credit.list_{entry.list_kind}_added", entry, None,
         {"rule": entry.rule.code if entry.rule else "", "valid_until":
          entry.valid_until.isoformat(), "cause": cause}) for entry in changes.added
    ])  # fmt: skip


def expire_entries(today: date, enterprise_ids: list[int] | None = None) -> list[int]:
    """End entries whose term is over (of these enterprises, or all); returns their
    enterprises."""
    due_rows = ListEntry.objects.filter(status=EntryStatus.CURRENT, valid_until__lt=today)
    if enterprise_ids is not None:
        due = [row for chunk in chunked(enterprise_ids, 20_000)
               for row in due_rows.filter(any_of("enterprise_id", chunk))
               .values_list("pk", "enterprise_id", "list_kind")]  # fmt: skip
    else:
        due = list(due_rows.values_list("pk", "enterprise_id", "list_kind"))
    if not due:
        return []
    now = timezone.now()
    enterprises = {pk: enterprise_id for pk, enterprise_id, _kind in due}
    expired: list[int] = []
    for chunk in chunked(due, SWEEP_CHUNK):
        # From "current" only: an entry a repair ended meanwhile keeps that end.
        with transaction.atomic():
            expired += move_many(
                ListEntry, [pk for pk, _enterprise, _kind in chunk], EntryStatus.EXPIRED,
                labels={pk: f"{kind} {enterprise_id}" for pk, enterprise_id, kind in chunk},
                ended_at=now, ended_reason="term ended",
            )  # fmt: skip
    return sorted({enterprises[pk] for pk in expired})


def apply_rules_in_chunks(enterprise_ids: list[int], *, today: date | None = None,
                          cause: str, chunk_size: int = 2000) -> dict[str, int]:  # fmt: skip
    """The list rules for many enterprises, a chunk per transaction, each chunk's
    enterprises locked as a record's arrival locks one (the two never interleave)."""
    today = today or timezone.localdate()
    added = ended = 0
    for chunk in chunked(sorted(enterprise_ids), chunk_size):
        for attempt in range(2):
            try:
                with transaction.atomic():
                    list(Enterprise.objects.select_for_update().filter(any_of("pk", chunk))
                         .order_by("pk").values_list("pk", flat=True))  # fmt: skip
                    changes = apply_rules(chunk, today=today, cause=cause)
                    forget_cached_facts(sorted(changes.enterprise_ids))
                break
            except IntegrityError:  # an entry made meanwhile by a record's arrival: again
                if attempt:
                    raise
        added += len(changes.added)
        ended += len(changes.ended)
    return {"list_candidates": len(enterprise_ids), "entries_added": added,
            "entries_ended": ended}  # fmt: skip
