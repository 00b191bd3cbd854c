"""A department's answer read: a local provider's payload prepared in the caller's thread,
and every value of an answer normalised (or the whole answer malformed)."""

from datetime import date
from typing import Any

from django.utils import timezone

from .. import providers
from ..adapters import InterfaceResponse
from ..catalogue import FactSpec
from ..models import CallOutcome
from ..normalise import FactValue, MalformedValue, normalise, to_json
from .caching import cache_answers, cache_key
from .facts import Fact, mark_unknown


def local_payload(interface: str, uscc: str, wanted: list[FactSpec], as_of: date) -> dict | None:
    """A local provider's answer, read here in the caller's thread and connection (worker
    threads do not read the database); {} when it does not know the enterprise, which the
    department then answers as not found."""
    try:
        return providers.prepare(interface, uscc, [spec.wire_field for spec in wanted], as_of)
    except providers.NoLocalRecord:
        return {}


def read_payload(
    facts: dict[str, Fact],
    wanted: list[FactSpec],
    response: InterfaceResponse,
    as_of: date,
    uscc: str | None,
    to_cache: dict[str, tuple[dict, int]] | None = None,
    *,
    read: Any = normalise,
) -> tuple[str, str]:
    """Normalise every value (`read`); any that does not parse makes the whole answer
    malformed (a department that garbles one field cannot be trusted for the others).
    The values go to `to_cache` under `uscc` (stored at once when no dict is given); not
    at all without a USCC (a person's answer)."""
    values: dict[str, FactValue] = {}
    try:
        for spec in wanted:
            if spec.wire_field not in response.payload:
                raise MalformedValue(f"{spec.name}: field {spec.wire_field} missing")
            values[spec.name] = read(spec, response.payload[spec.wire_field])
    except MalformedValue as error:
        mark_unknown(facts, wanted, CallOutcome.MALFORMED, as_of)
        return CallOutcome.MALFORMED, str(error)[:300]
    fetched_at = timezone.now()
    pending: dict[str, tuple[dict, int]] = {} if to_cache is None else to_cache
    for spec in wanted:
        facts[spec.name] = Fact(spec.name, values[spec.name], True, department=spec.department,
                                period=spec.period_key(as_of), fetched_at=fetched_at)  # fmt: skip
        if uscc is None:
            continue
        pending[cache_key(uscc, spec, as_of)] = (
            {"v": to_json(values[spec.name]), "at": fetched_at.isoformat()},
            int(spec.freshness.total_seconds()),
        )
    if to_cache is None and uscc is not None:  # the caller did not collect them: store now
        cache_answers(pending)
    return CallOutcome.OK, ""
