"""The framework's floor on this machine, measured in the same run as the other benchmarks,
so that their figures can be read as multiples of it (bench/report.py):

- HTTP: the minimal Django view of bench/urls.py (no database, no template) served by the
  same gunicorn as the load test (bench/loadkit.py: same processes, threads, middleware,
  production settings), under the same number of locust users as the load test, without
  think time: requests/s it sustains and p50/p95/p99.
- Celery: a trivial task (qinqing.tasks.ping) through Redis to one worker process (one
  thread): the round trip one at a time (p50/p95/p99), and tasks/s for a burst.

    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/floor.py

Writes bench/results/floor.json. BENCH_FLOOR_TIME (default 30s) and BENCH_LOAD_USERS
(default 40, as the load test) tune the HTTP part.
"""

import os
import shlex
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import loadkit  # noqa: E402

USERS = int(os.environ.get("BENCH_LOAD_USERS", "40"))
RUN_TIME = os.environ.get("BENCH_FLOOR_TIME", "30s")
ROUND_TRIPS = int(os.environ.get("BENCH_FLOOR_ROUND_TRIPS", "300"))
BURST = int(os.environ.get("BENCH_FLOOR_BURST", "2000"))


def main() -> None:
    database_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
    env = loadkit.production_env(database_url=database_url, redis_url=redis_url, name="floor")
    work = ROOT / "var" / "floor"
    machine = loadkit.machine(database_url=database_url, redis_url=redis_url)

    with loadkit.gunicorn(env, log_path=work / "gunicorn.log", ready_path="/bench/floor/") as host:
        single = one_client(host)
        http = loadkit.run_locust(host=host, users=USERS, spawn_rate=USERS, run_time=RUN_TIME,
                                  out_prefix=work / "locust", mix="floor")  # fmt: skip
    route = http["total"]
    print(f"HTTP floor: {route['requests_per_second']:.0f} req/s, p50 {route['p50_ms']} ms, "
          f"p99 {route['p99_ms']} ms, {route['failures']} failures ({USERS} users)")  # fmt: skip

    os.environ.update(env)
    import django

    django.setup()
    celery = celery_floor(database_url, work)

    results = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "command": "python bench/floor.py",
        "argv": shlex.join([Path(sys.executable).name, *sys.argv]),
        "machine": machine,
        "http": {
            "view": "/bench/floor/ (bench/urls.py: JsonResponse, no database)",
            "gunicorn": f"{loadkit.GUNICORN_WORKERS} processes x {loadkit.GUNICORN_THREADS} "
            f"threads (gthread), keep-alive {loadkit.GUNICORN_KEEP_ALIVE} s",
            "users": USERS,
            "think_time_s": 0,
            "requests": route["requests"],
            "failures": route["failures"],
            "server_errors": route["server_errors"],
            "requests_per_second": route["requests_per_second"],
            "p50_ms": route["p50_ms"],
            "p95_ms": route["p95_ms"],
            "p99_ms": route["p99_ms"],
            "locust": http["locust"],
            # One request at a time from one client: the latency floor for figures measured
            # one request at a time (foundation, dashboards).
            "one_client": single,
        },
        "celery": celery,
    }
    loadkit.write_json(ROOT / "bench" / "results" / "floor.json", results)
    print(f"written to {Path('bench/results/floor.json')}")


def one_client(host: str, n: int = 500) -> dict:
    """Sequential GETs of the floor view over one kept-alive connection."""
    import http.client

    connection = http.client.HTTPConnection(host.removeprefix("http://"), timeout=10)
    samples = []
    for index in range(n + 50):
        started = time.perf_counter()
        connection.request("GET", "/bench/floor/")
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"the floor view answered {answer.status}")
        if index >= 50:  # warm-up
            samples.append((time.perf_counter() - started) * 1000)
    connection.close()
    samples.sort()
    figures = {"requests": n, "p50_ms": round(statistics.median(samples), 2),
               "p95_ms": round(samples[int(n * 0.95)], 2),
               "p99_ms": round(samples[int(n * 0.99)], 2)}  # fmt: skip
    print(f"HTTP floor, one client: p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms")
    return figures


def celery_floor(database_url: str, work: Path) -> dict:
    from qinqing.tasks import ping
    from qinqing.worker_process import running_worker

    with running_worker(database_url=database_url, settings_module="bench.settings",
                        log_path=work / "worker.log", concurrency=1):  # fmt: skip
        for _ in range(20):
            ping.delay().get(timeout=10)
        samples = []
        for _ in range(ROUND_TRIPS):
            started = time.perf_counter()
            ping.delay().get(timeout=10)
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        started = time.perf_counter()
        pending = [ping.delay() for _ in range(BURST)]
        for result in pending:
            result.get(timeout=120)
        burst_seconds = time.perf_counter() - started

    def at(q: float) -> float:
        return round(samples[min(len(samples) - 1, int(len(samples) * q))], 2)

    figures = {
        "task": "qinqing.tasks.ping through Redis, result back through Redis",
        "worker": "1 process, 1 thread (threads pool)",
        "round_trips": ROUND_TRIPS,
        "round_trip_p50_ms": round(statistics.median(samples), 2),
        "round_trip_p95_ms": at(0.95),
        "round_trip_p99_ms": at(0.99),
        "burst": BURST,
        "burst_seconds": round(burst_seconds, 2),
        "tasks_per_second": round(BURST / burst_seconds, 1),
    }
    print(f"Celery floor: round trip p50 {figures['round_trip_p50_ms']} ms, "
          f"p99 {figures['round_trip_p99_ms']} ms; {figures['tasks_per_second']} tasks/s "
          f"({BURST} queued at once, one worker, one thread)")  # fmt: skip
    return figures


if __name__ == "__main__":
    main()
