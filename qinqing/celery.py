"""The Celery app: tasks are autodiscovered from every installed app's tasks.py."""

import logging.config
import os
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab
from celery.signals import setup_logging, task_postrun, task_prerun, worker_ready
from kombu.serialization import register

from qinqing import boot, jsontext

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
# Read here, not from settings: this module loads while the settings are loading.
OWED_WORK_SECONDS = float(os.environ.get("OWED_WORK_SECONDS", "15"))

# A task whose arguments are plain JSON values (a batch chunk's rows: 2,000 persons' facts and
# accounts) names this serializer: its message is written by orjson (qinqing.jsontext), where
# kombu's own JSON, a json.dumps with a Python hook per value, took 8 s of the 54 s that the
# start of a 5,000,000-person run spent queueing its chunks. Anything else (a Decimal, a
# date) is refused when the task is queued, not changed in transit: kombu's JSON would
# have carried those.
PLAIN_JSON = "qinqing-plain-json"
register(PLAIN_JSON, jsontext.plain, jsontext.loads,
         content_type="application/x-qinqing-plain-json", content_encoding="utf-8")  # fmt: skip

app = Celery("qinqing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json", PLAIN_JSON],
    # Tasks in this project are idempotent, so a worker killed mid-task may safely have
    # its task redelivered: acknowledge only after the task has finished.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    # Each worker slot holds this many messages ready: with 1, a slot that frees waits
    # for the next round trip to the broker (measured in bench/claims.py).
    worker_prefetch_multiplier=int(os.environ.get("CELERY_WORKER_PREFETCH_MULTIPLIER", "1")),
    # A task that hangs is stopped; the soft limit lets it clean up first.
    task_soft_time_limit=60,
    task_time_limit=90,
    broker_connection_retry_on_startup=True,
    # After an outage the worker and beat reconnect within about two seconds, and never give
    # up (None: retry forever): the broker's return is when owed work starts (issue #19).
    worker_consumer="qinqing.reconnect:PromptConsumer",
    beat_scheduler="qinqing.reconnect:PromptScheduler",
    broker_connection_max_retries=None,
)
# Keep the DB connection across tasks instead of closing it after each one
# (84 -> 244 DB tasks/s on these machines). Celery's Django fixup reads this exact key.
app.conf["CELERY_DB_REUSE_MAX"] = 1000
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Workers log through settings.LOGGING, whose handlers mask personal data; without a
    receiver here Celery would replace them with its own, which write records unmasked."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@worker_ready.connect
def settle_once_ready(**kwargs) -> None:
    """Booted: what booting made leaves the garbage collector's walks (qinqing/boot.py)."""
    boot.settle()


@task_prerun.connect
@task_postrun.connect
def close_broken_database_connections(sender=None, **kwargs) -> None:
    """A worker keeps its database connections from task to task (CELERY_DB_REUSE_MAX above),
    and Celery closes them only every thousand tasks. A connection that broke (the server
    restarted or terminated it) while a statement ran outside a transaction was kept, so
    every later task on that worker thread or process failed at once with "the connection
    is lost" (the fault run found two workers failing 1,400 tasks so, claims left
    unchecked and unpaid). As Django does around each request: a connection that had an
    error and no longer answers is closed, and the next task connects again."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return  # run in the caller's process, in the caller's transaction
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.errors_occurred and not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


# Every entry is checked by tests/qinqing/test_project.py: its task path must import.
app.conf.beat_schedule = {
    "worker-heartbeat": {
        "task": "qinqing.tasks.record_worker_heartbeat",
        "schedule": timedelta(seconds=30),
    },
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    "publish-scheduled-policy-versions": {
        "task": "policies.tasks.publish_scheduled_versions",
        "schedule": timedelta(minutes=1),
    },
    "recheck-waiting-claims": {
        "task": "subsidies.tasks.recheck_waiting_claims",
        "schedule": timedelta(seconds=float(os.environ.get("RECHECK_WAITING_SECONDS", "60"))),
    },
    # Work the database says is owed and no queue holds (queued while the broker was
    # down): claims still checking, payments never sent, published versions without their
    # batch run. Every 15 s, so it starts within about 30 s of the broker's return.
    "queue-owed-work": {
        "task": "subsidies.tasks.queue_owed_work",
        "schedule": timedelta(seconds=OWED_WORK_SECONDS),
    },
    "watch-approval-deadlines": {
        "task": "approvals.tasks.watch_approval_deadlines",
        "schedule": timedelta(minutes=5),
    },
    "watch-request-deadlines": {
        "task": "directline.tasks.watch_request_deadlines",
        "schedule": timedelta(minutes=5),
    },
    "resume-recovery-collections": {
        "task": "recovery.tasks.resume_collections",
        "schedule": timedelta(minutes=5),
    },
    "watch-dispute-deadlines": {
        "task": "disputes.tasks.watch_dispute_deadlines",
        "schedule": timedelta(minutes=5),
    },
    "refresh-dashboards": {
        "task": "dashboards.tasks.refresh_dashboards",
        # Read here, not from settings: this module loads while the settings are loading.
        "schedule": timedelta(minutes=int(os.environ.get("DASHBOARD_REFRESH_MINUTES", "5"))),
    },
    "reconcile-payments": {
        "task": "subsidies.tasks.reconcile_payments",
        "schedule": crontab(hour=4, minute=10),
    },
    "nightly-bulk-extracts": {
        "task": "datahub.tasks.refresh_all_extracts",
        "schedule": crontab(hour=2, minute=30),
    },
    "credit-daily-sweep": {
        "task": "credit.tasks.daily_sweep",
        "schedule": crontab(hour=0, minute=20),
    },
    "dispatch-outbox-events": {
        "task": "integrations.tasks.dispatch_events",
        "schedule": timedelta(minutes=1),
    },
    "retry-webhook-deliveries": {
        "task": "integrations.tasks.deliver_due_webhooks",
        "schedule": timedelta(minutes=1),
    },
    "forget-old-login-failures": {
        "task": "accounts.tasks.forget_old_login_failures",
        "schedule": crontab(hour=3, minute=43),
    },
    # The log tables' monthly partitions: created ahead, dropped past retention (#25).
    "maintain-log-partitions": {
        "task": "qinqing.tasks.maintain_partitions",
        "schedule": crontab(hour=1, minute=5),
    },
    # Idempotency-Keys are remembered for 24 hours (qinqing/api/idempotency.py).
    "purge-expired-idempotency-keys": {
        "task": "qinqing.idempotency.tasks.purge_expired_idempotency_keys",
        "schedule": crontab(minute=25),
    },
}
