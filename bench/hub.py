"""Data hub benchmarks (issue: department data hub).

1. fetch_facts for one enterprise across five departments, with the default simulated
   latencies (qinqing/settings.py HUB_SIMULATION), in-process and over HTTP (a gunicorn
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
os.environ.update(DEBUG="false", SECURE_SSL_REDIRECT="false", STATIC_MANIFEST="false",
                  LOG_LEVEL="WARNING")  # fmt: skip

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

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
    from datahub.fetch import fetch_facts

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


def bench_snapshot() -> dict:
    from datahub.snapshots import refresh_extract
    from enterprises.models import Enterprise

    have = Enterprise.objects.count()
    if have < SNAPSHOT_ENTERPRISES:
        started = time.perf_counter()
        call_command("seed_demo", enterprises=SNAPSHOT_ENTERPRISES, seed=2021, stdout=io.StringIO())
        print(f"seeded {SNAPSHOT_ENTERPRISES:,} enterprises in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    timings = {}
    started = time.perf_counter()
    for department in ("taxation", "market"):
        refresh = refresh_extract(department, purpose="benchmark: ten facts, every enterprise")
        timings[department] = {"rows": refresh.rows, "seconds": refresh.seconds,
                               "facts": len(refresh.fact_names)}  # fmt: skip
    total = time.perf_counter() - started
    result = {"enterprises": SNAPSHOT_ENTERPRISES, "facts": len(TEN),
              "seconds_total": round(total, 2), "by_department": timings,
              "target_seconds": 60, "met": total < 60}  # fmt: skip
    print(f"snapshot refresh {json.dumps(result)}")
    return result


def main() -> None:
    from datahub.adapters import close_adapters
    from enterprises.models import Enterprise

    setup_test_environment()
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


if __name__ == "__main__":
    main()
