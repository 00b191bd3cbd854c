"""The officials' dashboards at city volume (issue: dashboards).

PostgreSQL, in a database of its own (BENCH_DASHBOARDS_DB, default qinqing_dashbench).
`generate_city_data` writes 1,000,000 enterprises, 1,000,000 claims, 100,000 approval
items, 100,000 direct-line requests and 1,000,000 data-hub calls over 18 months (scale it
with BENCH_DASHBOARDS_SCALE, e.g. 0.1). Then:

- the aggregate refresh: `dashboards.refresh.refresh_all()`, seconds per subject;
- every dashboard page (overview and each section), with and without a typical filter
  (this year and a district), and the statistics API for each, as four users: a city-wide
  official (a city department, no district), a district official, a department official
  and an auditor. Each URL: 3 warm-ups, then BENCH_REPEAT (30) timed GETs through Django's
  test client in this process; server time is the time around `client.get` (no network,
  no browser). p50 / p95 in milliseconds, and the SQL queries of one request. Pages keep
  their figures in the cache until the next rebuild, so two kinds of request are timed:
  warm (the figures cached: what most officials get) and cold (the cache emptied before
  each of BENCH_COLD_REPEAT (10) GETs: the first official after a rebuild).

The database is dropped afterwards unless BENCH_KEEP_DB=1; a kept database that already
holds generated data is reused as it is (generation skipped), so later runs measure pages
and refresh only.

Run: `DATABASE_URL=postgres://... make bench-dashboards`. Writes
bench/results/dashboards-postgresql.json. Figures on the 2-core machines shared with other
work are noisy: compare pages measured in the same run.
"""

import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from stack import setup  # noqa: E402

setup("dashboards")

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

