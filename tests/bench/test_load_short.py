"""The load test's short form (bench/load.py --short): the whole mix of bench/locustfile.py
for about 20 s against gunicorn, a Celery worker, PostgreSQL and Redis, on a fresh database
beside this run's test database (so that it holds all that migrations load). It asserts
correctness under load, not speed: no failed request, no 5xx, every route of the mix
exercised and every claim submitted taken by the worker. The timed, full form is
`make bench-load`.

locust (gevent) runs as a process of its own, started by bench/load.py: it never enters
this process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from qinqing.worker_process import database_url_for_current_connection

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.mark.long
def test_the_load_mix_runs_without_a_failure(reference_data, tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    env = {**os.environ, "DATABASE_URL": database_url_for_current_connection(),
           "REDIS_URL": settings.REDIS_URL}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "bench/load.py", "--short", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())

    total = results["total"]
    assert total["requests"] > 100
    assert total["failures"] == 0, results["errors"]
    assert total["server_errors"] == 0
    exercised = {row["route"] for row in results["routes"] if row["requests"] > 0}
    missing = set(results["routes_expected"]) - exercised
    assert not missing, f"routes never requested: {sorted(missing)}"
    for row in results["routes"]:
        assert row["failures"] == 0 and row["server_errors"] == 0, row
    # Every claim submitted during the run was decided by the worker (none still checking
    # once the run had up to 30 s to settle).
    claims = results["claims_during_run"]
    assert sum(claims.values()) > 0
    assert claims.get("checking", 0) == 0, claims
