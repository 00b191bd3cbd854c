"""A Redis outage on the real stack, mid-stream (issue #19: the web tier never waits on Redis).

Everything real and of this run's own: a redis-server on a free port (broker, cache, the
claim check list), a PostgreSQL database beside DATABASE_URL's (created and dropped),
gunicorn (2 processes x 8 threads, DEBUG off), a Celery worker and Celery beat (the real
schedule: the owed-work sweep every OWED_WORK_SECONDS). Client threads claim through
`POST /api/v1/claims/` (token, Idempotency-Key) and read pages (session) and the API over
HTTP, while Redis is:

    up (--before s)  ->  killed: nothing listens on its port (--outage s)  ->  started again

(without persistence: every queued message and the check list are lost, the worst an
outage can do). The stream stops when Redis returns; then the run waits for every claim.

Checked, and written to bench/results/faults_outage.json:
- during the outage, `POST /api/v1/claims/` p99 under 500 ms, and every request (claims,
  pages, API reads) answered below 500;
- every claim made during the outage decided (out of submitted/checking) within 60 s of
  Redis' return, and none left in flight (eligible/paying) at the end;
- nothing lost: every claim answered 201/200 is in the database, one per enterprise,
  policy and period; no double payment: at most one treasury payment per claim and per
  enterprise, policy and period, every one of them a confirmed disbursement.

Run: `DATABASE_URL=postgres://... make faults-outage` or `python bench/faults_outage.py
--before 8 --outage 20` (the short form: tests/reliability/test_redis_outage.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from faults import OwnRedis  # noqa: E402
from loadkit import create_test_db, free_port, gunicorn, production_env  # noqa: E402

DECIDED_WITHIN = 60.0
P99_LIMIT_MS = 500.0
UNDECIDED = {"submitted", "checking"}
IN_FLIGHT = {"submitted", "checking", "eligible", "paying"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=float, default=10.0, help="seconds with Redis up")
    parser.add_argument("--outage", type=float, default=30.0, help="seconds with Redis down")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--enterprises", type=int, default=150)
    parser.add_argument("--wait", type=float, default=120.0,
                        help="longest wait for every claim after Redis returns")  # fmt: skip
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "faults_outage.json"))
    return parser.parse_args()


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)


class Outage:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.logs = ROOT / "var" / f"faults-outage-{os.getpid()}"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.redis = OwnRedis(free_port(), self.logs / "redis.log")
        self.phase = "before"
        self.stop = threading.Event()
        self.lock = threading.Lock()
        # (phase, kind, milliseconds, status or error)
        self.answers: list[tuple[str, str, float, str]] = []
        self.claims: dict[int, str] = {}  # claim id -> phase it was made in
        self.anomalies: list[str] = []

    # --- set up ----------------------------------------------------------------------

    def setup_django(self) -> None:
        os.environ.update(production_env(database_url=os.environ["DATABASE_URL"],
                                         redis_url=self.redis_url, name="outage"))  # fmt: skip
        os.environ["DJANGO_SETTINGS_MODULE"] = "qinqing.settings"
        import django

        django.setup()

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis.port}/0"

    def seed(self) -> None:
        import io

        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore
        from django.core.management import call_command
        from rest_framework.authtoken.models import Token

        from accounts.models import User
        from enterprises.models import Enterprise, EnterpriseMembership
        from policies.models import Policy
        from qinqing.celery import app as celery_app
        from qinqing.worker_process import queues_of

        out = io.StringIO()
        call_command("seed_demo", enterprises=self.args.enterprises, seed=2021, stdout=out)
        call_command("refresh_extracts", purpose="Redis outage run", stdout=out)
        call_command("seed_demo_policies", leave_batch_runs=True, stdout=out)
        with celery_app.connection_for_write() as broker:  # the publications' batch runs
            for queue in queues_of(settings.CELERY_TASK_DEFAULT_QUEUE):
                broker.default_channel.queue_purge(queue)
        claimant = User.objects.get(username="enterprise")
        self.enterprises = list(Enterprise.objects.order_by("id").values_list("uscc", flat=True))
        EnterpriseMembership.objects.bulk_create(
            [EnterpriseMembership(enterprise_id=pk, user=claimant, role="agent")
             for pk in Enterprise.objects.values_list("pk", flat=True)], ignore_conflicts=True,
        )  # fmt: skip
        self.policies = list(Policy.objects.filter(versions__status="published")
                             .values_list("code", flat=True).distinct())  # fmt: skip
        self.token = Token.objects.get_or_create(user=claimant)[0].key
        session = SessionStore()
        session[SESSION_KEY] = str(claimant.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = claimant.get_session_auth_hash()
        session.create()
        self.session = session.session_key

    # --- the stream --------------------------------------------------------------------

    def record(self, kind: str, started: float, outcome: str, phase: str) -> None:
        with self.lock:
            self.answers.append((phase, kind, (time.perf_counter() - started) * 1000, outcome))

    def call(self, client, kind: str, method: str, path: str, **kwargs):
        phase = self.phase
        started = time.perf_counter()
        try:
            answer = client.request(method, path, **kwargs)
        except Exception as error:  # a timeout or a reset is what the user saw
            self.record(kind, started, type(error).__name__, phase)
            return None, phase
        self.record(kind, started, str(answer.status_code), phase)
        return answer, phase

    def stream(self, number: int) -> None:
        import httpx

        rng = random.Random(self.args.seed + number)
        with httpx.Client(base_url=self.base, timeout=30, headers={"Accept-Language": "en"},
                          cookies={"sessionid": self.session}) as client:  # fmt: skip
            while not self.stop.is_set():
                body = {"policy": rng.choice(self.policies), "uscc": rng.choice(self.enterprises)}
                answer, phase = self.call(
                    client, "claim", "POST", "/api/v1/claims/", json=body,
                    headers={"Authorization": f"Token {self.token}",
                             "Idempotency-Key": uuid.uuid4().hex},
                )  # fmt: skip
                claim_id = None
                if answer is not None and answer.status_code in (200, 201):
                    claim_id = answer.json()["id"]
                    with self.lock:
                        self.claims.setdefault(claim_id, phase)
                self.call(client, "page: home", "GET", "/")
                self.call(client, "page: policies", "GET", "/policies/")
                self.call(client, "page: my claims", "GET", "/claims/")
                if claim_id:
                    self.call(client, "page: claim", "GET", f"/claims/{claim_id}/")
                    self.call(client, "api: claim", "GET", f"/api/v1/claims/{claim_id}/",
                              headers={"Authorization": f"Token {self.token}"})  # fmt: skip
                self.call(client, "api: policies", "GET", "/api/v1/policies/",
                          headers={"Authorization": f"Token {self.token}"})  # fmt: skip
                time.sleep(rng.uniform(0.05, 0.2))

    # --- the run -------------------------------------------------------------------------

    def main(self) -> dict:
        from django.db import connection

        from qinqing.worker_process import database_url_for_current_connection, running_worker

        self.redis.start()
        self.setup_django()
        old_name = connection.settings_dict["NAME"]
        connection.settings_dict["TEST"]["NAME"] = f"outage_{old_name}"
        create_test_db(connection)
        results: dict = {"when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                         "machine": f"{os.cpu_count()} cores, load average "
                                    f"{os.getloadavg()[0]:.1f} at the start",
                         "before_seconds": self.args.before,
                         "outage_seconds": self.args.outage,
                         "client_threads": self.args.threads}  # fmt: skip
        try:
            self.seed()
            database_url = database_url_for_current_connection()
            env = production_env(database_url=database_url, redis_url=self.redis_url,
                                 name="outage")  # fmt: skip
            env["CELERY_TASK_DEFAULT_QUEUE"] = os.environ["CELERY_TASK_DEFAULT_QUEUE"]
            env["CACHE_KEY_PREFIX"] = os.environ["CACHE_KEY_PREFIX"]
            with ExitStack() as stack:
                stack.enter_context(running_worker(
                    database_url=database_url, settings_module="qinqing.settings",
                    log_path=self.logs / "worker.log", concurrency=4,
                ))  # fmt: skip
                stack.enter_context(self.beat(env))
                self.base = stack.enter_context(gunicorn(env, log_path=self.logs / "gunicorn.log"))
                results.update(self.stream_through_outage())
                results.update(self.wait_for_claims())
            results.update(self.check())
        finally:
            from django.db import connections

            connections.close_all()
            connection.creation.destroy_test_db(old_name, verbosity=0)
            self.redis.stop()
        results["anomalies"] = self.anomalies
        return results

    def beat(self, env: dict[str, str]):
        import subprocess
        from contextlib import contextmanager

        @contextmanager
        def running():
            log = open(self.logs / "beat.log", "w")  # noqa: SIM115 - closed below
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "qinqing", "beat", "--loglevel", "INFO",
                 "-s", str(self.logs / "beat-schedule")],
                cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "qinqing.settings"},
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                yield process
            finally:
                process.terminate()
                with suppress(subprocess.TimeoutExpired):
                    process.wait(20)
                if process.poll() is None:
                    process.kill()
                log.close()

        return running()

    def stream_through_outage(self) -> dict:
        threads = [threading.Thread(target=self.stream, args=(n,), daemon=True)
                   for n in range(self.args.threads)]  # fmt: skip
        for thread in threads:
            thread.start()
        print(f"stream with Redis up for {self.args.before:.0f} s …", flush=True)
        time.sleep(self.args.before)
        self.redis.stop()  # the process we started: nothing listens on the port now
        self.phase = "outage"
        print(f"Redis down for {self.args.outage:.0f} s …", flush=True)
        time.sleep(self.args.outage)
        self.redis.start()
        self.returned = time.monotonic()
        self.phase = "after"
        self.stop.set()
        for thread in threads:
            thread.join(60)
        print("Redis is back; waiting for every claim …", flush=True)
        figures: dict = {}
        for phase in ("before", "outage"):
            claims = [ms for p, kind, ms, _ in self.answers if p == phase and kind == "claim"]
            every = [ms for p, _kind, ms, _ in self.answers if p == phase]
            outcomes = Counter(f"{kind}: {outcome}" for p, kind, _ms, outcome in self.answers
                               if p == phase)  # fmt: skip
            figures[phase] = {
                "claims_posted": len(claims),
                "claim_p50_ms": percentile(claims, 0.5),
                "claim_p99_ms": percentile(claims, 0.99),
                "claim_max_ms": round(max(claims), 1) if claims else None,
                "requests": len(every),
                "all_p99_ms": percentile(every, 0.99),
                "answers": dict(sorted(outcomes.items())),
            }
        outage = figures["outage"]
        if not outage["claims_posted"]:
            self.anomalies.append("no claim was posted during the outage")
        elif outage["claim_p99_ms"] > P99_LIMIT_MS:
            self.anomalies.append(f"POST /api/v1/claims/ p99 {outage['claim_p99_ms']} ms "
                                  f"during the outage (limit {P99_LIMIT_MS:.0f} ms)")  # fmt: skip
        for phase, kind, _ms, outcome in self.answers:
            if phase == "outage" and not (outcome.isdigit() and int(outcome) < 500):
                self.anomalies.append(f"{kind} answered {outcome} during the outage")
        return {"phases": figures}

    def wait_for_claims(self) -> dict:
        from subsidies.models import Claim

        during = [pk for pk, phase in self.claims.items() if phase == "outage"]
        decided_after = None
        settled_after = None
        deadline = self.returned + self.args.wait
        while time.monotonic() < deadline:
            statuses = dict(Claim.objects.filter(pk__in=self.claims).values_list("pk", "status"))
            now = time.monotonic() - self.returned
            if decided_after is None and not any(statuses.get(pk) in UNDECIDED for pk in during):
                decided_after = round(now, 1)
            if not any(status in IN_FLIGHT for status in statuses.values()):
                settled_after = round(now, 1)
                break
            time.sleep(0.5)
        if decided_after is None or decided_after > DECIDED_WITHIN:
            self.anomalies.append(f"claims made during the outage decided after {decided_after} s "
                                  f"of Redis' return (limit {DECIDED_WITHIN:.0f} s)")  # fmt: skip
        if settled_after is None:
            self.anomalies.append(f"claims still in flight {self.args.wait:.0f} s after the return")
        return {"claims_made_during_outage": len(during),
                "decided_seconds_after_return": decided_after,
                "settled_seconds_after_return": settled_after}  # fmt: skip

    def check(self) -> dict:
        from django.db.models import Count

        from sandbox.treasury.models import TreasuryRecord
        from subsidies.models import Claim, Disbursement, DisbursementStatus

        anomaly = self.anomalies.append
        known = set(Claim.objects.filter(pk__in=self.claims).values_list("pk", flat=True))
        for claim_id in set(self.claims) - known:
            anomaly(f"claim {claim_id} was answered but is not in the database")
        for row in (Claim.objects.values("enterprise", "policy", "period")
                    .annotate(n=Count("id")).filter(n__gt=1)):  # fmt: skip
            anomaly(f"several claims for {row}")
        disbursements = {d.idempotency_key: d for d in Disbursement.objects.select_related("claim")}
        per_claim: Counter = Counter()
        for key in TreasuryRecord.objects.values_list("key", flat=True):
            disbursement = disbursements.get(key)
            if disbursement is None:
                anomaly(f"treasury paid {key}, which no disbursement knows")
                continue
            claim = disbursement.claim
            per_claim[(claim.enterprise_id, claim.policy_id, claim.period)] += 1
            if disbursement.status != DisbursementStatus.CONFIRMED or claim.status != "paid":
                anomaly(f"{key}: paid, but the claim is {claim.status}")
        for key, count in per_claim.items():
            if count > 1:
                anomaly(f"enterprise/policy/period {key} paid {count} times")
        statuses = Counter(Claim.objects.values_list("status", flat=True))
        return {"claims_by_status": dict(sorted(statuses.items())),
                "treasury_payments": sum(per_claim.values())}  # fmt: skip


def report(results: dict) -> None:
    for phase, figures in results.get("phases", {}).items():
        print(f"{phase}: {figures['claims_posted']} claims, POST p50 {figures['claim_p50_ms']} ms,"
              f" p99 {figures['claim_p99_ms']} ms, max {figures['claim_max_ms']} ms; "
              f"{figures['requests']} requests, p99 {figures['all_p99_ms']} ms")  # fmt: skip
        print(f"  answers: {figures['answers']}")
    names = ("claims_made_during_outage", "decided_seconds_after_return",
             "settled_seconds_after_return", "claims_by_status", "treasury_payments")  # fmt: skip
    for name in names:
        print(f"{name}: {results.get(name)}")
    print(f"anomalies: {len(results['anomalies'])}")
    for text in results["anomalies"][:40]:
        print("  -", text)


if __name__ == "__main__":
    arguments = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("needs DATABASE_URL=postgres://... (the run uses its own database beside it)")
    outcome = Outage(arguments).main()
    report(outcome)
    target = Path(arguments.json)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(outcome, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"written to {target}")
    sys.exit(1 if outcome["anomalies"] else 0)
