""" "Enjoy without applying" at city scale (issue: subsidy claims).

PostgreSQL, Redis and real Celery worker processes. For each size (default 100,000 and
1,000,000 enterprises): seed the register, refresh the department extracts, publish the
demo job-stability policy (automatic mode) and time its batch run from the moment it is
started: to every qualifying enterprise decided (claims made, budget reserved), and to
every payment confirmed by the simulated treasury (one payment file per chunk).

Run: `DATABASE_URL=postgres://... REDIS_URL=redis://... make bench-batch`
(BENCH_BATCH_SIZES=100000 for the smaller one only). Writes bench/results/batch-postgresql.json.
"""

import io
import json
import os
import platform
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from stack import setup  # noqa: E402

setup("batch")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_BATCH_SIZES", "100000,1000000").split(",")]
# Batch work is CPU-bound: one worker process per core, two threads each to overlap the
# database round trips.
WORKER_PROCESSES = int(os.environ.get("BENCH_WORKER_PROCESSES", os.cpu_count() or 2))
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", 2))
DEADLINE_SECONDS = 1800


def one_size(enterprises: int) -> dict:
    from policies.models import Policy
    from qinqing.celery import app as celery_app
    from qinqing.worker_process import (
        database_url_for_current_connection,
        queues_of,
        running_worker,
    )
    from sandbox.treasury.models import TreasuryRecord
    from subsidies.models import BatchRun, Claim, LedgerEntry
    from subsidies.tasks import start_batch_run

    figures: dict = {"enterprises": enterprises}
    out = io.StringIO()
    began = time.perf_counter()
    call_command("seed_demo", enterprises=enterprises, seed=2021, stdout=out)
    figures["seed_seconds"] = round(time.perf_counter() - began, 1)
    began = time.perf_counter()
    call_command("refresh_extracts", purpose="benchmark", stdout=out)
    figures["extracts_seconds"] = round(time.perf_counter() - began, 1)
    call_command("seed_demo_policies", budget=10**11, leave_batch_runs=True, stdout=out)
    # Enough money for everyone (the run measures throughput, not the budget's end). The
    # publication queued the demo policies' runs: drop them and start the one measured by
    # hand, with the clock running, once the workers are up.
    with celery_app.connection_for_write() as broker:
        for queue in queues_of(settings.CELERY_TASK_DEFAULT_QUEUE):
            broker.default_channel.queue_purge(queue)
    version = Policy.objects.get(code="stable-jobs-2026").versions.get(status="published")
    with ExitStack() as workers:
        for number in range(WORKER_PROCESSES):
            workers.enter_context(running_worker(
                database_url=database_url_for_current_connection(),
                settings_module="qinqing.settings",
                log_path=ROOT / "var" / f"bench-batch-worker-{number}.log",
                concurrency=WORKER_THREADS,
            ))  # fmt: skip
        started = time.time()
        start_batch_run.delay(version.pk)
        while time.time() - started < DEADLINE_SECONDS:
            run = BatchRun.objects.filter(version=version).first()
            if run is not None and run.status != BatchRun.Status.RUNNING:
                break
            time.sleep(1)
        run = BatchRun.objects.get(version=version)
    figures.update(
        status=run.status,
        qualified=run.qualified,
        chunks=run.chunks,
        seconds_to_all_decided=round(run.decided_at.timestamp() - started, 1)
        if run.decided_at
        else None,
        seconds_to_all_paid=round(run.finished_at.timestamp() - started, 1)
        if run.finished_at
        else None,
        claims_by_status=dict(
            Claim.objects.filter(version=version).values_list("status").annotate(n=Count("id"))
        ),
        treasury_payments=TreasuryRecord.objects.count(),
        ledger_entries=LedgerEntry.objects.count(),
    )
    if figures["seconds_to_all_decided"]:
        figures["decided_per_second"] = round(run.qualified / figures["seconds_to_all_decided"])
    if figures["seconds_to_all_paid"]:
        figures["paid_per_second"] = round(run.qualified / figures["seconds_to_all_paid"])
    return figures


def main() -> None:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        sys.exit("needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
    setup_test_environment()
    results = {"when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "worker_processes": WORKER_PROCESSES, "threads_per_worker": WORKER_THREADS,
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
    target = ROOT / "bench" / "results" / "batch-postgresql.json"
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
