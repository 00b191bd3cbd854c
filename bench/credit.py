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

Each recomputation and the sweep is followed, in the same sitting, by its floor: a binary
COPY out of exactly the columns it reads, and a COPY of exactly the rows it wrote (dumped
after the run, untimed) into scratch tables created LIKE the real ones INCLUDING ALL (the
same indexes; for a partitioned log, LIKE the partition that took the rows). Each figure
is reported with its floor, their ratio, and the load average around it: the machine is
shared, and the ratio cancels most of that.

Run: `DATABASE_URL=postgres://... make bench-credit` (BENCH_CREDIT_SIZES=100000 for the
smaller one only; BENCH_CREDIT_TAX_IMPORT=0 writes the tax-grade records with one
INSERT … SELECT instead of timing the import from the taxation extract). Writes
bench/results/credit-postgresql.json.
"""

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from stack import setup  # noqa: E402

setup("credit")

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_CREDIT_SIZES", "100000,1000000").split(",")]
TAX_IMPORT = os.environ.get("BENCH_CREDIT_TAX_IMPORT", "1") != "0"
# A database seeded by an earlier run (kept with BENCH_CREDIT_KEEP=1): measured as it is,
# its grades, history and list entries cleared and its expired records put back in effect.
REUSE = os.environ.get("BENCH_CREDIT_REUSE", "") == "1"
KEEP = os.environ.get("BENCH_CREDIT_KEEP", "") == "1"
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


def load() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def timed(function, *args, **kwargs) -> tuple[float, object]:
    began = time.perf_counter()
    result = function(*args, **kwargs)
    return round(time.perf_counter() - began, 2), result


def tax_records_sql() -> int:
    """Every enterprise's tax grade as a record, in one INSERT … SELECT (the letters spread
    as a city's are: mostly B), when the import itself is not what is measured."""
    from departments.models import Department

    taxation = Department.objects.get(code="taxation").pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO credit_creditrecord (enterprise_id, kind, severity, tax_grade,
                department_id, title, detail, legal_basis, reference, occurred_on,
                publicity_months, public_until, expires_on, status, score_key, created_at)
            SELECT e.id, 'tax_grade', 'general', e.g, %s, '纳税信用等级 ' || e.g, '', '', '',
                   current_date - 30, 12, current_date + 335, current_date + 335, 'active',
                   'tax_grade:' || e.g, now()
            FROM (SELECT id, (ARRAY['A','A','B','B','B','B','M','C','D'])
                             [1 + (hashint8(id) & 2147483647) %% 9] AS g
                  FROM enterprises_enterprise) e
            """,
            [taxation],
        )  # fmt: skip
        return cursor.rowcount


# --- the floor ---------------------------------------------------------------------------


def _copy_out(sql: str, params: list | None = None) -> tuple[bytes, int]:
    """COPY (sql) TO STDOUT in binary, drained into memory: (bytes, rows)."""
    data = bytearray()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)", params) as copy,
    ):
        for block in copy:
            data += block
        rows = cursor.cursor.rowcount
    return bytes(data), rows


def _copy_out_c(sql: str, params: list) -> tuple[float, int]:
    """COPY (sql) TO STDOUT in binary, received by psql (libpq's own loop, in C: the
    cheapest client there is) and thrown away: (seconds, rows; the count untimed)."""
    settings = connection.settings_dict
    with connection.cursor() as cursor:
        # The values written into the text for psql: a client-side cursor's mogrify (the
        # connection's own cursors bind on the server, DB_PREPARED_STATEMENTS, and have none).
        statement = psycopg.ClientCursor(cursor.cursor.connection).mogrify(
            f"COPY ({sql}) TO STDOUT (FORMAT BINARY)", params
        )
        cursor.execute(f"SELECT count(*) FROM ({sql}) q", params)  # noqa: S608
        (rows,) = cursor.fetchone()
    command = ["psql", "-X", "-q", "-h", settings["HOST"] or "127.0.0.1",
               "-p", str(settings["PORT"] or 5432), "-U", settings["USER"], "-d",
               settings["NAME"], "-c", statement]  # fmt: skip
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    began = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=env)
    return time.perf_counter() - began, rows


def _leaf(table: str, where: str) -> str:
    """The table that holds the rows: itself, or for a partitioned log the partition."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE {where} LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else table


