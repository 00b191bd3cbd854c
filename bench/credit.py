"""Credit grades for every enterprise at city scale (issue: credit).

PostgreSQL. For each size (default 100,000 and 1,000,000 enterprises): a register is
written with COPY (the demo generator's enterprises), the taxation extract is refreshed
and every enterprise's tax grade imported as a credit record (set-based), about one in
ten enterprises gets one to three more records (penalties, inspection findings, rewards,
court and arrears records over the past three years), and then:

- the first recomputation of every grade (every row and history row written),
- a second one with nothing changed (read, compare, write nothing),
- one after 1 % of enterprises received a new record (only the changed rows written),
- the daily sweep (expiry, recomputation, list-rule candidates and entries),
- one record arriving through the service (lock, record, grade, lists) — latency,
- the credit facts' bulk extract for the hub.

Run: `DATABASE_URL=postgres://... make bench-credit` (BENCH_CREDIT_SIZES=100000 for the
smaller one only). Writes bench/results/credit-postgresql.json.
"""

import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from stack import setup  # noqa: E402

setup("credit")

from django.db import connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_CREDIT_SIZES", "100000,1000000").split(",")]
CHUNK = 50_000
KINDS = [("administrative_penalty", 0.35), ("inspection_violation", 0.25), ("reward", 0.2),
         ("arrears", 0.12), ("court_judgment", 0.08)]  # fmt: skip
SEVERITIES = [("minor", 0.5), ("general", 0.4), ("serious", 0.1)]


def seed_register(count: int) -> float:
    """The demo generator's enterprises, written with COPY (seed_demo's row-by-row path
    would take six minutes for a million, and is not what is measured here)."""
    from departments.models import District
    from enterprises.models import Enterprise
    from qinqing.bulk import bulk_insert
    from sandbox.city.register import demo_enterprises

    began = time.perf_counter()
    districts = list(District.objects.values_list("code", "admin_code"))
    district_ids = dict(District.objects.values_list("code", "pk"))
    batch: list = []
    for demo in demo_enterprises(count, seed=2021, districts=districts):
        batch.append(Enterprise(
            uscc=demo.uscc, name=demo.name, district_id=district_ids[demo.district_code],
            industry_section=demo.industry_section, industry_division=demo.industry_division,
            established_on=demo.established_on, registered_capital=demo.registered_capital,
            size_class=demo.size_class, legal_representative=demo.legal_representative,
            contact_phone=demo.contact_phone, bank_name=demo.bank_name,
            bank_account=demo.bank_account, status="active",
        ))  # fmt: skip
        if len(batch) >= CHUNK:
            bulk_insert(batch)
            batch = []
    bulk_insert(batch)
    return time.perf_counter() - began


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([value for value, _ in weighted], [weight for _, weight in weighted])[0]


def other_records(enterprise_ids: list[int], share: float, *, seed: int,
                  days_back: int = 3 * 365) -> int:  # fmt: skip
    """One to three records each for `share` of the enterprises, straight to the table."""
    from credit.records.models import CreditRecord, publicity_window
    from departments.models import Department
    from qinqing.bulk import bulk_insert

    rng = random.Random(seed)
    codes = ["market", "taxation", "hrss", "ecology", "emergency"]
    departments = list(Department.objects.filter(code__in=codes).values_list("pk", flat=True))
    today = date.today()
    batch, written = [], 0
    for enterprise_id in rng.sample(enterprise_ids, int(len(enterprise_ids) * share)):
        for _ in range(rng.randint(1, 3)):
            kind, severity = pick(rng, KINDS), pick(rng, SEVERITIES)
            occurred = today - timedelta(days=rng.randrange(0, days_back))
            months, public_until, expires_on = publicity_window(severity, occurred)
            batch.append(CreditRecord(
                enterprise_id=enterprise_id, kind=kind, severity=severity, tax_grade="",
                department_id=rng.choice(departments), title=f"{kind} {severity}",
                occurred_on=occurred, publicity_months=months, public_until=public_until,
                expires_on=expires_on, status="active", score_key=f"{kind}:{severity}",
            ))  # fmt: skip
            if len(batch) >= CHUNK:
                written += len(bulk_insert(batch))
                batch = []
    written += len(bulk_insert(batch))
    return written


