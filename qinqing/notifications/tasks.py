"""Thin and idempotent: sending checks `emailed_at` row by row, so a rerun sends nothing."""

import smtplib

from celery import shared_task

from . import services


@shared_task(
    name="qinqing.notifications.tasks.send_notification_emails",
    acks_late=True,
    # The mail server unreachable or gone mid-batch: try again later; sent rows are stamped.
    autoretry_for=(services.MailServerUnavailable, smtplib.SMTPException, OSError),
    retry_backoff=True,
    max_retries=5,
)
def send_notification_emails(notification_ids: list[int]) -> int:
    return services.send_emails(notification_ids)
