"""The settings of the services beside the web tier: Redis, Celery and its queues, the
departments' data hub, the working-hours clock, the treasury gateway, webhooks, signed
receipts and e-mail."""

import hashlib
from pathlib import Path

from kombu import Exchange, Queue

from qinqing.settings.base import BASE_DIR, DEBUG, SANDBOX, SECRET_KEY, env

# --- Redis: cache and Celery broker -------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# How long the web tier may wait on Redis, per attempt (issue #19): it is on loopback or
# the same LAN, so half a second is already a failure. A refused connection fails at once.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=2.0)
if REDIS_URL:
    CACHES = {
        "default": {
            # While Redis is down the cache reads as empty and drops writes, within the
            # timeouts and then at once for a few seconds (qinqing/cache.py).
            "BACKEND": "qinqing.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="qinqing"),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions live in the database (Django's default engine, named here so nobody moves them
# to the cache by accident): a Redis outage logs nobody out (docs/operations.md).
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Celery (qinqing/celery.py reads every CELERY_* setting) ------------------------------
# Production: Redis. The embedded default (no REDIS_URL, `make run`): kombu's filesystem
# transport over var/celery/, so that a worker and beat run beside the web server as in
# production with no service to install (README "Running"). Tests run tasks in-process
# (tests/settings.py).
CELERY_EMBEDDED_DIR = Path(env.str("CELERY_EMBEDDED_DIR", default=str(BASE_DIR / "var" / "celery")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
        # Above the worker's 1 s BRPOP, so an idle worker's wait is not a timeout.
        "socket_timeout": max(REDIS_SOCKET_TIMEOUT, 5.0),
        "visibility_timeout": 3600,
    }
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
    CELERY_REDIS_SOCKET_TIMEOUT = max(REDIS_SOCKET_TIMEOUT, 5.0)
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = f"file://{CELERY_EMBEDDED_DIR / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_EMBEDDED_DIR / "queue"),
        "data_folder_out": str(CELERY_EMBEDDED_DIR / "queue"),
        "control_folder": str(CELERY_EMBEDDED_DIR / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "control", "results"):
        (CELERY_EMBEDDED_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_EMBEDDED_DIR.mkdir(parents=True, exist_ok=True)
# Beat remembers when each entry last ran here (both modes), so a restart does not rerun it.
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_EMBEDDED_DIR / "beat-schedule")
# A worker and beat take the tasks, in production and in the embedded default alike.
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = True
# Nobody reads the results of this project's tasks (they write rows), so none are stored
# and publishing never subscribes to a result on the backend: with Redis down that
# subscription retried 20 times inside send_task (19 s per claim, issue #19). The few
# callers that read a result ask for it (qinqing.tasks.ping).
CELERY_TASK_IGNORE_RESULT = True
# A publish that cannot reach the broker fails within milliseconds: one immediate retry
# (it replaces a pooled connection that went stale while Redis was away), no back-off.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.05,
    "interval_max": 0.05,
}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Separate queues, so that a million-enterprise batch never stands in front of an
# enterprise waiting on its claim: a worker started without -Q takes all three (they
# alternate); a city runs dedicated workers per queue (docs/operations.md).
CELERY_BATCH_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}.batch"
CELERY_NOTIFICATIONS_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}.notifications"
# Every queue the routes name, so that a worker started without -Q consumes them all.
# Each with its own exchange and routing key: a Queue left without them is bound with the
# default queue's key, and a message would then be delivered to both.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in (CELERY_TASK_DEFAULT_QUEUE, CELERY_BATCH_QUEUE, CELERY_NOTIFICATIONS_QUEUE)
]
CELERY_TASK_ROUTES = {
    "subsidies.tasks.start_batch_run": {"queue": CELERY_BATCH_QUEUE},
    "subsidies.tasks.decide_batch_chunk": {"queue": CELERY_BATCH_QUEUE},
    "subsidies.tasks.pay_batch_chunk": {"queue": CELERY_BATCH_QUEUE},
    "datahub.tasks.refresh_all_extracts": {"queue": CELERY_BATCH_QUEUE},
    "datahub.tasks.refresh_extract": {"queue": CELERY_BATCH_QUEUE},
    "credit.tasks.daily_sweep": {"queue": CELERY_BATCH_QUEUE},
    "credit.tasks.recompute_all_grades": {"queue": CELERY_BATCH_QUEUE},
    "qinqing.notifications.tasks.send_notification_emails": {"queue": CELERY_NOTIFICATIONS_QUEUE},
    "integrations.tasks.deliver_webhook": {"queue": CELERY_NOTIFICATIONS_QUEUE},
    "integrations.tasks.deliver_due_webhooks": {"queue": CELERY_NOTIFICATIONS_QUEUE},
    "integrations.tasks.dispatch_events": {"queue": CELERY_NOTIFICATIONS_QUEUE},
}
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "Asia/Shanghai"

