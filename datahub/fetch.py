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
import json
import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext

from departments.models import Department
from enterprises.models import Enterprise
from enterprises.persons.models import Person

from . import circuit, corrections, providers
from .adapters import (
    DepartmentError,
    DepartmentNotFound,
    InterfaceRequest,
    InterfaceResponse,
    RegisterEntry,
    adapter_for,
)
from .catalogue import (
    CATALOGUE,
    PERSON_CATALOGUE,
    FactSpec,
    FactType,
    UnknownFactError,
    person_specs_for,
    specs_for,
)
from .models import CallOutcome, DataCall, Subject
from .normalise import FactValue, MalformedValue, normalise, to_json
from .purposes import PurposeRequired
from .signals import send_facts_changed

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


# The call log's words for a department nobody connected (CallOutcome.NO_PROVIDER's label
# says the same to a reader of the log, in their language).
NO_ADAPTER_DETAIL = "unknown: no adapter configured for this department"


__all__ = [
    "Fact",
    "FactSet",
    "PurposeRequired",
    "fetch_facts",
    "fetch_facts_many",
    "fetch_person_facts",
]


@dataclass(frozen=True)
class Fact:
    name: str
    value: FactValue | None
    known: bool
    reason: str = ""  # why unknown: a CallOutcome value
    department: str = ""
    period: str = ""
    fetched_at: datetime | None = None
    from_cache: bool = False
    # A value corrected on a dispute (datahub.corrections.provenance); None: as read.
    correction: dict[str, Any] | None = None

    @property
    def spec(self) -> FactSpec:
        return CATALOGUE.get(self.name) or PERSON_CATALOGUE[self.name]

    @property
    def shown(self) -> str:
        """The value as a person reads it (masked where personal); a known empty value is
        the department saying there is none."""
        if self.known and self.value is None:
            return gettext("none")
        return self.spec.display(self.value)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "value": to_json(self.value), "known": self.known,
            "reason": self.reason, "department": self.department, "period": self.period,
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "from_cache": self.from_cache,
            **({"correction": self.correction} if self.correction else {}),
        }  # fmt: skip


@dataclass
class FactSet:
    facts: dict[str, Fact]
    calls: list[DataCall] = field(default_factory=list)

    def __getitem__(self, name: str) -> Fact:
        return self.facts[name]

    @property
    def all_known(self) -> bool:
        return all(fact.known for fact in self.facts.values())

    def values(self) -> dict[str, FactValue | None]:
        return {name: fact.value for name, fact in self.facts.items()}


def _cache_key(uscc: str, spec: FactSpec, as_of: date) -> str:
    return f"hub:fact:{spec.name}:{spec.period_key(as_of)}:{uscc}"


# The last answer for a fact and period, kept beyond its freshness: a new answer that
# differs from it is a change the apps above the hub hear of (facts_changed, "answer").
# Read in the same round trip as the cache, written with the fresh values.
_LAST_TTL = 40 * 24 * 3600


