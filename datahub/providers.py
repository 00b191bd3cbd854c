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
through `datahub.fetching.pipeline.fetch_person_facts`, with a purpose, and is a DataCall naming the
person and no enterprise, which the person sees and their employer does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from qinqing.registry import Registry

from .catalogue import CATALOGUE, PERSON_CATALOGUE, FactSpec
from .purposes import PurposeRequired


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


class PersonPurposeRequired(PurposeRequired):
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