# --- Department data hub (datahub) -----------------------------------------------------------
# inprocess: simulated departments answer in this process; http: over /mock/departments/.
HUB_TRANSPORT = env.str("HUB_TRANSPORT", default="inprocess")
HUB_HTTP_BASE_URL = env.str("HUB_HTTP_BASE_URL", default="http://127.0.0.1:8000")
# The departments a city connected for real, by department code: how the hub reaches each
# one (datahub/links.py checks the shape at start), e.g.
# HUB_DEPARTMENTS='{"taxation": {"transport": "http", "url": "https://tax.example.gov/api"}}'.
# A department named nowhere (and not simulated by the sandbox) answers "unknown".
HUB_DEPARTMENTS = env.json("HUB_DEPARTMENTS", default={})
HUB_MOCK_DEPARTMENTS_ENABLED = env.bool("HUB_MOCK_DEPARTMENTS_ENABLED", default=True)
# The simulated departments answer only callers that present this key (the HTTP adapter
# does): their answers are about real enterprises in the register.
HUB_MOCK_KEY = (
    env.str("HUB_MOCK_KEY", default="")
    or hashlib.sha256(f"hub-mock:{SECRET_KEY}".encode()).hexdigest()
)
HUB_TIMEOUT_SECONDS = env.float("HUB_TIMEOUT_SECONDS", default=2.0)
HUB_HTTP_RETRIES = env.int("HUB_HTTP_RETRIES", default=2)
HUB_BREAKER_THRESHOLD = env.int("HUB_BREAKER_THRESHOLD", default=5)
HUB_BREAKER_COOLDOWN_SECONDS = env.float("HUB_BREAKER_COOLDOWN_SECONDS", default=30.0)
# Simulated departments' behaviour until an administrator changes it in the back office.
HUB_SIMULATION = {
    "default": {"latency_ms": 40, "jitter_ms": 20, "timeout_rate": 0.0, "error_rate": 0.0,
                "malformed_rate": 0.0, "down": False},
    "taxation": {"latency_ms": 60},
    "hrss": {"latency_ms": 45},
    "housing": {"latency_ms": 80, "jitter_ms": 40},
    "market": {"latency_ms": 25},
    "planning": {"latency_ms": 120, "jitter_ms": 60},
}  # fmt: skip

# --- Working-hours clock (qinqing/workhours) ---------------------------------------------
# Time limits count office time on working days in this zone: Chinese statutory holidays
# and make-up working days (chinesecalendar, corrected by the CalendarDay table).
WORK_TIME_ZONE = env.str("WORK_TIME_ZONE", default="Asia/Shanghai")
# How often beat rebuilds the dashboards' tallies; pages show the time of the last rebuild.
DASHBOARD_REFRESH_MINUTES = env.int("DASHBOARD_REFRESH_MINUTES", default=5)
# Officials of these departments watch the whole city (or their whole district) on the
# dashboards; every other official sees their own department's figures.
DASHBOARD_CITY_DEPARTMENTS = env.list(
    "DASHBOARD_CITY_DEPARTMENTS", default=["general_office", "data"]
)
# Office periods of a working day, "HH:MM-HH:MM", in order; the default is 7 hours a day.
WORK_OFFICE_PERIODS = env.list("WORK_OFFICE_PERIODS", default=["08:30-12:00", "13:30-17:00"])

