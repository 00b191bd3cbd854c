"""Claim-to-paid on the real stack (issue: subsidy claims).

PostgreSQL, Redis and a real Celery worker process (16 threads), the simulated departments
at their default latencies (qinqing/settings.py HUB_SIMULATION) and the simulated treasury
(about 30 ms). Measures the time from `submit_claim` to the claim being PAID (polling the
database every 20 ms): one claimant at a time, 20 concurrent claimants, and sustained
throughput. Run: `DATABASE_URL=postgres://... REDIS_URL=redis://... make bench-claims`.
"""

import io
import json
import os
import platform
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from stack import setup  # noqa: E402

# No mail server runs beside the benchmark: without this, every paid claim's e-mail task
# failed to connect and was retried five times, billing the workers for retries a city's
# mail server would not cause. The e-mails are still rendered and "sent" (into memory).
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
setup("claims")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

# One worker process per core, each with threads: the checks mostly wait on departments.
WORKER_PROCESSES = int(os.environ.get("BENCH_WORKER_PROCESSES", os.cpu_count() or 2))
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", 16))
CONCURRENT_CLAIMS = int(os.environ.get("BENCH_CONCURRENT_CLAIMS", 800))
POLL = 0.05  # seconds between the poller's looks at the claims not yet settled


def cpu_seconds(worker_pids: list[int]) -> dict[str, float]:
    """CPU time used so far (user + system) by this process, the workers, and every
    PostgreSQL and Redis process on the machine, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")

    def of(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    def named(prefix: str) -> float:
        total = 0.0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    name = (entry / "comm").read_text().strip()
                except OSError:
                    continue
                if name.startswith(prefix):
                    total += of(int(entry.name))
        return total

    return {"claimants (bench process)": of(os.getpid()),
            "workers": sum(of(pid) for pid in worker_pids),
            "postgresql": named("postgres"), "redis": named("redis-server")}  # fmt: skip


def percentiles(samples):
    ordered = sorted(samples)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)  # noqa: E731
    return {"n": len(ordered), "p50_ms": pick(0.5), "p95_ms": pick(0.95), "p99_ms": pick(0.99)}


def main() -> None:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        sys.exit("needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
    from accounts.models import User
    from policies.models import Policy
    from qinqing.worker_process import (
        database_url_for_current_connection,
        queues_of,
        running_worker,
    )
    from subsidies.claims import submit_claim
    from subsidies.models import Claim, ClaimStatus

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    results = {"worker_processes": WORKER_PROCESSES, "threads_per_worker": WORKER_THREADS,
               "python": platform.python_version(), "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores"}  # fmt: skip
    try:
        out = io.StringIO()
        call_command("seed_demo", enterprises=6000, seed=2021, stdout=out)
        call_command("refresh_extracts", purpose="benchmark", stdout=out)
        call_command("seed_demo_policies", leave_batch_runs=True, stdout=out)
        policy = Policy.objects.get(code="stable-jobs-2026")
        claimant = User.objects.get(username="enterprise")
        from enterprises.models import Enterprise, EnterpriseMembership

        # The publication queued the policy's batch run ("enjoy without applying"), which
        # would pay the same enterprises before they claim: drop it, then claim as the
        # enterprises that qualify (the batch evaluation says which), so that every claim
        # measured ends paid.
        from policies.evaluation import evaluate_all
        from qinqing.celery import app as celery_app

        with celery_app.connection_for_write() as broker:
            for queue in queues_of(settings.CELERY_TASK_DEFAULT_QUEUE):
                broker.default_channel.queue_purge(queue)
        decision = evaluate_all(policy.versions.get(status="published"))
        qualifying = set(decision.enterprise_ids[decision.eligible].tolist())
        enterprises = [e for e in Enterprise.objects.order_by("id") if e.pk in qualifying]
        results["claimants_available"] = len(enterprises)
        EnterpriseMembership.objects.bulk_create(
            [EnterpriseMembership(enterprise=e, user=claimant, role="agent") for e in enterprises],
            ignore_conflicts=True,
        )
        queue = iter(enterprises)
        breakdown: list[tuple[float, float]] = []
        lock = threading.Lock()
        # One poller for every claimant: a query every POLL seconds for all the claims not
        # yet settled, instead of one query per claimant per poll (which billed the
        # claimants' figure with polling rather than with the click).
        outstanding: dict[int, tuple[threading.Event, list]] = {}
        stop = threading.Event()
        unsettled = (ClaimStatus.SUBMITTED, ClaimStatus.CHECKING, ClaimStatus.ELIGIBLE,
                     ClaimStatus.PAYING)  # fmt: skip

        def poll() -> None:
            try:
                while not stop.wait(POLL):
                    with lock:
                        waiting = dict(outstanding)
                    if not waiting:
                        continue
                    try:
                        settled = list(Claim.objects.filter(pk__in=list(waiting))
                                       .exclude(status__in=unsettled)
                                       .values_list("pk", "updated_at"))  # fmt: skip
                    except OperationalError:  # the connection was cut: look again
                        connections.close_all()
                        continue
                    for pk, settled_at in settled:
                        done, box = waiting[pk]
                        box.append(settled_at)
                        with lock:
                            outstanding.pop(pk, None)
                        done.set()
            finally:
                connections.close_all()

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()

        def claim_one() -> float:
            """From the click (submit) to the moment the claim was settled, by the time the
            server stamped on its last change: the poller only learns that it is done, so
            its interval neither adds to the figure nor loads the machine much."""
            with lock:
                enterprise = next(queue)
            started = time.time()
            claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=claimant)
            submitted = time.time()
            done, box = threading.Event(), []
            with lock:
                outstanding[claim.pk] = (done, box)
            if not done.wait(timeout=120):  # a claim stuck is a finding, not a hang
                raise RuntimeError(f"claim {claim.pk} not settled within 120 s")
            settled_at = box[0]
            # Where the time went: the click itself (recording the claim and queueing its
            # check), then the worker (departments, decision, treasury, booking).
            breakdown.append(((submitted - started) * 1000,
                              (settled_at.timestamp() - submitted) * 1000))  # fmt: skip
            return (settled_at.timestamp() - started) * 1000

        worker_pids: list[int] = []
        with ExitStack() as workers:
            for number in range(WORKER_PROCESSES):
                worker_pids.append(workers.enter_context(running_worker(
                    database_url=database_url_for_current_connection(),
                    settings_module="qinqing.settings",
                    log_path=ROOT / "var" / f"bench-claims-worker-{number}.log",
                    concurrency=WORKER_THREADS,
                )).pid)  # fmt: skip
            for _ in range(5):
                claim_one()
            results["one_claimant"] = percentiles([claim_one() for _ in range(60)])
            print("one claimant:", results["one_claimant"])

            # Each claimant thread keeps its database connection, as a web process does
            # (CONN_MAX_AGE): opening one per claim cost PostgreSQL a new backend each
            # time, CPU that /proc lost track of when the backend exited.
            def worker_thread(_index):
                return claim_one()

            everyone = threading.Barrier(20)

            def close_connection(_index):
                everyone.wait()  # one call on each of the pool's twenty threads
                connections.close_all()

            cpu_before = cpu_seconds(worker_pids)
            with ThreadPoolExecutor(max_workers=20) as pool:
                started = time.perf_counter()
                samples = list(pool.map(worker_thread, range(CONCURRENT_CLAIMS)))
                seconds = time.perf_counter() - started
                cpu_after = cpu_seconds(worker_pids)
                list(pool.map(close_connection, range(20)))
            # Where the two cores went, per paid claim: the claimants (this process), the
            # workers, PostgreSQL and Redis.
            results["cpu_ms_per_claim"] = {
                name: round((cpu_after[name] - cpu_before[name]) * 1000 / CONCURRENT_CLAIMS, 1)
                for name in cpu_after
            }
            print("CPU per claim (ms):", results["cpu_ms_per_claim"])
            results["twenty_concurrent"] = percentiles(samples)
            recent = breakdown[-CONCURRENT_CLAIMS:]
            results["twenty_concurrent"]["submit"] = percentiles([a for a, _ in recent])
            results["twenty_concurrent"]["after_submit"] = percentiles([b for _, b in recent])
            results["twenty_concurrent"]["claims_per_second"] = round(
                CONCURRENT_CLAIMS / seconds, 1
            )
            print("20 concurrent:", results["twenty_concurrent"])
        stop.set()
        poller.join()
        counts = Claim.objects.values("status").annotate(n=Count("id"))
        statuses = {row["status"]: row["n"] for row in counts}
        results["final_statuses"] = statuses
        print("statuses:", statuses)
    finally:
        # Whatever connection a claimant thread still holds would stop the drop.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    target = ROOT / "bench" / "results" / "claims-postgresql.json"
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
