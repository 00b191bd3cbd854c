"""Local providers: interfaces the portal answers from its own tables (the public credit
platform's grades and lists, kept by the credit app) rather than from a simulated
department's generated data.

An app registers one in its AppConfig.ready() (`register_local_provider`, an entry of the
`LOCAL_PROVIDERS` registry keyed by interface), so the hub never imports it (the hub is a
lower layer). Everything else stays as for any department: the call goes through the
department's adapter (in process or over HTTP to /mock/departments/…), with its simulated
latency and failures, its circuit breaker, the cache and a DataCall in the log.

`answer(uscc, wire_fields, as_of)` returns the payload in the department's wire format
({wire field: raw value}, e.g. {"xydj": "B", "hmd": "N"}) and raises NoLocalRecord for an
enterprise it does not know. It runs in the caller's thread and database connection (the
in-process adapter calls departments from worker threads, which must not read the
database), so a caller inside a transaction sees its own uncommitted changes.

`extract(enterprise_ids, fact_names, as_of)` (optional) gives the bulk extract: one numpy
column per fact aligned with `enterprise_ids`, in the simulation's units (booleans,
enumerations as strings), so batch rules read credit facts as they read the others.

Person providers (issue #26, below): the departments' interfaces about a private person,
asked by resident identity number (datahub.catalogue.PERSON_CATALOGUE). A department (or
the sandbox's simulation of it) registers `register_person_provider`; every read goes
through `fetch_person_facts`, with a purpose, and is a DataCall naming the person and no
enterprise, which the person sees and their employer does not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext

from departments.models import Department
from enterprises.persons.models import Person
from qinqing.registry import Registry

from . import circuit
from .catalogue import CATALOGUE, PERSON_CATALOGUE, FactSpec, FactType, person_specs_for
from .models import CallOutcome, DataCall
from .normalise import FactValue, MalformedValue, normalise

logger = logging.getLogger(__name__)


class NoLocalRecord(LookupError):
    """The provider has no record of this enterprise (a 404 from the department)."""


Answer = Callable[[str, list[str], date], dict[str, Any]]
Extract = Callable[[np.ndarray, list[str], date], dict[str, np.ndarray]]


@dataclass(frozen=True)
class LocalProvider:
    interface: str
    answer: Answer
    extract: Extract | None = None

    @property
    def department(self) -> str:
        return self.facts[0].department

    @property
    def facts(self) -> list:
        return [spec for spec in CATALOGUE.values() if spec.interface == self.interface]


LOCAL_PROVIDERS: Registry[LocalProvider] = Registry("local provider")


def register_local_provider(interface: str, answer: Answer, extract: Extract | None = None) -> None:
    """Serve `interface` (declared in the catalogue) from `answer`; registering again
    replaces the earlier provider (tests, reloads)."""
    if not any(spec.interface == interface for spec in CATALOGUE.values()):
        raise ValueError(f"the catalogue declares no interface {interface!r}")
    LOCAL_PROVIDERS.register(interface, LocalProvider(interface, answer, extract), replace=True)


def local_provider(interface: str) -> LocalProvider | None:
    return LOCAL_PROVIDERS.get(interface)


def local_departments() -> set[str]:
    return {provider.department for _interface, provider in LOCAL_PROVIDERS.items()}


def local_facts(*, with_extract: bool = False) -> set[str]:
    return {
        spec.name
        for _interface, provider in LOCAL_PROVIDERS.items()
        if provider.extract is not None or not with_extract
        for spec in provider.facts
    }


def prepare(interface: str, uscc: str, wire_fields: list[str], as_of: date) -> dict | None:
    """The local answer for one call, computed in the caller's thread; None when the
    interface has no local provider (a simulated department computes its own)."""
    provider = LOCAL_PROVIDERS.get(interface)
    if provider is None:
        return None
    return provider.answer(uscc, list(wire_fields), as_of)


# --- Facts about persons ------------------------------------------------------------------


class NoPersonRecord(LookupError):
    """The department has no record of this person (a 404)."""


class PersonPurposeRequired(ValueError):
    """A person's data is read for a stated purpose, or not at all (PIPL)."""


# (identity number, wire fields, as of) -> the department's payload {wire field: raw value}.
PersonAnswer = Callable[[str, list[str], date], dict[str, Any]]
# (identity numbers, fact names, as of) -> one column per fact aligned with the numbers.
PersonExtract = Callable[[list[str], list[str], date], dict[str, np.ndarray]]


@dataclass(frozen=True)
class PersonProvider:
    interface: str
    answer: PersonAnswer
    extract: PersonExtract | None = None
    transport: str = "local"  # recorded in the call log

    @property
    def facts(self) -> list[FactSpec]:
        return [spec for spec in PERSON_CATALOGUE.values() if spec.interface == self.interface]

    @property
    def department(self) -> str:
        return self.facts[0].department


PERSON_PROVIDERS: Registry[PersonProvider] = Registry("person provider")


def register_person_provider(
    interface: str,
    answer: PersonAnswer,
    extract: PersonExtract | None = None,
    *,
    transport: str = "local",
) -> None:
    """Serve the person interface `interface` (declared in PERSON_CATALOGUE) from
    `answer`; registering again replaces the earlier provider (tests, reloads)."""
    if not any(spec.interface == interface for spec in PERSON_CATALOGUE.values()):
        raise ValueError(f"the catalogue declares no person interface {interface!r}")
    PERSON_PROVIDERS.register(
        interface, PersonProvider(interface, answer, extract, transport), replace=True
    )