def floor(reads: list[tuple[str, list]], writes: list[tuple[str, str]]) -> dict:
    """Reading `reads` ((select, params): exactly the columns the computation reads) with
    COPY out, and writing the rows `writes` names ((table, where): exactly the rows the
    computation wrote, dumped first, untimed) with COPY into scratch tables LIKE the real
    ones INCLUDING ALL. Each COPY commits on its own (autocommit), as a real write would."""
    dumps = []
    for table, where in writes:
        leaf = _leaf(table, where)
        data, rows = _copy_out(f"SELECT * FROM {table} WHERE {where}")  # noqa: S608
        dumps.append((table, leaf, data, rows))
    read_rows = 0
    read_seconds = 0.0
    for sql, params in reads:
        seconds, rows = _copy_out_c(sql, params)
        read_seconds += seconds
        read_rows += rows
    written: dict[str, int] = {}
    write_seconds = {False: 0.0, True: 0.0}
    for table, leaf, data, rows in dumps:
        scratch = f"bench_floor_{table}"[:60]
        written[table] = written.get(table, 0) + rows
        # Without, then with the real table's foreign keys (LIKE copies no constraint of
        # that kind): what checking them adds to the same rows.
        for with_keys in (False, True):
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
                cursor.execute(f"CREATE TABLE {scratch} (LIKE {leaf} INCLUDING ALL)")
                if with_keys:
                    for definition in _foreign_keys(table):
                        cursor.execute(f"ALTER TABLE {scratch} ADD {definition}")
                began = time.perf_counter()
                statement = f"COPY {scratch} FROM STDIN (FORMAT BINARY)"
                with transaction.atomic(), cursor.cursor.copy(statement) as copy:
                    copy.write(data)
                write_seconds[with_keys] += time.perf_counter() - began
                cursor.execute(f"DROP TABLE {scratch}")
    read_seconds, with_keys = round(read_seconds, 3), round(write_seconds[True], 3)
    write_seconds = round(write_seconds[False], 3)
    return {"seconds": round(read_seconds + write_seconds, 3), "read_seconds": read_seconds,
            "read_rows": read_rows, "write_seconds": write_seconds, "written_rows": written,
            "with_foreign_keys": {"seconds": round(read_seconds + with_keys, 3),
                                  "write_seconds": with_keys}}  # fmt: skip