def _last_key(uscc: str, spec: FactSpec, as_of: date) -> str:
    return f"hub:last:{spec.name}:{spec.period_key(as_of)}:{uscc}"


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
    departments = {d.code: d for d in Department.objects.filter(
        code__in={spec.department for spec in specs})}  # fmt: skip
    cached: dict = {}
    if use_cache and requests and specs:
        keys = [_cache_key(e.uscc, s, as_of) for e, _p in requests for s in specs]
        keys += [_last_key(e.uscc, s, as_of) for e, _p in requests for s in specs]
        cached = cache.get_many(keys)
    changed: dict[int, set[str]] = {}
    facts_of: list[dict[str, Fact]] = [{} for _ in requests]
    calls_of: list[list[DataCall]] = [[] for _ in requests]
    logs = [_CallLog(enterprise, purpose, requested_by, now) for enterprise, purpose in requests]
    missing_of: list[dict[tuple[str, str], list[FactSpec]]] = []
    for index, (subject, _purpose) in enumerate(requests):
        facts, calls, log = facts_of[index], calls_of[index], logs[index]
        missing: dict[tuple[str, str], list[FactSpec]] = defaultdict(list)
        hits_by_department: dict[tuple[str, str], list[FactSpec]] = defaultdict(list)
        for spec in specs:
            entry = cached.get(_cache_key(subject.uscc, spec, as_of)) if use_cache else None
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
            adapter = (_person_adapter(interface) if persons
                       else adapter_for(department, transport, interface=interface))  # fmt: skip
            if adapter is None:  # settings.HUB_DEPARTMENTS names none, no app registered one
                _unknown(facts, wanted, CallOutcome.NO_PROVIDER, as_of)
                calls.append(log.entry(
                    departments[department], interface, wanted, "none", CallOutcome.NO_PROVIDER,
                    0.0, detail=NO_PROVIDER_DETAIL if persons else NO_ADAPTER_DETAIL,
                ))  # fmt: skip
                continue
            if not circuit.allows_call(department, breakers[department]):
                _unknown(facts, wanted, CallOutcome.CIRCUIT_OPEN, as_of)
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
                    futures.append((job, _Done(_call(adapter, _PersonRequest(
                        rows[index], wire_fields, as_of)))))  # fmt: skip
                    continue
                local = _local_payload(interface, subject.uscc, wanted, as_of)
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
                    outcome, detail = _read_payload(
                        facts_of[index], wanted, response, as_of,
                        None if persons else subject.uscc, to_cache,
                        read=_person_value if persons else normalise,
                    )  # fmt: skip
                    if outcome == CallOutcome.OK and use_cache:
                        _compare_last(subject, wanted, as_of, cached, to_cache, changed)
                    elif outcome == CallOutcome.OK and persons:
                        answered.append((subject.pk, interface, wanted,
                                         hashlib.sha256(response.raw).hexdigest()))  # fmt: skip
                else:
                    _unknown(facts_of[index], wanted, outcome, as_of)
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
        _store(to_cache)
        if answered:  # before this call's own rows are in the log
            changed.update(_person_changes(answered, now))

    DataCall.objects.bulk_create([call for calls in calls_of for call in calls])
    corrected = _corrected(requests, specs, as_of, facts_of,
                           Subject.PERSON if persons else Subject.ENTERPRISE)  # fmt: skip
    for subject_id, name in corrected:  # the hub answers these from a correction: unchanged
        changed.get(subject_id, set()).discard(name)
    changed = {subject_id: names for subject_id, names in changed.items() if names}
    if changed:
        _tell_changed(changed, persons=persons)
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


