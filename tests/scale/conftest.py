"""Fixtures of the scale tests (issue #25): the streaming standby.

Tests marked `replica` need DATABASE_REPLICA_URL (a hot standby of DATABASE_URL's server;
.ci/run starts one). They are skipped without it, and fail instead with
QINQING_REQUIRE_SERVICES=1, as the other service tests (tests/conftest.py).
"""

import time

import pytest
from django.conf import settings
from django.db import OperationalError, connections

from qinqing.dbrouting import REPLICA

from ..conftest import REQUIRE_SERVICES

MISSING = "needs a streaming standby: set DATABASE_REPLICA_URL=postgres://... (.ci/run starts one)"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "replica: needs a streaming hot standby (DATABASE_REPLICA_URL)"
    )


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@pytest.fixture(autouse=True)
def _needs_replica(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("replica") is None or replica_configured():
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"QINQING_REQUIRE_SERVICES=1 but this test's service is missing: {MISSING}")
    pytest.skip(f"service missing: {MISSING}")


def wait_for_standby_database(timeout: float = 30.0) -> None:
    """Until the standby has replayed the test database's creation: right after the test
    run creates it on the primary, connecting to it on the standby can still fail."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connections[REPLICA].ensure_connection()
            return
        except OperationalError:
            connections[REPLICA].close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wait_for_standby(timeout: float = 15.0) -> None:
    """Until the standby has replayed everything the primary has committed so far."""
    wait_for_standby_database()
    with connections["default"].cursor() as cursor:
        cursor.execute("select pg_current_wal_lsn()")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    with connections[REPLICA].cursor() as cursor:
        while True:
            cursor.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"the standby did not replay up to {target} within {timeout} s")
            time.sleep(0.05)


@pytest.fixture
def pause_standby():
    """Call it to let the standby replay everything committed so far and then stop
    replaying (it keeps serving what it has); replay resumes when the test ends."""
    paused = []

    def pause() -> None:
        wait_for_standby()
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("select pg_wal_replay_pause()")
        paused.append(True)

    yield pause
    if paused:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("select pg_wal_replay_resume()")
