"""Telling people: notify (in the portal and by e-mail, as each recipient prefers), mark
read, change preferences, send the e-mails. The rules live here; views, API and tasks
call these."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from qinqing.audit.services import record_event
from qinqing.bulk import any_of, insert_values
from qinqing.errors import Unavailable
from qinqing.i18n import CHINESE, ENGLISH, in_languages

from .models import Notification, NotificationPreference
from .registry import NOTIFICATION_KINDS as KINDS
from .text import Text, language_of

logger = logging.getLogger(__name__)

# Up to this many recipients, their preferences are read with the recipients' ids as the
# filter (one array on PostgreSQL, whatever their number); above it on SQLite, every
# opt-out for the kind in one query (rows exist only for opt-outs, so it stays small, and
# a 100k-element IN list would exceed SQLite's parameter limit).
IN_LIST_LIMIT = 1000
INSERT_BATCH = 1000
# Notifications per e-mail task: small enough that a retried task resends little.
EMAIL_BATCH = 200
TITLE_LENGTH = Notification._meta.get_field("title").max_length


@dataclass(frozen=True, slots=True)
class Delivery:
    """One recipient and what they are told. `recipient` is a user or a user id."""

    recipient: Any
    title: Text
    body: Text = ""
    link: str = ""


def is_safe_link(link: str) -> bool:
    """Only a path on this site: a notification must never send anyone elsewhere."""
    return (
        link.startswith("/")
        and not link.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(link, allowed_hosts=None)
    )


def notify(
    users: Iterable[Any], kind: str, title: Text, body: Text = "", link: str = ""
) -> QuerySet[Notification]:
    """Tell these users (objects or ids) one thing. See `notify_many`."""
    return notify_many(kind, (Delivery(user, title, body, link) for user in users))


def notify_many(kind: str, deliveries: Iterable[Delivery]) -> QuerySet[Notification]:
    """Tell many people, each their own text (see `notify_values`). Returns the
    notifications made as a query, read only if the caller looks."""
    return Notification.objects.filter(any_of("pk", notify_values(kind, deliveries)))


# The columns `notify_values` writes, in this order.
NOTIFICATION_FIELDS = ("recipient_id", "kind", "link", "in_app", "title", "title_en", "body",
                       "body_en")  # fmt: skip


def notify_values(kind: str, deliveries: Iterable[Delivery]) -> list[int]:
    """Tell many people, each their own text, in a bounded number of queries whatever
    their number: preferences in one query, the rows as plain tuples through the one bulk
    writer (`qinqing.bulk.insert_values`: COPY on PostgreSQL, no model object per row),
    e-mails queued on commit. A recipient who turned the kind off entirely gets no row.
    Returns the new notifications' ids."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}: register it first")
    deliveries = _unique_recipients(deliveries)
    for delivery in deliveries:
        if delivery.link and not is_safe_link(delivery.link):
            raise ValueError(f"notification links must be paths on this site: {delivery.link!r}")
    if not deliveries:
        return []
    choices = _preferences(kind, [_user_id(delivery.recipient) for delivery in deliveries])
    rows: list[tuple[Any, ...]] = []
    wants_email: list[bool] = []
    rendered: dict[int, tuple[str, str]] = {}
    for delivery in deliveries:
        user_id = _user_id(delivery.recipient)
        in_app, email = choices.get(user_id, (True, True))
        if not (in_app or email):
            continue
        title, title_en = _rendered(rendered, delivery.title)
        body, body_en = _rendered(rendered, delivery.body)
        rows.append((user_id, kind, delivery.link, in_app, title[:TITLE_LENGTH],
                     title_en[:TITLE_LENGTH], body, body_en))  # fmt: skip
        wants_email.append(email)
    ids = insert_values(Notification, NOTIFICATION_FIELDS, rows)
    email_ids = [pk for pk, email in zip(ids, wants_email, strict=True) if email]
    if email_ids:
        # After commit: a rolled-back change tells nobody; robust: a mail failure never
        # undoes or interrupts what the caller committed.
        transaction.on_commit(lambda: enqueue_emails(email_ids), robust=True)
    return ids


def _user_id(user: Any) -> int:
    return user if isinstance(user, int) else user.pk


def _unique_recipients(deliveries: Iterable[Delivery]) -> list[Delivery]:
    """A person who is a member of two enterprises hears about each claim once per claim,
    but a single call never tells anyone the same thing twice."""
    seen: set[tuple[int, str]] = set()
    unique = []
    for delivery in deliveries:
        key = (_user_id(delivery.recipient), delivery.link)
        if key not in seen:
            seen.add(key)
            unique.append(delivery)
    return unique


def _rendered(cache: dict[int, tuple[str, str]], text: Text) -> tuple[str, str]:
    """(Chinese, English) of a text, each distinct text rendered once however many people
    receive it. The English is blank where it reads the same (a plain string someone
    wrote): the row then shows the one text in both languages."""
    if isinstance(text, str):
        return text, ""
    key = id(text)
    if key not in cache:
        both = in_languages(text)
        chinese, english = both[CHINESE], both[ENGLISH]
        cache[key] = (chinese, "" if english == chinese else english)
    return cache[key]


