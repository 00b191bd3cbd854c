"""Downloads and the audit trail read in the portal's time (Asia/Shanghai), as every page
does: a time stored in UTC is never shown as UTC."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from qinqing.audit.services import record_event
from qinqing.exports import csv_response
from tests.factories import AdminFactory, AuditorFactory


def test_a_csv_download_shows_shanghai_time_not_utc():
    stored = datetime(2026, 12, 5, 12, 30, 5, 123456, tzinfo=UTC)
    lines = csv_response("x.csv", ["when"], [[stored]]).content.decode("utf-8-sig").splitlines()
    assert lines[1] == "2026-12-05T20:30:05"


@pytest.mark.django_db
def test_the_audit_trail_shows_shanghai_time(client):
    user = AdminFactory(username="creator")
    after = {"due": "2026-12-05T12:30:00Z", "note": "2026-12-05T12:30"}
    event = record_event(actor=user, action="test.moved", obj=user, after=after)
    event.refresh_from_db()
    local = timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S")
    assert str(event).startswith(local)
    client.force_login(AuditorFactory())
    page = client.get(reverse("admin:audit_auditevent_change", args=[event.pk])).content.decode()
    assert "2026-12-05 20:30:00" in page and "2026-12-05T12:30:00Z" not in page
    assert "2026-12-05T12:30" in page  # text that only looks like a time is left alone
