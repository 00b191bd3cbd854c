"""'Tell me when I qualify': asked from the page (with a confirmation) or the API, told
once when the hub's changed facts make the enterprise qualify, never twice, never for
another enterprise's change; scoped to the enterprise's members; hostile input is a 4xx."""

import pytest
from django.urls import reverse

from datahub.signals import facts_changed
from policies.models import QualifyWatch
from policies.notification_kinds import POLICY_QUALIFIES
from policies.watches import start_watch
from qinqing.notifications.models import Notification
from tests.factories import member_of

from .watch_helpers import department_answers, publish_staff_policy, staff

pytestmark = pytest.mark.django_db
WATCH_API = "/api/v1/policies/watch-jobs/watch/"


def changed(captured, enterprise_ids: list[int]) -> None:
    """The hub's signal, sent after its commit, as the hub sends it."""
    with captured(execute=True):
        facts_changed.send(sender=None, enterprise_ids=enterprise_ids,
                           facts=["hrss.insured_employees"], cause="answer")  # fmt: skip


def told(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=POLICY_QUALIFIES))


def test_the_page_asks_for_confirmation_then_starts_the_watch(client, member, enterprise):
    publish_staff_policy()
    client.force_login(member)
    url = reverse("policies:watch", args=["watch-jobs"])
    confirm = client.get(url, {"uscc": enterprise.uscc}, HTTP_ACCEPT_LANGUAGE="en")
    assert confirm.status_code == 200 and "Tell me when I qualify?" in confirm.content.decode()
    assert not QualifyWatch.objects.exists()  # a GET changes nothing
    done = client.post(url, {"uscc": enterprise.uscc, "action": "start"})
    assert done.status_code == 302
    watch = QualifyWatch.objects.get()
    assert (watch.enterprise, watch.policy.code, watch.notified_at) == (
        enterprise, "watch-jobs", None)  # fmt: skip
    # Asked twice: still one open watch.
    client.post(url, {"uscc": enterprise.uscc, "action": "start"})
    assert QualifyWatch.objects.count() == 1
    listing = client.get(reverse("policies:watches"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Job subsidy" in listing.content.decode()


def test_told_once_when_changed_facts_make_the_enterprise_qualify(
    member, enterprise, django_capture_on_commit_callbacks
):
    watch, _created = start_watch(member, enterprise, publish_staff_policy())
    with department_answers({enterprise.uscc: staff(6)}):
        changed(django_capture_on_commit_callbacks, [enterprise.pk])
    watch.refresh_from_db()
    assert watch.notified_at is None and told(member) == []  # still does not qualify
    with department_answers({enterprise.uscc: staff(12)}):
        changed(django_capture_on_commit_callbacks, [enterprise.pk])
        changed(django_capture_on_commit_callbacks, [enterprise.pk])  # told once, not twice
    watch.refresh_from_db()
    assert watch.notified_at is not None
    (notice,) = told(member)
    assert "Job subsidy" in notice.title_en and "稳岗补贴" in notice.title
    assert notice.link.startswith(reverse("policies:calculator"))


def test_only_the_enterprises_whose_facts_changed_are_checked(
    member, enterprise, other_member, other_enterprise, django_capture_on_commit_callbacks
):
    policy = publish_staff_policy()
    start_watch(member, enterprise, policy)
    start_watch(other_member, other_enterprise, policy)
    both_qualify = {enterprise.uscc: staff(12), other_enterprise.uscc: staff(12)}
    with department_answers(both_qualify):
        changed(django_capture_on_commit_callbacks, [other_enterprise.pk])
    assert told(member) == [] and len(told(other_member)) == 1
    assert QualifyWatch.objects.get(enterprise=enterprise).notified_at is None


def test_every_member_is_told_and_a_new_watch_may_follow_a_fulfilled_one(
    member, enterprise, django_capture_on_commit_callbacks
):
    policy = publish_staff_policy()
    colleague = member_of(enterprise)
    start_watch(member, enterprise, policy)
    with department_answers({enterprise.uscc: staff(12)}):
        changed(django_capture_on_commit_callbacks, [enterprise.pk])
    assert len(told(member)) == 1 and len(told(colleague)) == 1
    again, created = start_watch(colleague, enterprise, policy)
    assert created and again.notified_at is None


def test_the_api_starts_reads_and_stops_a_watch(api_client, member, enterprise):
    publish_staff_policy()
    api_client.force_authenticate(member)
    query = f"?uscc={enterprise.uscc}"
    assert api_client.get(WATCH_API + query).json()["watching"] is False
    started = api_client.post(WATCH_API + query)
    assert started.status_code == 201 and started.json()["watching"] is True
    assert api_client.post(WATCH_API + query).status_code == 200  # the same open watch
    assert api_client.get(WATCH_API + query).json()["id"] == started.json()["id"]
    assert api_client.delete(WATCH_API + query).status_code == 204
    assert not QualifyWatch.objects.exists()
    assert api_client.delete(WATCH_API + query).status_code == 404


def test_another_enterprises_member_can_neither_see_nor_stop_a_watch(
    client, api_client, member, enterprise, other_member
):
    policy = publish_staff_policy()
    start_watch(member, enterprise, policy)
    query = f"?uscc={enterprise.uscc}"
    api_client.force_authenticate(other_member)
    assert api_client.get(WATCH_API + query).status_code == 404
    assert api_client.delete(WATCH_API + query).status_code == 404
    assert api_client.post(WATCH_API + query).status_code == 404
    client.force_login(other_member)
    url = reverse("policies:watch", args=["watch-jobs"])
    assert client.get(url + query).status_code == 404
    assert client.post(url, {"uscc": enterprise.uscc, "action": "stop"}).status_code == 404
    listing = client.get(reverse("policies:watches"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Job subsidy" not in listing.content.decode()
    assert QualifyWatch.objects.get().notified_at is None  # untouched


def test_officials_cannot_watch(api_client, official_xihu, enterprise):
    publish_staff_policy()
    api_client.force_authenticate(official_xihu)
    assert api_client.post(f"{WATCH_API}?uscc={enterprise.uscc}").status_code == 403


@pytest.mark.parametrize("uscc", ["\x00" * 18, "A" * 5000, "\ud800" * 18, "' OR 1=1 --", ""])
def test_hostile_input_on_the_watch_endpoint_is_a_4xx(api_client, member, uscc):
    publish_staff_policy()
    api_client.force_authenticate(member)
    for method in (api_client.get, api_client.post, api_client.delete):
        answer = method(WATCH_API, {"uscc": uscc} if method is api_client.get else None,
                        QUERY_STRING=f"uscc={uscc}".encode("utf-8", "surrogatepass").decode(
                            "latin-1"))  # fmt: skip
        assert 400 <= answer.status_code < 500, (method, answer.status_code)
    assert not QualifyWatch.objects.exists()


@pytest.mark.parametrize("fields", [
    {"uscc": "\x00", "action": "start"},
    {"uscc": "x" * 5000, "action": "start"},
    {"action": "delete-everything"},
    {},
])  # fmt: skip
def test_hostile_input_on_the_watch_page_is_a_4xx(client, member, enterprise, fields):
    publish_staff_policy()
    client.force_login(member)
    answer = client.post(reverse("policies:watch", args=["watch-jobs"]), fields)
    assert 400 <= answer.status_code < 500
    assert not QualifyWatch.objects.exists()
    assert client.get(reverse("policies:watch", args=["no-such-policy"])).status_code == 404


def test_a_change_of_facts_the_policy_does_not_name_reads_nothing(
    member, enterprise, django_capture_on_commit_callbacks
):
    start_watch(member, enterprise, publish_staff_policy())
    with department_answers({enterprise.uscc: staff(12)}):
        with django_capture_on_commit_callbacks(execute=True):
            facts_changed.send(sender=None, enterprise_ids=[enterprise.pk],
                               facts=["tax.arrears"], cause="answer")  # fmt: skip
        assert told(member) == []
        changed(django_capture_on_commit_callbacks, [enterprise.pk])
    assert len(told(member)) == 1
