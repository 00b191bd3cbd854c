"""Facts corrected on a dispute: the department's official answers a value for one
subject — an enterprise, or a private person (issue #26) — fact and period, and the hub
gives that value instead of the department's from then on — in single answers (fetching/pipeline.py:
fetch_facts and fetch_person_facts) and in the bulk extracts (extracts/: read_snapshot
and read_person_snapshot) — with its provenance ("corrected by dispute no. …, official,
time") wherever the fact's source is shown. The hub tells the apps above it through
`facts_changed(cause="correction")` once the correction is committed (naming the
enterprise, or the person in `person_ids`).

One model and one mechanism for both subjects: `Subject` says which column names the
subject; every read here is "the newest correction per (subject id, fact)".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import Department
from enterprises.models import Enterprise
from enterprises.persons.models import Person
from qinqing.bulk import KeyedRead, any_of

from .catalogue import CATALOGUE, PERSON_CATALOGUE, FactSpec, FactType, Period
from .models import FactCorrection, Subject
from .normalise import FactValue, MalformedValue, normalise, to_json
from .signals import send_facts_changed

_COUNTED = (FactType.MONEY, FactType.DECIMAL, FactType.INTEGER)
# The extracts keep amounts as numeric(16,2): a corrected value fits them.
_LARGEST = 10**13


def period_of(spec: FactSpec, as_of: date | None = None) -> str:
    """The period a correction of this fact is kept under: the catalogue's period key, or
    empty for a fact describing the present state (a correction of it holds from now)."""
    if spec.period is Period.CURRENT:
        return ""
    return spec.period_key(as_of or timezone.localdate())


def typed_value(spec: FactSpec, raw: Any) -> FactValue:
    """The official's value as the catalogue's type (raises MalformedValue): the same
    normalisation a department's answer goes through; a negative amount or count is
    no value of a fact."""
    if spec.type in _COUNTED and any(mark in str(raw) for mark in "eE"):
        raise MalformedValue(f"{spec.name}: exponent")  # 1e999999: written out, or not at all
    value = normalise(spec, raw)
    if spec.type in _COUNTED and not 0 <= value < _LARGEST:
        raise MalformedValue(f"{spec.name}: out of range")
    return value


def record_correction(
    *,
    enterprise: Enterprise | None = None,
    person: Person | None = None,
    spec: FactSpec,
    period: str,
    value: FactValue,
    dispute_reference: str,
    official: Any,
) -> FactCorrection:
    """In the caller's transaction: the correction of a fact about the enterprise or the
    person (exactly one), and on commit the signal that tells the apps above of the
    changed fact (the person in `person_ids`, no enterprise: their employer is not told)."""
    if (enterprise is None) == (person is None):
        raise ValueError("a correction is about one enterprise or one person")
    catalogue = PERSON_CATALOGUE if person is not None else CATALOGUE
    if spec.name not in catalogue:
        raise ValueError(f"{spec.name} is not a fact about this subject")
    correction = FactCorrection.objects.create(
        enterprise=enterprise,
        person=person,
        fact=spec.name,
        period=period,
        value=to_json(value),
        department_id=_department_id(spec),
        dispute_reference=dispute_reference,
        corrected_by=official,
        corrected_by_label=(getattr(official, "display_name", "") or official.get_username())[:150],
        corrected_at=timezone.now(),
    )
    name = spec.name
    if person is not None:
        person_id = person.pk
        transaction.on_commit(
            lambda: send_facts_changed([], [name], "correction", person_ids=[person_id])
        )
    else:
        enterprise_id = enterprise.pk
        transaction.on_commit(lambda: send_facts_changed([enterprise_id], [name], "correction"))
    return correction


def _department_id(spec: FactSpec) -> int:
    return Department.objects.only("pk").get(code=spec.department).pk


def _column(subject: str) -> str:
    """The column naming a correction's subject."""
    return "person_id" if subject == Subject.PERSON else "enterprise_id"


