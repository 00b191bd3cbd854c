"""Settings, all read from the environment (see README "Settings" and .env.example).

Two ways to run from one codebase: with no DATABASE_URL/REDIS_URL the portal runs on
SQLite, with a Celery worker and beat on an embedded filesystem broker under var/celery/
(`make run` starts all three); with them it uses PostgreSQL, Redis and Celery workers.
"""

import hashlib
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_env_file = BASE_DIR / ".env"
if _env_file.exists():
    environ.Env.read_env(_env_file)

DEBUG = env.bool("DEBUG", default=False)
# A fixed key is only acceptable for local development; production must set SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="") or (
    "django-insecure-local-development-only" if DEBUG else ""
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for local development).")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Under /api/ a CSRF refusal is JSON in the one error shape; pages keep Django's page.
CSRF_FAILURE_VIEW = "qinqing.api.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "qinqing",
    "qinqing.audit",
    "qinqing.notifications",
    "qinqing.events",
    "qinqing.workhours",
    "qinqing.idempotency",
    "accounts",
    "departments",
    "enterprises",
    "datahub",
    "policies",
    "subsidies",
    "credit",
    "directline",
    "disputes",
    "approvals",
    "recovery",
    "dashboards",
    "workspace",
    "integrations",
    "oauth2_provider",
    "partners",
]

# The stage set (sandbox/): simulated departments, treasury and partner receiver, fault
# points, demo seeds and the city generator. On in development, `make run` and the tests;
# off by default in production, where a department without a configured adapter answers
# "unknown: no adapter configured" through the hub's normal path.
SANDBOX = env.bool("QINQING_SANDBOX", default=DEBUG)
SANDBOX_APPS = [
    "sandbox.departments",
    "sandbox.treasury",
    "sandbox.partners",
    "sandbox.city",
]
if SANDBOX:
    INSTALLED_APPS += SANDBOX_APPS

MIDDLEWARE = [
    "qinqing.middleware.RequestIdMiddleware",
    # Every error under /api/ is JSON in the one shape (qinqing/api/shape.py).
    "qinqing.api.middleware.ApiErrorShapeMiddleware",
    "qinqing.middleware.RejectNulBytesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns lockouts into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "qinqing.urls"
WSGI_APPLICATION = "qinqing.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "qinqing.context_processors.navigation",
                "qinqing.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Content Security Policy (django-csp) -------------------------------------------------
# Everything from this site only, no inline scripts or styles, the back office included
# (checked: Django 5.2's admin needs none). JSON data blocks (<script type="application/json">)
# are data, not script. tests/qinqing/test_csp.py keeps every template of ours within it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Database -----------------------------------------------------------------------------
# Embedded default: a SQLite file under var/. Production: DATABASE_URL=postgres://...
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # The embedded default writes from three processes (web, worker, beat's tasks): WAL
    # lets readers and one writer go on together, a write transaction takes its lock at
    # BEGIN (no "database is locked" on a read lock's upgrade), and waits up to 20 s.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 20, "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })  # fmt: skip
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Keeping connections open saves 9-12 ms per request (docs/performance.md).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False

# Persons' resident identity numbers (enterprises/persons/protection.py): the key of their
# keyed hash and seal. Set it in production and keep it apart from SECRET_KEY (rotating
# SECRET_KEY must not make every stored number unreadable); unset, one is derived from
# SECRET_KEY (development, tests).
PERSON_ID_KEY = env.str("PERSON_ID_KEY", default="")

# --- Beyond one machine: a pooler and a read replica (issue #25, docs/scaling.md) ----------
# DATABASE_POOLER=pgbouncer when DATABASE_URL points at PgBouncer in transaction mode: each
# transaction may run on a different server connection, so no server-side prepared
# statements (psycopg 3 prepares a query after 5 runs otherwise) and no server-side cursors
# (.iterator() outside a transaction would hold one across transactions). The code keeps no
# session state: no session-level advisory locks (transaction-level ones, released at
# commit, are fine: datahub/extracts/refresh.py's refresh lock), no LISTEN/NOTIFY, `SET LOCAL`
# only inside a transaction (dashboards/refresh.py); the time zone Django sets is a
# parameter PgBouncer tracks.
DATABASE_POOLER = env.str("DATABASE_POOLER", default="")
# DATABASE_REPLICA_URL: a streaming hot standby; read-only pages read from it (qinqing/
# dbrouting.py). Absent: one database. A writer's own pages read from the primary for
# REPLICA_PIN_SECONDS after each of their writes.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=10)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": True,
        "ATOMIC_REQUESTS": False,
        # Tests: the standby already holds the test database the primary creates.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["qinqing.dbrouting.ReplicaRouter"]
    # After authentication, before the views: it marks writers and routes safe requests.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "qinqing.dbrouting.ReplicaMiddleware",
    )
