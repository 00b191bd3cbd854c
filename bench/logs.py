"""The data-access log at scale (issue #25): do the pages that read it stay fast as it grows?

On PostgreSQL, with the log partitioned by month (qinqing/partitions.py), the log is filled
with COPY to BENCH_LOG_SIZES (one size per database, default 1M; spread over the last 24
months in time order, one enterprise's share fixed at BENCH_LOG_OWN rows as an
enterprise's reads do not grow with the province), and four pages are timed in-process
(Django's test client, BENCH_LOG_RUNS each, p50/p95):

- the enterprise's own log (who read its data): first page, and page 3;
- the officials' call log (a city-wide Human Resources official): first page, and a
  filtered page (outcome "timeout", the last 30 days). Their 7-day per-department figures
  are cached for a minute (datahub.selectors.STATS_SECONDS), so an official paging and
  filtering reads them once: the first page is also timed cold ("official_first_cold",
  the figures aggregated at every GET), the price of the first view of each minute.

The floor of the same sitting is the login page (a template, no log) through the same
client; figures are also given as multiples of it. Writes bench/results/logs.json.

On a scratch database per size (it empties the log and adds 50 enterprises); each run's
size is merged into the results file, so run it once per size; BENCH_LOG_REUSE=1 measures
a database filled by an earlier run again without refilling it. On a shared machine the
two sizes are best measured at once, one process each, so that both see the same load
(`… BENCH_LOG_REUSE=1 … & … BENCH_LOG_REUSE=1 …; wait`):

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
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
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
# A file to write EXPLAIN (ANALYZE, BUFFERS) of every log query of each page to (cold: the
# per-department figures computed, not read from the cache).
EXPLAIN = os.environ.get("BENCH_LOG_EXPLAIN", "")
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


def fill(count: int, departments: list[int], enterprises: list[int], own: int,
         own_share: int) -> dict[str, float]:  # fmt: skip
    """COPY `count` rows through the partitioned parent, oldest first as a log is written
    (each chunk covers the next slice of the 24 months, its rows in time order); `own_share`
    rows, spread over the whole span, are reads of the enterprise `own`. Returns the
    seconds of each step.

    As fast as COPY goes on 2 cores, the way pg_restore loads a table: the rows' foreign
    keys are valid by construction, so their per-row checks are skipped while loading
    (session_replication_role, as pg_restore --disable-triggers does); the secondary
    indexes are dropped first and built once at the end (maintaining eight B-trees row by
    row held COPY to about 20k rows/s, a third of what it does without them); the next
    chunk's text is made by another process while the server takes this one. Then
    VACUUM ANALYZE, what autovacuum would do to a table loaded so."""
    now = np.datetime64(dt.datetime.now(dt.UTC).replace(tzinfo=None), "us")
    rng = np.random.default_rng(count)
    own_rows = np.sort(rng.choice(count, size=own_share, replace=False))
    chunks = [
        (count, first, min(CHUNK, count - first), now, departments, enterprises, own,
         own_rows[(own_rows >= first) & (own_rows < first + CHUNK)] - first)
        for first in range(0, count, CHUNK)
    ]  # fmt: skip
    copy = f"COPY datahub_datacall ({', '.join(COLUMNS)}) FROM STDIN"
    seconds: dict[str, float] = {}
    with connection.cursor() as cursor:
        indexes = _secondary_indexes(cursor)
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        try:
            cursor.execute("SET session_replication_role = replica")
            start = time.perf_counter()
            written = 0
            with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
                # Two chunks ahead at most: the texts are 20 MB each.
                ahead = deque(pool.submit(_chunk_text, chunk) for chunk in chunks[:2])
                for index in range(len(chunks)):
                    text = ahead.popleft().result()
                    if index + 2 < len(chunks):
                        ahead.append(pool.submit(_chunk_text, chunks[index + 2]))
                    with cursor.copy(copy) as stream:
                        stream.write(text)
                    written += chunks[index][2]
                    if written % 2_000_000 < CHUNK:
                        print(f"   {written:,} rows", flush=True)
            seconds["copy_s"] = time.perf_counter() - start
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
            start = time.perf_counter()
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in indexes:
                # The parent's definition says ON ONLY; without it every partition is built.
                cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))
            cursor.execute("RESET maintenance_work_mem")
            seconds["index_s"] = time.perf_counter() - start
        start = time.perf_counter()
        cursor.execute("VACUUM ANALYZE datahub_datacall")
        seconds["vacuum_s"] = time.perf_counter() - start
    return {name: round(value, 1) for name, value in seconds.items()}


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """The log's indexes but its primary key, as (name, CREATE INDEX …) of the parent."""
    cursor.execute(
        "select i.relname, pg_get_indexdef(x.indexrelid) from pg_index x"
        " join pg_class i on i.oid = x.indexrelid"
        " where x.indrelid = 'datahub_datacall'::regclass and not x.indisprimary order by 1"
    )
    return cursor.fetchall()


