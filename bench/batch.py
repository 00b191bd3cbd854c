""" "Enjoy without applying" at city scale (issues #24 and #25).

PostgreSQL, Redis and real Celery worker processes. For each size (BENCH_BATCH_SIZES,
default 100,000; the target is 1,000,000): seed the register, refresh the department
extracts, publish the demo policies (the job-stability one is automatic); then, for each
scenario, on its own copy of that database (CREATE DATABASE … TEMPLATE, so every scenario
starts from the same rows), time the job-stability policy's batch run from the moment it
is started — once every worker process has answered a ping addressed to it by name — to
every qualifying enterprise decided (claims made, budget reserved) and to every payment
confirmed by the simulated treasury (one payment file per chunk).

Scenarios (BENCH_BATCH_SCENARIOS, default all three; issue #25, "workers spread over
hosts"):

- `one`: one worker process on every queue;
- `two`: BENCH_WORKER_PROCESSES (default: one per core, 2 here) on every queue: the
  figure the earlier sittings reported;
- `two+instant`: those batch workers on the batch and notification queues only, and one
  worker for the instant queue beside them (BENCH_INSTANT_THREADS threads). One claimant
  in this process submits instant claims of the small-business rent policy (its own qualifying
  enterprises), one at a time, BENCH_PROBE_CLAIMS of them before the batch starts (the
  latency without the batch) and then without pause until the batch is paid (the latency
  during it): from submission to settled, by the server's stamps (created_at to
  updated_at) and as the claimant saw it (polling every 5 ms). p50 and p95 of both;
- `two+instant+nice` (not run unless named): the same, the batch workers at a lower CPU
  priority (`nice -n 10`), as one host running both kinds of worker would start them.

The floor, measured in the same sitting on the same database (bench/bulkkit.py), after
each scenario: a COPY out of exactly the extract columns the batch reads, and a COPY into
scratch copies of the same tables with the same indexes of exactly the rows the run kept
(claims, disbursements, ledger legs, treasury records, audit, outbox, notifications, chunk
rows; in `two+instant` also the few rows of the instant claims made during the batch).
The run is reported as a multiple of that floor, and as claims/s and rows/s beside the
floor's claims/s and rows/s.

Run: `DATABASE_URL=postgres://... REDIS_URL=redis://... make bench-batch`
(BENCH_BATCH_SIZES=1000000 for the target). Writes bench/results/batch-postgresql.json:
per size the scenarios, and at the top of each size the `two` scenario's figures, as the
earlier sittings wrote them.
"""

import io
import json
import os
import platform
import sys
import threading
import time
from contextlib import ExitStack
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
SCENARIOS = os.environ.get("BENCH_BATCH_SCENARIOS", "one,two,two+instant").split(",")
# Batch work is CPU-bound: one worker process per core, two threads each to overlap the
# database round trips.
WORKER_PROCESSES = int(os.environ.get("BENCH_WORKER_PROCESSES", os.cpu_count() or 2))
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", 2))
INSTANT_THREADS = int(os.environ.get("BENCH_INSTANT_THREADS", 4))
PROBE_CLAIMS = int(os.environ.get("BENCH_PROBE_CLAIMS", 40))
PROBE_POLICY = "small-rent-2026"  # confirm mode: a claim is checked and paid at once
UNSETTLED = {"submitted", "checking", "eligible", "paying", "awaiting_data"}
DEADLINE_SECONDS = 1800


def one_size(enterprises: int) -> dict:
    from policies.models import Policy
    from qinqing.celery import app as celery_app
    from qinqing.worker_process import queues_of

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
    version_pk = Policy.objects.get(code="stable-jobs-2026").versions.get(status="published").pk
    claimants = probe_claimants()
    figures["scenarios"] = {}
    seeded = connection.settings_dict["NAME"]
    for number, scenario in enumerate(SCENARIOS):
        copy = f"qq_bench_{os.getpid()}_{number}"
        connections.close_all()
        admin_sql(f'CREATE DATABASE "{copy}" TEMPLATE "{seeded}"')
        connection.settings_dict["NAME"] = copy
        try:
            figures["scenarios"][scenario] = one_scenario(scenario, version_pk, claimants)
        finally:
            connections.close_all()
            connection.settings_dict["NAME"] = seeded
            admin_sql(f'DROP DATABASE IF EXISTS "{copy}"')
            forget_cached()
        print(scenario, json.dumps(figures["scenarios"][scenario], ensure_ascii=False))
    figures.update(figures["scenarios"].get("two", {}))
    return figures


def admin_sql(statement: str) -> None:
    """A statement outside any database of the run (CREATE/DROP DATABASE)."""
    import psycopg

    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(statement)


def forget_cached() -> None:
    """This run's cache keys (facts fetched by the instant claims): the next scenario
    starts as cold as the first. Only keys of this run's prefix, in this run's Redis db."""
    import redis

    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    if not prefix:
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


def probe_claimants() -> list[int]:
    """The enterprises the instant claimant claims for: those the rent policy's own
    evaluation finds qualifying (so that a claim goes through the whole path, to paid)."""
    from policies.evaluation import evaluate_all
    from policies.models import Policy

    policy = Policy.objects.get(code=PROBE_POLICY)
    decision = evaluate_all(policy.versions.get(status="published"))
    return decision.enterprise_ids[decision.eligible].tolist()