def _preferences(kind: str, user_ids: Sequence[int]) -> dict[int, tuple[bool, bool]]:
    """(in_app, email) for the recipients who changed the default, in one query."""
    opted_out = NotificationPreference.objects.filter(kind=kind).exclude(in_app=True, email=True)
    if connection.vendor == "postgresql" or len(user_ids) <= IN_LIST_LIMIT:
        opted_out = opted_out.filter(any_of("user_id", user_ids))
    return {
        user_id: (in_app, email)
        for user_id, in_app, email in opted_out.values_list("user_id", "in_app", "email")
    }


def enqueue_emails(notification_ids: list[int]) -> None:
    """Queued by name: tasks.py imports these services, never the other way round. (The
    registered task's apply_async, unlike send_task, honours eager mode.)"""
    send_notification_emails = current_app.tasks[
        "qinqing.notifications.tasks.send_notification_emails"
    ]
    for start in range(0, len(notification_ids), EMAIL_BATCH):
        send_notification_emails.delay(notification_ids[start : start + EMAIL_BATCH])


class MailServerUnavailable(Unavailable):
    """The mail server went away mid-batch: what was sent is stamped, the rest is retried."""

    code = "mail_server_unavailable"


# Refusals of one message: retrying will not help, and the others must still go out.
_ONE_MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                        smtplib.SMTPDataError, BadHeaderError)  # fmt: skip


def send_emails(notification_ids: Sequence[int]) -> int:
    """E-mail these notifications, each at most once: only rows not yet e-mailed, locked
    while sent (a concurrent run skips them) and stamped in the same transaction. A worker
    killed mid-way sends its batch again (at least once, never lost). Recipients without
    an address are skipped. Returns how many were sent."""
    sent_ids: list[int] = []
    interrupted: Exception | None = None
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=list(notification_ids), emailed_at__isnull=True)
            .select_related("recipient")
            .order_by("pk")
        )
        rows = [row for row in rows if row.recipient.email and row.recipient.is_active]
        if not rows:
            return 0
        with get_connection() as connection:
            for row in rows:
                try:
                    connection.send_messages([_email_for(row)])
                except _ONE_MESSAGE_REFUSED:
                    logger.exception("notification %s: e-mail refused", row.pk)
                    continue
                except (smtplib.SMTPException, OSError) as error:
                    interrupted = error
                    break
                sent_ids.append(row.pk)
        Notification.objects.filter(pk__in=sent_ids).update(emailed_at=timezone.now())
    if interrupted is not None:
        raise MailServerUnavailable(str(interrupted)) from interrupted
    return len(sent_ids)


def _email_for(notification: Notification) -> EmailMessage:
    language = language_of(notification.recipient)
    with translation.override(language):
        subject = " ".join(notification.shown_title.split())  # no line breaks in a header
        body = notification.shown_body
        parts = [body] if body else []
        if notification.link:
            parts.append(_("Open: {url}").format(url=settings.SITE_URL + notification.link))
        parts.append(
            _("You receive this e-mail because of your notification settings: {url}").format(
                url=settings.SITE_URL + "/notifications/preferences/"
            )
        )
    return EmailMessage(subject=subject, body="\n\n".join(parts),
                        to=[notification.recipient.email])  # fmt: skip


def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read: these ids, or all of them (ids=None).
    Other people's ids are ignored, never an error that would reveal they exist."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def preferences_of(user: Any) -> dict[str, tuple[bool, bool]]:
    """(in_app, email) for every kind, the default where the user chose nothing."""
    stored = {
        kind: (in_app, email)
        for kind, in_app, email in NotificationPreference.objects.filter(user=user).values_list(
            "kind", "in_app", "email"
        )
    }
    return {kind: stored.get(kind, (True, True)) for kind in KINDS}


def set_preferences(user: Any, choices: dict[str, tuple[bool, bool]]) -> None:
    """Store only what differs from the default, so that absence means "both on" and
    `notify` reads few rows."""
    unknown = set(choices) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown notification kinds: {sorted(unknown)}")
    before = preferences_of(user)
    with transaction.atomic():
        NotificationPreference.objects.filter(user=user, kind__in=list(choices)).delete()
        NotificationPreference.objects.bulk_create(
            NotificationPreference(user=user, kind=kind, in_app=in_app, email=email)
            for kind, (in_app, email) in choices.items()
            if not (in_app and email)
        )
        changed = {kind: value for kind, value in choices.items() if before[kind] != value}
        if changed:
            record_event(actor=user, action="notifications.preferences", obj=user,
                         before={kind: list(before[kind]) for kind in changed},
                         after={kind: list(value) for kind, value in changed.items()})  # fmt: skip


def notifications_for(user: Any) -> QuerySet[Notification]:
    """What a user sees in the portal: their own notifications, never anyone else's."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user, in_app=True)


def unread_count(user: Any) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()
