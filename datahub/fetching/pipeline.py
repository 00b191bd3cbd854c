"""fetch_facts(): exactly the facts asked for, from every department concurrently, each with
its own timeout, through a cache that honours each fact's freshness, every call logged.

A department's failure never raises: the fact comes back unknown, with the reason. Nothing
is ever guessed.

One pipeline for both subjects of the catalogue: an enterprise (CATALOGUE, asked by USCC)
or a private person (PERSON_CATALOGUE, asked by resident identity number through the
person providers, issue #26). For a person nothing is cached (a person's data is not
copied beyond the call log's hash of the answer), the call is logged naming the person and
no enterprise, and the identity number is opened only for the department's call, never
written to a log line. A value corrected on a person's dispute wins over the department's,
with its provenance, as for an enterprise (datahub.corrections). An answer that differs
from the last one is a change the apps above hear of (facts_changed, "answer"), as for an
enterprise; for a person the last answer is the call log's hash of it, not a copy. A
change of a fact the hub answers from a correction is no change, for either subject. The
breakers, outcomes, purposes and the call log are the same.
"""

import hashlib
import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from departments.models import Department
from enterprises.models import Enterprise
from enterprises.persons.models import Person

from .. import circuit, corrections, providers
from ..adapters import DepartmentError, InterfaceRequest, RegisterEntry, adapter_for
from ..catalogue import FactSpec, UnknownFactError, person_specs_for, specs_for
from ..models import CallOutcome, DataCall, Subject
from ..normalise import normalise
from ..purposes import PurposeRequired
from .caching import cache_answers, cache_key, last_key
from .calllog import NO_ADAPTER_DETAIL, CallLog, write_calls
from .changes import compare_with_last, person_changes, tell_changed
from .facts import Fact, FactSet, mark_unknown
from .payloads import local_payload, read_payload
from .persons import NO_PROVIDER_DETAIL, PersonRequest, person_adapter, person_value

logger = logging.getLogger(__name__)
# Leave the executor a little beyond each department's own timeout before giving up on it.
_GRACE_SECONDS = 0.5
# One pool per process for the calls to departments, rather than one per fetch: a claim
# asks several departments at once, and starting threads for every claim cost more than
# the calls' own work. Sized for a worker's threads each asking five departments, or a
# batch of claims (subsidies.pipeline.check_many) asking three each.
_POOL_SIZE = 128
_shared_pool: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _shared_pool
    if _shared_pool is None:
        _shared_pool = ThreadPoolExecutor(max_workers=_POOL_SIZE, thread_name_prefix="hub")
    return _shared_pool


def fetch_facts(
    enterprise: Enterprise,
    fact_names: list[str],
    *,
    purpose: str,
    requested_by: Any = None,
    as_of: date | None = None,
    transport: str | None = None,
    use_cache: bool = True,
) -> FactSet:
    """`purpose` names what the data serves, e.g. "subsidies.claim:42 eligibility check"."""
    return fetch_facts_many([(enterprise, purpose)], fact_names, requested_by=requested_by,
                            as_of=as_of, transport=transport, use_cache=use_cache)[0]  # fmt: skip


def fetch_person_facts(
    person: Person,
    fact_names: list[str],
    *,
    purpose: str,
    requested_by: Any = None,
    as_of: date | None = None,
) -> FactSet:
    """Exactly the named facts about `person`, through the one pipeline below (each
    department interface asked once, its breaker, each call logged with `purpose`, words
    the person understands). Nothing is cached. A failure never raises: the facts come
    back unknown with the reason."""
    return fetch_facts_many([(person, purpose)], fact_names, requested_by=requested_by,
                            as_of=as_of)[0]  # fmt: skip


