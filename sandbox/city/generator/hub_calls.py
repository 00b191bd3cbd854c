"""The data hub's call log."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np

from datahub.catalogue import interfaces
from datahub.models import DataCall

from .city import CityData, weighted_choice
from .rows import next_id, timestamps, write_rows

DATA_CALL_OUTCOMES = {
    "ok": 89.5,
    "cached": 6,
    "timeout": 1.5,
    "unavailable": 1,
    "not_found": 1.5,
    "malformed": 0.5,
}
DATA_CALL_PURPOSES = (
    "补贴资格核验 (subsidy eligibility check)",
    "审批表单预填 (approval sheet prefill)",
    "政策计算器 (policy calculator)",
    "信用评价 (credit grading)",
    "诉求办理 (direct-line request)",
)


def write_data_calls(city: CityData) -> int:
    n = city.volumes.data_calls
    if not n:
        return 0
    registry = [
        (name, specs)
        for name, specs in sorted(interfaces().items())
        if specs[0].department in city.departments
    ]
    rng = city.rng("data-calls")
    interface = rng.integers(0, len(registry), n)
    outcome = weighted_choice(rng, DATA_CALL_OUTCOMES, n)
    latency = np.round(rng.lognormal(np.log(35), 0.55, n), 2)
    slow = rng.random(n) < 0.01
    latency = np.where(slow, latency * rng.uniform(5, 40, n), latency)
    latency = np.where(outcome == "timeout", 3000.0, latency)
    latency = np.where(outcome == "cached", np.round(rng.uniform(0.2, 2.0, n), 2), latency)
    latency = np.where(outcome == "unavailable", np.round(rng.uniform(5, 50, n), 2), latency)
    started = np.sort(city.times(rng, n, office=False))
    started_text = timestamps(started)
    enterprise = city.ent_ids[rng.integers(0, len(city.ent_ids), n)]
    purpose = rng.integers(0, len(DATA_CALL_PURPOSES), n)
    http = rng.random(n) < 0.2
    first = next_id(DataCall)
    facts = [json.dumps([spec.name for spec in specs]) for _name, specs in registry]
    departments = [city.departments[specs[0].department] for _name, specs in registry]
    details = {
        "timeout": "no answer within 3 s",
        "unavailable": "HTTP 503",
        "malformed": "missing field",
        "not_found": "enterprise unknown to the department",
    }

    def rows() -> Iterator[tuple]:
        for row in range(n):
            i = int(interface[row])
            result = outcome[row]
            yield (
                first + row,
                departments[i],
                registry[i][0],
                int(enterprise[row]),
                facts[i],
                DATA_CALL_PURPOSES[purpose[row]],
                None,
                "system",
                "http" if http[row] else "inprocess",
                started_text[row],
                float(latency[row]),
                result,
                details.get(result, ""),
                f"{first + row:064x}" if result == "ok" else "",
                1,
            )

    return write_rows(
        DataCall,
        [
            "id",
            "department",
            "interface",
            "enterprise",
            "fact_names",
            "purpose",
            "requested_by",
            "requested_by_label",
            "transport",
            "started_at",
            "latency_ms",
            "outcome",
            "detail",
            "response_hash",
            "rows",
        ],
        rows(),
    )
