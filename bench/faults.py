"""Fault injection on the real stack (issue: integration and trust, the robustness suite).

A stream of claims, reviews, approvals, page views and API reads runs from threads while a
fault injector, at random (seeded) intervals: SIGKILLs a Celery worker process (and starts
a replacement), restarts Redis (its queued and unacknowledged messages are lost: it is
started without persistence), terminates every PostgreSQL connection to the run's
database, switches the simulated departments to timeouts or an outage, switches the
treasury to timeouts, lost answers (paid, then 504), duplicate executions or refusals to
serve, and the partner's webhook receiver to answering 503 — and back — and delivers
recent claims' check and payment tasks a second time. Then the faults
stop, the periodic recovery (beat's sweeps, run as if their waiting time had passed) runs
to quiescence, and the invariants are checked:

- every claim is final or retriable (none in submitted/checking/eligible/paying);
- at most one treasury payment per claim and per enterprise, policy and period; every
  treasury payment belongs to a confirmed disbursement and every paid claim has one;
- the ledger balances (per payment, overall, per budget account) and no budget is
  overspent (reserved = the disbursements created, paid ≤ reserved ≤ total);
- no event is lost (claim.paid, claim.ineligible, approval.decided) and every event a
  subscription wants reached the receiver or is still retriable;
- no 5xx from pages or the API outside a fault's window (answers during an outage are
  counted separately, with what the user saw);
- a double click or a repeated claim returns the first claim.

Everything it uses is its own: a redis-server on a free port (restarted at will), the
database `faultrun_<name of DATABASE_URL's database>` (created and dropped), the worker
processes it started, a treasury server and a webhook receiver in this process. The
workers reach the treasury over real HTTP (TREASURY_TRANSPORT=http, 1 s timeout); pages
and the API are requested through Django's test client in this process (the whole
middleware, URL and view stack, with real sessions, and a dead connection replaced at
each request as a WSGI server does), not over a socket.

Run: `DATABASE_URL=postgres://... make faults` (FAULTS_SECONDS, default 240), or
`python bench/faults.py --seconds 35 …` (the CI form: tests/reliability/test_faults.py).
Figures: printed, and written to bench/results/faults.json (or --json PATH).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from contextlib import ExitStack, suppress
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from loadkit import create_test_db  # noqa: E402

TRANSIENT = {"submitted", "checking", "eligible", "paying"}
RETRIABLE = {"awaiting_data", "payment_failed", "in_review"}
FINAL = {"ineligible", "budget_exhausted", "paid", "withdrawn", "rejected"}
FAULT_KINDS = ["kill_worker", "restart_redis", "drop_db_connections", "departments_timeout",
               "departments_down", "treasury_timeout", "treasury_lost_answer",
               "treasury_duplicate", "treasury_unavailable", "receiver_down",
               "duplicate_task"]  # fmt: skip
# After a fault, how long requests may still fail because of it: a killed database
# connection fails only the requests using it at that moment (the next one reconnects,
# CONN_HEALTH_CHECKS); the others take a moment to be noticed and undone.
GRACE_SECONDS = {"drop_db_connections": 0.3}
WORKER_THREADS = 4  # each worker process's task threads
DECIDED_ITEM = ["approved", "rejected", "committed", "verified"]  # approval.decided emitted
PROJECT = {
    "project_name": "故障演练智能工厂", "district": "xihu", "land_parcel": "XH2026-017",
    "land_use_type": "industrial", "industry_division": "38", "total_investment": "120000000",
    "floor_area": "36000", "production_capacity": "年产5万台电机",
    "environmental_category": "report_form", "hazardous_chemicals": False,
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float,
                        default=float(os.environ.get("FAULTS_SECONDS", 240)))  # fmt: skip
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FAULTS_SEED", 2026)))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("FAULTS_WORKERS", 2)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("FAULTS_THREADS", 4)),
                        help="client threads driving the operations")  # fmt: skip
    parser.add_argument("--enterprises", type=int, default=300)
    parser.add_argument("--fault-every", type=float, default=6.0,
                        help="mean seconds between faults")  # fmt: skip
    parser.add_argument("--hold", type=float, default=4.0,
                        help="longest seconds a switched fault lasts")  # fmt: skip
    parser.add_argument("--recovery-seconds", type=float, default=180)
    parser.add_argument("--redis-port", type=int, default=int(os.environ.get("FAULTS_REDIS_PORT",
                                                                               0)))  # fmt: skip
    parser.add_argument("--plant", action="store_true",
                        help="plant three anomalies, to see them caught")  # fmt: skip
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "faults.json"))
    return parser.parse_args()


class OwnRedis:
    """A redis-server of this run's own, without persistence: a restart loses every queued
    and unacknowledged message, the worst a broker restart can do."""

    def __init__(self, port: int, log: Path) -> None:
        self.port, self.log, self.process = port, log, None

    def start(self) -> None:
        log = open(self.log, "a")  # noqa: SIM115 - kept open by the server process
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class Treasury(BaseHTTPRequestHandler):
    """/mock/treasury/ as the HTTP transport expects it, answering from the simulated
    treasury's books (TreasuryRecord), with a switchable failure mode."""

    mode = "normal"
    stats: Counter = Counter()
    duplicate_hook = None  # called with the key of a payment executed twice

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        with suppress(OSError):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def _hang(self) -> None:
        time.sleep(float(os.environ["TREASURY_TIMEOUT_SECONDS"]) + 0.5)

    def do_POST(self) -> None:
        from django.db import connections

        from sandbox.treasury.simulation import SimulatedTreasury
        from subsidies.gateway import PaymentRefused, PaymentResult

        mode = Treasury.mode
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        try:
            if mode == "error":
                return self._send(503, {"error": "the treasury is unavailable"})
            if mode == "timeout" and random.random() < 0.5:
                self._hang()  # never reached the treasury's books
                return self._send(504, {"error": "timeout"})
            treasury = SimulatedTreasury()
            # One payment (/payments/) or a payment file (/batches/: what the claim
            # pipeline sends, for one claim as for many): each order paid at most once.
            orders = body.get("orders", [body])
            results = []
            for order in orders:
                try:
                    result = treasury.pay(key=order["key"], amount=Decimal(order["amount"]),
                                          account=order["account"])  # fmt: skip
                    Treasury.stats["paid"] += 1
                    if mode == "duplicate":  # carried out twice, the answer sent twice
                        treasury.pay(key=order["key"], amount=Decimal(order["amount"]),
                                     account=order["account"])  # fmt: skip
                        if Treasury.duplicate_hook:
                            Treasury.duplicate_hook(order["key"])
                except PaymentRefused as refusal:
                    if "orders" not in body:
                        return self._send(409, {"error": str(refusal)})
                    result = PaymentResult(order["key"], "refused")
                results.append({"key": result.key, "status": result.status,
                                "reference": result.reference})  # fmt: skip
            if mode == "timeout":
                self._hang()  # paid, then the answer never came back in time
                return self._send(504, {"error": "timeout"})
            if mode == "lost":
                return self._send(504, {"error": "timeout"})  # paid; the answer is lost
            self._send(200, {"results": results} if "orders" in body else results[0])
        except Exception:  # the database dropped under us: the outcome is unknown
            Treasury.stats["errors"] += 1
            self._send(504, {"error": "internal"})
        finally:
            connections.close_all()

    def do_GET(self) -> None:
        from django.db import connections

        from sandbox.treasury.simulation import SimulatedTreasury

        try:
            if Treasury.mode == "timeout":
                self._hang()
                return self._send(504, {"error": "timeout"})
            if Treasury.mode == "error":
                return self._send(503, {"error": "the treasury is unavailable"})
            key = self.path.rstrip("/").rsplit("/", 1)[-1]
            result = SimulatedTreasury().status(key=key)
            if result.status == "not_found":
                return self._send(404, {"error": "no payment with this key"})
            self._send(200, {"key": key, "status": result.status, "reference": result.reference})
        except Exception:
            self._send(503, {"error": "internal"})
        finally:
            connections.close_all()


