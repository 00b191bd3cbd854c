"""Shared by the benchmarks that run on the real stack (claims, batch): Django set up
against PostgreSQL and Redis with production-like settings, on a queue and cache
namespace of this run's own, so that nothing left by an earlier run (queued tasks,
cached facts) flatters the figures."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(name: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "qinqing.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    # Production settings, but the departments, the treasury and the partners are simulated:
    # the sandbox is installed (off by default when DEBUG is off).
    os.environ.setdefault("QINQING_SANDBOX", "true")
    os.environ.update(
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        STATIC_MANIFEST="false",
        LOG_LEVEL="WARNING",
        CELERY_TASK_DEFAULT_QUEUE=f"bench-{name}-{os.getpid()}",
        CACHE_KEY_PREFIX=f"bench-{name}-{os.getpid()}",
    )
    import django

    django.setup()
