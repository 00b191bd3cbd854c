"""The recovery pages and API: what the enterprise reads (amount, grounds, how it is
settled, repay with confirmation, appeal) and what officials do (raise, waive, each with a
reason); scoping: another enterprise's member and another department's official get 404."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from recovery.models import OrderStatus, RecoveryOrder
from recovery.services import open_order
from tests.dashboards.conftest import make_policy, paid_claim
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def world(db):
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    claim = paid_claim(enterprise, make_policy("jobs", "hrss"), "1000.00",
                       timezone.now() - timedelta(days=2), 1)  # fmt: skip
    hrss = OfficialFactory(department=department("hrss"), district=None)
    order, _ = open_order(claim=claim, grounds="decision", reason="paid twice", actor=hrss,
                          amount=Decimal("400.00"))  # fmt: skip
    return {"order": order, "member": member, "hrss": hrss, "claim": claim}


def test_the_enterprise_reads_the_order_and_is_asked_before_repaying(
    client, world, django_capture_on_commit_callbacks
):
    order = world["order"]
    client.force_login(world["member"])
    page = client.get(reverse("recovery:order", args=[order.pk]), **EN).content.decode()
    assert "¥400.00" in page and "paid twice" in page and "An official&#x27;s decision" in page
    assert reverse("recovery:repay", args=[order.pk]) in page
    assert reverse("recovery:appeal", args=[order.pk]) in page
    confirm = client.get(reverse("recovery:repay", args=[order.pk]), **EN)
    assert confirm.status_code == 200 and b"Yes, repay now" in confirm.content
    order.refresh_from_db()
    assert order.status == OrderStatus.RAISED  # asking for confirmation changes nothing
    with django_capture_on_commit_callbacks(execute=True):  # the collection task
        assert client.post(reverse("recovery:repay", args=[order.pk])).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.SETTLED and order.recovered == Decimal("400.00")


def test_pages_in_chinese(client, world):
    client.force_login(world["member"])
    page = client.get(reverse("recovery:orders"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and page["Content-Language"].lower().startswith("zh")


def test_another_enterprise_and_another_department_get_404(client, world):
    order = world["order"]
    client.force_login(member_of(EnterpriseFactory()))
    assert client.get(reverse("recovery:order", args=[order.pk])).status_code == 404
    assert client.get(reverse("recovery:repay", args=[order.pk])).status_code == 404
    market = OfficialFactory(department=department("market"), district=None)
    client.force_login(market)
    assert client.get(reverse("recovery:order", args=[order.pk])).status_code == 404
    assert client.post(reverse("recovery:waive", args=[order.pk]),
                       {"reason": "x"}).status_code == 404  # fmt: skip
    api = APIClient()
    api.force_authenticate(market)
    assert api.get(f"/api/v1/recovery-orders/{order.pk}/").status_code == 404
    assert api.get("/api/v1/recovery-orders/").json()["count"] == 0
    api.force_authenticate(member_of(EnterpriseFactory()))
    assert api.post(f"/api/v1/recovery-orders/{order.pk}/repay/").status_code == 404


def test_an_official_waives_with_a_reason(client, world):
    order = world["order"]
    client.force_login(world["hrss"])
    empty = client.post(reverse("recovery:waive", args=[order.pk]), {"reason": ""})
    assert empty.status_code == 400
    done = client.post(reverse("recovery:waive", args=[order.pk]), {"reason": "申诉成立"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.WAIVED and order.waive_reason == "申诉成立"


def test_an_official_raises_an_order_on_the_page_and_the_api(client, world):
    claim = paid_claim(world["claim"].enterprise, make_policy("skills", "hrss"), "800.00",
                       timezone.now(), 1)  # fmt: skip
    client.force_login(world["hrss"])
    too_much = client.post(reverse("recovery:raise"),
                           {"claim": claim.pk, "amount": "900.00", "reason": "x"})  # fmt: skip
    assert too_much.status_code == 400 and not RecoveryOrder.objects.filter(claim=claim).exists()
    done = client.post(reverse("recovery:raise"), {"claim": claim.pk, "reason": "重复发放"})
    assert done.status_code == 302
    assert RecoveryOrder.objects.get(claim=claim).amount == Decimal("800.00")
    api = APIClient()
    api.force_authenticate(world["hrss"])
    again = api.post("/api/v1/recovery-orders/", {"claim": claim.pk, "reason": "x"}, format="json")
    assert again.status_code == 409  # one open order per payment
    member = APIClient()
    member.force_authenticate(world["member"])
    refused = member.post("/api/v1/recovery-orders/", {"claim": claim.pk, "reason": "x"},
                          format="json")  # fmt: skip
    assert refused.status_code == 403
    listed = member.get("/api/v1/recovery-orders/").json()
    assert {row["outstanding"] for row in listed["results"]} == {"400.00", "800.00"}
