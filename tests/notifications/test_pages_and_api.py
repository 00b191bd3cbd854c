"""Pages and API: each person sees only their own notifications (another's id is a 404),
marks them read, follows their links only within the site, and chooses what to receive."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qinqing.notifications import services
from qinqing.notifications.models import Notification
from qinqing.notifications.registry import kinds_for
from subsidies.notification_kinds import NotificationKind
from tests.factories import UserFactory

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def me():
    return UserFactory(email="me@example.com")


@pytest.fixture
def theirs():
    return NotificationFactory(recipient=UserFactory(), title="Someone else's news")


def test_the_list_shows_my_notifications_newest_first_with_unread_marked(client, me, theirs):
    older = NotificationFactory(recipient=me, title="Older and read")
    services.mark_read(me, [older.pk])
    NotificationFactory(recipient=me, title="Newest, unread")
    NotificationFactory(recipient=me, title="Mail only", in_app=False)
    client.force_login(me)
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    titles = [n.title for n in response.context["page"].object_list]
    assert titles == ["Newest, unread", "Older and read"]
    html = response.content.decode()
    assert html.count("notification-unread") == 1
    assert 'class="badge">1<' in html  # the header badge
    assert "Someone else" not in html


def test_the_badge_costs_one_count_and_only_for_people_logged_in(client, me):
    def notification_queries():
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/").content.decode()
        return html, [q["sql"] for q in queries if "notifications_notification" in q["sql"]]

    html, queries = notification_queries()
    assert "badge" not in html and queries == []
    NotificationFactory.create_batch(3, recipient=me)
    client.force_login(me)
    html, queries = notification_queries()
    assert 'class="badge">3<' in html
    assert len(queries) == 1 and "COUNT(" in queries[0]


def test_opening_marks_read_and_follows_the_link(client, me, theirs):
    mine = NotificationFactory(recipient=me, link="/claims/42/")
    client.force_login(me)
    response = client.get(reverse("notifications:open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == "/claims/42/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize(
    "link", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_a_link_off_the_site_is_never_followed(client, me, link):
    # notify() refuses such links; a row written some other way is still not followed.
    row = Notification.objects.create(recipient=me, kind="claim.paid", title="t", link=link)
    client.force_login(me)
    response = client.get(reverse("notifications:open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("notifications:list")


def test_mark_all_read_is_a_post_and_touches_only_mine(client, me, theirs):
    NotificationFactory.create_batch(2, recipient=me)
    client.force_login(me)
    assert client.get(reverse("notifications:mark_read")).status_code == 405
    response = client.post(reverse("notifications:mark_read"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("notifications:list")
    assert services.unread_count(me) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_anonymous_visitors_are_sent_to_log_in(client, theirs):
    for url in (reverse("notifications:list"), reverse("notifications:preferences"),
                reverse("notifications:open", args=[theirs.pk])):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_preferences_form_saves_and_notify_follows_it(
    client, me, django_capture_on_commit_callbacks
):
    client.force_login(me)
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200
    assert [row[0] for row in page.context["form"].rows()] == [code for code, _ in kinds_for(me)]
    data = {f"{kind}:{channel}": "on" for kind in NotificationKind.values
            for channel in ("in_app", "email")}  # fmt: skip
    del data["claim.paid:email"]
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    assert services.preferences_of(me)["claim.paid"] == (True, False)
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = services.notify([me], NotificationKind.CLAIM_PAID, "Paid")
    assert row.in_app and row.emailed_at is None
    assert mail.outbox == []  # e-mail turned off for this kind: none sent
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert 'name="claim.paid:email" id="id_claim.paid:email">' in page


def test_the_api_lists_only_my_own_and_filters_unread(api_client, me, theirs):
    read = NotificationFactory(recipient=me, title="read")
    services.mark_read(me, [read.pk])
    unread = NotificationFactory(recipient=me, title="unread")
    api_client.force_authenticate(me)
    listed = api_client.get("/api/v1/notifications/").json()["results"]
    assert [row["id"] for row in listed] == [unread.pk, read.pk]
    assert listed[0]["is_read"] is False and listed[0]["kind_label"]
    only_unread = api_client.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [row["id"] for row in only_unread] == [unread.pk]
    assert api_client.get(f"/api/v1/notifications/{unread.pk}/").status_code == 200
    assert api_client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404


def test_the_api_marks_read_by_id_or_all(api_client, me, theirs):
    first, *_others = NotificationFactory.create_batch(3, recipient=me)
    api_client.force_authenticate(me)
    url = "/api/v1/notifications/mark-read/"
    response = api_client.post(url, {"ids": [first.pk, theirs.pk]}, format="json")
    assert response.status_code == 200 and response.json() == {"marked": 1}
    assert api_client.post(url, {"ids": ["x"]}, format="json").status_code == 400
    assert api_client.post(url, {}, format="json").json() == {"marked": 2}
    assert services.unread_count(me) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
    api_client.force_authenticate(None)
    assert api_client.post(url, {}, format="json").status_code == 401
