"""Test settings: the project's settings with what only tests need changed.

Service URLs (DATABASE_URL, REDIS_URL) still come from the environment, so the same suite
runs on the embedded default and against PostgreSQL, Redis and a Celery worker.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret-" + "x" * 40)
# One queue and cache namespace per test run, so parallel runs on one Redis never mix.
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"qinqing-test-{os.getpid()}")
os.environ.setdefault("CACHE_KEY_PREFIX", os.environ["CELERY_TASK_DEFAULT_QUEUE"])
# The simulated departments, treasury and partners answer the tests (sandbox/).
os.environ.setdefault("QINQING_SANDBOX", "true")

from qinqing.settings import *  # noqa: F403

# Tests follow their tasks step by step in this process (tests/conftest.py); without Redis
# there is no broker to reach at all. Tests marked `worker` need REDIS_URL; the embedded
# mode's own test (tests/reliability/test_embedded.py) starts its worker and beat itself.
if not REDIS_URL:  # noqa: F405
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}

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
