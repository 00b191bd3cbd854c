"""Facts corrected on a dispute: the department's official answers a value for one
enterprise, fact and period, and the hub gives that value instead of the department's from
then on — in single answers (fetch.py) and in the bulk extracts (snapshots.py) — with its
provenance ("corrected by dispute no. …, official, time") wherever the fact's source is
shown. The hub tells the apps above it through `facts_changed(cause="correction")` once
the correction is committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import Department
from enterprises.models import Enterprise

from .catalogue import CATALOGUE, FactSpec, FactType, Period
from .models import FactCorrection
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
    enterprise: Enterprise,
    spec: FactSpec,
    period: str,
    value: FactValue,
    dispute_reference: str,
    official: Any,
) -> FactCorrection:
    """In the caller's transaction: the correction, and on commit the signal that tells
    the apps above of the changed fact."""
    correction = FactCorrection.objects.create(
        enterprise=enterprise,
        fact=spec.name,
        period=period,
        value=to_json(value),
        department_id=_department_id(spec),
        dispute_reference=dispute_reference,
        corrected_by=official,
        corrected_by_label=(getattr(official, "display_name", "") or official.get_username())[:150],
        corrected_at=timezone.now(),
    )
    enterprise_id, name = enterprise.pk, spec.name
    transaction.on_commit(lambda: send_facts_changed([enterprise_id], [name], "correction"))
    return correction


def _department_id(spec: FactSpec) -> int:
    return Department.objects.only("pk").get(code=spec.department).pk


def latest(
    enterprise_ids: Iterable[int], specs: Iterable[FactSpec], as_of: date
) -> dict[tuple[int, str], FactCorrection]:
    """The newest correction per (enterprise, fact) for the period `as_of` falls in: one
    query for all of them."""
    ids = list(dict.fromkeys(enterprise_ids))
    if not ids:
        return {}
    return _newest(specs, as_of, enterprise_id__in=ids)


def latest_of_all(specs: Iterable[FactSpec], as_of: date) -> dict[tuple[int, str], FactCorrection]:
    """latest() for every enterprise (a bulk extract's read)."""
    return _newest(specs, as_of)


def _newest(
    specs: Iterable[FactSpec], as_of: date, **among: Any
) -> dict[tuple[int, str], FactCorrection]:
    wanted = {spec.name: period_of(spec, as_of) for spec in specs}
    if not wanted:
        return {}
    matches = Q()
    for name, period in wanted.items():
        matches |= Q(fact=name, period=period)
    found: dict[tuple[int, str], FactCorrection] = {}
    rows = FactCorrection.objects.filter(matches, **among).order_by("corrected_at", "pk")
    for correction in rows:
        found[(correction.enterprise_id, correction.fact)] = correction  # newest last wins
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
    return normalise(CATALOGUE[correction.fact], correction.value)


def corrections_of(enterprise_id: int) -> list[FactCorrection]:
    """An enterprise's corrections, newest first (its data-access log shows them)."""
    return list(
        FactCorrection.objects.filter(enterprise_id=enterprise_id).select_related("department")
    )
