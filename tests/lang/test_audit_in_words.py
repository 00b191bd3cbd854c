"""The audit trail in words (issue 21): the auditor reads "claim paid", not `claim.paid`,
with Asia/Shanghai times, on the trail's pages and in its CSV download."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from qinqing.audit.display import action_label
from qinqing.audit.models import AuditEvent
from qinqing.audit.services import record_event
from qinqing.events.registry import ACTION_LABELS, EVENT_TYPES
from tests.factories import AdminFactory, AuditorFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_every_partner_event_type_has_a_label():
    assert list(EVENT_TYPES)
    assert all(EVENT_TYPES[code].label for code in EVENT_TYPES)


def test_actions_read_as_words_in_each_language():
    with translation.override("en"):
        assert action_label("claim.paid") == "claim paid"
        assert action_label("credit.commitment.made") == "commitment made"
        assert action_label("admin.change") == "changed in the back office"
        # A status change with no words of its own: the model's and the status's names.
        assert action_label("disbursement.sent") != "disbursement.sent"
        assert action_label("some.unknown_thing") == "some unknown thing"
    assert "claim.submitted" in ACTION_LABELS


def test_the_trail_shows_what_happened_in_words_and_local_times(client):
    user = AdminFactory(username="creator")
    event = record_event(actor=user, action="claim.paid", obj=user, after={"status": "paid"})
    event.refresh_from_db()
    local = timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S")
    client.force_login(AuditorFactory())
    listing = client.get(reverse("admin:audit_auditevent_changelist"), **EN).content.decode()
    text = re.sub(r'"[^"]*"', '""', listing)  # what is read, not the filter links' queries
    assert "claim paid" in text and "claim.paid" not in text
    assert local in listing
    detail = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]),
                        **EN).content.decode()  # fmt: skip
    assert "claim paid" in detail and local in detail


def test_the_trail_downloads_as_csv_in_words_and_local_times(client):
    user = AdminFactory(username="creator")
    event = record_event(actor=user, action="claim.paid", obj=user, after={"status": "paid"})
    event.refresh_from_db()
    local = timezone.localtime(event.occurred_at).strftime("%Y-%m-%dT%H:%M:%S")
    client.force_login(AdminFactory())
    response = client.post(
        reverse("admin:audit_auditevent_changelist"),
        {"action": "download_csv", "_selected_action": [event.pk]}, **EN,
    )  # fmt: skip
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith(f"{local},") and ",claim paid,claim.paid," in lines[1]
    assert AuditEvent.objects.filter(pk=event.pk).exists()
