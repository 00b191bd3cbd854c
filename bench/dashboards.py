"""The officials' dashboards at city volume (issue: dashboards).

PostgreSQL, in a database of its own (BENCH_DASHBOARDS_DB, default qinqing_dashbench;
a helper session uses its own prefix, e.g. BENCH_DASHBOARDS_DB=qq_dash_bench).
`generate_city_data` writes 1,000,000 enterprises, 1,000,000 claims, 100,000 approval
items, 100,000 direct-line requests and 1,000,000 data-hub calls over 18 months (scale it
with BENCH_DASHBOARDS_SCALE, e.g. 0.1). Then:

- the aggregate refresh: `dashboards.refresh.refresh_all()`, seconds per subject;
- keeping the tallies current (`keeping_current` below): 1 % of the claims move state in
  set-based UPDATEs, then `dashboards.refresh.apply_changes()` is timed against its floor
  measured in the same sitting (a COPY out of the changed claims' columns, a COPY of the
  touched tally rows into a scratch table like the tally table), with the load average
  (BENCH_CHANGE_SHARE, default 0.01, for another share);
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

import gc
import io
import json
import os
import platform
import statistics
import subprocess
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


CHANGE_SHARE = float(os.environ.get("BENCH_CHANGE_SHARE", "0.01"))
CHUNK = 2000  # claims per UPDATE, as a batch run's chunk
# A status move for each state a changed claim may be in (a batch run's kind of move).
MOVES = {
    "paid": "payment_failed",
    "payment_failed": "paid",
    "offered": "submitted",
    "submitted": "checking",
    "checking": "eligible",
    "eligible": "paying",
    "paying": "paid",
    "awaiting_data": "ineligible",
    "ineligible": "eligible",
}


def _copy_out(cursor, sql: str, params: list) -> bytes:  # type: ignore[no-untyped-def]
    data = bytearray()
    with cursor.copy(f"COPY ({sql}) TO STDOUT", params) as copy:
        for block in copy:
            data += block
    return bytes(data)


def keeping_current() -> dict:
    """CHANGE_SHARE (1 %) of the claims move state in set-based UPDATEs of CHUNK claims
    (the triggers record the changes), then the tallies are brought current
    (`dashboards.refresh.apply_changes`), timed; then, in the same sitting, the floor of
    the rows it touches: a COPY out of the changed claims' columns the tallies read (with
    the policy's department and the enterprise's district and industry), and a COPY of
    the touched tally rows into a scratch table LIKE the tally table INCLUDING ALL (its
    indexes, the unique key among them). Also: the same UPDATEs without the triggers
    (session_replication_role = replica, rolled back), for what recording costs the
    writer; the clock's subjects rebuilt as a beat tick does; and whether the kept claim
    tallies equal a fresh rebuild of them."""
    from django.db import transaction

    from dashboards.models import Change, Tally
    from dashboards.refresh import apply_changes, differences, refresh_changes
    from subsidies.models import Claim

    table = Claim._meta.db_table
    tally = Tally._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        total = cursor.fetchone()[0]
    wanted = int(total * CHANGE_SHARE)
    stride = max(1, round(1 / CHANGE_SHARE))
    offset = int(time.time()) % stride  # a different 1 % on each run over a kept database
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE id %% %s = %s ORDER BY id LIMIT %s",  # noqa: S608
            [stride, offset, wanted],
        )
        ids = [row[0] for row in cursor.fetchall()]
    chunks = [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]
    moves = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in MOVES.items())
    status = f"CASE status {moves} ELSE status END"
    update = f"UPDATE {table} SET status = {status} WHERE id = ANY(%s)"  # noqa: S608

    def run_updates() -> float:
        began = time.perf_counter()
        for chunk in chunks:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(update, [chunk])
        return time.perf_counter() - began

    # Without the triggers (rolled back): what the same UPDATEs cost the writer bare.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        began = time.perf_counter()
        for chunk in chunks:
            with connection.cursor() as cursor:
                cursor.execute(update, [chunk])
        bare = time.perf_counter() - began
        transaction.set_rollback(True)
    recorded = run_updates()
    change_rows = Change.objects.count()

    load_before = Path("/proc/loadavg").read_text().split()[:3]
    began = time.perf_counter()
    drained = apply_changes()
    keep_seconds = time.perf_counter() - began
    if drained is None:
        return {"error": "a rebuild was running"}

    # The floor, same sitting.
    read_sql = (
        f"SELECT c.id, c.created_at, c.policy_id, c.status, p.department_id,"  # noqa: S608
        f" e.district_id, e.industry_section FROM {table} c"
        f" JOIN policies_policy p ON p.id = c.policy_id"
        f" JOIN enterprises_enterprise e ON e.id = c.enterprise_id WHERE c.id = ANY(%s)"
    )
    columns = [field.column for field in Tally._meta.concrete_fields if field.column != "id"]
    names = ", ".join(columns)
    floors = []
    for _ in range(3):
        with transaction.atomic(), connection.cursor() as cursor:
            began = time.perf_counter()
            read = _copy_out(cursor, read_sql, [ids])
            read_seconds = time.perf_counter() - began
            touched = f"SELECT {names} FROM {tally} WHERE id = ANY(%s)"  # noqa: S608
            rows = _copy_out(cursor, touched, [drained.ids])
            cursor.execute(
                f"CREATE TEMPORARY TABLE bench_tally_floor (LIKE {tally} INCLUDING ALL)"
                " ON COMMIT DROP"
            )
            began = time.perf_counter()
            with cursor.copy(f"COPY bench_tally_floor ({names}) FROM STDIN") as copy:
                copy.write(rows)
            write_seconds = time.perf_counter() - began
        floors.append((read_seconds + write_seconds, read_seconds, write_seconds, len(read)))
    floor, read_seconds, write_seconds, read_bytes = min(floors)
    load_after = Path("/proc/loadavg").read_text().split()[:3]

    began = time.perf_counter()
    check = differences(("claims",))
    check_seconds = time.perf_counter() - began
    began = time.perf_counter()
    tick = refresh_changes()
    tick_seconds = time.perf_counter() - began
    figures = {
        "claims_changed": len(ids),
        "share": CHANGE_SHARE,
        "updates": len(chunks),
        "change_rows_recorded": change_rows,
        "tally_rows_touched": len(drained.ids),
        "tally_rows_touched_by_subject": drained.touched,
        "tally_rows_emptied": len(drained.emptied),
        "keep_current_seconds": round(keep_seconds, 4),
        "floor_seconds": round(floor, 4),
        "floor_read_seconds": round(read_seconds, 4),
        "floor_read_bytes": read_bytes,
        "floor_write_seconds": round(write_seconds, 4),
        "ratio_to_floor": round(keep_seconds / floor, 2),
        "within_2x": keep_seconds <= 2 * floor,
        "updates_seconds_recorded": round(recorded, 3),
        "updates_seconds_without_triggers": round(bare, 3),
        "recording_cost_seconds": round(recorded - bare, 3),
        # Applying plus what recording added to the writer's UPDATEs, against the same floor.
        "ratio_with_recording_to_floor": round((keep_seconds + recorded - bare) / floor, 2),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "equals_full_rebuild": not check,
        "differences": [list(map(str, row)) for row in check[:20]],
        "check_seconds": round(check_seconds, 2),
        "beat_tick_seconds": round(tick_seconds, 2),
        "beat_tick_subjects": tick,
    }
    print(
        f"keeping current: {len(ids):,} claims changed in {len(chunks)} UPDATEs "
        f"({recorded:.3f} s, {bare:.3f} s without triggers); {change_rows} change rows; "
        f"applied in {keep_seconds * 1000:.1f} ms touching {len(drained.ids)} tally rows; "
        f"floor {floor * 1000:.1f} ms (read {read_seconds * 1000:.1f}, write "
        f"{write_seconds * 1000:.1f}); ratio {keep_seconds / floor:.2f}; load {load_after}; "
        f"equals rebuild: {not check}; beat tick {tick_seconds:.1f} s",
        flush=True,
    )
    return figures


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


class Collections:
    """The garbage collector's pauses in this process (gc.callbacks): how many milliseconds
    of a timed request were a collection, and of which generation. A full collection walks
    every object the process holds, which here includes what generating the city left."""

    def __init__(self) -> None:
        self.began: float | None = None
        self.pauses: list[tuple[float, int]] = []

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.began = time.perf_counter()
        elif self.began is not None:
            self.pauses.append(((time.perf_counter() - self.began) * 1000, info["generation"]))
            self.began = None

    def since(self, mark: int) -> tuple[float, int]:
        """(milliseconds collecting, the oldest generation collected) since `mark`."""
        pauses = self.pauses[mark:]
        return sum(ms for ms, _ in pauses), max((gen for _, gen in pauses), default=-1)


COLLECTIONS = Collections()


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
        timings, collecting = [], []
        for _ in range(REPEAT):
            mark = len(COLLECTIONS.pauses)
            began = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - began) * 1000)
            collecting.append(COLLECTIONS.since(mark))
        cold = []
        for _ in range(COLD_REPEAT):
            cache.clear()
            mark = len(COLLECTIONS.pauses)
            began = time.perf_counter()
            response = client.get(path)
            cold.append((time.perf_counter() - began) * 1000)
            collecting.append(COLLECTIONS.since(mark))
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
                # The longest time one timed request spent in the garbage collector, and
                # how many timed requests ran a full (oldest-generation) collection.
                "gc_max_ms": round(max(ms for ms, _ in collecting), 1),
                "full_collections": sum(1 for _, generation in collecting if generation == 2),
            }
        )
        row = rows[-1]
        print(
            f"  {label:<28} {row['status']} p50 {row['p50_ms']:>7.1f} ms  "
            f"p95 {row['p95_ms']:>7.1f} ms  cold p50 {row['cold_p50_ms']:>7.1f} ms  "
            f"p95 {row['cold_p95_ms']:>7.1f} ms  {row['queries']:>3} queries  "
            f"gc max {row['gc_max_ms']:>6.1f} ms ({row['full_collections']} full)",
            flush=True,
        )
    return rows


def pages_in_a_process_of_their_own() -> dict:
    """Every page measured in a process started for them (`--pages`), booted as a web
    worker boots and holding nothing else (not what generating the city left here)."""
    out = ROOT / "var" / f"dashboards-pages-{os.getpid()}.json"
    out.parent.mkdir(exist_ok=True)
    # A fixed command: this file, its own flag, a path of its own choosing.
    subprocess.run([sys.executable, __file__, "--pages", str(out)], check=True,
                   env={**os.environ, "BENCH_DASHBOARDS_DB": DATABASE})  # fmt: skip
    try:
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def measure_pages() -> dict:
    """The pages as every viewer, with the garbage collector's pauses counted, in a
    process booted as a web worker boots (qinqing/wsgi.py: every view imported, then
    qinqing.boot.settle_web)."""
    objects_before = len(gc.get_objects())  # what a full collection would walk unsettled
    import qinqing.wsgi  # noqa: F401

    gc.callbacks.append(COLLECTIONS)
    pages: dict = {}
    for name, user in users().items():
        district = user.district.code if user.district else "binjiang"
        print(f"{name}:", flush=True)
        pages[name] = measure(user, urls(district))
    gc.callbacks.remove(COLLECTIONS)
    objects_after = len(gc.get_objects())
    # [before settling, frozen by settling, walked by a full collection after the pages]
    return {"pages": pages, "objects_in_the_pages_process": [objects_before,
                                                             gc.get_freeze_count(),
                                                             objects_after]}  # fmt: skip


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
    figures["keeping_current"] = keeping_current()
    # Counted here, where generating and refreshing the city ran: what a full garbage
    # collection would walk if the pages were measured in this process.
    figures["objects_in_the_setting_up_process"] = len(gc.get_objects())
    figures.update(pages_in_a_process_of_their_own())
    pages = figures["pages"]
    every = [row for rows in pages.values() for row in rows]
    figures["worst_p95_ms"] = max(row["p95_ms"] for row in every)
    figures["worst_gc_ms"] = max(row["gc_max_ms"] for row in every)
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
    if sys.argv[1:2] == ["--pages"]:  # the pages' own process (pages_in_a_process_of_their_own)
        connection.settings_dict["NAME"] = DATABASE
        Path(sys.argv[2]).write_text(json.dumps(measure_pages()))
        return
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