def _compare_last(
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
        fresh = to_cache[_cache_key(enterprise.uscc, spec, as_of)][0]["v"]
        last = cached.get(_last_key(enterprise.uscc, spec, as_of))
        if last is not None and last.get("v") != fresh:
            changed.setdefault(enterprise.pk, set()).add(spec.name)
        to_cache[_last_key(enterprise.uscc, spec, as_of)] = ({"v": fresh}, _LAST_TTL)


def _person_changes(answered: list[tuple[int, str, list[FactSpec], str]],
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
                    started_at__gte=now - timedelta(seconds=_LAST_TTL))
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


def _tell_changed(changed: dict[int, set[str]], *, persons: bool = False) -> None:
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


def _store(to_cache: dict[str, tuple[dict, int]]) -> None:
    """Fresh values into the shared cache: one round trip per freshness, not per fact."""
    by_ttl: dict[int, dict[str, dict]] = {}
    for key, (entry, ttl) in to_cache.items():
        by_ttl.setdefault(ttl, {})[key] = entry
    for ttl, entries in by_ttl.items():
        cache.set_many(entries, timeout=ttl)


def _local_payload(interface: str, uscc: str, wanted: list[FactSpec], as_of: date) -> dict | None:
    """A local provider's answer, read here in the caller's thread and connection (worker
    threads do not read the database); {} when it does not know the enterprise, which the
    department then answers as not found."""
    try:
        return providers.prepare(interface, uscc, [spec.wire_field for spec in wanted], as_of)
    except providers.NoLocalRecord:
        return {}


def forget_facts(usccs: list[str], fact_names: list[str], as_of: date | None = None) -> None:
    """Drop cached values of these facts, for a provider whose data just changed (a black
    listing must not wait out the fact's freshness). Facts describing today's state are
    cached under today's date; that is the entry a later fetch would find."""
    as_of = as_of or timezone.localdate()
    specs = specs_for(fact_names)
    keys = [_cache_key(uscc, spec, as_of) for uscc in usccs for spec in specs]
    for start in range(0, len(keys), 10_000):
        cache.delete_many(keys[start : start + 10_000])


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


# The call log's words for a person interface no department provides.
NO_PROVIDER_DETAIL = "unknown: no provider configured"


@dataclass(frozen=True)
class _PersonRequest:
    number: str = field(repr=False)  # never in a repr, a traceback's locals or a log line
    wire_fields: list[str] = field(default_factory=list)
    as_of: date | None = None


@dataclass(frozen=True)
class _PersonAdapter:
    """A person provider (datahub.providers) as the pipeline calls a department: in the
    caller's thread (`inline`), its "no record" a not-found outcome."""

    provider: providers.PersonProvider
    inline: bool = True

    @property
    def transport(self) -> str:
        return self.provider.transport

    def prepare(self) -> None:
        pass

    def fetch(self, request: _PersonRequest) -> InterfaceResponse:
        try:
            payload = self.provider.answer(request.number, list(request.wire_fields),
                                           request.as_of)  # fmt: skip
        except providers.NoPersonRecord as error:
            raise DepartmentNotFound("the department has no record of this person") from error
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()
        return InterfaceResponse(payload=payload, raw=raw)


def _person_adapter(interface: str) -> _PersonAdapter | None:
    provider = providers.PERSON_PROVIDERS.get(interface)
    return _PersonAdapter(provider) if provider is not None else None


class _Done:
    """An answer already computed, read as a future's result."""

    def __init__(self, result: tuple) -> None:
        self._result = result

    def result(self, timeout: float | None = None) -> tuple:
        return self._result

    def cancel(self) -> bool:
        return False


def _person_value(spec: FactSpec, raw: Any) -> FactValue | None:
    """A person's value: an identifier (TEXT) is kept as written, stripped, empty for
    none; an empty value of another type is the department saying "none" (no insurance,
    so no start date): None, known; every other value goes through the hub's
    normalisation."""
    if spec.type is not FactType.TEXT and (
        raw is None or (isinstance(raw, str) and not raw.strip())
    ):
        return None
    if spec.type is FactType.TEXT:
        if raw is None:
            return ""
        if not isinstance(raw, str | int):
            raise MalformedValue(f"{spec.name}: not text")
        return str(raw).strip()
    return normalise(spec, raw)


def _read_payload(
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
        _unknown(facts, wanted, CallOutcome.MALFORMED, as_of)
        return CallOutcome.MALFORMED, str(error)[:300]
    fetched_at = timezone.now()
    pending: dict[str, tuple[dict, int]] = {} if to_cache is None else to_cache
    for spec in wanted:
        facts[spec.name] = Fact(spec.name, values[spec.name], True, department=spec.department,
                                period=spec.period_key(as_of), fetched_at=fetched_at)  # fmt: skip
        if uscc is None:
            continue
        pending[_cache_key(uscc, spec, as_of)] = (
            {"v": to_json(values[spec.name]), "at": fetched_at.isoformat()},
            int(spec.freshness.total_seconds()),
        )
    if to_cache is None and uscc is not None:  # the caller did not collect them: store now
        _store(pending)
    return CallOutcome.OK, ""


def _unknown(facts: dict[str, Fact], wanted: list[FactSpec], reason: str, as_of: date) -> None:
    for spec in wanted:
        facts[spec.name] = Fact(
            spec.name,
            None,
            False,
            reason=str(reason),
            department=spec.department,
            period=spec.period_key(as_of),
        )


class _CallLog:
    def __init__(self, subject: Enterprise | Person, purpose: str, requested_by: Any,
                 now: datetime):  # fmt: skip
        # A read about a person names the person and no enterprise: their employer never
        # sees it.
        is_person = isinstance(subject, Person)
        self.enterprise = None if is_person else subject
        self.person = subject if is_person else None
        self.purpose = purpose.strip()[:200]
        is_user = requested_by is not None and getattr(requested_by, "is_authenticated", False)
        self.user = requested_by if is_user else None
        self.label = requested_by.get_username() if is_user else str(requested_by or "system")
        self.now = now

    def entry(self, department: Department, interface: str, specs: list[FactSpec],
              transport: str, outcome: str, latency_ms: float, *, detail: str = "",
              response_hash: str = "") -> DataCall:  # fmt: skip
        return DataCall(
            department=department, interface=interface, enterprise=self.enterprise,
            person=self.person, fact_names=[spec.name for spec in specs], purpose=self.purpose,
            requested_by=self.user, requested_by_label=self.label[:150], transport=transport,
            started_at=self.now, latency_ms=round(latency_ms, 2), outcome=outcome,
            detail=detail, response_hash=response_hash,
        )  # fmt: skip
