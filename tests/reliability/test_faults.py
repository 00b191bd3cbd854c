"""The fault-injection run (bench/faults.py) in its short form: about 35 seconds of claims,
reviews, approvals and reads while workers are killed, Redis restarted, database
connections dropped, departments, treasury and a partner's receiver failing; then the
invariants. Any anomaly fails the test (the run lists them). The long form: `make faults`.

It starts its own redis-server (so that restarting it disturbs nobody), its own database
beside DATABASE_URL's, and its own workers."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from qinqing.worker_process import ROOT

from ..conftest import REQUIRE_SERVICES

pytestmark = [pytest.mark.postgres, pytest.mark.worker]


@pytest.mark.long
def test_claims_and_approvals_survive_random_faults_with_no_anomaly(tmp_path):
    if shutil.which("redis-server") is None:
        message = "needs the redis-server program: the run restarts a Redis of its own"
        pytest.fail(message) if REQUIRE_SERVICES else pytest.skip(message)
    figures = tmp_path / "faults.json"
    env = {key: value for key, value in os.environ.items()
           if key not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}  # fmt: skip
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "faults.py"), "--seconds", "35",
         "--fault-every", "1.5", "--hold", "2.5", "--enterprises", "120", "--threads", "4",
         "--recovery-seconds", "60", "--seed", "2026", "--json", str(figures)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=420,
    )  # fmt: skip
    summary = run.stdout[run.stdout.rfind("\noperations:") :]
    assert figures.exists(), (
        f"the run failed before its checks:\n{run.stdout[-3000:]}\n" + (run.stderr[-5000:])
    )
    results = json.loads(figures.read_text())
    assert results["anomalies"] == [], summary
    assert run.returncode == 0, summary
    # It did what it says: every kind of fault, a real stream, every outcome.
    assert set(results["fault_kinds"]) <= set(results["faults"]), summary
    assert results["operations_total"] > 100, summary
    statuses = results["final"]["claims_by_status"]
    assert statuses.get("paid", 0) > 0 and statuses.get("ineligible", 0) > 0, summary
    assert results["final"]["webhook_events"].get("delivered", 0) > 0, summary
    assert results["final"]["treasury_server"].get("paid", 0) > 0, summary
