"""The data-access log at scale (issue #25): do the pages that read it stay fast as it grows?

On PostgreSQL, with the log partitioned by month (qinqing/partitions.py), the log is filled
with COPY to BENCH_LOG_SIZES (one size per database, default 1M; spread over the last 24
months in time order, one enterprise's share fixed at BENCH_LOG_OWN rows as an
enterprise's reads do not grow with the province), and four pages are timed in-process
(Django's test client, BENCH_LOG_RUNS each, p50/p95):

- the enterprise's own log (who read its data): first page, and page 3;
- the officials' call log (a city-wide Human Resources official): first page, and a
  filtered page (outcome "timeout", the last 30 days).

The floor of the same sitting is the login page (a template, no log) through the same
client; figures are also given as multiples of it. Writes bench/results/logs.json.

On a scratch database per size (it empties the log and adds 50 enterprises); each run's
size is merged into the results file, so run it once per size; BENCH_LOG_REUSE=1 measures
a database filled by an earlier run again without refilling it:

    DATABASE_URL=postgres://…/scratch1m .venv/bin/python manage.py migrate
    BENCH_LOG_SIZES=1000000 DATABASE_URL=postgres://…/scratch1m .venv/bin/python bench/logs.py
    (the same with another database and BENCH_LOG_SIZES=20000000)
"""

import datetime as dt
import json
import os
import platform
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from stack import setup  # noqa: E402

setup("logs")

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_LOG_SIZES", "1000000").split(",")]
REUSE = os.environ.get("BENCH_LOG_REUSE", "") == "1"
MERGE = os.environ.get("BENCH_LOG_MERGE", "1") == "1"
RUNS = int(os.environ.get("BENCH_LOG_RUNS", "30"))
OWN = int(os.environ.get("BENCH_LOG_OWN", "3000"))
CHUNK = 200_000
COLUMNS = ("department_id", "interface", "enterprise_id", "fact_names", "purpose",
           "requested_by_label", "transport", "started_at", "latency_ms", "outcome", "detail",
           "response_hash", "rows")  # fmt: skip
OUTCOMES = ["ok"] * 90 + ["cached"] * 6 + ["timeout"] * 2 + ["error"] * 2


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)  # noqa: E731
    return {"n": len(ordered), "p50_ms": pick(0.5), "p95_ms": pick(0.95)}