def _foreign_keys(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype = 'f'", [table])  # fmt: skip
        return [row[0] for row in cursor.fetchall()]


def _max_ids(tables: list[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        found = {}
        for table in tables:
            cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")  # noqa: S608
            found[table] = cursor.fetchone()[0]
    return found


LOGS = ["credit_gradechange", "audit_auditevent", "events_outboxevent", "credit_listentry"]


def grade_reads(today: date) -> list[tuple[str, list]]:
    """What the recomputation reads: the scored records in effect, the stored grades."""
    return [
        ("SELECT enterprise_id, score_key FROM credit_creditrecord WHERE status = 'active' "
         "AND occurred_on <= %s AND expires_on > %s", [today, today]),
        ("SELECT enterprise_id, score, grade, model_id, computed_at FROM credit_creditgrade",
         []),
    ]  # fmt: skip


def sweep_reads(today: date) -> list[tuple[str, list]]:
    """What the sweep reads besides: records due to expire, entries due, the rules'
    records (the statuses they count) and grades, the current entries."""
    return [
        ("SELECT id, enterprise_id FROM credit_creditrecord WHERE status = 'active' "
         "AND expires_on <= %s", [today]),
        ("SELECT id, enterprise_id, list_kind FROM credit_listentry WHERE status = 'current' "
         "AND valid_until < %s", [today]),
        *grade_reads(today),
        ("SELECT enterprise_id, kind, severity, occurred_on FROM credit_creditrecord "
         "WHERE status IN ('active', 'expired') AND occurred_on > %s AND occurred_on <= %s",
         [today - timedelta(days=366), today]),
        ("SELECT enterprise_id, grade, grade_since FROM credit_creditgrade", []),
        ("SELECT id, enterprise_id, list_kind, rule_id FROM credit_listentry "
         "WHERE status = 'current'", []),
    ]  # fmt: skip


def measured(name: str, function, reads, writes_of, **kwargs) -> dict:
    """Run `function`, then its floor: reads as given, writes as `writes_of(before, began)`
    names them (before: the logs' highest ids before the run; began: its start)."""
    before = _max_ids(LOGS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        began_at = cursor.fetchone()[0]
    load_before = load()
    seconds, result = timed(function, **kwargs)
    load_after = load()
    base = floor(reads, writes_of(before, began_at))
    figures = {"seconds": seconds, "floor": base,
               "ratio_to_floor": round(seconds / base["seconds"], 2) if base["seconds"] else None,
               "loadavg_before": load_before, "loadavg_after": load_after}  # fmt: skip
    print(
        f"{name}: {seconds} s, floor {base['seconds']} s "
        f"(x{figures['ratio_to_floor']}), load {load_after[0]}",
        flush=True,
    )
    return figures, result


def grade_writes(before: dict, began_at) -> list[tuple[str, str]]:
    return [
        ("credit_creditgrade", f"computed_at >= '{began_at.isoformat()}'"),
        ("credit_gradechange", f"id > {before['credit_gradechange']}"),
        ("audit_auditevent", f"id > {before['audit_auditevent']}"),
        ("events_outboxevent", f"id > {before['events_outboxevent']}"),
    ]


def sweep_writes_for(due_records: list[int]):
    def writes(before: dict, began_at) -> list[tuple[str, str]]:
        ids = ",".join(str(pk) for pk in due_records) or "0"
        return [
            ("credit_creditrecord", f"id IN ({ids}) AND status = 'expired'"),
            *grade_writes(before, began_at),
            ("credit_listentry", f"id > {before['credit_listentry']} "
                                 f"OR ended_at >= '{began_at.isoformat()}'"),
        ]  # fmt: skip

    return writes


def one_size(enterprises: int) -> dict:
    from accounts.models import Role, User
    from credit.grades.models import CreditGrade, GradeChange
    from credit.grades.services import recompute_all
    from credit.lists.models import ListEntry
    from credit.records.imports import import_tax_grades
    from credit.records.models import CreditRecord
    from credit.records.services import add_record
    from credit.sweep import daily_sweep
    from datahub.extracts.refresh import refresh_extract
    from departments.models import Department
    from enterprises.models import Enterprise

    figures: dict = {"enterprises": enterprises}
    if REUSE:
        figures["seeded"] = "reused: a register and records from an earlier run"
        # The schema as the code has it (an older run's database may lack a migration:
        # the indexes and keys are part of what is measured).
        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE credit_gradechange, credit_creditgrade, credit_listentry")
            cursor.execute("UPDATE credit_creditrecord SET status = 'active' "
                           "WHERE status = 'expired'")  # fmt: skip
    else:
        figures["seed_seconds"] = round(seed_register(enterprises), 1)
    if REUSE:
        pass
    elif TAX_IMPORT:
        seconds, _ = timed(refresh_extract, "taxation", purpose="benchmark: tax grades")
        figures["taxation_extract_seconds"] = seconds
        seconds, summary = timed(import_tax_grades)
        figures["tax_grade_import"] = {"seconds": seconds,
                                       "records": summary["records_created"],
                                       "grades_seconds": summary["grades"]["seconds"],
                                       "list_candidates": summary["list_candidates"]}  # fmt: skip
        # The import graded everyone; start the measured recomputation from nothing.
        GradeChange.objects.all().delete()
        CreditGrade.objects.all().delete()
    else:
        seconds, written = timed(tax_records_sql)
        figures["tax_grade_records"] = {"written": written, "seconds": seconds,
                                        "how": "INSERT … SELECT, not the import"}  # fmt: skip
    ids = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True))
    if not REUSE:
        seconds, written = timed(other_records, ids, 0.1, seed=7)
        figures["other_records"] = {"written": written, "seconds": seconds}
    figures["records_total"] = CreditRecord.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE credit_creditrecord")
    today = date.today()

    run, first = measured("first computation", recompute_all, grade_reads(today), grade_writes,
                          cause="benchmark: first")  # fmt: skip
    figures["recompute_first"] = {**run, **first.as_json(), "seconds": run["seconds"],
                                  "enterprises_per_second": round(first.enterprises
                                                                  / run["seconds"])}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE credit_creditgrade")
    run, unchanged = measured("nothing changed", recompute_all, grade_reads(today),
                              grade_writes, cause="benchmark: nothing changed")  # fmt: skip
    figures["recompute_unchanged"] = {**run, **unchanged.as_json(), "seconds": run["seconds"]}
    _seconds, written = timed(other_records, ids, 0.01, seed=8, days_back=30)
    run, incremental = measured("after 1% new records", recompute_all, grade_reads(today),
                                grade_writes, cause="benchmark: 1% new records")  # fmt: skip
    figures["recompute_after_1_percent"] = {**run, "new_records": written,
                                            **incremental.as_json()}  # fmt: skip
    figures["recompute_after_1_percent"]["seconds"] = run["seconds"]
    due = list(CreditRecord.objects.filter(status="active", expires_on__lte=today)
               .values_list("pk", flat=True))  # fmt: skip
    run, sweep = measured("daily sweep", daily_sweep, sweep_reads(today), sweep_writes_for(due),
                          today=today)  # fmt: skip
    figures["daily_sweep"] = {**run, **{k: v for k, v in sweep.items() if k != "grades"},
                              "grades": sweep["grades"]}  # fmt: skip
    figures["list_entries"] = ListEntry.objects.count()

    official, _created = User.objects.get_or_create(
        username="bench-market",
        defaults={"role": Role.OFFICIAL, "department": Department.objects.get(code="market")},
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
    target = ROOT / "bench" / "results" / "credit-postgresql.json"
    for size in SIZES:
        old_name = connection.settings_dict["NAME"]
        if not REUSE:
            connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        try:
            figures = one_size(size)
        finally:
            connections.close_all()
            if not (REUSE or KEEP):
                connection.creation.destroy_test_db(old_name, verbosity=0)
        print(json.dumps(figures, ensure_ascii=False))
        results["runs"].append(figures)
    # The other sizes' runs of an earlier sitting are kept, each with its own floor.
    if target.exists():
        earlier = json.loads(target.read_text()).get("runs", [])
        results["runs"] += [run for run in earlier if run["enterprises"] not in SIZES]
        results["runs"].sort(key=lambda run: run["enterprises"])
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
