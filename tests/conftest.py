"""Shared fixtures, and the rule for tests that need a real service.

A test marked `postgres`, `redis`, `worker` or `e2e` is skipped with the reason when that
service is not configured. With QINQING_REQUIRE_SERVICES=1 (set by .ci/run) the same test
fails instead, so CI can never pass by skipping them.
"""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from departments.models import Department
from qinqing.browser import CHROMIUM_PATH, chromium_executable
from qinqing.worker_process import database_url_for_current_connection, running_worker
from sandbox.departments import behaviour as simulated_departments
from sandbox.departments.models import SimulationSetting

from .db_flush import flush_only_tables_with_rows
from .factories import EnterpriseFactory, OfficialFactory, department, district, member_of

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("QINQING_REQUIRE_SERVICES") == "1"


def _redis_reachable() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _missing_service(marker: str) -> str | None:
    """Why a test with this marker cannot run here, or None when it can."""
    if marker == "postgres" and settings.DATABASES["default"]["ENGINE"] != (
        "django.db.backends.postgresql"
    ):
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if marker in ("redis", "worker") and not _redis_reachable():
        return "needs Redis: set REDIS_URL=redis://... to a running server"
    if marker == "worker" and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return "needs a database a worker process can share (PostgreSQL), not in-memory SQLite"
    if marker == "e2e" and chromium_executable() is None:
        return f"needs Chromium at {CHROMIUM_PATH} (apt-get install chromium)"
    return None


SERVICE_MARKERS = ("postgres", "redis", "worker", "e2e")


def pytest_configure(config: pytest.Config) -> None:
    flush_only_tables_with_rows()  # tests/db_flush.py: each committing test's teardown
    _sequences_from(os.environ.get("QINQING_TEST_SEQUENCES_FROM"))


def _sequences_from(start: str | None) -> None:
    """Every factory's sequence starts at `start` (QINQING_TEST_SEQUENCES_FROM=5000): the
    USCC, name and username a factory gives depend on how many tests ran before in the
    same process, and the simulated departments answer from the USCC, so a test that
    passes only for the codes it happens to get fails some day on another worker. Run the
    suite from another start to find such a test before CI does."""
    if not start:
        return
    import factory

    from . import factories

    for value in vars(factories).values():
        if (isinstance(value, type) and issubclass(value, factory.base.BaseFactory)
                and value._meta.model is not None
                and value._meta.counter_reference is value._meta):  # fmt: skip
            value.reset_sequence(int(start))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Before pytest-django's own sort (tests in a transaction, then tests that commit, then
    # the rest), which keeps this order within each of its groups: a test that commits
    # empties the tables at its end, the reference data the migrations loaded included, so
    # no test in a transaction may follow one.
    _long_first(items)
    reasons: dict[str, str | None] = {}
    for item in items:
        for marker in SERVICE_MARKERS:
            if item.get_closest_marker(marker) is None:
                continue
            if marker not in reasons:
                reasons[marker] = _missing_service(marker)
            reason = reasons[marker]
            if reason is None:
                continue
            if REQUIRE_SERVICES:
                item.add_marker(pytest.mark.usefixtures("_fail_missing_service"))
                item.user_properties.append(("missing_service", reason))
            else:
                item.add_marker(pytest.mark.skip(reason=f"service missing: {reason}"))


