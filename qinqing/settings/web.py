"""The settings of the web tier: authentication, languages, static files, the REST API,
partner clients (OAuth2), security headers and logging."""

from django.utils.translation import gettext_lazy as _

from qinqing.settings.base import BASE_DIR, DEBUG, env

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
# A verified token kept in the shared cache at most this long (partners/oauth.py; 0: off).
PARTNER_TOKEN_CACHE_SECONDS = env.int("PARTNER_TOKEN_CACHE_SECONDS", default=60)
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
