"""The settings every process needs first: the environment, apps, middleware, templates, the
content security policy, databases (pooler, replica, partitions)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

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
# statements (DB_PREPARED_STATEMENTS below is ignored) and no server-side cursors
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
# Prepared statements (DB_PREPARED_STATEMENTS, on by default without a pooler): the driver
# binds parameters on the server and prepares a statement once a connection has run it five
# times, so PostgreSQL parses and plans it once per connection, not on every run (Django's
# default inlines the values and prepares nothing). An instant claim's PostgreSQL CPU fell
# to 0.70x (docs/performance.md). A migration that changes a column's type needs the
# processes restarted, as a deploy does: a statement prepared before refuses to return the
# new type ("cached plan must not change result type").
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)
for _alias in DATABASES:
    if DATABASES[_alias]["ENGINE"] != "django.db.backends.postgresql":
        continue
    if DATABASE_POOLER:
        DATABASES[_alias]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES[_alias].setdefault("OPTIONS", {})["prepare_threshold"] = None
    elif DB_PREPARED_STATEMENTS:
        DATABASES[_alias].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5)  # fmt: skip
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