def latest(
    subject_ids: Iterable[int], specs: Iterable[FactSpec], as_of: date,
    subject: str = Subject.ENTERPRISE,
) -> dict[tuple[int, str], FactCorrection]:  # fmt: skip
    """The newest correction per (subject id, fact) for the period `as_of` falls in, for
    these enterprises (or persons, with `subject`): one query for all of them."""
    ids = list(dict.fromkeys(subject_ids))
    wanted = {spec.name: period_of(spec, as_of) for spec in specs}
    if not ids or not wanted:
        return {}
    column = _column(subject)
    found: dict[tuple[int, str], FactCorrection] = {}
    # Every correction of these subjects (a few, where any), oldest first, those of the
    # facts and periods asked kept here: a read built once per process (qinqing.bulk).
    for row in _OF_SUBJECTS[column].rows(ids):
        values = dict(zip(_FIELDS, row, strict=True))
        if values["fact"] in wanted and wanted[values["fact"]] == values["period"]:
            found[(values[column], values["fact"])] = FactCorrection(**values)  # newest wins
    return found


# What latest() reads of a correction, and its reads by enterprise and by person.
_FIELDS = ("id", "enterprise_id", "person_id", "fact", "period", "value", "department_id",
           "dispute_reference", "corrected_by_id", "corrected_by_label",
           "corrected_at")  # fmt: skip


def _of_subjects(column: str) -> KeyedRead:
    return KeyedRead(lambda keys: FactCorrection.objects.filter(any_of(column, keys))
                     .order_by("corrected_at", "pk").values_list(*_FIELDS))  # fmt: skip


_OF_SUBJECTS = {column: _of_subjects(column) for column in ("enterprise_id", "person_id")}


def latest_of_all(
    specs: Iterable[FactSpec], as_of: date, subject: str = Subject.ENTERPRISE
) -> dict[tuple[int, str], FactCorrection]:
    """latest() for every enterprise (or person): a bulk extract's read."""
    return _newest(specs, as_of, subject, **{f"{_column(subject)}__isnull": False})


def _newest(
    specs: Iterable[FactSpec], as_of: date, subject: str, **among: Any
) -> dict[tuple[int, str], FactCorrection]:
    wanted = {spec.name: period_of(spec, as_of) for spec in specs}
    if not wanted:
        return {}
    column = _column(subject)
    found: dict[tuple[int, str], FactCorrection] = {}
    # The facts and periods as two lists (a condition per fact and period cost a claim's
    # check more to build than the query took), each correction's pair checked here.
    rows = FactCorrection.objects.filter(
        fact__in=list(wanted), period__in=sorted(set(wanted.values())), **among
    ).order_by("corrected_at", "pk")
    for correction in rows:
        if wanted[correction.fact] != correction.period:
            continue  # another fact's period
        found[(getattr(correction, column), correction.fact)] = correction  # newest last wins
    return found


def provenance(correction: FactCorrection) -> dict[str, Any]:
    """What a fact's source says of a corrected value (stored with a decision's facts)."""
    return {
        "dispute": correction.dispute_reference,
        "official": correction.corrected_by_label,
        "at": correction.corrected_at.isoformat(),
    }


def provenance_text(found: dict[str, Any] | None) -> str:
    """The provenance in the reader's language; empty for a value read from a department."""
    if not isinstance(found, dict) or not found.get("dispute"):
        return ""
    try:
        when = timezone.localtime(datetime.fromisoformat(str(found.get("at")))).strftime(
            "%Y-%m-%d %H:%M"
        )
    except (TypeError, ValueError):
        when = ""
    return _("corrected by dispute no. %(dispute)s, %(official)s, %(when)s") % {
        "dispute": found.get("dispute", ""),
        "official": found.get("official", ""),
        "when": when,
    }


def value_of(correction: FactCorrection) -> FactValue:
    """The stored value as the catalogue's type again."""
    spec = CATALOGUE.get(correction.fact) or PERSON_CATALOGUE[correction.fact]
    return normalise(spec, correction.value)


def corrections_of(subject_id: int, subject: str = Subject.ENTERPRISE) -> list[FactCorrection]:
    """An enterprise's (or a person's) corrections, newest first (the data-access log
    shows them)."""
    return list(
        FactCorrection.objects.filter(**{_column(subject): subject_id})
        .select_related("department")
    )  # fmt: skip
