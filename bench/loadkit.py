"""What the load test and the framework floor share: gunicorn on loopback with the bench
settings, locust as a process of its own, its CSV read back into figures, and a description
of the machine. Nothing here imports locust or gevent (they stay out of Django processes),
and nothing here imports Django, so the pytest short form can use it too.
"""

import csv
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
# Two cores: two processes (one per core), threads for the requests that wait on the
# departments (the calculator) or the database. More processes than cores was slower
# (docs/performance.md, foundation).
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "2"))
GUNICORN_THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "8"))
GUNICORN_KEEP_ALIVE = 75

# Every route of the mix (bench/locustfile.py), so that a run can be checked to have
# exercised them all. The enterprise's policy page is fetched only for a missing CSRF
# cookie, so it is not required.
ROUTES = (
    "public: home",
    "public: policy catalog",
    "public: policy page",
    "static: site.css",
    "enterprise: policy calculator",
    "enterprise: submit claim",
    "enterprise: live claim page",
    "enterprise: claim status poll (htmx)",
    "enterprise: my claims",
    "api (session): my claims",
    "official: claims list",
    "official: claims list, page 3",
    "official: approvals queue",
    "official: requests queue",
    "official: dashboard overview",
    "official: dashboard section",
    "official: workspace",
    "api (token): policies",
    "api (token): claims, page 2",
    "api (token): stats overview",
    "api (oauth): token",
    "api (oauth): policies",
    "api (oauth): claims",
)


