"""Settings for the benchmarks' servers only: the project's production settings (from the
environment, DEBUG off) with the framework-floor view added to the URLs (bench/urls.py).

Never used in production: the floor view exists only in this URLconf, so it cannot be
reached from qinqing.urls.
"""

import os

from qinqing.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# cProfile in the benchmark's servers (bench/profiling.py), when asked for.
if os.environ.get("BENCH_PROFILE_DIR"):
    MIDDLEWARE = ["bench.profiling.ProfileMiddleware", *MIDDLEWARE]  # noqa: F405
    from bench.profiling import connect_worker_signals

    connect_worker_signals()
