"""The embedded default for real (issue #21): `manage.py run_embedded` on a SQLite file and
kombu's filesystem broker — the web server, a Celery worker and beat as three processes,
no Redis — as `make run` starts them. A claim waiting for department data is rechecked by
the scheduler, a claim made in the browser moves from "checking" to "paid", and one
Ctrl-C (SIGINT) stops all three.

The rest of the suite runs tasks inline (tests/settings.py); these tests start their own
processes on a database and broker folder of their own under tmp, so they need no service.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from qinqing.worker_process import ROOT

# Long, and one site for the module's three tests: kept on one xdist worker (the Makefile's
# --dist loadgroup), or each worker would build the site (a minute) again.
pytestmark = [pytest.mark.long, pytest.mark.xdist_group("embedded-site")]

SEED = """
from datetime import timedelta
from django.utils import timezone
from sandbox.departments.models import SimulationSetting
from departments.models import Department
from policies.models import PolicyVersion
# The demo's versions were published hours ago, their batch runs done or not wanted: the
# claims in these tests come from the tests (the owed-work sweep starts a run only for a
# version published in the last hours).
PolicyVersion.objects.filter(status="published").update(
    published_at=timezone.now() - timedelta(days=1))
# Departments answer in 1.5 s: long enough for the browser to see the claim "checking".
for department in Department.objects.all():
    SimulationSetting.objects.update_or_create(
        department=department, defaults={"latency_ms": 1500, "jitter_ms": 0})
"""
WAITING = """
from datetime import timedelta
from django.utils import timezone
from enterprises.models import Enterprise
from policies.models import Policy
from subsidies.claims import period_key
from subsidies.models import Claim, ClaimStatus
policy = Policy.objects.get(code="stable-jobs-2026")
version = policy.versions.get(status="published")
enterprise = Enterprise.objects.exclude(claims__policy=policy).order_by("pk").first()
claim = Claim.objects.create(
    enterprise=enterprise, policy=policy, version=version,
    period=period_key(version, timezone.localdate()), status=ClaimStatus.AWAITING_DATA,
    checks=1, next_check_at=timezone.now() - timedelta(seconds=1))
print(claim.pk)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Site:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.database = folder / "db.sqlite3"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items()
               if k not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")},
            "DJANGO_SETTINGS_MODULE": "qinqing.settings",
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{self.database}",
            "CELERY_EMBEDDED_DIR": str(folder / "celery"),
            "QINQING_SANDBOX": "true",
            "HUB_TIMEOUT_SECONDS": "5",
            # Beat's recheck of waiting claims every 3 s instead of every minute.
            "RECHECK_WAITING_SECONDS": "3",
        }  # fmt: skip

    def manage(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, input=stdin,
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
        return done.stdout

    def claim(self, claim_id: int) -> tuple[str, int]:
        with sqlite3.connect(self.database, timeout=20) as db:
            return db.execute(
                "SELECT status, checks FROM subsidies_claim WHERE id = ?", (claim_id,)
            ).fetchone()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> Iterator[tuple[Site, subprocess.Popen]]:
    site = Site(tmp_path_factory.mktemp("embedded"))
    site.manage("migrate", "--noinput", "-v", "0")
    site.manage("seed_demo", "--enterprises", "20", "--seed", "2021")
    site.manage("refresh_extracts", "--purpose", "embedded-mode test")
    site.manage("seed_demo_policies", "--leave-batch-runs")
    site.manage("shell", stdin=SEED)
    for message in (site.folder / "celery" / "queue").glob("*.msg"):
        message.unlink()  # the publications' batch runs: the claims here are the tests'
    log = open(site.folder / "run.log", "w")  # noqa: SIM115 - closed below
    launcher = subprocess.Popen(
        [sys.executable, "manage.py", "run_embedded", f"127.0.0.1:{site.port}", "--noreload"],
        cwd=ROOT, env=site.env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            assert launcher.poll() is None, (site.folder / "run.log").read_text()[-4000:]
            try:
                with urllib.request.urlopen(site.base + "/", timeout=5) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, (site.folder / "run.log").read_text()[-4000:]
            time.sleep(0.5)
        yield site, launcher
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGTERM)
            try:
                launcher.wait(30)
            except subprocess.TimeoutExpired:
                launcher.kill()
        log.close()


def test_a_waiting_claim_is_rechecked_by_the_scheduler(embedded):
    site, _launcher = embedded
    claim_id = int(site.manage("shell", stdin=WAITING).strip().splitlines()[-1])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (
        site.claim(claim_id)[1] < 2 or site.claim(claim_id)[0] in ("checking", "submitted")
    ):
        time.sleep(0.5)
    status, checks = site.claim(claim_id)
    log = (site.folder / "run.log").read_text()
    assert checks == 2, f"not rechecked within 60 s:\n{log[-4000:]}"
    assert status not in ("awaiting_data", "checking", "submitted"), status
    assert "Sending due task recheck-waiting-claims" in log


@pytest.mark.e2e
def test_a_claim_page_moves_from_checking_to_paid(embedded):
    site, _launcher = embedded
    # Its own thread: the suite's browser fixture (tests/e2e) keeps an asyncio loop in the
    # main thread, where Playwright's sync API refuses to start a second one.
    failures: list[BaseException] = []

    def watch() -> None:
        try:
            _watch_a_claim_to_paid(site.base)
        except BaseException as error:  # re-raised in the test's thread
            failures.append(error)

    thread = threading.Thread(target=watch)
    thread.start()
    thread.join(180)
    assert not thread.is_alive(), "the browser did not finish within 3 minutes"
    if failures:
        raise failures[0]


def _watch_a_claim_to_paid(base: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    from sandbox.city.management.commands.seed_demo import DEMO_PASSWORD

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox"])  # fmt: skip
        page = browser.new_page(locale="en-US")
        page.goto(base + "/accounts/login/")
        page.fill("input[name=username]", "enterprise")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.locator("form button[type=submit], form input[type=submit]").last.click()
        page.wait_for_load_state()
        page.goto(base + "/policies/calculator/")
        page.locator("form[action$='/claims/claim/stable-jobs-2026/'] button").click()
        # The claim's live status arrives in the policy's card (or, without scripts, on
        # the claim's page): recorded as checking; the worker on the embedded broker
        # decides and pays it, and the status's own polling shows it, as in production.
        status = page.locator("#claim-status h2")
        expect(status).to_contain_text(re.compile("checking", re.I), timeout=5000)
        expect(status).to_contain_text(re.compile("paid", re.I), timeout=60000)
        browser.close()


def test_one_interrupt_stops_the_web_server_the_worker_and_beat(embedded):
    _site, launcher = embedded
    children_file = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children")
    children = [int(pid) for pid in children_file.read_text().split()]
    assert len(children) == 3, children
    launcher.send_signal(signal.SIGINT)
    assert launcher.wait(40) == 0 or launcher.returncode is not None
    time.sleep(1)
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in _state(pid), pid


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return "zombie"
