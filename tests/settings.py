"""Test settings: the project's settings with what only tests need changed.

Service URLs (DATABASE_URL, REDIS_URL) still come from the environment, so the same suite
runs on the embedded default and against PostgreSQL, Redis and a Celery worker.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret-" + "x" * 40)
# pytest-xdist (`-n 2`): worker gwN uses Redis database number REDIS_URL's + N (redis://h/8:
# gw0 on 8, gw1 on 9). The queue and cache names below already differ per process, but the
# tests' cache.clear() is FLUSHDB, which would empty the other workers' queues and caches.
# Once per worker: the processes it starts (its Celery worker) inherit the moved URL as is.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if (
    _XDIST_WORKER.startswith("gw")
    and os.environ.get("REDIS_URL")
    and os.environ.get("QINQING_TEST_REDIS_MOVED_FOR") != _XDIST_WORKER
):
    from urllib.parse import urlsplit

    _url = urlsplit(os.environ["REDIS_URL"])
    _number = int(_url.path.strip("/") or 0) + int(_XDIST_WORKER[2:])
    if _number > 15:
        raise RuntimeError(f"pytest-xdist worker {_XDIST_WORKER} would need Redis db {_number}")
    os.environ["REDIS_URL"] = _url._replace(path=f"/{_number}").geturl()
    os.environ["QINQING_TEST_REDIS_MOVED_FOR"] = _XDIST_WORKER
# One queue and cache namespace per test run, so parallel runs on one Redis never mix.
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"qinqing-test-{os.getpid()}")
os.environ.setdefault("CACHE_KEY_PREFIX", os.environ["CELERY_TASK_DEFAULT_QUEUE"])
# The simulated departments, treasury and partners answer the tests (sandbox/).
os.environ.setdefault("QINQING_SANDBOX", "true")

from qinqing.settings import *  # noqa: E402, F403

# Tests follow their tasks step by step in this process (tests/conftest.py); without Redis
# there is no broker to reach at all. Tests marked `worker` need REDIS_URL; the embedded
# mode's own test (tests/reliability/test_embedded.py) starts its worker and beat itself.
if not REDIS_URL:  # noqa: F405
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}

# CI migrates one PostgreSQL database first and names it here: every test database (each
# pytest-xdist worker's, the accessibility walk's, the standby's and pooler's passes) is
# then a copy of it (CREATE DATABASE ... TEMPLATE) and Django's migrate finds nothing left
# to apply, instead of each running every migration again.
if os.environ.get("QINQING_TEST_DB_TEMPLATE") and DATABASES["default"]["ENGINE"] == (  # noqa: F405
    "django.db.backends.postgresql"
):
    DATABASES["default"].setdefault("TEST", {})["TEMPLATE"] = os.environ[  # noqa: F405
        "QINQING_TEST_DB_TEMPLATE"
    ]

# The suite's SQLite keeps Django's defaults (the embedded mode's WAL and IMMEDIATE options
# are for its three processes; tests/reliability/test_embedded.py runs those).
DATABASES["default"].get("OPTIONS", {}).pop("transaction_mode", None)  # noqa: F405
DATABASES["default"].get("OPTIONS", {}).pop("init_command", None)  # noqa: F405

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Hashing with the real algorithm makes every login in a test take ~0.3 s.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Simulated departments answer at once in tests; tests that study latency or failures set
# their own behaviour.
HUB_SIMULATION = {
    "default": {
        "latency_ms": 0,
        "jitter_ms": 0,
        "timeout_rate": 0.0,
        "error_rate": 0.0,
        "malformed_rate": 0.0,
        "down": False,
    }
}
HUB_TIMEOUT_SECONDS = 1.0

# The webhook tests deliver to a receiver on this machine (the live server, the mock).
WEBHOOK_MOCK_ENABLED = True
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