def fetch_facts_many(
    requests: list[tuple[Enterprise, str]] | list[tuple[Person, str]],
    fact_names: list[str],
    *,
    requested_by: Any = None,
    as_of: date | None = None,
    transport: str | None = None,
    use_cache: bool = True,
) -> list[FactSet]:
    """fetch_facts() for several (subject, purpose) pairs at once, one FactSet each, in
    order: every department call of every subject in flight together, and the cache,
    the breakers, the department rows and the call log each one round trip for all of them
    (a worker deciding the claims waiting at a moment pays these once, not per claim).
    Each subject's facts, outcomes and call-log rows are exactly what fetch_facts()
    would give it alone. The subjects are all enterprises or all persons (the facts of
    PERSON_CATALOGUE: never cached, whatever `use_cache` says)."""
    persons = bool(requests) and isinstance(requests[0][0], Person)
    if any(isinstance(subject, Person) != persons for subject, _purpose in requests):
        raise TypeError("fetch_facts_many asks about enterprises or persons, not both at once")
    for subject, purpose in requests:
        if not purpose or not purpose.strip():
            logger.warning("refused a read of %s's data without a purpose: %s",
                           _label(subject), fact_names)  # fmt: skip
            raise (providers.PersonPurposeRequired if persons else PurposeRequired)(
                "a purpose is required to read department data")  # fmt: skip
    try:
        specs = (person_specs_for if persons else specs_for)(fact_names)
    except UnknownFactError as error:
        logger.warning("refused a read of unknown facts %s (purpose %r)", error.names,
                       requests[0][1] if requests else "")  # fmt: skip
        raise
    use_cache = use_cache and not persons
    as_of = as_of or timezone.localdate()
    now = timezone.now()
    # Each department's key, for the call log (plain values: no model object per fetch).
    departments = dict(Department.objects.filter(code__in={spec.department for spec in specs})
                       .values_list("code", "pk"))  # fmt: skip
    cached: dict = {}
    if use_cache and requests and specs:
        keys = [cache_key(e.uscc, s, as_of) for e, _p in requests for s in specs]
        keys += [last_key(e.uscc, s, as_of) for e, _p in requests for s in specs]
        cached = cache.get_many(keys)
    changed: dict[int, set[str]] = {}
    facts_of: list[dict[str, Fact]] = [{} for _ in requests]
    calls_of: list[list[DataCall]] = [[] for _ in requests]
    logs = [CallLog(enterprise, purpose, requested_by, now) for enterprise, purpose in requests]
    missing_of: list[dict[tuple[str, str], list[FactSpec]]] = []
    for index, (subject, _purpose) in enumerate(requests):
        facts, calls, log = facts_of[index], calls_of[index], logs[index]
        missing: dict[tuple[str, str], list[FactSpec]] = defaultdict(list)
        hits_by_department: dict[tuple[str, str], list[FactSpec]] = defaultdict(list)
        for spec in specs:
            entry = cached.get(cache_key(subject.uscc, spec, as_of)) if use_cache else None
            fetched_at = datetime.fromisoformat(entry["at"]) if entry is not None else None
            # The cache entry's expiry is the freshness too; checking here as well keeps the
            # promise with any cache backend and any clock skew between processes.
            if fetched_at is not None and now - fetched_at <= spec.freshness:
                value = normalise(spec, entry["v"])
                facts[spec.name] = Fact(spec.name, value, True, department=spec.department,
                                        period=spec.period_key(as_of), fetched_at=fetched_at,
                                        from_cache=True)  # fmt: skip
                hits_by_department[(spec.department, spec.interface)].append(spec)
            else:
                missing[(spec.department, spec.interface)].append(spec)
        for (department, interface), hit_specs in hits_by_department.items():
            calls.append(log.entry(departments[department], interface, hit_specs, "cache",
                                   CallOutcome.CACHED, 0.0))  # fmt: skip
        missing_of.append(missing)

    breakers = circuit.read({department for missing in missing_of
                             for department, _interface in missing})  # fmt: skip
    jobs: list[tuple[int, str, str, list[FactSpec], Any]] = []
    for index, missing in enumerate(missing_of):
        facts, calls, log = facts_of[index], calls_of[index], logs[index]
        for (department, interface), wanted in missing.items():
            adapter = (person_adapter(interface) if persons
                       else adapter_for(department, transport, interface=interface))  # fmt: skip
            if adapter is None:  # settings.HUB_DEPARTMENTS names none, no app registered one
                mark_unknown(facts, wanted, CallOutcome.NO_PROVIDER, as_of)
                calls.append(log.entry(
                    departments[department], interface, wanted, "none", CallOutcome.NO_PROVIDER,
                    0.0, detail=NO_PROVIDER_DETAIL if persons else NO_ADAPTER_DETAIL,
                ))  # fmt: skip
                continue
            if not circuit.allows_call(department, breakers[department]):
                mark_unknown(facts, wanted, CallOutcome.CIRCUIT_OPEN, as_of)
                calls.append(log.entry(departments[department], interface, wanted,
                                       adapter.transport, CallOutcome.CIRCUIT_OPEN, 0.0,
                                       detail="recent calls failed; not asked"))  # fmt: skip
                continue
            jobs.append((index, department, interface, wanted, adapter))

    if jobs:
        timeout = settings.HUB_TIMEOUT_SECONDS
        for adapter in {id(job[4]): job[4] for job in jobs}.values():
            adapter.prepare()  # reads the database here: worker threads do not
        asked = {job[0] for job in jobs}
        if persons:  # opened for the departments' calls only, never logged
            rows = {index: requests[index][0].identity_number() for index in asked}
        else:
            rows = {index: RegisterEntry.of(requests[index][0]) for index in asked}
        to_cache: dict[str, tuple[dict, int]] = {}
        answered: list[tuple[int, str, list[FactSpec], str]] = []  # a person's, to compare
        pool = _pool()
        futures: list = []
        try:
            for job in jobs:
                index, department, interface, wanted, adapter = job
                subject = requests[index][0]
                wire_fields = [spec.wire_field for spec in wanted]
                if persons:  # in the caller's thread: a person provider may read the database
                    futures.append((job, _Done(_call(adapter, PersonRequest(
                        rows[index], wire_fields, as_of)))))  # fmt: skip
                    continue
                local = local_payload(interface, subject.uscc, wanted, as_of)
                futures.append((job, pool.submit(_call, adapter, InterfaceRequest(
                    department=department, interface=interface, uscc=subject.uscc,
                    wire_fields=wire_fields, as_of=as_of, timeout=timeout,
                    register=rows[index], local_payload=local,
                ))))  # fmt: skip
            rows.clear()
            for (index, department, interface, wanted, adapter), future in futures:
                subject = requests[index][0]
                try:
                    outcome, detail, response, latency_ms = future.result(timeout + _GRACE_SECONDS)
                except FutureTimeout:  # an adapter that ignored its deadline
                    outcome, detail, response = CallOutcome.TIMEOUT, "no answer in time", None
                    latency_ms = (timeout + _GRACE_SECONDS) * 1000
                if response is not None:
                    outcome, detail = read_payload(
                        facts_of[index], wanted, response, as_of,
                        None if persons else subject.uscc, to_cache,
                        read=person_value if persons else normalise,
                    )  # fmt: skip
                    if outcome == CallOutcome.OK and use_cache:
                        compare_with_last(subject, wanted, as_of, cached, to_cache, changed)
                    elif outcome == CallOutcome.OK and persons:
                        answered.append((subject.pk, interface, wanted,
                                         hashlib.sha256(response.raw).hexdigest()))  # fmt: skip
                else:
                    mark_unknown(facts_of[index], wanted, outcome, as_of)
                if outcome in (CallOutcome.OK, CallOutcome.NOT_FOUND):
                    circuit.record_success(department, breakers[department])
                else:
                    circuit.record_failure(department)
                    logger.warning("%s %s for %s: %s (%s)", department, interface,
                                   _label(subject), outcome, detail)  # fmt: skip
                calls_of[index].append(logs[index].entry(
                    departments[department], interface, wanted, adapter.transport, outcome,
                    latency_ms, detail=detail,
                    response_hash=hashlib.sha256(response.raw).hexdigest() if response else "",
                ))  # fmt: skip
        finally:
            for _job, future in futures:
                future.cancel()  # not started yet (the pool is full): nobody waits for it
        cache_answers(to_cache)
        if answered:  # before this call's own rows are in the log
            changed.update(person_changes(answered, now))

    write_calls([call for calls in calls_of for call in calls])
    corrected = _corrected(requests, specs, as_of, facts_of,
                           Subject.PERSON if persons else Subject.ENTERPRISE)  # fmt: skip
    for subject_id, name in corrected:  # the hub answers these from a correction: unchanged
        changed.get(subject_id, set()).discard(name)
    changed = {subject_id: names for subject_id, names in changed.items() if names}
    if changed:
        tell_changed(changed, persons=persons)
    return [FactSet(facts={spec.name: facts[spec.name] for spec in specs}, calls=calls)
            for facts, calls in zip(facts_of, calls_of, strict=True)]  # fmt: skip


