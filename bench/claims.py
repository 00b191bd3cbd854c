"""Claim-to-paid as partner systems meet it (issue #24, the instant path): over HTTP.

Everything real and of this run's own: gunicorn on loopback (bench.settings, the processes
and threads of the load test, bench/loadkit.py), Celery worker processes for the check
queue, PostgreSQL (a fresh test database) and a redis-server on a free port (so that its
CPU is this run's alone). The simulated departments at their default latencies
(HUB_SIMULATION) and the simulated treasury (about 30 ms).

A claimant is a partner system: an OAuth2 client-credentials token, then for each claim a
POST /api/v1/claims/ with an Idempotency-Key, then GET /api/v1/claims/<id>/ until the
claim is settled. Measured:

- one claimant at a time: from the POST to the claim settled, by the server's own stamp
  (`updated_at`, so the polling interval adds nothing) and as the client saw it (polling
  every 10 ms), against the simulated waiting (the slowest department the claim calls plus
  the treasury, drawn as the simulators draw them);
- 100 claimants at once (threads, one kept-alive connection each): claims paid per
  second, and the CPU every server process used in that window, from /proc (bench/cpu.py):
  gunicorn (master and workers), the Celery workers, PostgreSQL (the backends connected to
  this run's database, and a share of the server's shared processes), Redis; the client
  (this process) apart. `server_cpu_ms_per_claim` is the server's CPU over paid claims;
- what one poll costs the server (a window of polls only), so the polls' part can be told
  apart;
- the floor, in the same sitting (bench/floor.py): the framework's minimal view under the
  same gunicorn, one request at a time, and a trivial Celery task's round trip.

Run: `DATABASE_URL=postgres://... make bench-claims` (REDIS_URL is not needed: the run
starts its own redis-server). BENCH_CONCURRENT_CLAIMANTS (100), BENCH_CONCURRENT_CLAIMS
(1500), BENCH_WORKER_PROCESSES (2), BENCH_WORKER_THREADS (16), BENCH_POLL_MS (100).
"""

import http.client
import io
import json
import os
import random
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack, suppress
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import cpu  # noqa: E402
import loadkit  # noqa: E402

WORKER_PROCESSES = int(os.environ.get("BENCH_WORKER_PROCESSES", os.cpu_count() or 2))
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", 16))
CLAIMANTS = int(os.environ.get("BENCH_CONCURRENT_CLAIMANTS", 100))
CONCURRENT_CLAIMS = int(os.environ.get("BENCH_CONCURRENT_CLAIMS", 1500))
ONE_CLAIMANT_CLAIMS = int(os.environ.get("BENCH_ONE_CLAIMANT_CLAIMS", 60))
# The concurrent claimants look again every POLL_MS, the first look after FIRST_POLL_MS
# (a claim is not settled before the departments and the treasury answered: about 110 ms).
POLL_MS = int(os.environ.get("BENCH_POLL_MS", 100))
FIRST_POLL_MS = int(os.environ.get("BENCH_FIRST_POLL_MS", 100))
ONE_CLAIMANT_POLL_MS = 10
POLL_COST_REQUESTS = 1000
UNSETTLED = {"submitted", "checking", "eligible", "paying", "awaiting_data"}


def start_redis(log_path: Path) -> tuple[subprocess.Popen, str]:
    """A redis-server of this run's own, without persistence: its CPU is this run's."""
    port = loadkit.free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115 - kept open by the server process
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--daemonize", "no"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return process, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)  # noqa: E731
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": pick(0.95), "p99_ms": pick(0.99)}  # fmt: skip


