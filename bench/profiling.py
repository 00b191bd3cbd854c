"""cProfile inside the benchmark's own servers, for bench/claims.py: only when
BENCH_PROFILE_DIR is set, and only through bench/settings.py (never production's).

Each thread of a gunicorn worker profiles the requests it serves (the whole middleware
chain and the view); each Celery worker thread profiles the tasks it runs. Every process
writes its accumulated profile to BENCH_PROFILE_DIR/<web|worker>-<pid>-<thread>.prof every
PROFILE_EVERY requests or tasks, and read them together with bench/profiling.py's report().
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import threading
import time
from pathlib import Path

PROFILE_EVERY = 100
_local = threading.local()


def _profiler(kind: str) -> cProfile.Profile:
    profiler = getattr(_local, "profiler", None)
    if profiler is None:
        # The thread's own CPU time, not the wall clock: with many threads to a process the
        # wall clock charges a function for the time its thread waited for the GIL.
        profiler = _local.profiler = cProfile.Profile(time.thread_time)
        _local.count = 0
        _local.path = (Path(os.environ["BENCH_PROFILE_DIR"])
                       / f"{kind}-{os.getpid()}-{threading.get_ident()}.prof")  # fmt: skip
    return profiler


def _done() -> None:
    _local.count += 1
    if _local.count % PROFILE_EVERY == 0:
        _local.profiler.dump_stats(_local.path)


class ProfileMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        profiler = _profiler("web")
        profiler.enable()
        try:
            return self.get_response(request)
        finally:
            profiler.disable()
            _done()


def connect_worker_signals() -> None:
    from celery.signals import task_postrun, task_prerun

    @task_prerun.connect(weak=False)
    def _start(**_kwargs) -> None:
        _profiler("worker").enable()

    @task_postrun.connect(weak=False)
    def _stop(**_kwargs) -> None:
        _local.profiler.disable()
        _done()


def report(directory: str, kind: str, limit: int = 40) -> None:
    files = [str(path) for path in Path(directory).glob(f"{kind}-*.prof")]
    stats = pstats.Stats(*files, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)


if __name__ == "__main__":
    report(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 40)
