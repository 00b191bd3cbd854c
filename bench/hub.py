"""Data hub benchmarks (issue: department data hub).

1. fetch_facts for one enterprise across five departments, with the default simulated
   latencies (qinqing/settings/services.py HUB_SIMULATION), in-process and over HTTP (a gunicorn
   serving /mock/departments/ on the same throw-away database): p50/p99 and calls/second.
2. Refreshing the bulk extract of ten facts (taxation's five and market supervision's five)
   for BENCH_SNAPSHOT_ENTERPRISES enterprises (default 1,000,000; target under 60 s).

Run: `make bench-hub` (PostgreSQL strongly advised: COPY, and concurrent writers). Results go
to bench/results/hub-<vendor>.json.
"""

import io
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The real settings, so the simulated departments have their default latencies.
os.environ["DJANGO_SETTINGS_MODULE"] = "qinqing.settings"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
os.environ.setdefault("QINQING_SANDBOX", "true")  # the simulated departments answer
os.environ.update(DEBUG="false", SECURE_SSL_REDIRECT="false", STATIC_MANIFEST="false",
                  LOG_LEVEL="WARNING")  # fmt: skip

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

# BENCH_HUB_IN_PLACE=1: only the extracts, on DATABASE_URL's database as it is (seeded to
# BENCH_SNAPSHOT_ENTERPRISES if it has fewer), merged into the results file.
IN_PLACE = os.environ.get("BENCH_HUB_IN_PLACE", "") == "1"
FETCHES = int(os.environ.get("BENCH_FETCHES", "200"))
SNAPSHOT_ENTERPRISES = int(os.environ.get("BENCH_SNAPSHOT_ENTERPRISES", "1000000"))
FIVE = [
    "tax.annual_revenue",
    "tax.arrears",
    "hrss.insured_employees",
    "housing.lease_registered",
    "market.registration_status",
    "planning.land_parcels",
]
TEN = [
    "tax.annual_revenue",
    "tax.tax_paid",
    "tax.credit_grade",
    "tax.arrears",
    "tax.last_filing_on",
    "market.registration_status",
    "market.established_on",
    "market.industry_code",
    "market.registered_capital",
    "market.abnormal_operations",
]


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "mean_ms": round(statistics.fmean(ordered), 1),
    }


