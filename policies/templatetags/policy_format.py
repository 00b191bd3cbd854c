"""Formatting for the policy pages: times, and near-miss advice looked up by key."""

from datetime import date, datetime

from django import template
from django.utils import timezone

from datahub.normalise import MalformedValue, normalise
from policies.advice import advise
from policies.engine import CriterionResult
from policies.rules.facts import fact_spec
from policies.wording import advice_by_criterion

register = template.Library()


@register.filter
def moment(value: datetime | date | None) -> str:
    """A time as 2026-12-05 16:12 in the city's time zone, in every language (Django's
    default English format gives "4:12 p.m.", and a sentence then ends "p.m..")."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@register.filter
def advice_for(advice: dict | None, key: str):
    """advice[key] (near-miss advice by policy code, then by criterion id), or nothing."""
    if not advice:
        return ()
    return advice.get(key) or ()


@register.simple_tag
def recorded_advice(version, rows: list[dict] | None, status: str) -> list[tuple[str, list]]:
    """Near-miss advice from a decision kept as rows (a claim's explanation): (the fact's
    label, sentences) per failed criterion. The rules are the version's own."""
    if version is None or not rows or status != "ineligible":
        return []
    try:
        rules = version.rules
    except ValueError:
        return []
    outcomes = []
    for row in rows:
        spec = fact_spec(row.get("fact", ""))
        value = row.get("value")
        try:
            typed = None if value is None or spec is None else normalise(spec, value)
        except MalformedValue:
            typed = None
        outcomes.append(CriterionResult(
            row.get("id", ""), row.get("label") or {}, row.get("clause", ""), row.get("fact", ""),
            typed, row.get("op", ""), None, row.get("result"), row.get("department", ""),
            bool(row.get("negated")), bool(row.get("alternative")),
        ))  # fmt: skip
    shown = advice_by_criterion(advise(rules, outcomes, timezone.localdate(), status))
    return [(fact_spec(row.fact).label if fact_spec(row.fact) else row.fact, shown[row.id])
            for row in outcomes if shown.get(row.id)]  # fmt: skip