def fill(count: int, departments: list[int], enterprises: list[int], own: int, own_share: int):
    """COPY `count` rows through the partitioned parent, oldest first as a log is written
    (each chunk covers the next slice of the 24 months, its rows in time order); `own_share`
    rows, spread over the whole span, are reads of the enterprise `own`. The rows' foreign
    keys are valid by construction, so their per-row checks are skipped while loading
    (session_replication_role, as pg_restore --disable-triggers does)."""
    now = np.datetime64(dt.datetime.now(dt.UTC).replace(tzinfo=None), "us")
    span_us = 24 * 30 * 86400 * 10**6
    oldest = now - np.timedelta64(span_us, "us")
    rng = np.random.default_rng(count)
    own_rows = np.sort(rng.choice(count, size=own_share, replace=False))
    written = 0
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            while written < count:
                n = min(CHUNK, count - written)
                ents = rng.choice(enterprises, n).astype(str)
                mine = own_rows[(own_rows >= written) & (own_rows < written + n)] - written
                ents[mine] = str(own)
                offsets = np.sort(rng.integers(written * span_us // count,
                                               (written + n) * span_us // count, n))  # fmt: skip
                started = (oldest + offsets.astype("timedelta64[us]")).astype(str)
                latency = np.char.mod("%.1f", rng.random(n) * 200)
                rows = zip(rng.choice(departments, n).astype(str), ents, started, latency,
                           rng.choice(OUTCOMES, n), strict=True)  # fmt: skip
                text = "".join(
                    f"{d}\tinsured\t{e}\t[]\tsubsidy check\t\tsim\t{s}+00\t{lat}\t{o}\t\t\t1\n"
                    for d, e, s, lat, o in rows
                )
                copy = f"COPY datahub_datacall ({', '.join(COLUMNS)}) FROM STDIN"
                with cursor.copy(copy) as stream:
                    stream.write(text)
                written += n
                if written % 2_000_000 < CHUNK:
                    print(f"   {written:,} rows", flush=True)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
    # What autovacuum does to a table loaded so: statistics, and the visibility map that
    # lets a count read an index alone.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE datahub_datacall")


def timed(client: Client, url: str) -> dict[str, float]:
    client.get(url)  # warm
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return percentiles(samples)


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("needs DATABASE_URL=postgres://...")
    from datahub.models import DataCall
    from departments.models import Department, District
    from departments.services import sync_reference_data
    from enterprises.models import Enterprise
    from qinqing.partitions import add_months, create_month, is_partitioned, month_start
    from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

    setup_test_environment()
    if not District.objects.exists():
        sync_reference_data(District, Department)
    size = SIZES[-1]
    enterprises = list(Enterprise.objects.order_by("pk")[:50])
    own = enterprises[0] if enterprises else None
    # A database already filled to this size by an earlier run (BENCH_LOG_REUSE=1) is only
    # measured again: the 20M-row fill is the long part.
    reuse = (REUSE and own is not None and DataCall.objects.filter(enterprise=own).count() == OWN
             and _estimated_rows() >= size * 0.98)  # fmt: skip
    with connection.cursor() as cursor:
        partitioned = is_partitioned(cursor, "datahub_datacall")
    if not reuse:
        with connection.cursor() as cursor:
            cursor.execute("truncate datahub_datacall")
            # The months the rows span, as beat would have created them month after month.
            this_month = month_start(dt.date.today())
            for back in range(25) if partitioned else ():
                create_month(cursor, "datahub_datacall", add_months(this_month, -back))
        enterprises = list(Enterprise.objects.order_by("pk")[:50])
        enterprises += [EnterpriseFactory() for _ in range(50 - len(enterprises))]
        own = enterprises[0]
    # Fresh names: a reused database keeps the users an earlier run made.
    tag = uuid.uuid4().hex[:8]
    member = member_of(own, username=f"bench-member-{tag}")
    official = OfficialFactory(department=department("hrss"), district=None,
                               username=f"bench-official-{tag}")  # fmt: skip
    departments = list(Department.objects.order_by("pk").values_list("id", flat=True)[:8])
    if department("hrss").pk not in departments:
        departments[0] = department("hrss").pk
    others = [e.pk for e in enterprises[1:]]
    as_member, as_official, anonymous = Client(), Client(), Client()
    as_member.force_login(member)
    as_official.force_login(official)
    since = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    pages = {
        "enterprise_first": (as_member, f"/enterprises/{own.uscc}/data-access/"),
        "enterprise_page3": (as_member, f"/enterprises/{own.uscc}/data-access/?page=3"),
        "official_first": (as_official, "/official/data-calls/"),
        "official_filtered": (as_official, f"/official/data-calls/?outcome=timeout&since={since}"),
    }
    out = ROOT / "bench" / "results" / "logs.json"
    results = json.loads(out.read_text()) if out.exists() and MERGE else {}
    results.setdefault("sizes", {})
    results.update(partitioned=partitioned, runs=RUNS, own_rows=OWN)
    copy_s = None
    if not reuse:
        start = time.perf_counter()
        fill(size, departments, others, own.pk, OWN)
        copy_s = round(time.perf_counter() - start, 1)
    assert DataCall.objects.filter(enterprise=own).count() == OWN
    load = [round(value, 2) for value in os.getloadavg()]
    floor = timed(anonymous, "/accounts/login/")
    figures = {name: timed(client, url) for name, (client, url) in pages.items()}
    for figure in figures.values():
        figure["p95_x_floor"] = round(figure["p95_ms"] / max(floor["p95_ms"], 0.1), 1)
    previous = results["sizes"].get(str(size), {})
    results["sizes"][str(size)] = {
        "copy_s": copy_s if copy_s is not None else previous.get("copy_s"),
        "copy_rows_per_s": round(size / copy_s) if copy_s else previous.get("copy_rows_per_s"),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "load_average": load, "floor": floor, "pages": figures,
    }  # fmt: skip
    copied = "reused" if copy_s is None else f"{copy_s} s"
    print(f"{size:>11,} rows (COPY {copied}) load {load} floor p95 {floor['p95_ms']} ms")
    for name, figure in figures.items():
        print(f"   {name:<18} p50 {figure['p50_ms']:>7} ms  p95 {figure['p95_ms']:>7} ms"
              f"  ({figure['p95_x_floor']}x floor)")  # fmt: skip
    sizes = sorted(results["sizes"], key=int)
    if len(sizes) > 1:
        first, last = (results["sizes"][s]["pages"] for s in (sizes[0], sizes[-1]))
        results["p95_ratio_largest_to_smallest"] = {
            name: round(last[name]["p95_ms"] / first[name]["p95_ms"], 2) for name in first
        }
        results["p95_ratio_largest_to_smallest_in_floors"] = {
            name: round(last[name]["p95_x_floor"] / first[name]["p95_x_floor"], 2) for name in first
        }
        print("p95 ratio", results["p95_ratio_largest_to_smallest"])
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


def _estimated_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "select coalesce(sum(c.reltuples), 0)::bigint from pg_inherits i"
            " join pg_class c on c.oid = i.inhrelid"
            " where i.inhparent = 'datahub_datacall'::regclass"
        )
        return int(cursor.fetchone()[0])


if __name__ == "__main__":
    main()
