"""Settings for the benchmarks' servers only: the project's production settings (from the
environment, DEBUG off) with the framework-floor view added to the URLs (bench/urls.py).

Never used in production: the floor view exists only in this URLconf, so it cannot be
reached from qinqing.urls.
"""

from qinqing.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