# Monthly partitions of the append-only logs on PostgreSQL (qinqing/partitions.py): months
# kept per table, older months dropped whole by beat. Unset keeps everything; the audit
# trail is dropped only when AUDIT_RETENTION_MONTHS is set; the ledger is never partitioned.
PARTITION_RETENTION_MONTHS = {
    table: months
    for table, months in {
        "datahub_datacall": env.int("DATACALL_RETENTION_MONTHS", default=None),
        "events_outboxevent": env.int("OUTBOX_RETENTION_MONTHS", default=None),
        "audit_auditevent": env.int("AUDIT_RETENTION_MONTHS", default=None),
    }.items()
    if months is not None
}
for _alias in DATABASES:
    if DATABASE_POOLER and DATABASES[_alias]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES[_alias]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES[_alias].setdefault("OPTIONS", {})["prepare_threshold"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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

# --- Auth --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username/IP before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Brute-force protection: 5 failures for one username from one address lock it for 30 min.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env.bool("STATIC_MANIFEST", default=True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve straight from the app folders when there is no collectstatic output (dev, tests).
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_ROOT.exists()

# --- REST API ----------------------------------------------------------------------------
# Bodies: at most 2.5 MiB in memory (JSON bodies too: qinqing/guard.py) and 1,000 fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so an anonymous call gets 401 with WWW-Authenticate, not 403.
        "rest_framework.authentication.TokenAuthentication",
        # Partner systems' OAuth2 bearer tokens; also enforces their scope and rate.
        "partners.drf.PartnerOAuth2Authentication",
        # DRF's, with its CSRF refusal in the one error shape.
        "qinqing.api.authentication.SessionAuthentication",
    ],
    # The API takes JSON; a view that uploads a file declares multipart itself. Every
    # parser goes through the input guard (qinqing/guard.py): the negotiation swaps a
    # view's own DRF parsers for the guarded ones.
    "DEFAULT_PARSER_CLASSES": ["qinqing.api.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "qinqing.api.negotiation.GuardedNegotiation",
    # APIClient in tests sends JSON unless told otherwise, as the API takes JSON.
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "partners.drf.HasPartnerScope",
    ],
    "DEFAULT_PAGINATION_CLASS": "qinqing.api.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        # django-filter's, with an empty date or number filter a 400 (docs/api.md).
        "qinqing.api.filters.StrictFilterBackend",
        # ?ordering= over each view's ordering_fields; an unknown field is a 400.
        "qinqing.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "qinqing.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Qinqing API",
    "DESCRIPTION": "Qinqing government–enterprise service portal: the enterprise register, "
    "districts and departments. Every error is JSON in one shape (the Error schema: code, "
    "detail and, for invalid input, fields), in the language of Accept-Language.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Partner systems: the client-credentials flow; scopes come from partners.scopes.
    "OAUTH2_FLOWS": ["clientCredentials"],
    "OAUTH2_TOKEN_URL": "/api/v1/oauth/token/",
    # Every operation's error answers (400/401/403/404/409/422/429) and their bodies,
    # documented once (qinqing/api/schema.py); the enum hook is drf-spectacular's default.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "qinqing.api.schema.document_error_answers",
    ],
}

# Idempotency-Key (qinqing/api/idempotency.py): answers are replayed for this many hours;
# a key still "in progress" after IDEMPOTENCY_LOCK_SECONDS is taken to be abandoned.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", default=120)

# --- Partner systems: OAuth2 client credentials (django-oauth-toolkit, partners/) --------
OAUTH2_PROVIDER = {
    # Client credentials only: no authorisation pages, no refresh tokens.
    "OAUTH2_SERVER_CLASS": "oauthlib.oauth2.BackendApplicationServer",
    "OAUTH2_VALIDATOR_CLASS": "partners.oauth.PartnerOAuth2Validator",
    "SCOPES_BACKEND_CLASS": "partners.oauth.PartnerScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_ACCESS_TOKEN_SECONDS", default=3600),
    # RFC 9700 (OAuth 2.0 Security BCP) throughout: among others, access tokens only in the
    # Authorization header (never the query string) and kept at rest as SHA-256 only.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
# Named explicitly: partners' migration depends on it (Django resolves swappable models).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
# A partner client's requests per minute unless its own rate is set (shared cache count).
PARTNER_DEFAULT_RATE_PER_MINUTE = env.int("PARTNER_DEFAULT_RATE_PER_MINUTE", default=600)

# --- Security (production-like values when DEBUG is off) ---------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Logging: one line per event, tagged with the request id -----------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "qinqing.middleware.RequestIdLogFilter"},
        # ID, phone and bank account numbers masked in every record (qinqing/masking.py).
        "personal_data": {"()": "qinqing.masking.MaskPersonalDataFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id", "personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per task is noise in the embedded mode, where tasks run in-process.
        "celery.app.trace": {"level": "WARNING"},
        # Django's own handlers (the DEBUG console, mail_admins, runserver's) would write
        # records unmasked: its records go through the root handlers above instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
# Every handler masks personal data, including any handler added above later.
for _handler in LOGGING["handlers"].values():
    if "personal_data" not in _handler.setdefault("filters", []):
        _handler["filters"].append("personal_data")
