"""The simulated department systems: each answers its interfaces in its own wire format,
with the latency and failures its SimulationSetting asks for.

Served in process (adapter.SimulatedAdapter) and over HTTP under /mock/departments/
(views.py); either way the hub only sees a department's payload, as from a real one.
"""

import random
import time
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.cache import cache

from datahub.catalogue import CATALOGUE, FactSpec, FactType, interfaces
from datahub.columns import python_value
from datahub.providers import local_departments, local_provider
from departments.models import Department

from .models import SimulationSetting
from .simulation import RegisterColumns, simulate, simulated_facts

SIMULATION_CACHE_SECONDS = 60


class SimulatedTimeout(Exception):
    """The department did not answer within the caller's deadline."""


class SimulatedUnavailable(Exception):
    """The department answered with an error (a 503 over HTTP)."""


class SimulatedNotFound(Exception):
    """The department has no record of this enterprise."""


@dataclass(frozen=True)
class Behaviour:
    latency_ms: int
    jitter_ms: int
    timeout_rate: float
    error_rate: float
    malformed_rate: float
    down: bool


# Each process keeps what it read for a second: a claim asks five departments, each twice,
# and the shared cache is a network round trip. An administrator's change reaches every
# process within LOCAL_SECONDS (and this process at once: forget_behaviour).
LOCAL_SECONDS = 1.0
_local: dict[str, tuple[float, Behaviour]] = {}


def behaviour(department: str) -> Behaviour:
    """From the admin's SimulationSetting, else settings.HUB_SIMULATION defaults."""
    now = time.monotonic()
    held = _local.get(department)
    if held is not None and held[0] > now:
        return held[1]
    found = _shared_behaviour(department)
    _local[department] = (now + LOCAL_SECONDS, found)
    return found


def _shared_behaviour(department: str) -> Behaviour:
    key = f"hub:simulation:{department}"
    cached = cache.get(key)
    if cached is not None:
        return Behaviour(**cached)
    defaults = dict(settings.HUB_SIMULATION["default"])
    defaults.update(settings.HUB_SIMULATION.get(department, {}))
    row = (
        SimulationSetting.objects.filter(department__code=department)
        .values("latency_ms", "jitter_ms", "timeout_rate", "error_rate", "malformed_rate", "down")
        .first()
    )
    values = row or defaults
    cache.set(key, values, SIMULATION_CACHE_SECONDS)
    return Behaviour(**values)


def forget_local_behaviour() -> None:
    """Drop this process's copies (tests change the settings between tests)."""
    _local.clear()


def forget_behaviour(department: str) -> None:
    _local.pop(department, None)
    cache.delete(f"hub:simulation:{department}")


# How each department writes its values: one office prints "1,234.50", another "1234.50元",
# dates come as 2015-06-01, 20150601 or 2015/6/1, booleans as 是/否 or Y/N.
def _render(spec: FactSpec, value) -> object:
    department = spec.department
    if spec.type is FactType.MONEY:
        return f"{value:,.2f}" if department in ("taxation", "housing") else f"{value}元"
    if spec.type is FactType.DECIMAL:
        return f"{value:,}"
    if spec.type is FactType.INTEGER:
        return str(value) if department == "hrss" else value
    if spec.type is FactType.DATE:
        return {
            "taxation": value.strftime("%Y%m%d"),
            "housing": f"{value.year}/{value.month}/{value.day}",
            "market": f"{value.year}年{value.month}月{value.day}日",
        }.get(department, value.isoformat())
    if spec.type is FactType.BOOLEAN:
        return ("是" if value else "否") if department == "housing" else ("Y" if value else "N")
    if spec.type is FactType.ENUM:
        reverse_aliases = {canonical: alias for alias, canonical in spec.aliases.items()}
        return reverse_aliases.get(value, value)
    return value


def _corrupt(payload: dict) -> dict:
    """A malformed answer as departments really send them: placeholders and dropped fields."""
    broken = dict(payload)
    if broken:
        first = next(iter(broken))
        broken[first] = random.choice(["N/A", "--", "#VALUE!", ""])
    return broken


def answer(
    *,
    department: str,
    interface: str,
    register: tuple | None,
    wire_fields: list[str],
    as_of: date,
    deadline_seconds: float,
    sleep=time.sleep,
    local_payload: dict | None = None,
) -> dict:
    """The department's payload {wire field: value as the department writes it}.

    `register` is the enterprise's register entry (datahub.adapters.RegisterEntry). For an
    interface with a local provider (datahub/providers.py) the values are `local_payload`,
    prepared by the caller; the department's latency and failures apply all the same."""
    specs = {spec.wire_field: spec for spec in interfaces().get(interface, [])}
    if not specs or any(field not in specs for field in wire_fields):
        raise SimulatedNotFound(f"{department} has no interface {interface} with those fields")
    conduct = behaviour(department)
    latency = max(0.0, random.gauss(conduct.latency_ms, conduct.jitter_ms / 2)) / 1000
    roll = random.random()
    if conduct.down:
        raise SimulatedUnavailable(f"{department} is down")
    if roll < conduct.timeout_rate or latency > deadline_seconds:
        sleep(deadline_seconds)
        raise SimulatedTimeout(f"{department} did not answer within {deadline_seconds:.1f} s")
    sleep(latency)
    if roll < conduct.timeout_rate + conduct.error_rate:
        raise SimulatedUnavailable(f"{department} answered 503")
    if local_provider(interface) is not None:
        if local_payload is None or any(field not in local_payload for field in wire_fields):
            raise SimulatedNotFound(f"{department} has no record of this enterprise")
        payload = {field: local_payload[field] for field in wire_fields}
    else:
        names = [specs[field].name for field in wire_fields]
        if register is None:
            raise SimulatedNotFound(f"{department} has no record of this enterprise")
        columns = simulate(RegisterColumns.from_rows([register]), names, as_of)
        payload = {
            field: _render(specs[field], python_value(specs[field], columns[specs[field].name], 0))
            for field in wire_fields
        }
    if roll < conduct.timeout_rate + conduct.error_rate + conduct.malformed_rate:
        payload = _corrupt(payload)
    return payload


def simulated_departments() -> set[str]:
    """Departments answered here: simulated ones, and those whose interfaces the portal
    serves from its own tables (local providers), which behave like the others."""
    return {CATALOGUE[name].department for name in simulated_facts()} | local_departments()


def ensure_simulation_rows() -> None:
    """One SimulationSetting per simulated department, so the admin can switch each."""
    for code in simulated_departments():
        department = Department.objects.filter(code=code).first()
        if department is not None:
            defaults = dict(settings.HUB_SIMULATION["default"])
            defaults.update(settings.HUB_SIMULATION.get(code, {}))
            SimulationSetting.objects.get_or_create(department=department, defaults=defaults)