def bench_fetch(transport: str, enterprises: list) -> dict:
    from datahub.fetching.pipeline import fetch_facts

    def one(index: int) -> float:
        enterprise = enterprises[index % len(enterprises)]
        started = time.perf_counter()
        result = fetch_facts(enterprise, FIVE, purpose="benchmark", transport=transport,
                             use_cache=False)  # fmt: skip
        elapsed = (time.perf_counter() - started) * 1000
        assert result.all_known, {n: f.reason for n, f in result.facts.items() if not f.known}
        return elapsed

    for index in range(5):
        one(index)  # warm-up: connections, code paths
    sequential = [one(index) for index in range(FETCHES)]
    result = {"transport": transport, "sequential": percentiles(sequential)}
    result["sequential"]["fetches_per_second"] = round(1000 / statistics.fmean(sequential), 1)
    result["sequential"]["department_calls_per_second"] = round(
        5 * 1000 / statistics.fmean(sequential), 1
    )
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            concurrent = list(pool.map(one, range(FETCHES)))
        seconds = time.perf_counter() - started
        result["concurrent_8_threads"] = percentiles(concurrent)
        result["concurrent_8_threads"]["fetches_per_second"] = round(FETCHES / seconds, 1)
        result["concurrent_8_threads"]["department_calls_per_second"] = round(
            5 * FETCHES / seconds, 1
        )
    print(f"fetch_facts {transport:<9} {json.dumps(result)}")
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_departments_server(database_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "qinqing.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", "2", "-k", "gthread", "--threads", "32", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
            break
        except OSError:
            time.sleep(0.2)
    return process, base


PIECE = 8 << 20
# Where a refresh's time goes (datahub.extracts' steps, each timed in place): the phase's
# name, and the module of datahub.extracts and the name its callers find it by there.
PHASES = (("copied_columns", "merging", "copied_columns"),
          ("_differing_rows", "merging", "_differing_rows"), ("_as_text", "merging", "as_text"),
          ("_copy_in", "tables", "_copy_in"), ("_merge", "merging", "_merge"),
          ("_replace_table", "merging", "_replace_table"),
          ("_without_corrected", "merging", "_without_corrected"))  # fmt: skip


def _timed(function, name: str, into: dict[str, float]):
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            into[name] = into.get(name, 0.0) + time.perf_counter() - started

    return timed


CASES = ("first", "unchanged", "one_percent_changed")


def _copy_seconds(statement: str, sink: io.BytesIO | None = None, source: bytes = b"") -> float:
    """One COPY, timed: out into `sink`, or in from `source`."""
    started = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        if sink is not None:
            for block in copy:
                sink.write(block)
        else:
            for begin in range(0, len(source), PIECE):
                copy.write(source[begin : begin + PIECE])
    return time.perf_counter() - started


def extract_floor(department: str, case: str, changed: list[int]) -> dict:
    """The floor of one department's refresh, in this sitting: COPY out of the register
    (what the department is asked by), and for a refresh after the first of the extract's
    fact columns (what the new extract is compared with); COPY of the rows the refresh
    writes into a scratch table LIKE the extract table INCLUDING ALL (its key and types):
    every row the first time, none when nothing changed, the `changed` rows otherwise."""
    from datahub.extracts.subjects import table_name

    register = io.BytesIO()
    out_s = _copy_seconds(
        "COPY (SELECT id, uscc, size_class, registered_capital, established_on, "
        "industry_division, industry_section FROM enterprises_enterprise ORDER BY id) TO STDOUT",
        sink=register,
    )
    table = table_name(department)
    rows = io.BytesIO()
    compared_s = 0.0
    if case == "first":
        _copy_seconds(f"COPY {table} TO STDOUT", sink=rows)
    else:
        compared_s = _copy_seconds(f"COPY {table} TO STDOUT", sink=io.BytesIO())
        if changed:
            keys = ",".join(str(int(pk)) for pk in changed)
            _copy_seconds(f"COPY (SELECT * FROM {table} WHERE enterprise_id = ANY('{{{keys}}}'"  # noqa: S608
                          "::bigint[])) TO STDOUT", sink=rows)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_extract_floor")
        cursor.execute(f"CREATE TABLE bench_extract_floor (LIKE {table} INCLUDING ALL)")
    in_s = _copy_seconds("COPY bench_extract_floor FROM STDIN", source=rows.getvalue())
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_extract_floor")
    return {"copy_out_register_s": round(out_s, 3), "copy_out_compared_s": round(compared_s, 3),
            "copy_in_extract_s": round(in_s, 3), "rows_written": len(changed) if case != "first"
            else None, "floor_s": round(out_s + compared_s + in_s, 3)}  # fmt: skip


def bench_snapshot() -> dict:
    """Each department's extract (taxation's five facts, market supervision's five) at
    BENCH_SNAPSHOT_ENTERPRISES: the first refresh (the table built whole), a refresh where
    nothing changed, and one where 1 % of the enterprises' facts changed; each against
    its floor measured just before it."""
    from datahub.extracts import merging, subjects, tables
    from datahub.extracts.refresh import refresh_extract
    from datahub.signals import facts_changed
    from enterprises.models import Enterprise

    have = Enterprise.objects.count()
    if have < SNAPSHOT_ENTERPRISES:
        started = time.perf_counter()
        call_command("seed_demo", enterprises=SNAPSHOT_ENTERPRISES, seed=2021, stdout=io.StringIO())
        print(f"seeded {SNAPSHOT_ENTERPRISES:,} enterprises in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    original_columns = subjects.extract_columns
    department_s: list[float] = []
    change: dict = {"share": 0.0}

    def timed_columns(department, specs, ids, register, as_of):
        """The department's own work (its answer), apart; and the share changed."""
        started = time.perf_counter()
        columns = original_columns(department, specs, ids, register, as_of)
        department_s.append(time.perf_counter() - started)
        if change["share"]:
            rng = np.random.default_rng(24)
            chosen = rng.choice(len(ids), size=int(len(ids) * change["share"]), replace=False)
            first = specs[0].name
            columns[first] = columns[first].copy()
            if columns[first].dtype.kind in "iu":
                columns[first][chosen] += 1
            elif columns[first].dtype.kind == "b":
                columns[first][chosen] = ~columns[first][chosen]
            else:
                columns[first][chosen] = columns[first][(chosen + 1) % len(ids)]
        return columns

    heard: list[list[int]] = []
    receivers = facts_changed.receivers
    facts_changed.receivers = []  # nothing re-evaluated here: only the extract is timed
    facts_changed.connect(lambda sender, **kw: heard.append(list(kw["enterprise_ids"])),
                          weak=False, dispatch_uid="bench.hub")  # fmt: skip
    subjects.extract_columns = timed_columns
    phases: dict[str, float] = {}
    homes = {"subjects": subjects, "merging": merging, "tables": tables}
    originals = {(phase, home, name): getattr(homes[home], name) for phase, home, name in PHASES}
    for (phase, home, name), function in originals.items():
        setattr(homes[home], name, _timed(function, phase, phases))
    result: dict = {"enterprises": SNAPSHOT_ENTERPRISES, "facts": len(TEN), "by_department": {}}
    try:
        for department in ("taxation", "market"):
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {subjects.table_name(department)}")
            figures = {}
            for case, share in zip(CASES, (0.0, 0.0, 0.01), strict=True):
                change["share"], heard[:] = share, []
                department_s.clear()
                phases.clear()
                load = round(os.getloadavg()[0], 2)
                started = time.perf_counter()
                refresh = refresh_extract(department, purpose=f"benchmark: {case}")
                seconds = time.perf_counter() - started
                floor = extract_floor(department, case, [pk for ids in heard for pk in ids])
                own = seconds - sum(department_s)
                figures[case] = {
                    "rows": refresh.rows, "seconds": round(seconds, 3),
                    "department_answer_s": round(sum(department_s), 3),
                    "hub_s": round(own, 3), **floor,
                    "x_floor": round(seconds / floor["floor_s"], 2),
                    "hub_x_floor": round(own / floor["floor_s"], 2),
                    "signalled_enterprises": sum(map(len, heard)), "load_average": load,
                    "phases_s": {name: round(value, 3) for name, value in phases.items()},
                }  # fmt: skip
                print(f"{department:<9} {case:<20} {json.dumps(figures[case])}", flush=True)
            result["by_department"][department] = figures
    finally:
        subjects.extract_columns = original_columns
        for (_phase, home, name), function in originals.items():
            setattr(homes[home], name, function)
        facts_changed.receivers = receivers
    for case in CASES:
        parts = [result["by_department"][d][case] for d in result["by_department"]]
        total, floor = sum(p["seconds"] for p in parts), sum(p["floor_s"] for p in parts)
        hub = sum(p["hub_s"] for p in parts)
        result[case] = {"seconds": round(total, 2), "floor_s": round(floor, 2),
                        "x_floor": round(total / floor, 2),
                        "hub_x_floor": round(hub / floor, 2)}  # fmt: skip
    print(f"snapshot refresh {json.dumps({case: result[case] for case in CASES})}")
    return result


def main() -> None:
    from datahub.adapters import close_adapters
    from enterprises.models import Enterprise

    setup_test_environment()
    if IN_PLACE:
        snapshot_only()
        return
    if connection.vendor == "sqlite":
        settings.DATABASES["default"]["TEST"] = {"NAME": str(ROOT / "var" / "bench.sqlite3")}
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    results = {"database": connection.vendor, "python": platform.python_version(),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
               "simulated_latency_ms": {k: v.get("latency_ms")
                                        for k, v in settings.HUB_SIMULATION.items()}}  # fmt: skip
    server = None
    try:
        call_command("seed_demo", enterprises=2000, seed=7, stdout=io.StringIO())
        enterprises = list(Enterprise.objects.order_by("id")[:500])
        results["fetch_inprocess"] = bench_fetch("inprocess", enterprises)
        if connection.vendor == "sqlite":
            database_url = f"sqlite:///{connection.settings_dict['NAME']}"
        else:
            from qinqing.worker_process import database_url_for_current_connection

            database_url = database_url_for_current_connection()
        server, base = start_departments_server(database_url)
        settings.HUB_HTTP_BASE_URL = base
        results["fetch_http"] = bench_fetch("http", enterprises)
        close_adapters()
        server.terminate()
        server.wait(timeout=20)
        server = None
        results["snapshot_refresh"] = bench_snapshot()
    finally:
        if server is not None:
            server.terminate()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    out = ROOT / "bench" / "results" / f"hub-{connection.vendor}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


def snapshot_only() -> None:
    out = ROOT / "bench" / "results" / f"hub-{connection.vendor}.json"
    results = json.loads(out.read_text()) if out.exists() else {}
    results["snapshot_refresh"] = bench_snapshot()
    results["snapshot_refresh"]["when"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    results["snapshot_refresh"]["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
