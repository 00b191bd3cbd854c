"""Where a batch run's time goes, in one process: the run of bench/batch.py with its tasks
run inline (no worker, no broker hop) under cProfile, on PostgreSQL. Prints the functions
with the most cumulative and own time, and the share of the run spent waiting for
PostgreSQL (time inside the driver's execute/copy calls).

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/profile_batch.py

BENCH_PROFILE_SIZE (default 20,000 enterprises). Not a benchmark: cProfile slows Python
down; read the shares, not the seconds.
"""

import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from stack import setup  # noqa: E402

setup("profile-batch")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SIZE = int(os.environ.get("BENCH_PROFILE_SIZE", "20000"))


def main() -> None:
    from policies.models import Policy
    from subsidies.batch import start
    from subsidies.models import BatchRun

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        out = io.StringIO()
        call_command("seed_demo", enterprises=SIZE, seed=2021, stdout=out)
        call_command("refresh_extracts", purpose="benchmark", stdout=out)
        settings.CELERY_TASK_ALWAYS_EAGER = True
        from qinqing.celery import app

        app.conf.task_always_eager = True
        call_command("seed_demo_policies", budget=10**11, leave_batch_runs=True, stdout=out)
        version = Policy.objects.get(code="stable-jobs-2026").versions.get(status="published")
        BatchRun.objects.filter(version=version).delete()
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.enable()
        run = start(version.pk)
        profiler.disable()
        print(f"run {run.status}: {run.qualified} claims in {time.perf_counter() - began:.2f} s")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