def timed(function, *args, **kwargs) -> tuple[float, object]:
    began = time.perf_counter()
    result = function(*args, **kwargs)
    return round(time.perf_counter() - began, 2), result


def one_size(enterprises: int) -> dict:
    from accounts.models import Role, User
    from credit.grades.models import CreditGrade, GradeChange
    from credit.grades.services import recompute_all
    from credit.lists.models import ListEntry
    from credit.records.imports import import_tax_grades
    from credit.records.models import CreditRecord
    from credit.records.services import add_record
    from credit.sweep import daily_sweep
    from datahub.snapshots import refresh_extract
    from departments.models import Department
    from enterprises.models import Enterprise

    figures: dict = {"enterprises": enterprises}
    figures["seed_seconds"] = round(seed_register(enterprises), 1)
    seconds, _ = timed(refresh_extract, "taxation", purpose="benchmark: tax grades")
    figures["taxation_extract_seconds"] = seconds
    seconds, summary = timed(import_tax_grades)
    figures["tax_grade_import"] = {"seconds": seconds, "records": summary["records_created"],
                                   "grades_seconds": summary["grades"]["seconds"],
                                   "list_candidates": summary["list_candidates"]}  # fmt: skip
    # The import graded everyone; start the measured recomputation from nothing.
    GradeChange.objects.all().delete()
    CreditGrade.objects.all().delete()
    ids = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True))
    seconds, written = timed(other_records, ids, 0.1, seed=7)
    figures["other_records"] = {"written": written, "seconds": seconds}
    figures["records_total"] = CreditRecord.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE credit_creditrecord")

    seconds, first = timed(recompute_all, cause="benchmark: first")
    figures["recompute_first"] = {"seconds": seconds, **first.as_json()}
    figures["recompute_first"]["enterprises_per_second"] = round(first.enterprises / seconds)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE credit_creditgrade")
    seconds, unchanged = timed(recompute_all, cause="benchmark: nothing changed")
    figures["recompute_unchanged"] = {"seconds": seconds, **unchanged.as_json()}
    seconds, written = timed(other_records, ids, 0.01, seed=8, days_back=30)
    seconds, incremental = timed(recompute_all, cause="benchmark: 1% new records")
    figures["recompute_after_1_percent"] = {"seconds": seconds, "new_records": written,
                                            **incremental.as_json()}  # fmt: skip
    seconds, sweep = timed(daily_sweep)
    figures["daily_sweep"] = {"seconds": seconds, **{k: v for k, v in sweep.items()
                                                      if k != "grades"}}  # fmt: skip
    figures["list_entries"] = ListEntry.objects.count()

    official = User.objects.create(
        username="bench-market",
        role=Role.OFFICIAL,
        department=Department.objects.get(code="market"),
    )
    rng = random.Random(11)
    latencies = []
    for enterprise_id in rng.sample(ids, 200):
        enterprise = Enterprise.objects.get(pk=enterprise_id)
        began = time.perf_counter()
        add_record(enterprise=enterprise, kind="administrative_penalty",
                            severity=pick(rng, SEVERITIES), title="benchmark",
                            occurred_on=date.today(), actor=official)  # fmt: skip
        latencies.append((time.perf_counter() - began) * 1000)
    latencies.sort()
    figures["record_arrival_ms"] = {
        "median": round(statistics.median(latencies), 1),
        "p95": round(latencies[int(len(latencies) * 0.95)], 1),
    }
    seconds, _refresh = timed(refresh_extract, "ndrc", purpose="benchmark: credit extract")
    figures["credit_extract_seconds"] = seconds
    figures["grades_by_letter"] = dict(
        CreditGrade.objects.values_list("grade").order_by("grade").annotate(n=Count("pk"))
    )
    return figures


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("needs DATABASE_URL=postgres://...")
    setup_test_environment()
    results = {"when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "runs": []}  # fmt: skip
    for size in SIZES:
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        try:
            figures = one_size(size)
        finally:
            connections.close_all()
            connection.creation.destroy_test_db(old_name, verbosity=0)
        print(json.dumps(figures, ensure_ascii=False))
        results["runs"].append(figures)
    target = ROOT / "bench" / "results" / "credit-postgresql.json"
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