DATABASE = os.environ.get("BENCH_DASHBOARDS_DB", "qinqing_dashbench")
KEEP = os.environ.get("BENCH_KEEP_DB") == "1"
SCALE = float(os.environ.get("BENCH_DASHBOARDS_SCALE", "1"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
COLD_REPEAT = int(os.environ.get("BENCH_COLD_REPEAT", "10"))
WARMUP = 3
RESULTS = ROOT / "bench" / "results" / "dashboards-postgresql.json"


def rebuild_dashboard_tables() -> None:
    """The dashboards' tables hold derived data only: on a kept database they are dropped
    and created again, so a tally schema changed since the last run never meets old tables."""
    out = io.StringIO()
    call_command("migrate", "dashboards", "zero", verbosity=0, stdout=out)
    call_command("migrate", verbosity=0, stdout=out)


def generate() -> dict:
    """The city's data, unless the kept database has it (then the figures of the run that
    generated it, when this machine's results file has them)."""
    from policies.models import Policy
    from sandbox.city.generator import POLICY_PREFIX, Volumes
    from sandbox.city.generator import generate as generate_city

    if Policy.objects.filter(code__startswith=POLICY_PREFIX).exists():
        print(f"{DATABASE}: generated data found, generation skipped", flush=True)
        previous = {}
        if RESULTS.exists():
            previous = json.loads(RESULTS.read_text()).get("generation") or {}
        return {"generated_this_run": False, "generation": previous}
    began = time.perf_counter()
    summary = generate_city(Volumes().scaled(SCALE), log=lambda line: print(line, flush=True))
    print("\n".join(summary.lines()), flush=True)
    return {
        "generated_this_run": True,
        "generation": {
            "seconds": round(time.perf_counter() - began, 1),
            "step_seconds": summary.seconds,
            "rows_written": summary.rows,
            "records": summary.counts,
        },
    }


def volumes() -> dict:
    from approvals.models import Item
    from datahub.models import DataCall
    from directline.models import Request
    from enterprises.models import Enterprise
    from subsidies.models import Claim

    return {
        "enterprises": Enterprise.objects.count(),
        "claims": Claim.objects.count(),
        "approval_items": Item.objects.count(),
        "requests": Request.objects.count(),
        "data_calls": DataCall.objects.count(),
    }


def refresh() -> dict:
    try:
        from dashboards.refresh import refresh_all
    except ImportError as error:
        sys.exit(f"bench/dashboards.py: dashboards.refresh.refresh_all is missing ({error})")
    began = time.perf_counter()
    try:
        seconds = refresh_all()
    except Exception as error:  # the pages are still worth measuring
        # Recorded, loudly: pages measured on stale or empty tallies flatter the figures.
        print(f"REFRESH FAILED: {error!r}", file=sys.stderr, flush=True)
        return {"error": repr(error)}
    return {"total_seconds": round(time.perf_counter() - began, 2), "subjects": seconds}


def users() -> dict:
    """The four viewers, created once (kept databases reuse them)."""
    from accounts.models import Role, User
    from departments.models import Department, District

    district = District.objects.get(code="binjiang")
    specs = {
        "city_official": {"role": Role.OFFICIAL, "department": "general_office", "district": None},
        "district_official": {"role": Role.OFFICIAL, "department": "data", "district": district},
        "department_official": {"role": Role.OFFICIAL, "department": "hrss", "district": None},
        "auditor": {"role": Role.AUDITOR, "department": None, "district": None},
    }
    made = {}
    for name, spec in specs.items():
        department = Department.objects.get(code=spec["department"]) if spec["department"] else None
        user, _created = User.objects.get_or_create(
            username=f"bench-dashboards-{name}",
            defaults={"role": spec["role"], "department": department, "district": spec["district"]},
        )
        made[name] = user
    return made


def urls(district_code: str) -> list[tuple[str, str]]:
    """(label, path) of every page and API call measured, read from the URL configuration
    so that a renamed section is measured rather than missed."""
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from dashboards.selectors.pages import SECTIONS

    year = timezone.localdate().year
    query = f"?period={year}&district={district_code}"
    pages = [("overview", reverse("dashboards:overview"))]
    pages += [(key, reverse("dashboards:section", args=[key])) for key in SECTIONS]
    found = [(label, path) for label, path in pages]
    found += [(f"{label} filtered", path + query) for label, path in pages]
    for namespace in ("v1", "api"):
        try:
            api = [("api overview", reverse(f"{namespace}:stats-overview"))]
            api += [
                (f"api {key}", reverse(f"{namespace}:stats-section", args=[key]))
                for key in SECTIONS
            ]
        except NoReverseMatch:
            continue
        found += api + [(f"{label} filtered", path + query) for label, path in api]
        break
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def measure(user, pages: list[tuple[str, str]]) -> list[dict]:  # type: ignore[no-untyped-def]
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # A page that fails is recorded with its status, not allowed to end the run.
    client = Client(raise_request_exception=False)
    client.force_login(user)
    rows = []
    for label, path in pages:
        for _ in range(WARMUP):
            response = client.get(path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        # Counted now: the context reads the connection's log, which the next request clears.
        query_count = len(queries)
        timings = []
        for _ in range(REPEAT):
            began = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - began) * 1000)
        cold = []
        for _ in range(COLD_REPEAT):
            cache.clear()
            began = time.perf_counter()
            response = client.get(path)
            cold.append((time.perf_counter() - began) * 1000)
        rows.append(
            {
                "page": label,
                "url": path,
                "status": response.status_code,
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(percentile(timings, 0.95), 1),
                "max_ms": round(max(timings), 1),
                "cold_p50_ms": round(statistics.median(cold), 1),
                "cold_p95_ms": round(percentile(cold, 0.95), 1),
                "queries": query_count,
                "bytes": len(response.content),
            }
        )
        row = rows[-1]
        print(
            f"  {label:<28} {row['status']} p50 {row['p50_ms']:>7.1f} ms  "
            f"p95 {row['p95_ms']:>7.1f} ms  cold p50 {row['cold_p50_ms']:>7.1f} ms  "
            f"p95 {row['cold_p95_ms']:>7.1f} ms  {row['queries']:>3} queries",
            flush=True,
        )
    return rows


def run() -> dict:
    figures: dict = {"database": DATABASE, "scale": SCALE, "repeat": REPEAT, "warmup": WARMUP}
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        figures["server_version"] = cursor.fetchone()[0]
    if KEEP:
        rebuild_dashboard_tables()
    figures.update(generate())
    figures["volumes"] = volumes()
    print(f"volumes: {figures['volumes']}", flush=True)
    figures["refresh"] = refresh()
    print(f"refresh: {figures['refresh']}", flush=True)
    viewers = users()
    pages: dict = {}
    for name, user in viewers.items():
        district = user.district.code if user.district else "binjiang"
        print(f"{name}:", flush=True)
        pages[name] = measure(user, urls(district))
    figures["pages"] = pages
    every = [row for rows in pages.values() for row in rows]
    figures["worst_p95_ms"] = max(row["p95_ms"] for row in every)
    figures["worst_cold_p95_ms"] = max(row["cold_p95_ms"] for row in every)
    figures["pages_over_300ms_p95"] = [
        f"{name}: {row['page']}"
        for name, rows in pages.items()
        for row in rows
        if max(row["p95_ms"], row["cold_p95_ms"]) > 300
    ]
    figures["non_200"] = [
        f"{name}: {row['page']} ({row['status']})"
        for name, rows in pages.items()
        for row in rows
        if row["status"] != 200
    ]
    return figures


def table(figures: dict) -> str:
    lines = [f"{'page':<28} " + " ".join(f"{name:>21}" for name in figures["pages"])]
    labels = [row["page"] for row in next(iter(figures["pages"].values()))]
    for index, label in enumerate(labels):
        cells = []
        for rows in figures["pages"].values():
            row = rows[index]
            cells.append(f"{row['p50_ms']:>6.0f}/{row['p95_ms']:>5.0f}ms q{row['queries']:<3}")
        lines.append(f"{label:<28} " + " ".join(f"{cell:>21}" for cell in cells))
    return "\n".join(lines)


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/dashboards.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = DATABASE
    began = time.perf_counter()
    # serialize=False: a kept database's million rows are not copied into memory.
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=KEEP, serialize=False)
    setup_seconds = round(time.perf_counter() - began, 1)
    try:
        figures = run()
    finally:
        connections.close_all()
        if not KEEP:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    results = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "postgresql": figures.pop("server_version"),
        "migrate_seconds": setup_seconds,
        **figures,
    }
    target = RESULTS
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(table(figures))
    print(
        f"worst p95: {figures['worst_p95_ms']} ms warm, {figures['worst_cold_p95_ms']} ms cold; "
        "over 300 ms: "
        f"{figures['pages_over_300ms_p95'] or 'none'}; not 200: {figures['non_200'] or 'none'}"
    )
    print(f"written: {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
