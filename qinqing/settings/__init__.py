"""Settings, all read from the environment (see README "Settings" and .env.example).

Two ways to run from one codebase: with no DATABASE_URL/REDIS_URL the portal runs on
SQLite, with a Celery worker and beat on an embedded filesystem broker under var/celery/
(`make run` starts all three); with them it uses PostgreSQL, Redis and Celery workers.

The settings are kept in three modules by concern, read in this order (each later one may
use the names of those before it): `base` (environment, apps, databases), `services`
(Redis, Celery, the hub, the clock, the treasury, webhooks, e-mail) and `web` (auth,
languages, static files, the API, partners, security, logging).
"""

from qinqing.settings.base import *  # noqa: F403
from qinqing.settings.services import *  # noqa: F403
from qinqing.settings.web import *  # noqa: F403
