"""A real `celery worker` in a separate process, bound to a given database and queue.

Used by the worker tests (on the test database) and the benchmarks: both need the worker to
see the same database as the process that enqueues, which a fixed CI worker could not.
"""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from qinqing.tasks import ping

ROOT = Path(__file__).resolve().parent.parent


def database_url_for_current_connection() -> str:
    """DATABASE_URL with the database name this process is really using (e.g. test_*)."""
    return os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]


def queues_of(default_queue: str) -> list[str]:
    """The default queue and the ones routed beside it (qinqing/settings/services.py)."""
    return [default_queue, f"{default_queue}.batch", f"{default_queue}.notifications"]


@contextmanager
def running_worker(
    *,
    database_url: str,
    settings_module: str,
    log_path: Path,
    concurrency: int = 2,
    queue: str | None = None,
    extra_env: dict[str, str] | None = None,
    wait: bool = True,
) -> Iterator[subprocess.Popen]:
    queue = queue or settings.CELERY_TASK_DEFAULT_QUEUE
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CACHE_KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", ""),
        **(extra_env or {}),
    }
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, no user input
            [
                sys.executable, "-m", "celery", "-A", "qinqing", "worker",
                "-Q", ",".join(queues_of(queue)),
                "-n", f"test-{uuid.uuid4().hex[:8]}@%h",
                "--pool", "threads", "--concurrency", str(concurrency), "--loglevel", "INFO",
                "--without-gossip", "--without-mingle",
            ],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            if wait:
                _wait_until_it_answers(process, log_path)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_it_answers(process: subprocess.Popen, log_path: Path, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited early; see {log_path}")
        try:
            if ping.apply_async().get(timeout=2) == "pong":
                return
        except Exception:  # noqa: S112 - not up yet; try again until the deadline
            continue
    raise RuntimeError(f"the Celery worker did not answer within {timeout} s; see {log_path}")