@dataclass(frozen=True)
class PersonFact:
    name: str
    value: FactValue | None
    known: bool
    reason: str = ""  # why unknown: a CallOutcome value
    department: str = ""
    fetched_at: datetime | None = None

    @property
    def spec(self) -> FactSpec:
        return PERSON_CATALOGUE[self.name]

    @property
    def shown(self) -> str:
        """The value as the person reads it (masked where personal); a known empty value
        is the department saying there is none."""
        if self.known and self.value is None:
            return gettext("none")
        return self.spec.display(self.value)


@dataclass
class PersonFactSet:
    facts: dict[str, PersonFact]
    calls: list[DataCall] = field(default_factory=list)

    def __getitem__(self, name: str) -> PersonFact:
        return self.facts[name]

    def values(self) -> dict[str, FactValue | None]:
        return {name: fact.value for name, fact in self.facts.items()}


def fetch_person_facts(
    person: Person,
    fact_names: list[str],
    *,
    purpose: str,
    requested_by: Any = None,
    as_of: date | None = None,
) -> PersonFactSet:
    """Exactly the named facts about `person`, each department interface asked once, each
    call logged with `purpose` (words the person understands). Nothing is cached: a
    person's data is not copied beyond the call log's hash of the answer. A failure never
    raises: the facts come back unknown with the reason. The identity number is opened
    here for the department and never written to a log line."""
    if not purpose or not purpose.strip():
        logger.warning("refused a read of person %s's data without a purpose", person.pk)
        raise PersonPurposeRequired("a purpose is required to read a person's data")
    specs = person_specs_for(fact_names)
    as_of = as_of or timezone.localdate()
    now = timezone.now()
    by_interface: dict[str, list[FactSpec]] = {}
    for spec in specs:
        by_interface.setdefault(spec.interface, []).append(spec)
    departments = {d.code: d for d in Department.objects.filter(
        code__in={spec.department for spec in specs})}  # fmt: skip
    breakers = circuit.read(departments)
    is_user = requested_by is not None and getattr(requested_by, "is_authenticated", False)
    label = requested_by.get_username() if is_user else str(requested_by or "system")
    number = person.identity_number()
    facts: dict[str, PersonFact] = {}
    calls: list[DataCall] = []
    for interface, wanted in by_interface.items():
        department = wanted[0].department
        provider = PERSON_PROVIDERS.get(interface)
        started = time.perf_counter()
        response_hash, detail, transport = "", "", "none"
        if provider is None:
            outcome, detail = CallOutcome.NO_PROVIDER, "unknown: no provider configured"
        elif not circuit.allows_call(department, breakers.get(department)):
            outcome, detail = CallOutcome.CIRCUIT_OPEN, "recent calls failed; not asked"
            transport = provider.transport
        else:
            transport = provider.transport
            outcome, detail, response_hash = _ask(provider, number, wanted, as_of, facts)
            if outcome in (CallOutcome.OK, CallOutcome.NOT_FOUND):
                circuit.record_success(department, breakers.get(department))
            else:
                circuit.record_failure(department)
                logger.warning("%s %s for person %s: %s (%s)", department, interface,
                               person.pk, outcome, detail)  # fmt: skip
        if outcome != CallOutcome.OK:
            for spec in wanted:
                facts[spec.name] = PersonFact(spec.name, None, False, reason=str(outcome),
                                              department=department)  # fmt: skip
        calls.append(DataCall(
            department=departments[department], interface=interface, enterprise=None,
            person=person, fact_names=[spec.name for spec in wanted],
            purpose=purpose.strip()[:200], requested_by=requested_by if is_user else None,
            requested_by_label=label[:150], transport=transport, started_at=now,
            latency_ms=round((time.perf_counter() - started) * 1000, 2), outcome=outcome,
            detail=detail[:300], response_hash=response_hash,
        ))  # fmt: skip
    DataCall.objects.bulk_create(calls)
    return PersonFactSet(facts={spec.name: facts[spec.name] for spec in specs}, calls=calls)


def _ask(
    provider: PersonProvider,
    number: str,
    wanted: list[FactSpec],
    as_of: date,
    facts: dict[str, PersonFact],
) -> tuple[str, str, str]:
    """One interface asked: (outcome, detail, hash of the answer); the facts filled in."""
    try:
        payload = provider.answer(number, [spec.wire_field for spec in wanted], as_of)
    except NoPersonRecord:
        return CallOutcome.NOT_FOUND, "the department has no record of this person", ""
    except Exception as error:  # a department's failure never raises to the caller
        return CallOutcome.UNAVAILABLE, type(error).__name__, ""
    raw = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()
    digest = hashlib.sha256(raw).hexdigest()
    fetched_at = timezone.now()
    values: dict[str, FactValue | None] = {}
    try:
        for spec in wanted:
            if spec.wire_field not in payload:
                raise MalformedValue(f"{spec.name}: missing from the answer")
            values[spec.name] = _person_value(spec, payload[spec.wire_field])
    except MalformedValue as error:
        return CallOutcome.MALFORMED, str(error)[:300], digest
    for spec in wanted:
        facts[spec.name] = PersonFact(
            spec.name, values[spec.name], True, department=spec.department, fetched_at=fetched_at
        )
    return CallOutcome.OK, "", digest


def _person_value(spec: FactSpec, raw: Any) -> FactValue | None:
    """An identifier (TEXT) is kept as written, stripped, empty for none; an empty value of
    another type is the department saying "none" (no insurance, so no start date): None,
    known; every other value goes through the hub's normalisation."""
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
