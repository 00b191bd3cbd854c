"""Shared by the bulk benchmarks on the real stack (batch, persons, reevaluate): worker processes
started and each one pinged by name before any clock starts, and the floor of the work
measured in the same sitting on the same database:

- read: a COPY out of exactly the columns the job reads (the extract columns its rules
  name, the register's status);
- write: a COPY into scratch copies of the tables it writes (CREATE TABLE … LIKE …
  INCLUDING ALL: the same columns, defaults, constraints and indexes) of exactly the rows
  it kept, taken from the real tables after the run (that read is not timed).

The job's time divided by read + write is its multiple of the floor. Django must be set up
(bench/stack.py) before these are called.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

# The node name in the worker's banner (its INFO "ready" line may be silenced by the log
# level); it is up when a ping addressed to that name is answered.
NODE = re.compile(r"-------------- (\S+@\S+) v\d")


@contextmanager
def _worker(log: Path, threads: int, queues: Sequence[str],
            nice: int = 0) -> Iterator[subprocess.Popen]:  # fmt: skip
    """One `celery worker` process on exactly `queues`, on the database this process uses
    (qinqing.worker_process.running_worker, which takes every queue of the run); `nice`:
    at that lower CPU priority (`nice -n`), as a host would run batch workers beside the
    instant queue's."""
    from django.conf import settings

    from qinqing.worker_process import ROOT, database_url_for_current_connection

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "qinqing.settings",
           "DATABASE_URL": database_url_for_current_connection(),
           "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
           "CACHE_KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", "")}  # fmt: skip
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        process = subprocess.Popen(  # fixed arguments, no user input
            [*(["nice", "-n", str(nice)] if nice else []), sys.executable, "-m", "celery",
             "-A", "qinqing", "worker", "-Q", ",".join(queues),
             "-n", f"bench-{uuid.uuid4().hex[:8]}@%h", "--pool", "threads",
             "--concurrency", str(threads), "--loglevel", "INFO", "--without-gossip",
             "--without-mingle"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def workers(count: int, threads: int, *, name: str, log_dir: Path, timeout: float = 90,
            queues: Sequence[str] | None = None, nice: int = 0) -> Iterator[list[str]]:  # fmt: skip
    """`count` Celery worker processes on this run's queues (all of them, or `queues`);
    yields their node names once every one of them has answered a ping addressed to it by
    name (not "any worker answers": a worker still booting would fall inside the timed
    window)."""
    from django.conf import settings

    from qinqing.celery import app
    from qinqing.worker_process import queues_of

    queues = list(queues or queues_of(settings.CELERY_TASK_DEFAULT_QUEUE))
    logs = [log_dir / f"bench-{name}-worker-{number}.log" for number in range(count)]
    with ExitStack() as stack:
        processes = [stack.enter_context(_worker(log, threads, queues, nice)) for log in logs]
        deadline = time.monotonic() + timeout
        names: dict[Path, str] = {}
        answered: set[str] = set()
        while len(answered) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers not all up after {timeout} s: {sorted(answered)}")
            for process, log in zip(processes, logs, strict=True):
                if process.poll() is not None:
                    raise RuntimeError(f"a worker exited early; see {log}")
                if log not in names and log.exists():
                    found = NODE.search(log.read_text(errors="replace"))
                    if found:
                        names[log] = found.group(1)
            waiting = [node for node in names.values() if node not in answered]
            if waiting:
                for reply in app.control.ping(destination=waiting, timeout=1.0) or []:
                    answered.update(reply)
            else:
                time.sleep(0.2)
        yield sorted(answered)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _database_pids(database: str, *, shared: bool) -> list[int]:
    """The backends connected to `database` or, `shared`, the server's own processes
    (checkpointer, WAL writer, background writer, launchers) and the postmaster."""
    import psycopg
    from django.db import connection

    given = connection.settings_dict
    params = {"host": given["HOST"] or None, "port": given["PORT"] or None,
              "user": given["USER"] or None, "password": given["PASSWORD"] or None,
              "dbname": "postgres"}  # fmt: skip
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as monitor:
        if not shared:
            return [row[0] for row in monitor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])]  # fmt: skip
        pids = [row[0] for row in monitor.execute(
            "SELECT pid FROM pg_stat_activity WHERE backend_type IN ('checkpointer', "
            "'walwriter', 'background writer', 'autovacuum launcher', "
            "'logical replication launcher', 'archiver')")]  # fmt: skip
    parents = {int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
               for pid in pids if Path(f"/proc/{pid}/stat").exists()}  # fmt: skip
    return pids + sorted(parents)