def _corrected(requests: list[tuple[Enterprise, str]] | list[tuple[Person, str]],
               specs: list[FactSpec], as_of: date, facts_of: list[dict[str, Fact]],
               subject: str) -> set[tuple[int, str]]:  # fmt: skip
    """A value corrected on a dispute wins over the department's (datahub.corrections),
    with its provenance; one query for every enterprise (or person) asked about. Returns
    the (subject id, fact) pairs answered from a correction."""
    found = corrections.latest([s.pk for s, _p in requests], specs, as_of, subject)
    if not found:
        return set()
    for index, (asked, _purpose) in enumerate(requests):
        for spec in specs:
            correction = found.get((asked.pk, spec.name))
            if correction is not None:
                facts_of[index][spec.name] = Fact(
                    spec.name, corrections.value_of(correction), True,
                    department=spec.department, period=spec.period_key(as_of),
                    fetched_at=correction.corrected_at,
                    correction=corrections.provenance(correction),
                )  # fmt: skip
    return set(found)


def _call(adapter, request: Any):
    started = time.perf_counter()
    try:
        response = adapter.fetch(request)
        outcome, detail = CallOutcome.OK, ""
    except DepartmentError as error:
        response, outcome, detail = None, error.outcome, str(error)[:300]
    except Exception as error:  # a broken adapter is a department failure, not a crash
        response, outcome, detail = None, CallOutcome.UNAVAILABLE, type(error).__name__
    finally:
        if not getattr(adapter, "inline", False):
            connections.close_all()  # this worker thread's own connections, if it opened any
    return outcome, detail, response, (time.perf_counter() - started) * 1000


def _label(subject: Enterprise | Person) -> str:
    """Whom a log line names: the enterprise's USCC, a person's register id (never the
    identity number)."""
    return f"person {subject.pk}" if isinstance(subject, Person) else subject.uscc


class _Done:
    """An answer already computed, read as a future's result."""

    def __init__(self, result: tuple) -> None:
        self._result = result

    def result(self, timeout: float | None = None) -> tuple:
        return self._result

    def cancel(self) -> bool:
        return False
