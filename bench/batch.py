""" "Enjoy without applying" at city scale (issue #24).

PostgreSQL, Redis and real Celery worker processes. For each size (BENCH_BATCH_SIZES,
default 100,000; the target is 1,000,000): seed the register, refresh the department
extracts, publish the demo job-stability policy (automatic mode) and time its batch run
from the moment it is started — once every worker process has answered a ping addressed
to it by name — to every qualifying enterprise decided (claims made, budget reserved) and
to every payment confirmed by the simulated treasury (one payment file per chunk).

The floor, measured in the same sitting on the same database (bench/bulkkit.py): a COPY
out of exactly the extract columns the batch reads, and a COPY into scratch copies of the
same tables with the same indexes of exactly the rows the run kept (claims,
disbursements, ledger legs, treasury records, audit, outbox, notifications, chunk rows).
The run is reported as a multiple of that floor, and as claims/s and rows/s beside the
floor's claims/s and rows/s.

Run: `DATABASE_URL=postgres://... REDIS_URL=redis://... make bench-batch`
(BENCH_BATCH_SIZES=1000000 for the target). Writes bench/results/batch-postgresql.json.
"""

import io
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bulkkit  # noqa: E402
from stack import setup  # noqa: E402

setup("batch")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_BATCH_SIZES", "100000").split(",")]
# Batch work is CPU-bound: one worker process per core, two threads each to overlap the
# database round trips.
WORKER_PROCESSES = int(os.environ.get("BENCH_WORKER_PROCESSES", os.cpu_count() or 2))
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", 2))
DEADLINE_SECONDS = 1800


def one_size(enterprises: int) -> dict:
    from policies.models import Policy
    from qinqing.celery import app as celery_app
    from qinqing.worker_process import queues_of
    from subsidies.models import BatchChunk, BatchRun, Claim
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
    with connection.cursor() as cursor:  # the clock's edge: rows older than it are not ours
        cursor.execute("SELECT now()")
        edge = cursor.fetchone()[0]
    with bulkkit.workers(WORKER_PROCESSES, WORKER_THREADS, name="batch",
                         log_dir=ROOT / "var") as nodes:  # fmt: skip
        figures["workers"] = nodes
        figures["load_average_at_start"] = bulkkit.load_average()
        started = time.time()
        start_batch_run.delay(version.pk)
        while time.time() - started < DEADLINE_SECONDS:
            run = BatchRun.objects.filter(version=version).first()
            if run is not None and run.status != BatchRun.Status.RUNNING:
                break
            time.sleep(0.05)
        figures["load_average_at_end"] = bulkkit.load_average()
        run = BatchRun.objects.get(version=version)
    decided = run.decided_at.timestamp() - started if run.decided_at else None
    paid = run.finished_at.timestamp() - started if run.finished_at else None
    chunks = list(BatchChunk.objects.filter(run=run).order_by("decided_at")
                  .values_list("decided_at", "paid_at"))  # fmt: skip
    figures.update(
        status=run.status,
        qualified=run.qualified,
        chunks=run.chunks,
        seconds_to_all_decided=round(decided, 2) if decided else None,
        seconds_to_all_paid=round(paid, 2) if paid else None,
        # Deciding and paying overlap: the first chunk's payments are through long before
        # the last chunk is decided.
        first_chunk_decided_seconds=round(chunks[0][0].timestamp() - started, 2)
        if chunks
        else None,
        first_chunk_paid_seconds=round(min(p for _d, p in chunks if p).timestamp() - started, 2)
        if any(p for _d, p in chunks)
        else None,
        claims_by_status=dict(
            Claim.objects.filter(version=version).values_list("status").annotate(n=Count("id"))
        ),
    )
    figures["floor"] = floor(version, run, edge)
    floor_seconds = figures["floor"]["seconds"]
    rows = figures["floor"]["rows_written"]
    if paid:
        figures["claims_per_second"] = round(run.qualified / paid)
        figures["rows_per_second"] = round(rows / paid)
        figures["multiple_of_floor"] = round(paid / floor_seconds, 2)
    if decided:
        figures["decided_claims_per_second"] = round(run.qualified / decided)
    figures["floor"]["claims_per_second"] = round(run.qualified / floor_seconds)
    figures["floor"]["rows_per_second"] = round(rows / floor_seconds)
    return figures


def floor(version, run, edge) -> dict:
    """The irreducible work of this run, in this sitting (bench/bulkkit.py)."""

    read_seconds, read_bytes = bulkkit.copy_out_seconds(
        bulkkit.extract_selects(version.rules.fact_names)
    )
    since = f"'{edge.isoformat()}'::timestamptz"
    claims = f"SELECT id FROM subsidies_claim WHERE version_id = {int(version.pk)}"  # noqa: S608
    kept = {
        "subsidies_claim": f"version_id = {int(version.pk)}",
        "subsidies_disbursement": f"claim_id IN ({claims})",
        "subsidies_ledgerentry": f"claim_id IN ({claims})",
        "subsidies_treasuryrecord": f"created_at >= {since}",
        "audit_auditevent": f"occurred_at >= {since}",
        "events_outboxevent": f"occurred_at >= {since}",
        "notifications_notification": f"created_at >= {since}",
        "subsidies_batchchunk": f"run_id = {int(run.pk)}",
    }
    written = bulkkit.copy_in_seconds(kept)
    return {
        "read_seconds": round(read_seconds, 3),
        "read_bytes": read_bytes,
        "write_seconds": round(written["seconds"], 3),
        "rows_by_table": written["rows"],
        "rows_written": sum(written["rows"].values()),
        "seconds": round(read_seconds + written["seconds"], 3),
    }


def main() -> None:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        sys.exit("needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
    setup_test_environment()
    results = {"when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "command": "make bench-batch (BENCH_BATCH_SIZES=" + ",".join(map(str, SIZES)) + ")",
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
