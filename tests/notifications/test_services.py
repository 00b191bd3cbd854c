"""notify: preferences respected, one row per recipient in a bounded number of queries,
each e-mail sent once; texts rendered in the recipient's language."""

import math
import smtplib

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from policies.notification_kinds import POLICY_FITS
from qinqing.notifications import services
from qinqing.notifications.models import Notification
from qinqing.notifications.registry import NOTIFICATION_KINDS as KINDS
from qinqing.notifications.tasks import send_notification_emails
from qinqing.notifications.text import Message, render
from subsidies.notification_kinds import NotificationKind
from tests.factories import UserFactory

from .factories import NotificationFactory, PreferenceFactory

pytestmark = pytest.mark.django_db
PAID = NotificationKind.CLAIM_PAID


def test_preferences_decide_where_each_person_hears(django_capture_on_commit_callbacks):
    everything = UserFactory(email="a@example.com")
    mail_only = UserFactory(email="b@example.com")
    portal_only = UserFactory(email="c@example.com")
    nothing = UserFactory(email="d@example.com")
    PreferenceFactory(user=mail_only, in_app=False, email=True)
    PreferenceFactory(user=portal_only, in_app=True, email=False)
    PreferenceFactory(user=nothing, in_app=False, email=False)
    # Another kind's choice does not count for this one.
    PreferenceFactory(user=everything, kind=POLICY_FITS, in_app=False, email=False)

    with django_capture_on_commit_callbacks(execute=True):
        created = services.notify([everything, mail_only, portal_only, nothing], PAID,
                                  "Paid", "¥5,000.00", "/claims/7/")  # fmt: skip

    assert {row.recipient_id for row in created} == {everything.pk, mail_only.pk, portal_only.pk}
    assert sorted(message.to[0] for message in mail.outbox) == ["a@example.com", "b@example.com"]
    assert [n.recipient for n in services.notifications_for(mail_only)] == []
    assert services.unread_count(everything) == services.unread_count(portal_only) == 1
    message = mail.outbox[0]
    assert message.subject == "Paid"
    assert "¥5,000.00" in message.body and "http://127.0.0.1:8000/claims/7/" in message.body


def test_each_email_is_sent_once_even_if_the_task_runs_twice(django_capture_on_commit_callbacks):
    user = UserFactory(email="once@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = services.notify([user], PAID, "Paid", "", "/claims/1/")
    assert len(mail.outbox) == 1
    assert send_notification_emails.delay([row.pk]).get() == 0
    assert send_notification_emails([row.pk]) == 0
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.emailed_at is not None


def test_people_without_an_address_are_skipped():
    row = NotificationFactory(recipient=UserFactory(email=""))
    assert services.send_emails([row.pk]) == 0
    assert mail.outbox == []


class FailingAfterFirst:
    """A mail backend whose server disconnects after the first message."""

    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_messages(self, messages):
        if FailingAfterFirst.sent:
            raise smtplib.SMTPServerDisconnected("gone")
        FailingAfterFirst.sent.extend(messages)
        return 1


@override_settings(EMAIL_BACKEND="tests.notifications.test_services.FailingAfterFirst")
def test_a_lost_mail_server_stamps_what_went_and_leaves_the_rest_for_the_retry():
    FailingAfterFirst.sent = []
    first, second = NotificationFactory.create_batch(2, recipient__email="x@example.com")
    with pytest.raises(services.MailServerUnavailable):
        services.send_emails([first.pk, second.pk])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.emailed_at is not None and second.emailed_at is None


def test_two_thousand_recipients_take_a_bounded_number_of_queries(
    django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    users = UserFactory.create_batch(2000)
    PreferenceFactory(user=users[5], in_app=False, email=False)
    title = Message(_("Subsidy paid: ¥{amount} from {policy}"), amount="1.00", policy="P")
    # One query for the preferences, then inserts in the largest batches the database takes
    # (2 on PostgreSQL; SQLite's 999-parameter limit makes them smaller): never one a person.
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    batch = min(services.INSERT_BATCH, connection.ops.bulk_batch_size(fields, users))
    with (
        django_capture_on_commit_callbacks() as callbacks,  # e-mails measured separately
        django_assert_max_num_queries(1 + math.ceil(len(users) / batch)),
    ):
        created = services.notify(users, PAID, title, "", "/claims/1/")
    assert len(created) == 1999 == Notification.objects.count()
    assert all(row.pk for row in created)
    assert len(callbacks) == 1


def test_links_must_be_paths_on_this_site():
    user = UserFactory()
    for link in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "claims/1/"):
        with pytest.raises(ValueError, match="paths on this site"):
            services.notify([user], PAID, "t", "", link)
    with pytest.raises(ValueError, match="unknown notification kind"):
        services.notify([user], "no.such.kind", "t")
    assert not Notification.objects.exists()


def test_mark_read_touches_only_the_callers_own():
    me, other = UserFactory(), UserFactory()
    mine = NotificationFactory.create_batch(3, recipient=me)
    theirs = NotificationFactory(recipient=other)
    assert services.mark_read(me, [mine[0].pk, theirs.pk]) == 1
    assert services.unread_count(me) == 2 and services.unread_count(other) == 1
    assert services.mark_read(me) == 2
    assert services.unread_count(me) == 0 and services.unread_count(other) == 1


class TitleInActiveLanguage:
    """Like a policy: its str() follows the active language."""

    def __str__(self):
        from django.utils.translation import get_language

        return "政策甲" if get_language().startswith("zh") else "Policy A"


def test_messages_are_rendered_in_the_recipients_language():
    message = Message("{word}: {title}", word=_("Policies"), title=TitleInActiveLanguage())
    assert render(message, "zh-hans") == "政策: 政策甲"
    assert render(message, "en") == "Policies: Policy A"
    assert render(Message("{n}", n=lambda: "called"), "en") == "called"
    # Stored in both languages, whatever the site's default; shown in the reader's.
    with override_settings(LANGUAGE_CODE="en"):
        (row,) = services.notify([UserFactory()], PAID, _("Policies"))
    assert (row.title, row.title_en) == ("政策", "Policies")
    with translation.override("en"):
        assert row.shown_title == "Policies"
    with translation.override("zh-hans"):
        assert row.shown_title == "政策"


def test_preferences_store_only_what_differs_from_the_default():
    user = UserFactory()
    choices = services.preferences_of(user)
    assert choices[PAID] == (True, True) and len(choices) == len(KINDS)
    services.set_preferences(user, {PAID: (False, True), POLICY_FITS: (True, True)})
    assert services.preferences_of(user)[PAID] == (False, True)
    assert user.notification_preferences.count() == 1
    services.set_preferences(user, {PAID: (True, True)})
    assert not user.notification_preferences.exists()
    with pytest.raises(ValueError):
        services.set_preferences(user, {"bogus": (True, True)})