def one_scenario(scenario: str, version_pk: int, claimants: list[int]) -> dict:
    from policies.models import PolicyVersion
    from qinqing.worker_process import queues_of
    from subsidies.models import BatchChunk, BatchRun, Claim
    from subsidies.tasks import start_batch_run

    batch_queues = queues_of(settings.CELERY_TASK_DEFAULT_QUEUE)
    instant = scenario.startswith("two+instant")
    nice = 10 if scenario.endswith("+nice") else 0
    processes = 1 if scenario == "one" else WORKER_PROCESSES
    if instant:  # the default queue (instant checks and payments) to a worker of its own
        batch_queues = [
            queue for queue in batch_queues if queue != settings.CELERY_TASK_DEFAULT_QUEUE
        ]
    figures: dict = {"worker_processes": processes, "threads_per_worker": WORKER_THREADS,
                     "queues": batch_queues, "batch_workers_nice": nice}  # fmt: skip
    version = PolicyVersion.objects.get(pk=version_pk)
    with ExitStack() as stack:
        figures["workers"] = stack.enter_context(bulkkit.workers(
            processes, WORKER_THREADS, name=f"batch-{scenario}", log_dir=ROOT / "var",
            queues=batch_queues, nice=nice))  # fmt: skip
        if instant:
            figures["instant_worker"] = stack.enter_context(bulkkit.workers(
                1, INSTANT_THREADS, name="batch-instant", log_dir=ROOT / "var",
                queues=[settings.CELERY_TASK_DEFAULT_QUEUE]))  # fmt: skip
            pending = iter(claimants)
            figures["instant_without_batch"] = summary(probe(pending, lambda: False, PROBE_CLAIMS))
        if os.environ.get("BENCH_WITHOUT_DASHBOARD_TRIGGERS") == "1":
            # A diagnostic: what keeping the dashboards' tallies current costs the run.
            with connection.cursor() as cursor:
                for table in ("subsidies_claim", "subsidies_disbursement"):
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            figures["dashboard_triggers"] = "disabled"
        with connection.cursor() as cursor:  # the clock's edge: rows older than it are not ours
            cursor.execute("SELECT now()")
            edge = cursor.fetchone()[0]
        figures["load_average_at_start"] = bulkkit.load_average()
        done = threading.Event()
        during: list[dict] = []
        if instant:
            prober = threading.Thread(
                target=lambda: during.extend(probe(pending, done.is_set, None)), daemon=True
            )
        started = time.time()
        with bulkkit.cpu_measured(figures), bulkkit.statements_measured(figures):
            start_batch_run.delay(version.pk)
            if instant:
                prober.start()
            while time.time() - started < DEADLINE_SECONDS:
                run = BatchRun.objects.filter(version=version).first()
                if run is not None and run.status != BatchRun.Status.RUNNING:
                    break
                time.sleep(0.05)
        done.set()
        figures["load_average_at_end"] = bulkkit.load_average()
        if instant:
            prober.join(timeout=120)
            figures["instant_during_batch"] = summary(during)
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


def probe(enterprises, stop, limit: int | None) -> list[dict]:
    """One claimant: an instant claim of the rent policy for the next enterprise, waited
    for until settled, then the next, until `stop()` or `limit` claims. Runs in its own
    thread during the batch (its own database connection, closed at the end)."""
    from enterprises.models import Enterprise
    from policies.models import Policy
    from subsidies.claims import submit_claim
    from subsidies.errors import ClaimRefused
    from subsidies.models import Claim

    policy = Policy.objects.get(code=PROBE_POLICY)
    version = policy.versions.get(status="published")
    samples: list[dict] = []
    try:
        while not stop() and (limit is None or len(samples) < limit):
            enterprise = Enterprise.objects.get(pk=next(enterprises))
            began = time.perf_counter()
            try:
                claim, _new = submit_claim(enterprise=enterprise, policy=policy, actor=None,
                                           version=version, member=True)  # fmt: skip
            except ClaimRefused:
                continue
            while True:
                status, made, changed = Claim.objects.filter(pk=claim.pk).values_list(
                    "status", "created_at", "updated_at").get()  # fmt: skip
                if status not in UNSETTLED or time.perf_counter() - began > 60:
                    break
                time.sleep(0.005)
            samples.append({"status": status,
                            "server_ms": (changed - made).total_seconds() * 1000,
                            "seen_ms": (time.perf_counter() - began) * 1000})  # fmt: skip
    except StopIteration:
        pass
    finally:
        if threading.current_thread() is not threading.main_thread():
            connection.close()
    return samples


def summary(samples: list[dict]) -> dict:
    def pct(values: list[float], q: float) -> float | None:
        if not values:
            return None
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    statuses: dict[str, int] = {}
    for sample in samples:
        statuses[sample["status"]] = statuses.get(sample["status"], 0) + 1
    server = [sample["server_ms"] for sample in samples]
    seen = [sample["seen_ms"] for sample in samples]
    return {"claims": len(samples), "by_status": statuses,
            "server_ms_p50": pct(server, 0.5), "server_ms_p95": pct(server, 0.95),
            "seen_ms_p50": pct(seen, 0.5), "seen_ms_p95": pct(seen, 0.95)}  # fmt: skip


def floor(version, run, edge) -> dict:
    """The irreducible work of this run, in this sitting (bench/bulkkit.py)."""
    return bulkkit.batch_floor(version, run, edge,
                               bulkkit.extract_selects(version.rules.fact_names))  # fmt: skip


def main() -> None:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        sys.exit("needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
    setup_test_environment()
    results = {"when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "command": "make bench-batch (BENCH_BATCH_SIZES=" + ",".join(map(str, SIZES)) + ")",
               "worker_processes": WORKER_PROCESSES, "threads_per_worker": WORKER_THREADS,
               "scenarios": SCENARIOS, "runs": []}  # fmt: skip
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
