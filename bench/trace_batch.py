"""Where a batch run's time goes, without a profiler's distortion: the run of bench/batch.py
with its tasks inline (one process, no broker hop) on PostgreSQL, every SQL statement and
COPY timed at the driver (count and wall time per statement shape), and the pipeline's
steps timed inclusively. Python's own share is a step's time minus its statements'.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/trace_batch.py

BENCH_PROFILE_SIZE (default 20,000 enterprises). Prints tables; writes nothing.
"""

import functools
import io
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from stack import setup  # noqa: E402

setup("trace-batch")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SIZE = int(os.environ.get("BENCH_PROFILE_SIZE", "20000"))
# BENCH_TRACE_PERSONS=N: the employee rent subsidy over N persons (SIZE enterprises) instead.
PERSONS = int(os.environ.get("BENCH_TRACE_PERSONS", "0"))
STATEMENTS: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
STEPS: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
_SHAPE = re.compile(r"\s+")


def shape(sql: str) -> str:
    """A statement's shape: its first words and tables, without the values."""
    sql = _SHAPE.sub(" ", sql.strip())
    sql = re.sub(r"%s(, %s)*", "…", sql)
    sql = re.sub(r"\b\d+\b", "N", sql)
    return sql[:110]


def timed_statement(execute, sql, params, many, context):
    began = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        entry = STATEMENTS[shape(sql)]
        entry[0] += 1
        entry[1] += time.perf_counter() - began


def step(module, name: str, label: str | None = None) -> None:
    """Time `module.name` inclusively under `label`, wherever it is called from."""
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            entry = STEPS[label or f"{module.__name__}.{name}"]
            entry[0] += 1
            entry[1] += time.perf_counter() - began

    setattr(module, name, wrapper)
    return wrapper


