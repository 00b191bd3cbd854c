"""The official's workspace is a work queue: claims to review, approval items by time left
(overdue and warned first), direct-line requests, commitments to verify, inspections due,
reconciliation mismatches and failed webhook deliveries of the department's partners —
each with its count and a link to its queue, scoped to the department and district."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import Item
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from integrations.sealing import seal
from qinqing.events.models import OutboxEvent
from subsidies.claims import approve_claim
from subsidies.models import ReconciliationRun
from tests.approvals.conftest import (
    applicant,  # noqa: F401 - fixture
    officials_for,
    project_package,  # noqa: F401 - fixture
    submitted_project,
)
from tests.factories import CommitmentFactory, EnterpriseFactory, department
from tests.partners_support import make_partner
from tests.subsidies.conftest import apply_policy, claim_in_review  # noqa: F401 - fixtures
from workspace.selectors import official_queue

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def queues_of(user) -> dict:
    return {queue.kind: queue for queue in official_queue(user)}


def failed_delivery_for(partner_department: str) -> WebhookDelivery:
    partner, _secret = make_partner(scopes=["claims:read"], department=partner_department)
    subscription = WebhookSubscription.objects.create(
        owner=partner.service_user, name="合作方回调", url="https://partner.example/hook",
        event_types=["claim.paid"], sealed_secret=seal("s" * 40),
    )  # fmt: skip
    event = OutboxEvent.objects.create(event_type="claim.paid", subject="claim:1",
                                       department_id=department(partner_department).pk)  # fmt: skip
    return WebhookDelivery.objects.create(subscription=subscription, event=event,
                                          status=DeliveryStatus.GIVEN_UP, attempts=8,
                                          last_status_code=400)  # fmt: skip


def test_approval_items_overdue_first_with_count_and_link(applicant, project_package):  # noqa: F811
    first = submitted_project(applicant, project_package)
    late = submitted_project(applicant, project_package)
    late_item = late.items.get(item_type__code="project-filing")
    Item.objects.filter(pk=late_item.pk).update(started_at=timezone.now() - timedelta(days=60))
    ndrc = officials_for("ndrc")
    queue = queues_of(ndrc)["approvals"]
    assert queue.count == 2 and queue.url == reverse("approvals:queue")
    assert queue.todos[0].url == reverse("approvals:item", args=[late_item.pk])
    assert queue.todos[0].overdue and queue.urgent == 1
    assert queue.todos[1].url == reverse(
        "approvals:item", args=[first.items.get(item_type__code="project-filing").pk]
    )
    assert queues_of(officials_for("planning", "binjiang"))["approvals"].count == 0


def test_claims_commitments_and_partners_failures_are_the_departments(claim_in_review):  # noqa: F811
    claim, _member = claim_in_review()
    CommitmentFactory(enterprise=EnterpriseFactory(), department=department("market"))
    failed_delivery_for("hrss")
    hrss = officials_for("hrss")
    mine = queues_of(hrss)
    assert mine["claims"].count == 1 and mine["claims"].url == reverse("subsidies:review_queue")
    assert mine["claims"].todos[0].url == reverse("subsidies:claim", args=[claim.pk])
    assert mine["webhooks"].count == 1 and mine["webhooks"].urgent == 1
    assert mine["commitments"].count == 0
    market = queues_of(officials_for("market"))
    assert market["claims"].count == 0 and market["webhooks"].count == 0
    assert market["commitments"].count == 1
    assert market["commitments"].url == reverse("credit:commitments")


def test_reconciliation_mismatches_of_the_departments_payments(claim_in_review):  # noqa: F811
    claim, _member = claim_in_review()
    hrss = officials_for("hrss")
    approve_claim(claim.pk, actor=hrss)
    claim.refresh_from_db()
    key = claim.disbursement.idempotency_key
    problem = f"{key}: not in the treasury's records"
    ReconciliationRun.objects.create(finished_at=timezone.now(), checked=1, problems=[problem])
    assert queues_of(hrss)["reconciliation"].count == 1
    assert queues_of(officials_for("market"))["reconciliation"].count == 0


def test_the_page_shows_each_queue_with_its_count_and_link(client, claim_in_review):  # noqa: F811
    claim_in_review()
    client.force_login(officials_for("hrss"))
    page = client.get(reverse("official_workspace"), **EN)
    assert page.status_code == 200
    html = page.content.decode()
    for title, url in (("Claims waiting for review", reverse("subsidies:review_queue")),
                       ("Approval items", reverse("approvals:queue")),
                       ("Direct-line requests", reverse("directline:queue")),
                       ("Commitments to verify", reverse("credit:commitments")),
                       ("Inspections due", reverse("credit:campaigns"))):  # fmt: skip
        assert f'<a href="{url}">{title}</a>' in html, title
    assert "人才奖励" in html  # the claim waiting, listed with its policy