def _chunk_text(chunk: tuple) -> str:
    """One chunk's rows as COPY text (in a worker process: numpy and strings only)."""
    count, first, n, now, departments, enterprises, own, mine = chunk
    span_us = 24 * 30 * 86400 * 10**6
    oldest = now - np.timedelta64(span_us, "us")
    rng = np.random.default_rng([count, first])
    ents = rng.choice(enterprises, n).astype(str)
    ents[mine] = str(own)
    offsets = np.sort(rng.integers(first * span_us // count, (first + n) * span_us // count, n))
    started = (oldest + offsets.astype("timedelta64[us]")).astype(str)
    latency = np.char.mod("%.1f", rng.random(n) * 200)
    rows = zip(rng.choice(departments, n).astype(str), ents, started, latency,
               rng.choice(OUTCOMES, n), strict=True)  # fmt: skip
    return "".join(
        f"{d}\tinsured\t{e}\t[]\tsubsidy check\t\tsim\t{s}+00\t{lat}\t{o}\t\t\t1\n"
        for d, e, s, lat, o in rows
    )


def timed(client: Client, url: str, *, cold: bool = False) -> dict[str, float]:
    """p50/p95 of RUNS GETs after one to warm; `cold`: with the call log's figures never
    kept (a cache entry of 0 seconds is none)."""
    from datahub import selectors

    kept = selectors.STATS_SECONDS
    selectors.STATS_SECONDS = 0 if cold else kept
    try:
        return _timed(client, url)
    finally:
        selectors.STATS_SECONDS = kept


def _timed(client: Client, url: str) -> dict[str, float]:
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
        "official_first_cold": (as_official, "/official/data-calls/"),
    }
    out = ROOT / "bench" / "results" / "logs.json"
    load_start = [round(value, 2) for value in os.getloadavg()]
    loading: dict[str, float] | None = None
    if not reuse:
        start = time.perf_counter()
        loading = fill(size, departments, others, own.pk, OWN)
        loading["fill_s"] = round(time.perf_counter() - start, 1)
    assert DataCall.objects.filter(enterprise=own).count() == OWN
    load = [round(value, 2) for value in os.getloadavg()]
    floor = timed(anonymous, "/accounts/login/")
    figures = {name: timed(client, url, cold=name.endswith("_cold"))
               for name, (client, url) in pages.items()}  # fmt: skip
    load_end = [round(value, 2) for value in os.getloadavg()]
    if EXPLAIN:
        explain(pages, Path(EXPLAIN))
    for figure in figures.values():
        figure["p95_x_floor"] = round(figure["p95_ms"] / max(floor["p95_ms"], 0.1), 1)
    # Read just before writing: two sizes measured side by side (one process per database,
    # at once, so that both see the same load) each add their own.
    results = json.loads(out.read_text()) if out.exists() and MERGE else {}
    results.setdefault("sizes", {})
    results.update(partitioned=partitioned, runs=RUNS, own_rows=OWN)
    previous = results["sizes"].get(str(size), {})
    reused = loading is None
    if loading is not None:
        # COPY alone (secondary indexes dropped), and the whole fill: COPY, the index
        # builds, VACUUM ANALYZE.
        loading["copy_rows_per_s"] = round(size / loading["copy_s"])
        loading["fill_rows_per_s"] = round(size / loading["fill_s"])
    else:
        kept = ("copy_s", "copy_rows_per_s", "index_s", "vacuum_s", "fill_s", "fill_rows_per_s")
        loading = {key: previous[key] for key in kept if key in previous}
    results["sizes"][str(size)] = {
        **loading, "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "load_average_start": load_start, "load_average": load, "load_average_end": load_end,
        "floor": floor, "pages": figures,
    }  # fmt: skip
    copied = "reused" if reused else f"{loading['copy_s']} s, fill {loading['fill_s']} s"
    print(f"{size:>11,} rows (COPY {copied}) load {load_start} -> {load} -> {load_end}"
          f" floor p95 {floor['p95_ms']} ms")  # fmt: skip
    for name, figure in figures.items():
        print(f"   {name:<18} p50 {figure['p50_ms']:>7} ms  p95 {figure['p95_ms']:>7} ms"
              f"  ({figure['p95_x_floor']}x floor)")  # fmt: skip
    sizes = sorted(results["sizes"], key=int)
    if len(sizes) > 1:
        first, last = (results["sizes"][s]["pages"] for s in (sizes[0], sizes[-1]))
        results["p95_ratio_largest_to_smallest"] = {
            name: round(last[name]["p95_ms"] / first[name]["p95_ms"], 2)
            for name in first
            if name in last
        }
        results["p95_ratio_largest_to_smallest_in_floors"] = {
            name: round(last[name]["p95_x_floor"] / first[name]["p95_x_floor"], 2)
            for name in first
            if name in last
        }
        print("p95 ratio", results["p95_ratio_largest_to_smallest"])
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


def explain(pages: dict, out: Path) -> None:
    """Each page once more, its queries of the log captured and run again under EXPLAIN
    (ANALYZE, BUFFERS): where the database's part of a page's time goes."""
    from django.test.utils import CaptureQueriesContext

    from datahub import selectors

    kept, selectors.STATS_SECONDS = selectors.STATS_SECONDS, 0
    text = []
    try:
        for name, (client, url) in pages.items():
            if name.endswith("_cold"):
                continue
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            for query in captured.captured_queries:
                if "datahub_datacall" not in query["sql"]:
                    continue
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                text.append(f"## {name} {url}\n{query['sql']}\n\n{plan}\n")
    finally:
        selectors.STATS_SECONDS = kept
    out.write_text("\n".join(text))


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