@contextmanager
def cpu_measured(into: dict) -> Iterator[None]:
    """Where the block's CPU went, by tier (bench/cpu.py, from /proc): the Celery workers
    this process started, this database's PostgreSQL backends, the server's shared
    processes (WAL writer, checkpointer: other databases' work included), and this
    process. `into["cpu_seconds"]` gets the seconds per tier, `into["cores_busy"]` their
    sum over the block's wall time: on two cores, 2.0 is a saturated machine and less says
    how much of the time the work waited instead of computing."""
    import cpu
    from django.db import connection

    me = os.getpid()
    database = connection.settings_dict["NAME"]
    window = cpu.Window({
        "workers (celery)": lambda: [pid for pid in cpu.children_of(me)
                                     if b"celery" in _cmdline(pid)],
        "postgresql (this database's backends)": lambda: _database_pids(database, shared=False),
        "postgresql shared processes (whole server)": lambda: _database_pids(database,
                                                                             shared=True),
        "benchmark process": lambda: [me],
    }, every=0.5)  # fmt: skip
    began = time.perf_counter()
    window.start()
    try:
        yield
    finally:
        used = window.stop()
        wall = time.perf_counter() - began
        into["cpu_seconds"] = {tier: round(seconds, 2) for tier, seconds in used.items()}
        into["cores_busy"] = round(sum(used.values()) / wall, 2) if wall else None


@contextmanager
def statements_measured(into: dict, top: int = 25) -> Iterator[None]:
    """With BENCH_STATEMENTS=1 and pg_stat_statements loaded by the server: the block's
    statements on this database, the `top` by total time, into `into["statements"]`
    (calls, rows, milliseconds in all and per call). A diagnostic: off by default, since
    the extension must be in the server's shared_preload_libraries."""
    from django.db import connection

    if os.environ.get("BENCH_STATEMENTS") != "1":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        cursor.execute("SELECT pg_stat_statements_reset()")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT calls, rows, round(total_exec_time::numeric, 1), "
                "round((total_exec_time / calls)::numeric, 3), left(regexp_replace(query, "
                "'\\s+', ' ', 'g'), 240) FROM pg_stat_statements s JOIN pg_database d "
                "ON d.oid = s.dbid WHERE d.datname = current_database() "
                "ORDER BY total_exec_time DESC LIMIT %s",
                [top],
            )
            into["statements"] = [
                {"calls": calls, "rows": rows, "ms": float(total), "ms_per_call": float(each),
                 "query": query}
                for calls, rows, total, each, query in cursor.fetchall()
            ]  # fmt: skip


def copy_out_seconds(selects: Sequence[str]) -> tuple[float, int]:
    """COPY (SELECT …) TO STDOUT of each statement, timed; returns (seconds, bytes)."""
    from django.db import connection

    size = 0
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for select in selects:
            with cursor.cursor.copy(f"COPY ({select}) TO STDOUT") as copy:
                for data in copy:
                    size += len(data)
    return time.perf_counter() - began, size


def copy_in_seconds(kept: dict[str, str]) -> dict:
    """For each table → the WHERE clause selecting the rows the job kept: those rows
    copied out (untimed), then COPY'd into a scratch copy of the table with its indexes
    and constraints (timed, one transaction like a job's chunk, then dropped). Returns
    seconds, and rows per table."""
    from django.db import connection, transaction

    quote = connection.ops.quote_name
    texts: dict[str, bytes] = {}
    rows: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table, where in kept.items():
            sink = io.BytesIO()
            with cursor.cursor.copy(
                f"COPY (SELECT * FROM {quote(table)} WHERE {where}) TO STDOUT"  # noqa: S608
            ) as copy:
                for data in copy:
                    sink.write(data)
            texts[table] = sink.getvalue()
            rows[table] = texts[table].count(b"\n")
    scratch = {table: f"floor_{table}"[:63] for table in kept}
    with connection.cursor() as cursor:
        for table, copy_name in scratch.items():
            cursor.execute(f"DROP TABLE IF EXISTS {quote(copy_name)}")
            cursor.execute(f"CREATE TABLE {quote(copy_name)} (LIKE {quote(table)} INCLUDING ALL)")
    import cpu

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    backend_cpu = cpu.cpu_of(backend) or 0.0
    began = time.perf_counter()
    by_table: dict[str, float] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for table, copy_name in scratch.items():
            table_began = time.perf_counter()
            with cursor.cursor.copy(f"COPY {quote(copy_name)} FROM STDIN") as copy:
                copy.write(texts[table])
            by_table[table] = round(time.perf_counter() - table_began, 3)
    seconds = time.perf_counter() - began
    # The PostgreSQL backend's CPU for the write (None when the server runs elsewhere).
    backend_after = cpu.cpu_of(backend)
    backend_seconds = None if backend_after is None else backend_after - backend_cpu
    with connection.cursor() as cursor:
        for copy_name in scratch.values():
            cursor.execute(f"DROP TABLE {quote(copy_name)}")
    return {
        "seconds": seconds,
        "rows": rows,
        "bytes": sum(len(t) for t in texts.values()),
        "backend_cpu_seconds": backend_seconds,
        "seconds_by_table": by_table,
    }