def _long_first(items: list[pytest.Item]) -> None:
    """Tests marked `long` (tens of seconds to minutes each) first, in their own order, the
    rest after them in theirs (within each of pytest-django's groups, above): with xdist
    the workers then end together, instead of one starting a four-minute test while the
    other has nothing left (collection order put most of them last: reliability/,
    security/)."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(autouse=True)
def _grouped_as_marked(request: pytest.FixtureRequest) -> None:
    """With `--dist loadgroup` (the Makefile's), xdist marks each grouped test's id with its
    group so that one process runs the whole group. pytest 9.2 keeps the id where xdist 3.8
    no longer writes it, and the groups were silently spread over both processes (the
    embedded site, a minute to build, was built twice): such a test fails instead."""
    node = request.node
    if (
        getattr(request.config.option, "loadgroup", False)
        and node.get_closest_marker("xdist_group") is not None
        and "@" not in node.nodeid
    ):
        pytest.fail(
            "pytest-xdist did not put this test in its xdist_group: is pytest newer than "
            "xdist supports? (requirements/constraints.txt)"
        )


@pytest.fixture
def _fail_missing_service(request: pytest.FixtureRequest) -> None:
    reasons = [value for key, value in request.node.user_properties if key == "missing_service"]
    pytest.fail(f"QINQING_REQUIRE_SERVICES=1 but this test's service is missing: {reasons[0]}")


@pytest.fixture
def reference_data(transactional_db) -> None:
    """Tests on committed data (browser, worker) empty every table afterwards, including the
    districts and departments that migrations load; put them back first."""
    from departments.models import Department, District
    from departments.services import sync_reference_data

    if not District.objects.exists():
        sync_reference_data(District, Department)


# --- Clients and people -------------------------------------------------------------------


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def enterprise(db):
    return EnterpriseFactory()


@pytest.fixture
def other_enterprise(db):
    return EnterpriseFactory()


@pytest.fixture
def member(enterprise):
    """The legal representative of `enterprise`."""
    return member_of(enterprise)


@pytest.fixture
def other_member(other_enterprise):
    return member_of(other_enterprise)


@pytest.fixture
def official_xihu(db):
    return OfficialFactory(district=district("xihu"))


@pytest.fixture
def official_binjiang(db):
    return OfficialFactory(department=department("hrss"), district=district("binjiang"))


@pytest.fixture
def official_city(db):
    return OfficialFactory(department=department("taxation"), district=None)


# --- A real Celery worker process ---------------------------------------------------------


def _xdist_suffix() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"-{worker}" if worker else ""


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker) -> Iterator[subprocess.Popen]:
    """A separate `celery worker` process on the test database and this run's own queue.

    Tests using it need committed data: mark them django_db(transaction=True).
    """
    with django_db_blocker.unblock():
        database_url = database_url_for_current_connection()
    with running_worker(
        database_url=database_url,
        settings_module="tests.settings",
        # One log per pytest-xdist worker (test-worker-gw0.log), or test-worker.log.
        log_path=ROOT / "var" / f"test-worker{_xdist_suffix()}.log",
    ) as process:
        yield process


@pytest.fixture
def outbox_listened() -> Iterator[None]:
    """A consumer of the outbox that wants every event type (qinqing.events.registry
    CONSUMERS): events are written waiting to be handed out, as when a partner listens."""
    from qinqing.events.registry import CONSUMERS, EVENT_TYPES

    CONSUMERS.register("tests", lambda: set(EVENT_TYPES))
    try:
        yield
    finally:
        CONSUMERS.unregister("tests")


@pytest.fixture
def simulate(db):
    """simulate("taxation", error_rate=1.0): change how a department behaves, as the admin
    would."""

    def change(department: str, **behaviour) -> SimulationSetting:
        setting, _ = SimulationSetting.objects.update_or_create(
            department=Department.objects.get(code=department),
            defaults={"latency_ms": 0, "jitter_ms": 0, **behaviour},
        )
        simulated_departments.forget_behaviour(department)
        return setting

    return change


@pytest.fixture(autouse=True)
def _tasks_in_process(request, monkeypatch):
    """Tests follow their tasks step by step in this process. With a broker configured a
    worker would take them instead, racing the test's own database work; tests marked
    `worker` (and the health check's broker tests) use the real broker on purpose."""
    from qinqing.celery import app as celery_app

    simulated_departments.forget_local_behaviour()
    if (
        request.node.get_closest_marker("worker") is None
        and request.node.get_closest_marker("redis") is None
    ):
        monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    yield
    # Eager tasks run from several threads at once (the concurrency tests) leave Celery's
    # process-wide "inside a task" flag set, and a later result.get() would then refuse.
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _no_pause_from_an_earlier_test():
    """After a failure, the cache and the task queue skip Redis for a moment, per process
    (qinqing.cache, qinqing.queueing): a test that made Redis fail must not leave the next
    test's cache or queue paused."""
    import qinqing.cache
    import qinqing.queueing

    qinqing.cache._paused_until = 0.0
    qinqing.queueing._paused_until = 0.0


@pytest.fixture(autouse=True)
def _fresh_wanted_event_types():
    """The outbox keeps which event types are wanted for a second per process; a test's
    subscriptions are rolled back without a signal, so no test hears the previous one's."""
    from qinqing.events.registry import forget_wanted_types

    forget_wanted_types()


@pytest.fixture(autouse=True)
def _fresh_working_calendar():
    """The working-hours clock keeps the CalendarDay table for a minute; a test's rows are
    rolled back without a signal, so no test sees the previous one's calendar."""
    from qinqing.workhours.clock import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Messages a service raises are in the active language. Outside a request that was
    whatever an earlier test left active, so a test reading a message passed or failed
    by its place in the run; every test now starts in English (requests still choose
    their own language)."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()