def production_env(*, database_url: str, redis_url: str, name: str) -> dict[str, str]:
    """The environment of every process of a run (server, worker, preparation): production
    settings, DEBUG off, on loopback over plain HTTP (so no HTTPS redirect and no Secure
    cookies, as behind a TLS-terminating proxy), on a queue and cache namespace of its own."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-only-" + "x" * 40),
        "DEBUG": "false",
        # The departments, the treasury and the partners are simulated (sandbox/).
        "QINQING_SANDBOX": os.environ.get("QINQING_SANDBOX", "true"),
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        # Static files straight from the app folders through whitenoise (no collectstatic).
        "STATIC_MANIFEST": "false",
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_DEFAULT_QUEUE": f"bench-{name}-{os.getpid()}",
        "CACHE_KEY_PREFIX": f"bench-{name}-{os.getpid()}",
        # One partner client is shared by several simulated systems: no rate limit here.
        "PARTNER_DEFAULT_RATE_PER_MINUTE": "1000000",
        "PYTHONPATH": str(ROOT),
    }


def migrated_template() -> str | None:
    """The database CI migrated once (`QINQING_TEST_DB_TEMPLATE`, .ci/run), or None. The
    short runs that CI's tests start (load, faults, the Redis outage) copy it instead of
    migrating a database of their own from nothing: that took 45-60 s of each run."""
    return os.environ.get("QINQING_TEST_DB_TEMPLATE") or None


def create_test_db(connection) -> None:
    """Django's test database for the run's connection, a copy of the migrated template
    where there is one (the migrations then find nothing left to do)."""
    template = migrated_template()
    if template:
        connection.settings_dict["TEST"]["TEMPLATE"] = template
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], *, log_path: Path, ready_path: str = "/healthz",
             timeout: float = 60) -> Iterator[str]:  # fmt: skip
    """gunicorn serving bench.settings on a free loopback port; yields its base URL once
    `ready_path` answers 200."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "gunicorn", "qinqing.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
        "--workers", str(GUNICORN_WORKERS), "--threads", str(GUNICORN_THREADS),
        "--worker-class", "gthread", "--timeout", "60", "--error-logfile", "-",
        # Connections stay open between a user's actions, as behind a proxy that keeps them
        # (nginx: 75 s). With gunicorn's default of 2 s, a request sent on a connection the
        # server was just closing failed (status 0) whenever a user thought for over 2 s.
        "--keep-alive", str(GUNICORN_KEEP_ALIVE),
    ]  # fmt: skip
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited early; see {log_path}")
                try:
                    with urllib.request.urlopen(base + ready_path, timeout=5) as answer:  # noqa: S310
                        if answer.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer {ready_path}; see {log_path}")
                time.sleep(0.3)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def run_locust(*, host: str, users: int, spawn_rate: float, run_time: str, out_prefix: Path,
               mix: str = "app", fixture: Path | None = None,
               extra_env: dict[str, str] | None = None) -> dict:  # fmt: skip
    """locust headless, in its own process; returns the figures read from its CSV."""
    out_prefix.parent.mkdir(parents=True, exist_ok=True)
    status_out = out_prefix.with_name(out_prefix.name + "_status.json")
    status_out.unlink(missing_ok=True)
    env = {**os.environ, "LOAD_MIX": mix, "LOAD_STATUS_OUT": str(status_out),
           **({"LOAD_FIXTURE": str(fixture)} if fixture else {}), **(extra_env or {})}  # fmt: skip
    locust = shutil.which("locust", path=str(Path(sys.executable).parent)) or "locust"
    command = [
        locust, "-f", str(LOCUSTFILE), "--headless", "--host", host,
        "--users", str(users), "--spawn-rate", str(spawn_rate), "--run-time", run_time,
        "--csv", str(out_prefix), "--only-summary", "--stop-timeout", "15",
        "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    started = time.monotonic()
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=_seconds(run_time) + 120, check=False)  # fmt: skip
    elapsed = time.monotonic() - started
    if completed.returncode != 0:
        raise RuntimeError(f"locust failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    figures = read_locust(out_prefix, status_out)
    figures["locust"] = {
        "users": users,
        "spawn_rate": spawn_rate,
        "run_time": run_time,
        "seconds": round(elapsed, 1),
        "command": "locust " + " ".join(command[1:]),
    }
    return figures


def _seconds(run_time: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return (
        int(float(run_time[:-1]) * units[run_time[-1]]) if run_time[-1] in units else int(run_time)
    )


def read_locust(out_prefix: Path, status_out: Path) -> dict:
    """Per route: requests, failures, answers by status, req/s, p50/p95/p99 (ms)."""
    statuses = json.loads(status_out.read_text()) if status_out.exists() else {}
    routes, total = [], None
    with open(f"{out_prefix}_stats.csv", newline="") as source:
        for row in csv.DictReader(source):
            name = row["Name"]
            codes = statuses.get(name, {})
            figure = {
                "route": name,
                "method": row["Type"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "server_errors": sum(n for code, n in codes.items() if code.startswith("5")),
                "statuses": codes,
                "requests_per_second": round(float(row["Requests/s"]), 2),
                "p50_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
                "p99_ms": _number(row["99%"]),
                "mean_ms": round(float(row["Average Response Time"]), 1),
                "max_ms": round(float(row["Max Response Time"]), 1),
            }
            if name == "Aggregated":
                figure["server_errors"] = sum(
                    n for codes in statuses.values() for code, n in codes.items()
                    if code.startswith("5")
                )  # fmt: skip
                figure["route"] = "all routes"
                total = figure
            else:
                routes.append(figure)
    errors = []
    failures_csv = Path(f"{out_prefix}_failures.csv")
    if failures_csv.exists():
        with open(failures_csv, newline="") as source:
            errors = [
                {
                    "route": row["Name"],
                    "error": row["Error"],
                    "occurrences": int(row["Occurrences"]),
                }
                for row in csv.DictReader(source)
            ]
    return {"routes": sorted(routes, key=lambda r: r["route"]), "total": total, "errors": errors}


def _number(text: str) -> float | None:
    return None if text in ("", "N/A") else float(text)


def print_routes(title: str, figures: dict) -> None:
    print(f"\n{title}")
    print(f"{'route':<40} {'reqs':>7} {'fail':>5} {'5xx':>4} {'req/s':>8} {'p50':>7} "
          f"{'p95':>7} {'p99':>7}  (ms)")  # fmt: skip
    for row in [*figures["routes"], figures["total"]]:
        p50, p95, p99 = (row[key] or 0 for key in ("p50_ms", "p95_ms", "p99_ms"))
        print(f"{row['route']:<40} {row['requests']:>7} {row['failures']:>5} "
              f"{row['server_errors']:>4} {row['requests_per_second']:>8.2f} "
              f"{p50:>7.0f} {p95:>7.0f} {p99:>7.0f}")  # fmt: skip
    for error in figures["errors"]:
        print(f"  error on {error['route']}: {error['error']} (x{error['occurrences']})")


def machine(*, database_url: str | None = None, redis_url: str | None = None) -> dict:
    """The machine the figures were measured on, and how busy it was."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    described = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": _os_name(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if database_url:
        server = database_url.rsplit("/", 1)[0] + "/postgres"  # whether or not it exists yet
        described["postgresql"] = _query(["psql", server, "-tAc", "show server_version"])
    if redis_url:
        info = _query(["redis-cli", "-u", redis_url, "info", "server"])
        described["redis"] = next((line.split(":", 1)[1] for line in (info or "").splitlines()
                                   if line.startswith("redis_version:")), None)  # fmt: skip
    return described


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def _query(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def write_json(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