def batch_floor(version, run, edge, read_selects: Sequence[str]) -> dict:
    """The irreducible work of a batch run of `version` (run `run`, its clock's edge
    `edge`): work_floor over that version's claims and that run's chunk rows."""
    return work_floor([version.pk], f"run_id = {int(run.pk)}", edge, read_selects)


def work_floor(version_ids: Sequence[int], chunks_where: str, edge, read_selects: Sequence[str],
               also: dict[str, str] | None = None) -> dict:  # fmt: skip
    """The irreducible work of a job that made the claims of `version_ids` after `edge`, in
    this sitting: `read_selects` COPY'd out (what its evaluation reads), and every row it
    kept COPY'd into scratch copies of its tables (claims, disbursements, ledger legs,
    treasury records, audit rows, outbox events, notifications, the chunk rows
    `chunks_where` selects, and any table → WHERE in `also`)."""
    read_seconds, read_bytes = copy_out_seconds(read_selects)
    since = f"'{edge.isoformat()}'::timestamptz"
    ids = ", ".join(str(int(pk)) for pk in version_ids)
    claims = f"SELECT id FROM subsidies_claim WHERE version_id IN ({ids})"  # noqa: S608
    written = copy_in_seconds({
        **(also or {}),
        "subsidies_claim": f"version_id IN ({ids})",
        "subsidies_disbursement": f"claim_id IN ({claims})",
        "subsidies_ledgerentry": f"claim_id IN ({claims})",
        "subsidies_treasuryrecord": f"created_at >= {since}",
        "audit_auditevent": f"occurred_at >= {since}",
        "events_outboxevent": f"occurred_at >= {since}",
        "notifications_notification": f"created_at >= {since}",
        "subsidies_batchchunk": chunks_where,
    })  # fmt: skip
    return {
        "read_seconds": round(read_seconds, 3),
        "read_bytes": read_bytes,
        "write_seconds": round(written["seconds"], 3),
        "write_backend_cpu_seconds": None
        if written["backend_cpu_seconds"] is None
        else round(written["backend_cpu_seconds"], 3),
        "rows_by_table": written["rows"],
        "write_seconds_by_table": written["seconds_by_table"],
        "rows_written": sum(written["rows"].values()),
        "seconds": round(read_seconds + written["seconds"], 3),
    }


def extract_selects(fact_names: Sequence[str]) -> list[str]:
    """The SELECTs that read exactly the extract columns these facts live in, and the
    register's status (who is still in business): what a batch evaluation reads."""
    from django.db import connection

    from datahub.catalogue import CATALOGUE
    from datahub.extracts.subjects import column_name, table_name

    quote = connection.ops.quote_name
    by_department: dict[str, list[str]] = {}
    for name in dict.fromkeys(fact_names):
        by_department.setdefault(CATALOGUE[name].department, []).append(column_name(name))
    selects = [
        f"SELECT enterprise_id, {', '.join(quote(c) for c in columns)} "  # noqa: S608
        f"FROM {quote(table_name(department))}"
        for department, columns in by_department.items()
    ]
    return [*selects, "SELECT id, status FROM enterprises_enterprise"]


def updates_by_table(least: int = 1000) -> dict[str, dict[str, int]]:
    """Rows updated per table so far in this database, and how many of them in place (HOT:
    no index touched, the new version on the old one's page), for tables with at least
    `least` updates. The statistics are flushed at most a second after a transaction ends."""
    from django.db import connection

    time.sleep(1.5)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
            " WHERE n_tup_upd >= %s ORDER BY n_tup_upd DESC",
            [least],
        )
        return {
            name: {"updated": updated, "in_place": hot} for name, updated, hot in cursor.fetchall()
        }


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def gc_stats_dir() -> Path | None:
    """With BENCH_GC_STATS=1: a folder the worker processes started from now on write their
    garbage collections' counts and seconds into at exit (bench/gcstats/sitecustomize.py);
    read them with gc_stats() once the workers have stopped."""
    if os.environ.get("BENCH_GC_STATS") != "1":
        return None
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="bench-gc-"))
    here = str(Path(__file__).resolve().parent / "gcstats")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    os.environ["BENCH_GC_STATS_DIR"] = str(folder)
    return folder


def gc_stats(folder: Path) -> dict:
    """The workers' garbage collections by generation, summed: {generation: [count, s]}."""
    import json

    total: dict[str, list[float]] = {}
    for path in folder.glob("gc-*.json"):
        for generation, (count, seconds) in json.loads(path.read_text()).items():
            entry = total.setdefault(generation, [0, 0.0])
            entry[0] += count
            entry[1] = round(entry[1] + seconds, 3)
    return total
