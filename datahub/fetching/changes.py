"""An answer that differs from the last one is a change the apps above the hub hear of
(facts_changed, "answer"): compared with the cached last answer for an enterprise, with
the call log's hash of it for a person, and signalled once committed."""

from datetime import date, datetime, timedelta
from functools import partial

from django.db import transaction

from enterprises.models import Enterprise

from ..catalogue import FactSpec
from ..models import CallOutcome, DataCall
from ..signals import send_facts_changed
from .caching import LAST_TTL, cache_key, last_key


def compare_with_last(
    enterprise: Enterprise,
    wanted: list[FactSpec],
    as_of: date,
    cached: dict,
    to_cache: dict[str, tuple[dict, int]],
    changed: dict[int, set[str]],
) -> None:
    """The fresh answer against the last one (already read with the cache): the facts that
    differ are noted; the answer becomes the last one."""
    for spec in wanted:
        fresh = to_cache[cache_key(enterprise.uscc, spec, as_of)][0]["v"]
        last = cached.get(last_key(enterprise.uscc, spec, as_of))
        if last is not None and last.get("v") != fresh:
            changed.setdefault(enterprise.pk, set()).add(spec.name)
        to_cache[last_key(enterprise.uscc, spec, as_of)] = ({"v": fresh}, LAST_TTL)


def person_changes(answered: list[tuple[int, str, list[FactSpec], str]],
                   now: datetime) -> dict[int, set[str]]:  # fmt: skip
    """A person's fresh answers against the last ones: nothing about a person is cached,
    so the last answer is the call log's hash of it (the same interface asked for the same
    facts, answered, within the last answers' keeping time). An answer whose hash differs
    changed every fact it carries (which of them is not kept). One query for all of them."""
    last: dict[tuple[int, str, frozenset], str] = {}
    rows = (DataCall.objects
            .filter(person_id__in={pk for pk, *_rest in answered},
                    interface__in={interface for _pk, interface, *_rest in answered},
                    outcome=CallOutcome.OK, started_at__lt=now,
                    started_at__gte=now - timedelta(seconds=LAST_TTL))
            .exclude(response_hash="").order_by("started_at", "pk")
            .values_list("person_id", "interface", "fact_names", "response_hash"))  # fmt: skip
    for person_id, interface, names, digest in rows:
        last[(person_id, interface, frozenset(names))] = digest  # the newest last wins
    changed: dict[int, set[str]] = {}
    for person_id, interface, wanted, digest in answered:
        names = frozenset(spec.name for spec in wanted)
        previous = last.get((person_id, interface, names))
        if previous is not None and previous != digest:
            changed.setdefault(person_id, set()).update(names)
    return changed


def tell_changed(changed: dict[int, set[str]], *, persons: bool = False) -> None:
    """Once committed: one signal per set of changed facts (naming the persons, and no
    enterprise, for a person's answers)."""
    by_facts: dict[tuple[str, ...], list[int]] = {}
    for subject_id, names in changed.items():
        by_facts.setdefault(tuple(sorted(names)), []).append(subject_id)
    for names, ids in by_facts.items():
        if persons:
            send = partial(send_facts_changed, [], list(names), "answer", person_ids=sorted(ids))
        else:
            send = partial(send_facts_changed, sorted(ids), list(names), "answer")
        transaction.on_commit(send, robust=True)
