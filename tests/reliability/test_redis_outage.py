"""Redis made unreachable mid-stream on the real stack (issue #19), the short form of
bench/faults_outage.py: gunicorn, a Celery worker and beat, PostgreSQL, and a redis-server
of the run's own, killed for 15 s while clients claim and read pages over HTTP.

Before the fix a claim took 19 s while Redis was away (the result backend's retries inside
send_task) and the claims made then waited ten minutes for the "stuck" sweep; the worker
and beat did not survive the outage at all.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from qinqing.worker_process import ROOT

from ..conftest import REQUIRE_SERVICES

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.redis]


@pytest.mark.long
def test_claims_answer_at_once_while_redis_is_down_and_are_decided_when_it_returns(tmp_path):
    if shutil.which("redis-server") is None:
        message = "needs the redis-server program: the run stops a Redis of its own"
        pytest.fail(message) if REQUIRE_SERVICES else pytest.skip(message)
    figures = tmp_path / "outage.json"
    env = {key: value for key, value in os.environ.items()
           if key not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}  # fmt: skip
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "faults_outage.py"), "--before", "6",
         "--outage", "15", "--threads", "3", "--enterprises", "80", "--wait", "90",
         "--json", str(figures)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert figures.exists(), f"the run failed:\n{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    results = json.loads(figures.read_text())
    outage = results["phases"]["outage"]
    summary = json.dumps({k: v for k, v in results.items() if k != "phases"}, indent=1)
    summary += "\n" + json.dumps(outage, indent=1)
    assert outage["claims_posted"] > 5, summary
    # Every request answered, none with a 5xx or a dropped connection.
    assert all(answer.rsplit(": ", 1)[1] < "500" for answer in outage["answers"]), summary
    # The claims made meanwhile are decided within 60 s of Redis' return; nothing in flight,
    # nothing lost, nothing paid twice (the run's own checks).
    assert results["claims_made_during_outage"] > 0, summary
    assert results["decided_seconds_after_return"] is not None, summary
    assert results["decided_seconds_after_return"] <= 60, summary
    assert results["settled_seconds_after_return"] is not None, summary
    latency = [a for a in results["anomalies"] if "p99" in a]
    assert [a for a in results["anomalies"] if a not in latency] == [], summary
    # The 500 ms p99 of the issue is the long run's check (bench/faults_outage.py, quoted in
    # docs/operations.md); on a shared CI machine the short form allows a loaded core's
    # slack, far below the 19 s a claim took before.
    assert outage["claim_p99_ms"] < 2000, summary