class Partner:
    """One partner system's connection: a token, then claims and polls over one kept-alive
    HTTP connection (http.client: the lightest client, so the load generator takes as
    little of the two cores as it can)."""

    def __init__(self, host: str) -> None:
        self.address = host.removeprefix("http://")
        self.headers = {"Accept": "application/json", "Accept-Language": "en"}
        self.connection = http.client.HTTPConnection(self.address, timeout=30)
        self.polls = 0

    def call(self, method: str, path: str, token: str, body: dict | None = None,
             headers: dict | None = None) -> tuple[int, dict]:  # fmt: skip
        payload = json.dumps(body).encode() if body is not None else None
        sent = {**self.headers, "Authorization": f"Bearer {token}", **(headers or {})}
        if payload is not None:
            sent["Content-Type"] = "application/json"
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=payload, headers=sent)
                answer = self.connection.getresponse()
                return answer.status, json.loads(answer.read() or b"{}")
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.address, timeout=30)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def claim(self, claimant: tuple[str, str], policy: str, *, first_poll: float,
              poll: float) -> dict:  # fmt: skip
        """POST the claim, then poll until it is settled; the times as seen and stamped."""
        uscc, token = claimant
        started = time.time()
        code, body = self.call("POST", "/api/v1/claims/", token, {"policy": policy, "uscc": uscc},
                               {"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
        submitted = time.time()
        if code != 201:
            raise RuntimeError(f"POST /api/v1/claims/ answered {code}: {body}")
        claim_id = body["id"]
        time.sleep(first_poll)
        while True:
            code, body = self.call("GET", f"/api/v1/claims/{claim_id}/", token)
            self.polls += 1
            if code != 200:
                raise RuntimeError(f"GET /api/v1/claims/{claim_id}/ answered {code}: {body}")
            if body["status"] not in UNSETTLED:
                break
            if time.time() - started > 120:
                raise RuntimeError(f"claim {claim_id} not settled within 120 s")
            time.sleep(poll)
        seen = time.time()
        stamped = datetime.fromisoformat(body["updated_at"]).timestamp()
        return {"id": claim_id, "token": token, "status": body["status"],
                "submit_ms": (submitted - started) * 1000, "seen_ms": (seen - started) * 1000,
                "stamped_ms": (stamped - started) * 1000}  # fmt: skip


def token_for(host: str, client_id: str, secret: str) -> str:
    import base64
    from urllib.parse import urlencode

    connection = http.client.HTTPConnection(host.removeprefix("http://"), timeout=30)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    connection.request("POST", "/api/v1/oauth/token/",
                       body=urlencode({"grant_type": "client_credentials"}),
                       headers={"Authorization": f"Basic {basic}",
                                "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    answer = connection.getresponse()
    body = json.loads(answer.read())
    if answer.status != 200:
        raise RuntimeError(f"token endpoint answered {answer.status}: {body}")
    return body["access_token"]


def simulated_waiting(claim_ids: list[int]) -> dict:
    """The waiting the simulators impose on a claim: the slowest of the departments it
    calls (called together) plus the treasury's round trip, each drawn as the simulators
    draw it (sandbox/departments/behaviour.py: gauss(latency, jitter/2); the treasury:
    gauss(latency, 5)), 20,000 draws; the departments as the hub logged them."""
    from django.conf import settings

    from datahub.models import DataCall
    from sandbox.departments.behaviour import behaviour

    departments: set[str] = set()
    for claim_id in claim_ids[:10]:
        calls = DataCall.objects.filter(purpose__startswith=f"subsidies.claim:{claim_id} ")
        departments |= set(calls.values_list("department__code", flat=True))
    conducts = {code: behaviour(code) for code in sorted(departments)}
    treasury = settings.TREASURY_SIMULATION.get("latency_ms", 30)
    draws = sorted(
        max((max(0.0, random.gauss(c.latency_ms, c.jitter_ms / 2)) for c in conducts.values()),
            default=0.0) + max(0.0, random.gauss(treasury, 5))
        for _ in range(20000)
    )  # fmt: skip
    return {
        "departments": {
            code: {"latency_ms": c.latency_ms, "jitter_ms": c.jitter_ms}
            for code, c in conducts.items()
        },
        "treasury_latency_ms": treasury,
        "p50_ms": round(draws[len(draws) // 2], 1),
        "mean_ms": round(sum(draws) / len(draws), 1),
    }


def main() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("needs DATABASE_URL=postgres://...")
    work = ROOT / "var" / "bench-claims"
    redis_process, redis_url = start_redis(work / "redis.log")
    os.environ["REDIS_URL"] = redis_url
    # No mail server runs beside the benchmark: the paid claims' e-mails are rendered and
    # "sent" into memory, not retried against a server that is not there.
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ["PARTNER_DEFAULT_RATE_PER_MINUTE"] = "1000000"
    # Stopped from outside: still tear down (the servers, the test database).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    from stack import setup

    try:
        setup("claims")
        run(work, redis_process)
    finally:
        redis_process.kill()
        redis_process.wait(10)


def run(work: Path, redis_process: subprocess.Popen) -> None:
    import floor
    import psycopg
    from django.conf import settings
    from django.db import connection, connections
    from django.db.models import Count
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    database = connection.settings_dict["NAME"]
    from qinqing.worker_process import database_url_for_current_connection, running_worker

    database_url = database_url_for_current_connection()
    results: dict = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "command": "make bench-claims",
        "argv": shlex.join([Path(sys.executable).name, *sys.argv]),
        "machine": loadkit.machine(database_url=database_url, redis_url=settings.REDIS_URL),
        "gunicorn": f"{loadkit.GUNICORN_WORKERS} processes x {loadkit.GUNICORN_THREADS} "
        "threads (gthread)",
        "celery_workers": f"{WORKER_PROCESSES} processes x {WORKER_THREADS} threads",
        "client": "this process: http.client, one kept-alive connection per claimant thread",
        # DB_PREPARED_STATEMENTS, as the servers it starts inherit it (qinqing/settings).
        "prepared_statements": settings.DB_PREPARED_STATEMENTS and not settings.DATABASE_POOLER,
    }
    monitor = psycopg.connect(os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres",
                              autocommit=True)  # fmt: skip
    try:
        fixture = prepare(results)
        connections.close_all()
        env = loadkit.production_env(database_url=database_url, redis_url=settings.REDIS_URL,
                                     name="claims")  # fmt: skip
        env["CELERY_TASK_DEFAULT_QUEUE"] = settings.CELERY_TASK_DEFAULT_QUEUE
        env["CACHE_KEY_PREFIX"] = settings.CACHES["default"].get("KEY_PREFIX", "")
        with loadkit.gunicorn(
            env, log_path=work / "gunicorn.log", ready_path="/bench/floor/"
        ) as host:
            with ExitStack() as stack:
                workers = [stack.enter_context(running_worker(
                    database_url=database_url, settings_module="bench.settings",
                    log_path=work / f"worker-{number}.log", concurrency=WORKER_THREADS,
                    extra_env={"EMAIL_BACKEND": os.environ["EMAIL_BACKEND"]}))
                    for number in range(WORKER_PROCESSES)]  # fmt: skip
                every_worker_ready()
                measure(host, fixture, results, monitor, database, workers, redis_process)
            results["floor"] = {"http_one_client": floor.one_client(host)}
        results["floor"]["celery"] = floor.celery_floor(database_url, work)
        from subsidies.models import Claim

        statuses = dict(Claim.objects.values_list("status").annotate(n=Count("id")))
        results["final_statuses"] = statuses
        print("statuses:", statuses)
        summarise(results)
    finally:
        monitor.close()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    loadkit.write_json(ROOT / "bench" / "results" / "claims-postgresql.json", results)
    print("written to bench/results/claims-postgresql.json")


def every_worker_ready(timeout: float = 60) -> None:
    """The readiness ping is answered by any worker: wait until every worker answers a
    broadcast ping (the broker is this run's own redis-server: no one else's worker)."""
    from qinqing.celery import app as celery_app

    deadline = time.monotonic() + timeout
    while len(celery_app.control.ping(timeout=1.0) or []) < WORKER_PROCESSES:
        if time.monotonic() > deadline:
            raise RuntimeError(f"not every Celery worker answered within {timeout} s")


def prepare(results: dict) -> dict:
    """The demo's enterprises and policies, the qualifying enterprises as the claimants,
    and one partner client acting for all of them (an agency's system)."""
    from django.conf import settings
    from django.core.management import call_command

    from enterprises.models import Enterprise
    from partners.services import create_partner_client
    from policies.evaluation import evaluate_all
    from policies.models import Policy
    from qinqing.celery import app as celery_app
    from qinqing.worker_process import queues_of

    out = io.StringIO()
    call_command("seed_demo", enterprises=6000, seed=2021, stdout=out)
    call_command("refresh_extracts", purpose="benchmark", stdout=out)
    call_command("seed_demo_policies", leave_batch_runs=True, stdout=out)
    policy = Policy.objects.get(code="stable-jobs-2026")
    # The publication queued the policy's batch run ("enjoy without applying"), which would
    # pay the same enterprises before they claim: dropped, then the enterprises the batch
    # evaluation finds qualifying claim, so that every claim measured ends paid.
    with celery_app.connection_for_write() as broker:
        for queue in queues_of(settings.CELERY_TASK_DEFAULT_QUEUE):
            broker.default_channel.queue_purge(queue)
    decision = evaluate_all(policy.versions.get(status="published"))
    qualifying = set(decision.enterprise_ids[decision.eligible].tolist())
    enterprises = [e for e in Enterprise.objects.order_by("id") if e.pk in qualifying]
    results["claimants_available"] = len(enterprises)
    # One partner system per enterprise (its own ERP, say), as partner clients bound to an
    # enterprise are: the first registered by the service and given its token by the token
    # endpoint (measure()), the others written in bulk with a token each (the service
    # hashes every client secret with PBKDF2: half a second each, for nothing measured).
    client, secret = create_partner_client(
        name="bench-claims", scopes=SCOPES, enterprise=enterprises[0],
        requests_per_minute=1_000_000,
    )  # fmt: skip
    return {"client_id": client.application.client_id, "secret": secret, "policy": policy.code,
            "first": enterprises[0].uscc,
            "claimants": bulk_partners(enterprises[1:])}  # fmt: skip


SCOPES = ["claims:read", "claims:write"]


def bulk_partners(enterprises: list) -> list[tuple[str, str]]:
    """A partner client bound to each enterprise, with a bearer token: (uscc, token)."""
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.crypto import get_random_string
    from oauth2_provider.models import (
        get_access_token_model,
        get_application_model,
        set_token_value,
    )

    from accounts.models import User
    from enterprises.models import EnterpriseMembership
    from partners.models import PartnerClient

    Application, AccessToken = get_application_model(), get_access_token_model()
    run = get_random_string(6).lower()
    users = User.objects.bulk_create([
        User(username=f"bench-partner-{run}-{e.pk}", role="enterprise", password="!")  # noqa: S106 - unusable
        for e in enterprises
    ])  # fmt: skip
    EnterpriseMembership.objects.bulk_create(
        [EnterpriseMembership(enterprise=e, user=u, role="agent")
         for e, u in zip(enterprises, users, strict=True)]
    )  # fmt: skip
    applications = Application.objects.bulk_create([
        Application(name=f"bench {e.uscc}", client_type="confidential",
                    authorization_grant_type="client-credentials", user=u,
                    client_secret=get_random_string(40), hash_client_secret=False)
        for e, u in zip(enterprises, users, strict=True)
    ])  # fmt: skip
    PartnerClient.objects.bulk_create([
        PartnerClient(application=a, name=f"bench {e.uscc}", service_user=u, enterprise=e,
                      scopes=SCOPES, requests_per_minute=1_000_000)
        for e, u, a in zip(enterprises, users, applications, strict=True)
    ])  # fmt: skip
    tokens, raws = [], []
    for user, application in zip(users, applications, strict=True):
        raw = get_random_string(40)
        token = AccessToken(user=user, application=application, scope=" ".join(SCOPES),
                            expires=timezone.now() + timedelta(hours=6))  # fmt: skip
        set_token_value(token, raw)
        tokens.append(token)
        raws.append(raw)
    AccessToken.objects.bulk_create(tokens)
    return [(e.uscc, raw) for e, raw in zip(enterprises, raws, strict=True)]


def measure(host: str, fixture: dict, results: dict, monitor, database: str, workers: list,
            redis_process: subprocess.Popen) -> None:  # fmt: skip
    claimants = iter(fixture["claimants"])
    lock = threading.Lock()

    def next_claimant() -> tuple[str, str] | None:
        with lock:
            return next(claimants, None)

    policy = fixture["policy"]
    one = Partner(host)
    # The token endpoint as partners use it (client credentials), for the first client.
    first = (fixture["first"], token_for(host, fixture["client_id"], fixture["secret"]))
    one.claim(first, policy, first_poll=0.05, poll=0.02)
    for _ in range(10):  # warm-up: every process has its connections and imports
        one.claim(next_claimant(), policy, first_poll=0.05, poll=0.02)
    poll = ONE_CLAIMANT_POLL_MS / 1000
    alone = [one.claim(next_claimant(), policy, first_poll=poll, poll=poll)
             for _ in range(ONE_CLAIMANT_CLAIMS)]  # fmt: skip
    waiting = simulated_waiting([row["id"] for row in alone])
    stamped = percentiles([row["stamped_ms"] for row in alone])
    results["one_claimant"] = {
        "claims": len(alone),
        "settled_by_server_stamp": stamped,
        "settled_as_seen_polling_every_10_ms": percentiles([row["seen_ms"] for row in alone]),
        "post": percentiles([row["submit_ms"] for row in alone]),
        "simulated_waiting": waiting,
        "p50_minus_simulated_waiting_ms": round(stamped["p50_ms"] - waiting["p50_ms"], 1),
    }
    print("one claimant:", json.dumps(results["one_claimant"]))

    groups = tiers(monitor, database, workers, redis_process)
    stats_before = write_stats(monitor)
    window = cpu.Window(groups)
    rows: list[dict] = []
    partners = [Partner(host) for _ in range(CLAIMANTS)]
    remaining = [CONCURRENT_CLAIMS]
    start_together = threading.Barrier(CLAIMANTS + 1)
    failures: list[str] = []

    def claimant(partner: Partner) -> None:
        start_together.wait()
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            claimant = next_claimant()
            if claimant is None:
                return
            try:
                row = partner.claim(claimant, policy, first_poll=FIRST_POLL_MS / 1000,
                                    poll=POLL_MS / 1000)  # fmt: skip
            except Exception as error:  # counted, not fatal: the figure says how many
                failures.append(str(error)[:300])
                continue
            with lock:
                rows.append(row)

    threads = [threading.Thread(target=claimant, args=(p,)) for p in partners]
    for thread in threads:
        thread.start()
    window.start()
    started = time.perf_counter()
    start_together.wait()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    used = window.stop()
    stats_after = write_stats(monitor)
    paid = sum(1 for row in rows if row["status"] == "paid")
    share = pg_share(stats_before, stats_after, database)
    used["postgresql (shared processes, this run's share)"] = (
        used.pop("postgresql shared processes (whole server)") * share
    )
    per_claim = {tier: round(seconds_used * 1000 / max(paid, 1), 2)
                 for tier, seconds_used in used.items()}  # fmt: skip
    client = per_claim.pop("client (load generator)")
    server = round(sum(per_claim.values()), 2)
    polls = sum(p.polls for p in partners)
    results["concurrent"] = {
        "claimants": CLAIMANTS,
        "claims": len(rows),
        "paid": paid,
        "failures": len(failures),
        "failure_examples": failures[:5],
        "seconds": round(seconds, 2),
        "claims_per_second": round(paid / seconds, 1),
        "poll_ms": POLL_MS,
        "first_poll_ms": FIRST_POLL_MS,
        "polls_per_claim": round(polls / max(len(rows), 1), 2),
        "settled_by_server_stamp": percentiles([row["stamped_ms"] for row in rows] or [0]),
        "post": percentiles([row["submit_ms"] for row in rows] or [0]),
        "cpu_ms_per_paid_claim": per_claim,
        "client_cpu_ms_per_claim": client,
        "postgresql_shared_share": round(share, 3),
    }
    results["server_cpu_ms_per_claim"] = server
    print("concurrent:", json.dumps(results["concurrent"]))
    results["poll_cost"] = poll_cost(host, [(r["id"], r["token"]) for r in rows[:50]], groups)
    print("poll cost:", json.dumps(results["poll_cost"]))
    results["floor_cpu"] = floor_cpu(host, groups)
    print("floor CPU:", json.dumps(results["floor_cpu"]))


def floor_cpu(host: str, groups: dict) -> dict:
    """The floor's CPU, in the same sitting and by the same count: the framework's minimal
    view (bench/urls.py) under the same gunicorn, 1,000 requests from 20 threads, and a
    trivial Celery task's round trip (qinqing.tasks.ping) through the same workers and
    Redis, 300 one after the other. A shared machine makes every CPU figure larger; the
    ratio to these cancels most of that."""
    from qinqing.tasks import ping

    each, threads_n = 50, 20

    def gets() -> None:
        connection = http.client.HTTPConnection(host.removeprefix("http://"), timeout=30)
        for _ in range(each):
            connection.request("GET", "/bench/floor/")
            connection.getresponse().read()
        connection.close()

    window = cpu.Window(groups)
    threads = [threading.Thread(target=gets) for _ in range(threads_n)]
    window.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    web = window.stop()
    requests = each * threads_n
    window = cpu.Window(groups)
    window.start()
    for _ in range(300):
        ping.delay().get(timeout=10)
    task = window.stop()
    return {
        "floor_view_requests": requests,
        "web_cpu_ms_per_floor_request": round(web["web (gunicorn)"] * 1000 / requests, 3),
        "ping_round_trips": 300,
        "cpu_ms_per_ping": round(
            (task["workers (celery)"] + task["redis"]) * 1000 / 300, 3),
    }  # fmt: skip


def tiers(monitor, database: str, workers: list, redis_process: subprocess.Popen) -> dict:
    """The server's processes by tier. PostgreSQL: the backends connected to this run's
    database (other helpers share the server), and apart the server's shared processes
    (postmaster, checkpointer, walwriter, background writer, launchers), of which this run
    is billed its share of the rows written (pg_share)."""
    me = os.getpid()
    gunicorn_master = [pid for pid in cpu.children_of(me) if b"gunicorn" in _cmdline(pid)
                       and _ppid(pid) == me]  # fmt: skip
    worker_pids = [process.pid for process in workers]

    def backends() -> list[int]:
        return [row[0] for row in monitor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])]  # fmt: skip

    def shared() -> list[int]:
        pids = [row[0] for row in monitor.execute(
            "SELECT pid FROM pg_stat_activity WHERE backend_type IN ('checkpointer', "
            "'walwriter', 'background writer', 'autovacuum launcher', "
            "'logical replication launcher', 'archiver')")]  # fmt: skip
        return pids + sorted({_ppid(pid) for pid in pids})  # the postmaster

    return {
        "web (gunicorn)": lambda: (
            gunicorn_master + [c for m in gunicorn_master for c in cpu.children_of(m)]
        ),
        "workers (celery)": lambda: (
            worker_pids + [c for w in worker_pids for c in cpu.children_of(w)]
        ),
        "postgresql (this database's backends)": backends,
        "postgresql shared processes (whole server)": shared,
        "redis": lambda: [redis_process.pid],
        "client (load generator)": lambda: [me],
    }


def write_stats(monitor) -> dict[str, int]:
    return {name: int(rows) for name, rows in monitor.execute(
        "SELECT datname, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database "
        "WHERE datname IS NOT NULL")}  # fmt: skip


def pg_share(before: dict, after: dict, database: str) -> float:
    """This run's part of the rows written on the whole server in the window: the shared
    processes (WAL writer, checkpointer, background writer) work in proportion to writes."""
    written = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    total = sum(max(0, n) for n in written.values())
    return written.get(database, 0) / total if total else 1.0


def poll_cost(host: str, claims: list[tuple[int, str]], groups: dict) -> dict:
    """Server CPU per poll: a window of GETs of settled claims only, from 20 threads."""
    window = cpu.Window(groups)
    partners = [Partner(host) for _ in range(20)]
    each = POLL_COST_REQUESTS // len(partners)

    def polls(partner: Partner) -> None:
        for number in range(each):
            claim_id, token = claims[number % len(claims)]
            partner.call("GET", f"/api/v1/claims/{claim_id}/", token)

    threads = [threading.Thread(target=polls, args=(p,)) for p in partners]
    window.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    used = window.stop()
    used.pop("postgresql shared processes (whole server)")
    client = used.pop("client (load generator)")
    requests = each * len(partners)
    return {"requests": requests,
            "server_cpu_ms_per_poll": round(sum(used.values()) * 1000 / requests, 2),
            "per_tier_ms": {t: round(s * 1000 / requests, 2) for t, s in used.items()},
            "client_cpu_ms_per_poll": round(client * 1000 / requests, 2)}  # fmt: skip


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def summarise(results: dict) -> None:
    """The figures against their targets (issue #24) and the floor of the same sitting."""
    concurrent, alone, floor = results["concurrent"], results["one_claimant"], results["floor"]
    polls = results["poll_cost"]["server_cpu_ms_per_poll"] * concurrent["polls_per_claim"]
    server = results["server_cpu_ms_per_claim"]
    results["summary"] = {
        "server_cpu_ms_per_claim": results["server_cpu_ms_per_claim"],
        "of_which_polls_ms": round(polls, 2),
        "server_cpu_ms_per_claim_without_polls": round(server - polls, 2),
        "claims_per_second": concurrent["claims_per_second"],
        "one_claimant_p50_ms": alone["settled_by_server_stamp"]["p50_ms"],
        "simulated_waiting_p50_ms": alone["simulated_waiting"]["p50_ms"],
        "one_claimant_p50_over_simulated_ms": alone["p50_minus_simulated_waiting_ms"],
        "floor_http_one_client_p50_ms": floor["http_one_client"]["p50_ms"],
        "floor_celery_round_trip_p50_ms": floor["celery"]["round_trip_p50_ms"],
        "one_claimant_over_simulated_in_http_floors": round(
            alone["p50_minus_simulated_waiting_ms"] / floor["http_one_client"]["p50_ms"], 1),
        "web_cpu_per_claim_in_floor_requests": round(
            concurrent["cpu_ms_per_paid_claim"]["web (gunicorn)"]
            / results["floor_cpu"]["web_cpu_ms_per_floor_request"], 1),
        "server_cpu_per_claim_in_floor_requests": round(
            results["server_cpu_ms_per_claim"]
            / results["floor_cpu"]["web_cpu_ms_per_floor_request"], 1),
        "targets": {"server_cpu_ms_per_claim": 9, "claims_per_second": 150,
                    "one_claimant_p50_over_simulated_ms": 10},
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }  # fmt: skip
    print("summary:", json.dumps(results["summary"], indent=2))


if __name__ == "__main__":
    main()
