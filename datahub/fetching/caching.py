"""The shared cache of enterprises' answers: each fact kept for its freshness, and the last
answer kept longer to compare the next one with (nothing about a person is cached)."""

from datetime import date

from django.core.cache import cache
from django.utils import timezone

from ..catalogue import FactSpec, specs_for


def cache_key(uscc: str, spec: FactSpec, as_of: date) -> str:
    return f"hub:fact:{spec.name}:{spec.period_key(as_of)}:{uscc}"


# The last answer for a fact and period, kept beyond its freshness: a new answer that
# differs from it is a change the apps above the hub hear of (facts_changed, "answer").
# Read in the same round trip as the cache, written with the fresh values.
LAST_TTL = 40 * 24 * 3600


def last_key(uscc: str, spec: FactSpec, as_of: date) -> str:
    return f"hub:last:{spec.name}:{spec.period_key(as_of)}:{uscc}"


def cache_answers(to_cache: dict[str, tuple[dict, int]]) -> None:
    """Fresh values into the shared cache: one round trip per freshness, not per fact."""
    by_ttl: dict[int, dict[str, dict]] = {}
    for key, (entry, ttl) in to_cache.items():
        by_ttl.setdefault(ttl, {})[key] = entry
    for ttl, entries in by_ttl.items():
        cache.set_many(entries, timeout=ttl)


def forget_facts(usccs: list[str], fact_names: list[str], as_of: date | None = None) -> None:
    """Drop cached values of these facts, for a provider whose data just changed (a black
    listing must not wait out the fact's freshness). Facts describing today's state are
    cached under today's date; that is the entry a later fetch would find."""
    as_of = as_of or timezone.localdate()
    specs = specs_for(fact_names)
    keys = [cache_key(uscc, spec, as_of) for uscc in usccs for spec in specs]
    for start in range(0, len(keys), 10_000):
        cache.delete_many(keys[start : start + 10_000])
