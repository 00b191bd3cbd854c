"""`manage.py run_embedded [addr:port]`: the embedded default as production runs it — the
web server, a Celery worker and Celery beat, on the filesystem broker under var/celery/
(qinqing/settings/services.py) — in one terminal; Ctrl-C stops all three (`make run` uses it).

A management command rather than a Procfile runner: it needs nothing beyond Django and
Celery (honcho would be one more dependency for three lines of process handling), and it
knows the project's Python and settings. Each line of output is prefixed with the process
it came from. If one of the three stops by itself, the others are stopped too, so a
broken worker is never hidden behind a running web server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

ROOT = Path(settings.BASE_DIR)
STOP_SECONDS = 15


def commands(addrport: str, *, reload: bool, concurrency: int) -> dict[str, list[str]]:
    python = sys.executable
    web = [python, str(ROOT / "manage.py"), "runserver", addrport]
    if not reload:
        web.append("--noreload")
    return {
        "web": web,
        "worker": [python, "-m", "celery", "-A", "qinqing", "worker", "--loglevel", "INFO",
                   "--pool", "threads", "--concurrency", str(concurrency),
                   "--without-gossip", "--without-mingle", "-n", "embedded@%h"],
        "beat": [python, "-m", "celery", "-A", "qinqing", "beat", "--loglevel", "INFO"],
    }  # fmt: skip


def _interrupt(number: int, _frame: object) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Serve the portal with a Celery worker and beat beside it; Ctrl-C stops all three."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--noreload", action="store_true",
                            help="do not restart the web server when code changes")  # fmt: skip
        parser.add_argument("--concurrency", type=int, default=2,
                            help="worker threads (SQLite takes one writer at a time)")  # fmt: skip

    def handle(self, *args, addrport: str, noreload: bool, concurrency: int, **options) -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("CELERY_TASK_ALWAYS_EAGER is on: tasks would run in the web "
                               "server; unset it to run the worker and beat.")  # fmt: skip
        broker = settings.CELERY_BROKER_URL.split("://", 1)[0]
        self.stdout.write(f"web server on http://{addrport}/, a Celery worker and beat on "
                          f"the {broker} broker. Ctrl-C stops them all.")  # fmt: skip
        processes: dict[str, subprocess.Popen] = {}
        # Ctrl-C and a plain `kill` stop all three, even where the shell that started this
        # command left SIGINT ignored (a background job of a script).
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, _interrupt)
        try:
            for name, command in commands(addrport, reload=not noreload,
                                          concurrency=concurrency).items():  # fmt: skip
                processes[name] = subprocess.Popen(  # noqa: S603 - fixed arguments
                    command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    text=True, bufsize=1,
                    # Each in a process group of its own, stopped as a whole below: the
                    # runserver reloader's child and the worker's threads go with it.
                    start_new_session=True,
                )  # fmt: skip
                threading.Thread(target=self._relay, args=(name, processes[name]),
                                 daemon=True).start()  # fmt: skip
            while True:
                for name, process in processes.items():
                    if process.poll() is not None:
                        status = process.returncode
                        raise CommandError(f"the {name} process stopped (exit status "
                                           f"{status}); stopping the others")  # fmt: skip
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("stopping the web server, the worker and beat …")
        finally:
            self._stop(processes)

    def _relay(self, name: str, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.stdout.write(f"{name:>6} | {line.rstrip()}")

    @staticmethod
    def _stop(processes: dict[str, subprocess.Popen]) -> None:
        """SIGTERM to each process's group (a warm shutdown for the worker), then SIGKILL
        whatever is still running after STOP_SECONDS."""
        for process in processes.values():
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
