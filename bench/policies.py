"""Rule engine benchmarks (issue: policy catalog and rule engine).

1. Single evaluation of a realistic policy (8 criteria, a tiered formula), facts given:
   microseconds per evaluation (target under 50 µs).
2. Batch evaluation of the same policy over 1,000,000 generated enterprises, evaluation
   alone (target well under 1 s).
3. End to end from the database: read the bulk extracts of the facts the policy names for
   BENCH_ENTERPRISES enterprises (default 1,000,000) and evaluate (target under 30 s).

Run: `DATABASE_URL=postgres://... make bench-policies`.
Results: bench/results/policies-<vendor>.json
"""

import io
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

ENTERPRISES = int(os.environ.get("BENCH_ENTERPRISES", "1000000"))


def main() -> None:
    from policies.batch import Column, evaluate_batch
    from policies.engine import evaluate
    from policies.rules.ruleset import parse_rules
    from tests.policies import test_parity
    from tests.policies.rulesets import BENEFIT, CRITERIA, PARAMETERS
    from tests.policies.test_engine import AS_OF, GOOD

    rules = parse_rules(criteria=CRITERIA, benefit=BENEFIT, parameters=PARAMETERS)
    results = {"python": platform.python_version(),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
               "criteria": 8, "facts": len(rules.fact_names)}  # fmt: skip

    runs = 50_000
    for _ in range(2000):
        evaluate(rules, GOOD, AS_OF)
    started = time.perf_counter()
    for _ in range(runs):
        evaluate(rules, GOOD, AS_OF)
    results["single_evaluation_us"] = round((time.perf_counter() - started) / runs * 1e6, 2)
    print(f"single evaluation: {results['single_evaluation_us']} µs")

    test_parity.N = 1_000_000
    columns = test_parity.generate_columns(rules, AS_OF, seed=1)
    evaluate_batch(rules, columns, AS_OF)  # warm-up
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        outcome = evaluate_batch(rules, columns, AS_OF)
        timings.append(time.perf_counter() - started)
    results["batch_1m_evaluation_seconds"] = round(min(timings), 4)
    results["batch_1m_eligible"] = int((outcome.status() == "eligible").sum())
    print(f"batch, 1M generated enterprises: {min(timings):.3f} s (best of 5)")

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from datahub.extracts.reading import read_snapshot
        from datahub.extracts.refresh import refresh_extract

        started = time.perf_counter()
        call_command("seed_demo", enterprises=ENTERPRISES, seed=2021, stdout=io.StringIO())
        print(f"seeded {ENTERPRISES:,} enterprises in {time.perf_counter() - started:.0f} s")
        departments = sorted({name.split(".")[0].replace("tax", "taxation")
                              for name in rules.fact_names})  # fmt: skip
        started = time.perf_counter()
        for department in departments:
            refresh_extract(department, purpose="benchmark", as_of=AS_OF)
        results["extract_refresh_seconds"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        snapshot = read_snapshot(rules.fact_names)
        read_seconds = time.perf_counter() - started
        everyone = np.ones(len(snapshot.enterprise_ids), dtype=bool)
        started_eval = time.perf_counter()
        outcome = evaluate_batch(
            rules, {n: Column(snapshot.columns[n], everyone) for n in rules.fact_names}, AS_OF
        )
        eval_seconds = time.perf_counter() - started_eval
        results["end_to_end_from_database"] = {
            "enterprises": len(snapshot.enterprise_ids), "read_seconds": round(read_seconds, 2),
            "evaluate_seconds": round(eval_seconds, 3),
            "total_seconds": round(read_seconds + eval_seconds, 2),
            "eligible": int((outcome.status() == "eligible").sum()),
            "database": connection.vendor,
        }  # fmt: skip
        print(f"end to end from the database: {json.dumps(results['end_to_end_from_database'])}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    out = ROOT / "bench" / "results" / f"policies-{connection.vendor}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