class Receiver(BaseHTTPRequestHandler):
    """The partner's webhook endpoint: verifies each signature, remembers each event id."""

    secret = ""
    down = False
    received: set[int] = set()
    bad_signatures = 0
    lock = threading.Lock()

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        from integrations.signing import verify_signature

        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status = 503 if Receiver.down else 200
        if status == 200:
            if verify_signature(Receiver.secret, self.headers.get("X-Qinqing-Timestamp", ""),
                                body, self.headers.get("X-Qinqing-Signature", "")):  # fmt: skip
                with Receiver.lock:
                    Receiver.received.add(json.loads(body)["id"])
            else:
                Receiver.bad_signatures += 1
                status = 400
        with suppress(OSError):
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()


def serve(handler) -> tuple[ThreadingHTTPServer, int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


# --- set up before Django reads its settings ------------------------------------------------

ARGS = parse_args() if __name__ == "__main__" else None
RUN = f"faults-{os.getpid()}"
LOGS = ROOT / "var" / RUN
if ARGS is not None:
    LOGS.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("needs DATABASE_URL=postgres://... (the run uses its own database beside it)")
    REDIS = OwnRedis(ARGS.redis_port or free_port(), LOGS / "redis.log")
    TREASURY_SERVER, TREASURY_PORT = serve(Treasury)
    RECEIVER_SERVER, RECEIVER_PORT = serve(Receiver)
    os.environ.update(
        REDIS_URL=f"redis://127.0.0.1:{REDIS.port}/0",
        TREASURY_TRANSPORT="http",
        TREASURY_HTTP_BASE_URL=f"http://127.0.0.1:{TREASURY_PORT}",
        TREASURY_TIMEOUT_SECONDS="1.0",
        HUB_TIMEOUT_SECONDS="0.5",
        HUB_BREAKER_COOLDOWN_SECONDS="3",
        WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
        WEBHOOK_TIMEOUT_SECONDS="2",
        DB_CONN_MAX_AGE="60",
    )
    REDIS.start()
    from stack import setup

    setup("faults")


class Figures:
    """Counts shared by the threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.operations: Counter = Counter()
        self.faults: Counter = Counter()
        self.outage_answers: Counter = Counter()
        self.redis_down_answers: Counter = Counter()
        self.anomalies: list[str] = []
        self.windows: list[tuple[float, float, str]] = []  # (start, end, kind) of each fault

    def op(self, kind: str) -> None:
        with self.lock:
            self.operations[kind] += 1

    def anomaly(self, text: str) -> None:
        with self.lock:
            self.anomalies.append(text)
            print("ANOMALY:", text, flush=True)

    def in_window(self, started: float, ended: float) -> str | None:
        """The fault whose window overlaps this request, if any (with two seconds' grace
        after it for reconnecting)."""
        with self.lock:
            kinds = sorted({kind for start, end, kind in self.windows
                            if ended >= start
                            and started <= end + GRACE_SECONDS.get(kind, 2)})  # fmt: skip
        return "+".join(kinds) or None


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.figures = Figures()
        self.stop = threading.Event()
        self.claims: dict[tuple[int, str], int] = {}  # (enterprise, policy) -> claim id
        self.claims_lock = threading.Lock()
        self.workers: list[tuple[ExitStack, subprocess.Popen]] = []
        self.worker_number = 0
        self.worker_logs: dict[int, int] = {}  # pid -> the number in its log file name

    # --- seed ---------------------------------------------------------------------------

    def seed(self) -> None:
        import io

        from django.conf import settings
        from django.core.management import call_command

        from accounts.models import Role, User
        from enterprises.models import Enterprise, EnterpriseMembership
        from integrations.subscribing import create_subscription
        from policies.models import Policy
        from qinqing.celery import app as celery_app
        from qinqing.worker_process import queues_of
        from subsidies.models import Budget

        out = io.StringIO()
        call_command("seed_demo", enterprises=self.args.enterprises, seed=2021, stdout=out)
        call_command("refresh_extracts", purpose="fault-injection run", stdout=out)
        call_command("seed_demo_policies", leave_batch_runs=True, stdout=out)
        # The publications queued "enjoy without applying" batch runs: drop them, so that
        # every claim in the run comes from the stream (and the figures say what it did).
        with celery_app.connection_for_write() as broker:
            for queue in queues_of(settings.CELERY_TASK_DEFAULT_QUEUE):
                broker.default_channel.queue_purge(queue)
        self.claimant = User.objects.get(username="enterprise")
        self.enterprises = list(Enterprise.objects.order_by("id").values_list("id", "uscc"))
        EnterpriseMembership.objects.bulk_create(
            [EnterpriseMembership(enterprise_id=pk, user=self.claimant, role="agent")
             for pk, _uscc in self.enterprises], ignore_conflicts=True,
        )  # fmt: skip
        # automatic (paid at once), apply (an official reviews) and confirm-mode policies;
        # the automatic one with a budget for a few dozen claims, so that it runs out.
        self.policies = list(Policy.objects.filter(versions__status="published")
                             .values_list("code", flat=True).distinct())  # fmt: skip
        automatic = Policy.objects.get(code="stable-jobs-2026").versions.get(status="published")
        Budget.objects.update_or_create(version=automatic,
                                        defaults={"total": Decimal("400000.00")})  # fmt: skip
        # A city-wide official for every department that decides approval items.
        from approvals.models import ItemType
        from departments.models import Department

        for department in Department.objects.filter(
            pk__in=ItemType.objects.values("department")
        ).exclude(pk__in=User.objects.filter(role=Role.OFFICIAL, district__isnull=True)
                  .values("department")):  # fmt: skip
            User.objects.create_user(f"faults_{department.code}", role=Role.OFFICIAL,
                                     department=department)  # fmt: skip
        self.officials = list(User.objects.filter(role=Role.OFFICIAL, is_active=True))
        self.reviewer = User.objects.get(username="science_city")
        auditor = User.objects.filter(role=Role.AUDITOR, is_active=True).first()
        Receiver.secret = "whsec_fault_run_" + uuid.uuid4().hex
        self.subscription = create_subscription(
            owner=auditor, name="fault run partner", actor=None, secret=Receiver.secret,
            url=f"http://127.0.0.1:{RECEIVER_PORT}/hook",
            event_types=["claim.paid", "claim.ineligible", "approval.decided"],
        )  # fmt: skip

    # --- workers ------------------------------------------------------------------------

    def start_worker(self, wait: bool) -> None:
        from qinqing.worker_process import database_url_for_current_connection, running_worker

        self.worker_number += 1
        stack = ExitStack()
        process = stack.enter_context(running_worker(
            database_url=database_url_for_current_connection(),
            settings_module="qinqing.settings",
            log_path=LOGS / f"worker-{self.worker_number}.log", concurrency=WORKER_THREADS,
            wait=wait,
        ))  # fmt: skip
        self.workers.append((stack, process))
        self.worker_logs[process.pid] = self.worker_number

    def kill_worker(self) -> None:
        alive = [(stack, process) for stack, process in self.workers if process.poll() is None]
        if not alive:
            return
        stack, process = self.rng.choice(alive)
        os.kill(process.pid, signal.SIGKILL)  # only a worker this run started
        process.wait(10)
        stack.close()
        self.workers.remove((stack, process))
        self.start_worker(wait=False)

    # --- faults -------------------------------------------------------------------------

    def drop_database_connections(self) -> int:
        import psycopg
        from django.db import connection

        name = connection.settings_dict["NAME"]
        admin = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()", [name],
            ).fetchall()  # fmt: skip
        return len(rows)

    def switch_departments(self, **behaviour) -> None:
        from sandbox.departments import behaviour as departments_sim
        from sandbox.departments.models import SimulationSetting

        for setting in SimulationSetting.objects.select_related("department"):
            for name, value in behaviour.items():
                setattr(setting, name, value)
            setting.save()
            with suppress(Exception):  # Redis may be the next fault's victim
                departments_sim.forget_behaviour(setting.department.code)

    def reset_departments(self) -> None:
        from django.conf import settings

        from sandbox.departments import behaviour as departments_sim
        from sandbox.departments.models import SimulationSetting

        for setting in SimulationSetting.objects.select_related("department"):
            values = {**settings.HUB_SIMULATION["default"],
                      **settings.HUB_SIMULATION.get(setting.department.code, {})}  # fmt: skip
            for name, value in values.items():
                setattr(setting, name, value)
            setting.save()
            with suppress(Exception):
                departments_sim.forget_behaviour(setting.department.code)

    def inject(self) -> None:
        """One fault at a time, each for a few seconds, until the stream stops."""
        from django.db import connections

        from sandbox.departments.behaviour import ensure_simulation_rows

        ensure_simulation_rows()
        kinds = FAULT_KINDS
        order: list[str] = []
        while not self.stop.wait(self.rng.expovariate(1 / self.args.fault_every)):
            if not order:  # every kind once per round, in a seeded random order
                order = self.rng.sample(kinds, len(kinds))
            kind = order.pop()
            started = time.time()
            with self.figures.lock:  # open until the fault is over
                self.figures.windows.append((started, float("inf"), kind))
            try:
                self._fault(kind)
            except Exception:
                self.figures.anomaly(f"the injector failed on {kind}: "
                                     f"{traceback.format_exc(limit=2)}")  # fmt: skip
            finally:
                connections.close_all()
            with self.figures.lock:
                self.figures.faults[kind] += 1
                self.figures.windows[-1] = (started, time.time(), kind)

    def _fault(self, kind: str) -> None:
        hold = self.rng.uniform(1.0, self.args.hold)
        if kind == "kill_worker":
            self.kill_worker()
        elif kind == "restart_redis":
            REDIS.stop()
            time.sleep(self.rng.uniform(1, 3))
            REDIS.start()
        elif kind == "drop_db_connections":
            self.figures.faults["db_connections_terminated"] += self.drop_database_connections()
        elif kind in ("departments_timeout", "departments_down"):
            self.switch_departments(**({"timeout_rate": 1.0} if kind == "departments_timeout"
                                       else {"down": True}))  # fmt: skip
            time.sleep(hold)
            self.reset_departments()
        elif kind.startswith("treasury_"):
            Treasury.mode = {"treasury_timeout": "timeout", "treasury_lost_answer": "lost",
                             "treasury_duplicate": "duplicate",
                             "treasury_unavailable": "error"}[kind]  # fmt: skip
            time.sleep(hold)
            Treasury.mode = "normal"
        elif kind == "receiver_down":
            Receiver.down = True
            time.sleep(hold)
            Receiver.down = False
        elif kind == "duplicate_task":
            self.duplicate_tasks()

    def duplicate_tasks(self, key: str | None = None) -> None:
        """A task delivered twice: check and pay again for recent claims."""
        from subsidies.models import Claim
        from subsidies.tasks import check_claim, pay_claim

        if key is not None:
            ids = [int(key.rsplit("-", 1)[-1])]
        else:
            ids = list(Claim.objects.order_by("-id").values_list("pk", flat=True)[:10])
        for claim_id in ids:
            with suppress(Exception):
                check_claim.delay(claim_id)
                pay_claim.delay(claim_id)

    # --- the stream ---------------------------------------------------------------------

    def client_for(self, user):
        from django.test import Client

        client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client

    def request(self, client, method: str, path: str, kind: str, **kwargs):
        from django.db import close_old_connections

        # What a WSGI server does at every request (the test Client leaves it out, so that
        # tests keep their connection): a connection found dead is replaced.
        close_old_connections()
        started = time.time()
        try:
            response = getattr(client, method)(path, **kwargs)
        finally:
            ended = time.time()
        self.figures.op(kind)
        fault = self.figures.in_window(started, ended)
        if fault and "restart_redis" in fault and response.status_code < 500:
            with self.figures.lock:  # what users see while Redis is away
                self.figures.redis_down_answers[f"{kind} {response.status_code}"] += 1
        if response.status_code >= 500:
            fault = self.figures.in_window(started, ended)
            error = getattr(response, "exc_info", None)
            what = f"{response.status_code} {type(error[1]).__name__ if error else ''}".strip()
            if fault is None:
                self.figures.anomaly(f"{method.upper()} {path} answered {what} with no fault "
                                     f"under way: {self._trace(error)}")  # fmt: skip
            else:
                with self.figures.lock:
                    label = f"{fault}: {kind} {what}"
                    self.figures.outage_answers[label] += 1
                    if self.figures.outage_answers[label] == 1:
                        print(f"during {label}: {self._trace(error)}", flush=True)
        return response

    @staticmethod
    def _trace(error) -> str:
        if not error:
            return ""
        return "".join(traceback.format_exception(*error)[-4:]).strip()

    def stream(self, number: int) -> None:
        from django.db import close_old_connections, connections

        rng = random.Random(self.args.seed * 100 + number)
        clients: dict[int, object] = {}

        def client(user):
            if user.pk not in clients:
                clients[user.pk] = self.client_for(user)
            return clients[user.pk]

        actions = [(self.claim, 40), (self.poll, 25), (self.review, 10), (self.approval, 8),
                   (self.decide_item, 10), (self.official_reads, 7)]  # fmt: skip
        population = [a for a, _ in actions]
        weights = [w for _, w in actions]
        while not self.stop.is_set():
            action = rng.choices(population, weights)[0]
            close_old_connections()  # as the request cycle does for a view's ORM work
            began = time.time()
            try:
                action(rng, client)
            except Exception as error:  # a fault in the client's own database work
                kind = self.figures.in_window(began, time.time())
                if kind is None:
                    self.figures.anomaly(f"{action.__name__} raised {error!r} with no fault "
                                         f"under way: {traceback.format_exc(limit=3)}")  # fmt: skip
                else:
                    with self.figures.lock:
                        self.figures.outage_answers[f"{kind}: {action.__name__} raised "
                                                    f"{type(error).__name__}"] += 1  # fmt: skip
                connections.close_all()
                time.sleep(0.2)
        connections.close_all()

    def claim(self, rng: random.Random, client) -> None:
        """A claim through the API; sometimes a double click (the same request twice at
        once), sometimes a repeat of an earlier claim with a fresh key."""
        with self.claims_lock:
            known = list(self.claims.items())
        if known and rng.random() < 0.15:
            (enterprise_id, policy), first = rng.choice(known)
            uscc = dict(self.enterprises)[enterprise_id]
            kind = "claim_repeated"
        else:
            enterprise_id, uscc = rng.choice(self.enterprises)
            policy, first, kind = rng.choice(self.policies), None, "claim"
        body = {"policy": policy, "uscc": uscc}
        key = uuid.uuid4().hex
        clicks = 2 if rng.random() < 0.2 else 1
        answers: list = []

        def post():
            answers.append(self.request(client(self.claimant), "post", "/api/v1/claims/", kind,
                                        data=body, content_type="application/json",
                                        HTTP_IDEMPOTENCY_KEY=key))  # fmt: skip

        if clicks == 2:
            from django.db import connections

            other = self.client_for(self.claimant)

            def second():
                try:
                    answers.append(self.request(other, "post", "/api/v1/claims/",
                                                "claim_double_click", data=body,
                                                content_type="application/json",
                                                HTTP_IDEMPOTENCY_KEY=key))  # fmt: skip
                finally:
                    connections.close_all()

            twin = threading.Thread(target=second)
            twin.start()
            post()
            twin.join()
        else:
            post()
        ids = {a.json()["id"] for a in answers if a.status_code in (200, 201)}
        if first is not None:
            ids.add(first)
        if len(ids) > 1:
            self.figures.anomaly(f"one enterprise and policy got several claims: {sorted(ids)}")
        if ids:
            with self.claims_lock:
                self.claims.setdefault((enterprise_id, policy), min(ids))

    def poll(self, rng: random.Random, client) -> None:
        with self.claims_lock:
            known = list(self.claims.values())
        if not known:
            return
        claim_id = rng.choice(known)
        self.request(client(self.claimant), "get", f"/api/v1/claims/{claim_id}/", "poll_api")
        self.request(client(self.claimant), "get", f"/claims/{claim_id}/", "poll_page",
                     HTTP_HX_REQUEST="true")  # fmt: skip

    def review(self, rng: random.Random, client) -> None:
        from subsidies.models import Claim

        waiting = list(Claim.objects.filter(status="in_review").values_list("pk", flat=True)[:20])
        if not waiting:
            return
        claim_id = rng.choice(waiting)
        if rng.random() < 0.8:
            self.request(client(self.reviewer), "post", f"/api/v1/claims/{claim_id}/approve/",
                         "review_approve")  # fmt: skip
        else:
            self.request(client(self.reviewer), "post", f"/api/v1/claims/{claim_id}/reject/",
                         "review_reject", data={"reason": "材料不符 (fault run)"},
                         content_type="application/json")  # fmt: skip

    def approval(self, rng: random.Random, client) -> None:
        """An enterprise starts, fills and submits a project application."""
        from approvals.models import ServicePackage
        from approvals.services.applications import save_answers, start_application
        from approvals.services.refusals import ApprovalRefused
        from enterprises.models import Enterprise

        package = ServicePackage.objects.get(code="industrial-project")
        enterprise_id, _uscc = rng.choice(self.enterprises)
        try:
            draft = start_application(
                package=package,
                actor=self.claimant,
                enterprise=Enterprise.objects.get(pk=enterprise_id),
            )
        except ApprovalRefused:  # e.g. an enterprise no longer in business
            self.figures.op("approval_refused")
            return
        save_answers(draft.pk, actor=self.claimant, answers=PROJECT)
        self.figures.op("approval_started")
        self.request(client(self.claimant), "post",
                     f"/api/v1/approvals/applications/{draft.pk}/submit/", "approval_submit",
                     data={"on_commitment": (commit := rng.random() < 0.3),
                           "accept_notice": commit},
                     content_type="application/json")  # fmt: skip

    def decide_item(self, rng: random.Random, client) -> None:
        """An official of the item's department approves or rejects it."""
        from approvals.models import Item
        from approvals.services.access import is_item_official

        pending = list(Item.objects.filter(status="pending").select_related("application")
                       .order_by("?")[:5])  # fmt: skip
        for item in pending:
            officials = [u for u in self.officials if is_item_official(u, item)]
            if not officials:
                continue
            official = rng.choice(officials)
            if rng.random() < 0.85:
                self.request(client(official), "post",
                             f"/api/v1/approvals/items/{item.pk}/approve/", "item_approve",
                             data={"text": ""}, content_type="application/json")  # fmt: skip
            else:
                self.request(client(official), "post", f"/api/v1/approvals/items/{item.pk}/reject/",
                             "item_reject", data={"text": "图纸不全 (fault run)"},
                             content_type="application/json")  # fmt: skip
            return

    def official_reads(self, rng: random.Random, client) -> None:
        official = rng.choice(self.officials)
        self.request(client(official), "get", "/api/v1/claims/?status=paid", "official_list_api")
        self.request(client(self.reviewer), "get", "/claims/", "official_list_page")

    # --- periodic sweeps (beat) ---------------------------------------------------------

    def beat(self) -> None:
        """What beat queues every minute, every few seconds here."""
        from integrations.tasks import deliver_due_webhooks, dispatch_events
        from subsidies.tasks import recheck_waiting_claims

        while not self.stop.wait(5):
            for task in (recheck_waiting_claims, dispatch_events, deliver_due_webhooks):
                try:
                    task.delay()
                    self.figures.op("beat_" + task.name.rsplit(".", 1)[-1])
                except Exception:
                    self.figures.op("beat_lost_broker_down")

    # --- recovery and invariants --------------------------------------------------------

    def recover(self) -> dict:
        """Beat's sweeps, as if their waiting times had passed (checks abandoned for ten
        minutes, payments stalled for five, back-offs, webhook leases), until nothing is
        in flight; bounded by --recovery-seconds."""
        from datetime import timedelta

        import redis
        from django.conf import settings
        from django.db import connections, transaction
        from django.utils import timezone

        from integrations.dispatching import dispatch_pending
        from integrations.models import DeliveryStatus, WebhookDelivery
        from integrations.tasks import deliver_webhook
        from qinqing.events.models import OutboxEvent
        from subsidies.models import Claim
        from subsidies.payments import resume_stalled_payments
        from subsidies.pipeline import due_rechecks
        from subsidies.reconciliation import reconcile
        from subsidies.tasks import check_claim

        broker = redis.Redis.from_url(settings.REDIS_URL)
        notifications = settings.CELERY_NOTIFICATIONS_QUEUE
        started = time.monotonic()
        rounds = 0
        while time.monotonic() - started < self.args.recovery_seconds:
            rounds += 1
            time.sleep(1)
            connections.close_all()
            later = timezone.now() + timedelta(hours=6)
            for claim_id in due_rechecks(now=later):
                check_claim.delay(claim_id)
            with transaction.atomic():
                resume_stalled_payments(now=later)
            reconcile()
            while dispatch_pending():
                pass
            # Retries and leases as if their time had come; queued again only once the
            # queue has drained (queueing every waiting delivery each round, as the minute
            # sweep does, only piles duplicates onto a backlog).
            if broker.llen(notifications) == 0:
                WebhookDelivery.objects.filter(
                    status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]
                ).update(next_attempt_at=timezone.now())
                for delivery_id in WebhookDelivery.objects.filter(
                    status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]
                ).values_list("pk", flat=True):
                    deliver_webhook.delay(delivery_id)
            time.sleep(1.5)
            busy = (
                Claim.objects.filter(status__in=TRANSIENT | {"awaiting_data"}).count()
                + OutboxEvent.objects.filter(dispatched_at__isnull=True).count()
                + WebhookDelivery.objects.filter(
                    status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]).count()
            )  # fmt: skip
            print(f"recovery round {rounds}: {busy} still in flight", flush=True)
            if busy == 0:
                break
        left = self.in_flight()
        if left:
            print("still in flight after the recovery:", json.dumps(left, default=str)[:12000])
        return {"rounds": rounds, "seconds": round(time.monotonic() - started, 1),
                "still_in_flight": left}  # fmt: skip

    def in_flight(self) -> dict:
        """What the recovery left unfinished, and the queues' lengths, to see why."""
        import redis
        from django.conf import settings

        from integrations.models import DeliveryStatus, WebhookDelivery
        from qinqing.events.models import OutboxEvent
        from qinqing.worker_process import queues_of
        from subsidies.models import Claim

        left: dict = {}
        claims = Counter(Claim.objects.filter(status__in=TRANSIENT | {"awaiting_data"})
                         .values_list("status", flat=True))  # fmt: skip
        if claims:
            left["claims"] = dict(claims)
            left["claim_samples"] = self.stuck_claims()
        undispatched = OutboxEvent.objects.filter(dispatched_at__isnull=True).count()
        if undispatched:
            left["undispatched_events"] = undispatched
        waiting = WebhookDelivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]
        )
        deliveries = list(waiting.values("event__event_type", "status", "attempts", "last_error",
                                         "next_attempt_at", "last_attempt_at")[:5])  # fmt: skip
        if deliveries:
            left["deliveries"] = waiting.count()
            left["delivery_samples"] = deliveries
            client = redis.Redis.from_url(settings.REDIS_URL)
            left["queue_lengths"] = {
                queue: client.llen(queue) for queue in queues_of(settings.CELERY_TASK_DEFAULT_QUEUE)
            }
            left["workers_alive"] = sum(p.poll() is None for _s, p in self.workers)
        if left:  # why: what the database sessions and the worker threads are doing now
            left["database_sessions"] = self.database_sessions()
            left["worker_log_tails"] = self.worker_log_tails()
            left["worker_threads"] = self.worker_stacks()  # the idle ones left out
        return left

    def stuck_claims(self) -> list[dict]:
        """Each unfinished claim with its disbursement and the tasks' last word on it."""
        from subsidies.models import Claim

        return list(Claim.objects.filter(status__in=TRANSIENT | {"awaiting_data"})
                    .values("pk", "status", "updated_at", "disbursement__status",
                            "disbursement__attempts", "disbursement__last_error",
                            "disbursement__created_at")[:10])  # fmt: skip

    def database_sessions(self) -> list[dict]:
        """What the run database's other sessions are doing: one idle in a transaction, or
        waiting for a lock, is what keeps work from finishing."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, state, wait_event_type, wait_event, pg_blocking_pids(pid),"
                " now() - xact_start, left(query, 200) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state <> 'idle'"
            )
            names = ["pid", "state", "wait_type", "wait", "blocked_by", "in_transaction", "query"]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def worker_log_tails(self, lines: int = 15) -> dict[str, list[str]]:
        """The last lines each worker logged (their whole logs stay in var/<run>/)."""
        tails = {}
        for log in sorted(LOGS.glob("worker-*.log")):
            tails[log.name] = [line[:300] for line in
                               log.read_text(errors="replace").splitlines()[-lines:]]  # fmt: skip
        return tails

    def worker_stacks(self) -> dict[str, list[str]]:
        """Where each worker thread is now: Celery dumps every thread's stack to its log on
        SIGUSR1; the innermost frames of each are kept (a thread pool has no time limit, so
        a thread waiting for ever shows here)."""
        alive = [process for _stack, process in self.workers if process.poll() is None]
        sizes = {process.pid: self.log_of(process).stat().st_size for process in alive}
        for process in alive:
            os.kill(process.pid, signal.SIGUSR1)  # only a worker this run started
        time.sleep(2)
        stacks = {}
        for process in alive:
            with open(self.log_of(process), errors="replace") as log:
                log.seek(sizes[process.pid])
                dump = log.read().splitlines()
            thread, frames = None, []
            for index, line in enumerate(dump):
                following = dump[index + 1] if index + 1 < len(dump) else ""
                if following.startswith("=====") and line and not line.startswith(("=", " ")):
                    thread, frames = line.strip(), []
                elif thread and line.startswith('  File "'):
                    frames.append(line.strip().replace(str(ROOT) + "/", "")[:160])
                elif thread and line.startswith("=====") and frames:
                    if not frames[-1].endswith(("in _worker", "in poll", "in wait", "in cry")):
                        ours = [frame for frame in frames if ".venv/" not in frame
                                and "/.pyenv/" not in frame]  # fmt: skip
                        stacks[f"{process.pid}/{thread}"] = ours[-4:] + frames[-2:]
                    thread = None
        return stacks

    def log_of(self, process) -> Path:
        return LOGS / f"worker-{self.worker_logs[process.pid]}.log"

    def plant(self) -> None:
        """A payment nobody asked for, a claim left checking, a paid claim's event lost:
        the checks must report each (run with --plant; the run then fails)."""
        from qinqing.events.models import OutboxEvent
        from sandbox.treasury.models import TreasuryRecord
        from subsidies.models import Claim

        TreasuryRecord.objects.create(key="qinqing-claim-0", amount=Decimal("1.00"),
                                      account="0", reference="PLANTED")  # fmt: skip
        Claim.objects.filter(pk=Claim.objects.filter(status="ineligible").values("pk")[:1]
                             ).update(status="checking")  # fmt: skip
        paid = Claim.objects.filter(status="paid").values_list("pk", flat=True).first()
        OutboxEvent.objects.filter(subject=f"claim:{paid}", event_type="claim.paid").update(
            subject="claim:lost"
        )

    def check(self) -> dict:
        from django.db.models import Count, Sum

        from approvals.models import Item
        from integrations.models import DeliveryStatus, WebhookDelivery
        from qinqing.events.models import OutboxEvent
        from sandbox.treasury.models import TreasuryRecord
        from subsidies.models import (
            Budget,
            Claim,
            Disbursement,
            DisbursementStatus,
            LedgerEntry,
        )
        from subsidies.reconciliation import reconcile

        anomaly = self.figures.anomaly
        statuses = Counter(Claim.objects.values_list("status", flat=True))
        for claim_id, status in Claim.objects.filter(status__in=TRANSIENT).values_list(
            "pk", "status"
        ):
            anomaly(f"claim {claim_id} stuck in {status}")
        for row in (Claim.objects.values("enterprise", "policy", "period")
                    .annotate(n=Count("id")).filter(n__gt=1)):  # fmt: skip
            anomaly(f"several claims for {row}")

        # The treasury's own books against the disbursements.
        disbursements = {d.idempotency_key: d for d in Disbursement.objects.select_related("claim")}
        paid_per_claim_key: Counter = Counter()
        for record in TreasuryRecord.objects.all():
            disbursement = disbursements.get(record.key)
            if disbursement is None:
                anomaly(f"treasury paid {record.key}, which no disbursement knows")
                continue
            claim = disbursement.claim
            paid_per_claim_key[(claim.enterprise_id, claim.policy_id, claim.period)] += 1
            if record.amount != disbursement.amount:
                anomaly(f"{record.key}: treasury paid {record.amount}, "
                        f"disbursement says {disbursement.amount}")  # fmt: skip
            if disbursement.status != DisbursementStatus.CONFIRMED or claim.status != "paid":
                anomaly(f"{record.key}: paid by the treasury but the claim is {claim.status} "
                        f"and the disbursement {disbursement.status}")  # fmt: skip
        for key, count in paid_per_claim_key.items():
            if count > 1:
                anomaly(f"enterprise/policy/period {key} paid {count} times")
        treasury_keys = set(TreasuryRecord.objects.values_list("key", flat=True))
        for key, disbursement in disbursements.items():
            if disbursement.status == DisbursementStatus.CONFIRMED and key not in treasury_keys:
                anomaly(f"{key}: confirmed but not in the treasury's books")
            if (disbursement.claim.status == "paid") != (
                disbursement.status == DisbursementStatus.CONFIRMED
            ):
                anomaly(f"{key}: claim {disbursement.claim.status}, "
                        f"disbursement {disbursement.status}")  # fmt: skip
        for claim_id in Claim.objects.filter(status="paid", disbursement__isnull=True).values_list(
            "pk", flat=True
        ):
            anomaly(f"claim {claim_id} paid without a disbursement")

        # The ledger.
        totals = LedgerEntry.objects.aggregate(debit=Sum("debit"), credit=Sum("credit"))
        if (totals["debit"] or 0) != (totals["credit"] or 0):
            anomaly(f"ledger: debits {totals['debit']} ≠ credits {totals['credit']}")
        legs = {row["transaction"]: row for row in LedgerEntry.objects.values("transaction")
                .annotate(debit=Sum("debit"), credit=Sum("credit"), n=Count("id"))}  # fmt: skip
        for key, disbursement in disbursements.items():
            row = legs.pop(key, None)
            if disbursement.status == DisbursementStatus.CONFIRMED:
                if row is None or not (row["debit"] == row["credit"] == disbursement.amount
                                       and row["n"] == 2):  # fmt: skip
                    anomaly(f"{key}: ledger {row} ≠ paid {disbursement.amount}")
            elif row is not None:
                anomaly(f"{key}: ledger entries for an unconfirmed payment")
        for key in legs:
            anomaly(f"ledger transaction {key} with no disbursement")
        for budget in Budget.objects.select_related("version__policy"):
            created = Disbursement.objects.filter(claim__version=budget.version).aggregate(
                s=Sum("amount"))["s"] or Decimal(0)  # fmt: skip
            confirmed = Disbursement.objects.filter(
                claim__version=budget.version, status=DisbursementStatus.CONFIRMED
            ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
            if budget.reserved != created:
                anomaly(f"{budget.ledger_account}: reserved {budget.reserved} ≠ "
                        f"disbursements {created}")  # fmt: skip
            if not (budget.paid == confirmed <= budget.reserved <= budget.total):
                anomaly(f"{budget.ledger_account}: paid {budget.paid}, confirmed {confirmed}, "
                        f"reserved {budget.reserved}, total {budget.total}")  # fmt: skip
        problems = reconcile().problems
        for problem in problems:
            anomaly(f"reconciliation: {problem}")

        # Events: none lost, none doubled.
        events = Counter(OutboxEvent.objects.values_list("event_type", "subject"))
        expected = [
            ("claim.paid", f"claim:{pk}")
            for pk in Claim.objects.filter(status="paid").values_list("pk", flat=True)
        ]
        expected += [
            ("claim.ineligible", f"claim:{pk}")
            for pk in Claim.objects.filter(status="ineligible").values_list("pk", flat=True)
        ]
        decided = Item.objects.filter(status__in=DECIDED_ITEM).values_list("pk", flat=True)
        expected += [("approval.decided", f"approval-item:{pk}") for pk in decided]
        for event in expected:
            if events[event] != 1:
                anomaly(f"{event[0]} for {event[1]}: {events[event]} events")
        wanted = set(self.subscription.event_types)
        deliveries = {d.event_id: d for d in WebhookDelivery.objects.filter(
            subscription=self.subscription)}  # fmt: skip
        delivery_states: Counter = Counter()
        for event_id, event_type, dispatched in OutboxEvent.objects.values_list(
            "pk", "event_type", "dispatched_at"
        ):
            if event_type not in wanted:
                continue
            delivery = deliveries.get(event_id)
            if delivery is None:
                state = "not dispatched yet" if dispatched is None else "no delivery"
                if dispatched is not None:
                    anomaly(f"event {event_id} ({event_type}) dispatched without a delivery")
            elif delivery.status == DeliveryStatus.SUCCEEDED:
                state = "delivered"
                if event_id not in Receiver.received:
                    anomaly(f"event {event_id}: delivery succeeded but the receiver lacks it")
            elif delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED):
                state = "retriable"
            else:
                state = delivery.status
                anomaly(f"event {event_id}: delivery {delivery.status}")
            delivery_states[state] += 1
        if Receiver.bad_signatures:
            anomaly(f"{Receiver.bad_signatures} webhook(s) with a bad signature")
        # A connection the database dropped fails the one task that meets it; its worker
        # thread connects again for the next. More than one failure per thread and drop
        # is a worker carrying a dead connection from task to task.
        broken = sum(log.read_text(errors="replace").count(
                         "raised unexpected: OperationalError('the connection is ")
                     for log in LOGS.glob("worker-*.log"))  # fmt: skip
        allowed = WORKER_THREADS * self.worker_number * max(1, self.figures.faults[
            "drop_db_connections"])  # fmt: skip
        if broken > allowed:
            anomaly(f"{broken} tasks failed on a dead database connection (at most {allowed}: "
                    "one per worker thread and drop)")  # fmt: skip
        return {
            "claims_by_status": dict(statuses),
            "treasury_payments": len(treasury_keys),
            "disbursements": len(disbursements),
            "ledger_entries": LedgerEntry.objects.count(),
            "events": dict(Counter(t for t, _s in events.elements())),
            "webhook_events": dict(delivery_states),
            "approval_items": dict(Counter(Item.objects.values_list("status", flat=True))),
            "treasury_server": dict(Treasury.stats),
            "tasks_failed_on_a_dead_connection": broken,
        }

    # --- the whole run ------------------------------------------------------------------

    def main(self) -> dict:
        from django.db import connection, connections
        from django.test.utils import setup_test_environment

        setup_test_environment()
        old_name = connection.settings_dict["NAME"]
        connection.settings_dict["TEST"]["NAME"] = f"faultrun_{old_name}"
        create_test_db(connection)
        Treasury.duplicate_hook = lambda key: self.duplicate_tasks(key)
        results: dict = {"seed": self.args.seed, "seconds": self.args.seconds,
                         "worker_processes": self.args.workers,
                         "client_threads": self.args.threads,
                         "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                         "machine": f"{os.cpu_count()} cores, load average "
                                    f"{os.getloadavg()[0]:.1f} at the start"}  # fmt: skip
        try:
            started = time.monotonic()
            self.seed()
            results["seed_seconds"] = round(time.monotonic() - started, 1)
            for _ in range(self.args.workers):
                self.start_worker(wait=True)
            threads = [threading.Thread(target=self.stream, args=(n,), daemon=True)
                       for n in range(self.args.threads)]  # fmt: skip
            threads += [threading.Thread(target=self.inject, daemon=True),
                        threading.Thread(target=self.beat, daemon=True)]  # fmt: skip
            print(f"stream and faults for {self.args.seconds:.0f} s …", flush=True)
            for thread in threads:
                thread.start()
            time.sleep(self.args.seconds)
            self.stop.set()
            for thread in threads:
                thread.join(60)
            Treasury.mode, Receiver.down = "normal", False
            connections.close_all()
            self.reset_departments()
            if REDIS.process is None or REDIS.process.poll() is not None:
                REDIS.start()
            for stack, process in list(self.workers):  # every worker up for the recovery
                if process.poll() is not None:
                    self.workers.remove((stack, process))
                    stack.close()
                    self.start_worker(wait=False)
            results["recovery"] = self.recover()
            if self.args.plant:
                self.plant()
            results["final"] = self.check()
        finally:
            for stack, _process in self.workers:
                with suppress(Exception):
                    stack.close()
            connections.close_all()
            connection.creation.destroy_test_db(old_name, verbosity=0)
            REDIS.stop()
        figures = self.figures
        results["operations"] = dict(sorted(figures.operations.items()))
        results["operations_total"] = sum(figures.operations.values())
        results["faults"] = dict(sorted(figures.faults.items()))
        results["faults_total"] = sum(v for k, v in figures.faults.items()
                                      if k != "db_connections_terminated")  # fmt: skip
        results["answers_during_faults"] = dict(sorted(figures.outage_answers.items()))
        results["answers_while_redis_restarted"] = dict(sorted(figures.redis_down_answers.items()))
        results["fault_kinds"] = FAULT_KINDS
        results["anomalies"] = figures.anomalies
        return results


def report(results: dict) -> None:
    print("\noperations:", results["operations_total"])
    for kind, count in results["operations"].items():
        print(f"  {kind:<34} {count}")
    print("faults injected:", results["faults_total"])
    for kind, count in results["faults"].items():
        print(f"  {kind:<34} {count}")
    print("answers and errors during faults (what users saw):")
    for kind, count in results["answers_during_faults"].items():
        print(f"  {kind:<60} {count}")
    print("answers other than 5xx while Redis restarted:",
          results["answers_while_redis_restarted"])  # fmt: skip
    final = results.get("final", {})
    for name in ("claims_by_status", "approval_items", "events", "webhook_events",
                 "treasury_server"):  # fmt: skip
        print(f"{name}: {final.get(name)}")
    print(f"recovery: {results.get('recovery')}")
    print(f"anomalies: {len(results['anomalies'])}")
    for text in results["anomalies"]:
        print("  -", text)


if __name__ == "__main__":
    outcome = Run(ARGS).main()
    report(outcome)
    target = Path(ARGS.json)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(outcome, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"written to {target}")
    sys.exit(1 if outcome["anomalies"] else 0)