def main() -> None:
    import qinqing.bulk as bulk
    import subsidies.batch as batch
    import subsidies.notifications as notifications
    import subsidies.payments as payments
    from policies.models import Policy
    from qinqing import transitions
    from qinqing.audit import services as audit
    from subsidies.models import BatchRun

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        out = io.StringIO()
        call_command("seed_demo", enterprises=SIZE, seed=2021, stdout=out)
        if PERSONS:
            from persons import residents

            from enterprises.persons.services import register_many

            register_many(residents(PERSONS))
        call_command("refresh_extracts", purpose="benchmark", stdout=out)
        # Published with tasks queued to the broker (nobody takes them), then run inline.
        call_command("seed_demo_policies", budget=10**11, leave_batch_runs=True, stdout=out)
        settings.CELERY_TASK_ALWAYS_EAGER = True
        from qinqing.celery import app

        app.conf.task_always_eager = True
        code = "employee-rent-2026" if PERSONS else "stable-jobs-2026"
        version = Policy.objects.get(code=code).versions.get(status="published")
        BatchRun.objects.filter(version=version).delete()
        # Copies are timed as statements too (the driver's COPY is not an execute).
        for name in ("copy_rows", "copy_text"):
            original = getattr(bulk, name)

            def copy(table, columns, rows, _original=original, _name=name):
                began = time.perf_counter()
                try:
                    return _original(table, columns, rows)
                finally:
                    entry = STATEMENTS[f"COPY {table} ({_name})"]
                    entry[0] += 1
                    entry[1] += time.perf_counter() - began

            setattr(bulk, name, copy)
        for module, names in (
            (
                batch,
                [
                    "start",
                    "decide_claims",
                    "settle",
                    "facts_by_row",
                    "_enterprise_candidates",
                    "_person_candidates",
                    "person_rows",
                    "_finish_if_complete",
                    "chunk_tally",
                ],
            ),
            (
                payments,
                [
                    "disburse_values",
                    "send",
                    "confirm_many",
                    "reserve_budget",
                    "budget_left",
                    "lock_paying_claims",
                    "move_claims",
                ],
            ),
            (notifications, ["notify_claims"]),
            (audit, ["record_rows", "record_values", "record_events"]),
            (transitions, ["move_many"]),
            (bulk, ["insert_values"]),
        ):
            for name in names:
                if hasattr(module, name):
                    step(module, name)
        # Names imported into other modules keep the original: wrap them where they are used.
        for module in (batch, payments):
            for name in (
                "insert_values",
                "record_rows",
                "move_many",
                "notify_claims",
                "disburse_values",
                "send",
                "confirm_many",
                "reserve_budget",
                "budget_left",
                "move_claims",
                "lock_paying_claims",
            ):
                if hasattr(module, name) and not hasattr(getattr(module, name), "__wrapped__"):
                    step(module, name, f"{module.__name__.split('.')[0]}…{name}")
        from subsidies import gateway as gateway_module

        treasury = gateway_module.gateway()
        step(type(treasury), "pay_many", "treasury.pay_many")
        from policies import evaluation

        step(batch, "evaluate_all", "policies.evaluation.evaluate_all")
        step(evaluation, "evaluate_all_persons")
        from datahub.extracts import persons as person_extracts

        step(person_extracts, "read_person_snapshot")
        if os.environ.get("BENCH_SERVER_LOG") == "1":
            # Every statement's server-side duration in PostgreSQL's log (a bench-only
            # session setting, never in the product): read with bench/trace_log.py.
            with connection.cursor() as cursor:
                cursor.execute("SET log_min_duration_statement = 0")
                cursor.execute("SELECT pg_backend_pid()")
                print("backend pid", cursor.fetchone()[0])
        for statement in filter(None, os.environ.get("BENCH_TRACE_SQL", "").split(";")):
            with connection.cursor() as cursor:  # an experiment's schema change, untimed
                cursor.execute(statement)
        with connection.cursor() as cursor:  # the floor's edge: rows older are not this run's
            cursor.execute("SELECT now()")
            edge = cursor.fetchone()[0]
        from gcstats import sitecustomize as collections_counted  # counts from its import

        from qinqing import boot

        boot.settle()  # as a worker process does once ready
        collections_counted.collected.clear()
        began, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(timed_statement):
            run = start_run(batch, version.pk)
        total, cpu = time.perf_counter() - began, time.process_time() - cpu
        counted = sorted(collections_counted.collected.items())
        print("garbage collections (generation: count, seconds):",
              {g: (n, round(t, 2)) for g, (n, t) in counted})  # fmt: skip
        print(
            f"run {run.status}: {run.qualified} claims in {total:.2f} s, "
            f"of which this process's CPU {cpu:.2f} s (the rest: waiting for PostgreSQL)"
        )
        import bulkkit

        if PERSONS:
            from persons import floor as persons_floor

            floor = persons_floor(version, run, edge)
        else:
            selects = bulkkit.extract_selects(version.rules.fact_names)
            floor = bulkkit.batch_floor(version, run, edge, selects)
        seconds = floor["seconds"]
        print(f"floor {seconds:.2f} s (read {floor['read_seconds']:.2f}, write "
              f"{floor['write_seconds']:.2f}, {floor['rows_written']} rows): the run is "
              f"{total / seconds:.1f}x, its own CPU {cpu / seconds:.1f}x")  # fmt: skip
        db = sum(t for _n, t in STATEMENTS.values())
        print(
            f"statements: {sum(n for n, _t in STATEMENTS.values())}, "
            f"{db:.2f} s at the driver ({db / total:.0%})"
        )
        print("\nsteps (inclusive):")
        for label, (n, t) in sorted(STEPS.items(), key=lambda kv: -kv[1][1]):
            print(f"  {t:8.3f} s {n:6d}×  {label}")
        print("\nstatements by shape:")
        for label, (n, t) in sorted(STATEMENTS.items(), key=lambda kv: -kv[1][1])[:45]:
            print(f"  {t:8.3f} s {n:6d}×  {label}")
    finally:
        connections.close_all()
        if os.environ.get("BENCH_KEEP") != "1":  # BENCH_KEEP=1 keeps test_<name> to look at
            connection.creation.destroy_test_db(old_name, verbosity=0)


def start_run(batch, version_id):
    return batch.start(version_id)


if __name__ == "__main__":
    main()