# --- The payment gateway (subsidies/gateway.py) -----------------------------------------
# The name of a gateway registered in subsidies.gateway.GATEWAYS: "http" (the treasury
# over HTTP at TREASURY_HTTP_BASE_URL: with the sandbox, the portal's own /mock/treasury/)
# or, with the sandbox installed, "inprocess" (the simulated treasury in this process, the
# default then). Without the sandbox nothing is chosen by default: payments wait, "payment
# gateway not configured", until a real treasury is set up.
TREASURY_TRANSPORT = env.str("TREASURY_TRANSPORT", default="inprocess" if SANDBOX else "")
TREASURY_HTTP_BASE_URL = env.str("TREASURY_HTTP_BASE_URL", default="http://127.0.0.1:8000")
TREASURY_TIMEOUT_SECONDS = env.float("TREASURY_TIMEOUT_SECONDS", default=5.0)
# The simulated treasury (sandbox/treasury/). With real services it answers in about 30 ms;
# in the embedded mode (tasks in-process) at once, so that the first `make run`, which pays
# the demo policies, stays quick.
TREASURY_SIMULATION = {
    "latency_ms": env.int("TREASURY_LATENCY_MS", default=30 if REDIS_URL else 0),
    "error_rate": env.float("TREASURY_ERROR_RATE", default=0.0),
    "lost_answer_rate": env.float("TREASURY_LOST_ANSWER_RATE", default=0.0),
}
# Its HTTP interface at /mock/treasury/ answers only the portal (X-Treasury-Key).
TREASURY_MOCK_ENABLED = env.bool("TREASURY_MOCK_ENABLED", default=True)
TREASURY_MOCK_KEY = (
    env.str("TREASURY_MOCK_KEY", default="")
    or hashlib.sha256(f"treasury-mock:{SECRET_KEY}".encode()).hexdigest()
)

# Fault injection for the reliability tests only: with the sandbox installed, a process
# started with QINQING_FAULT=<checkpoint> dies at that checkpoint (qinqing.checkpoints; the
# hook is sandbox/treasury/faults.py). Never set in production.
QINQING_FAULT = env.str("QINQING_FAULT", default="")

# --- Webhooks (integrations) -------------------------------------------------------------
# A partner's endpoint must answer within this many seconds; a delivery is tried this many
# times (1, 2, 4 … minutes apart, with jitter) before it is given up (then by hand only).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
# The demo receiver (sandbox/partners/, /mock/partner/webhooks/) verifies signatures made
# with this secret.
WEBHOOK_MOCK_ENABLED = env.bool("WEBHOOK_MOCK_ENABLED", default=DEBUG)
# Whether a webhook may target a loopback or private address (the demo receiver on this
# machine); never in production, where it would let a subscriber probe the city's network.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=DEBUG)
WEBHOOK_MOCK_SECRET = env.str("WEBHOOK_MOCK_SECRET", default="whsec_demo_partner_secret")
# Signing secrets are stored encrypted with this (integrations/sealing.py); set it apart from
# SECRET_KEY in production. Several, comma-separated, rotate it: the first seals, all open.
WEBHOOK_SECRET_KEY = env.str("WEBHOOK_SECRET_KEY", default="") or f"webhook-secrets:{SECRET_KEY}"

# --- Signed decision receipts (qinqing/signing.py, docs/transparency.md) -------------------
# The current private key, an Ed25519 JWK as JSON ({"kty": "OKP", "crv": "Ed25519", "d": …,
# "x": …}); rotate by moving its public part into RECEIPT_RETIRED_KEYS (a JSON list of public
# JWKs), all published at /.well-known/jwks.json so older receipts still verify. Without a
# key, when RECEIPT_DEV_KEY (DEBUG or the sandbox: `make run`, tests), one is generated once
# into RECEIPT_DEV_KEY_FILE; otherwise receipts answer 503 until the key is set.
RECEIPT_SIGNING_KEY = env.str("RECEIPT_SIGNING_KEY", default="")
RECEIPT_RETIRED_KEYS = env.str("RECEIPT_RETIRED_KEYS", default="")
RECEIPT_DEV_KEY = env.bool("RECEIPT_DEV_KEY", default=DEBUG or SANDBOX)
RECEIPT_DEV_KEY_FILE = Path(
    env.str("RECEIPT_DEV_KEY_FILE", default=str(BASE_DIR / "var" / "receipt-signing-key.json"))
)

# --- E-mail (notifications) --------------------------------------------------------------
# EMAIL_URL (smtp+tls://user:password@host:587, consolemail://, memorymail://) or
# EMAIL_BACKEND; neither: printed to the console when DEBUG or embedded (no REDIS_URL),
# SMTP on localhost:25 otherwise.
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND",
        default="django.core.mail.backends.console.EmailBackend"
        if DEBUG or not REDIS_URL
        else "django.core.mail.backends.smtp.EmailBackend",
    )
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Qinqing Online <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in e-mails point here (notifications store paths only).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
