"""States that agree everywhere: the calculator and the policy page read the claim's real
state. Paid: "Paid ¥… on …" with a link; offered: "Accept"; in progress: its status; only
a policy with nothing yet gets "Claim now"."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from subsidies.claims import period_key, submit_claim
from subsidies.models import Claim, ClaimStatus
from tests.factories import EnterpriseFactory, member_of
from tests.subsidies.test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def calculator(client, member):
    client.force_login(member)
    page = client.get(reverse("policies:calculator"), **EN)
    assert page.status_code == 200
    return page.content.decode()


def held(policy, enterprise, status, amount="5000.00"):  # noqa: F811
    version = policy.versions.get()
    return Claim.objects.create(enterprise=enterprise, policy=policy, version=version,
                                period=period_key(version, timezone.localdate()),
                                status=status, amount=Decimal(amount))  # fmt: skip


def test_nothing_yet_claim_now(client, policy):  # noqa: F811
    enterprise = EnterpriseFactory()
    page = calculator(client, member_of(enterprise))
    assert "Claim now" in page
    assert reverse("subsidies:make_claim", args=[policy.code]) in page
    assert "paid to you automatically" not in page  # nothing was paid: no such promise


def test_a_paid_claim_says_paid_with_the_day_and_a_link_and_no_claim_now(client, policy):  # noqa: F811
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    page = calculator(client, member)
    day = timezone.localtime(claim.disbursement.confirmed_at).date().isoformat()
    assert f"Paid ¥5,000.00 on {day}." in page
    assert reverse("subsidies:claim", args=[claim.pk]) in page
    assert "Claim now" not in page
    assert reverse("subsidies:make_claim", args=[policy.code]) not in page
    assert "Nothing to do" not in page
    # The policy's own page says the same.
    detail = client.get(reverse("policies:detail", args=[policy.code]), **EN).content.decode()
    assert f"Paid ¥5,000.00 on {day}." in detail
    assert reverse("subsidies:claim", args=[claim.pk]) in detail


def test_an_offer_is_accepted_not_claimed(client, policy):  # noqa: F811
    enterprise = EnterpriseFactory()
    claim = held(policy, enterprise, ClaimStatus.OFFERED)
    member = member_of(enterprise)
    page = calculator(client, member)
    assert ">Accept</button>" in page
    assert reverse("subsidies:confirm", args=[claim.pk]) in page
    assert "Claim now" not in page
    detail = client.get(reverse("policies:detail", args=[policy.code]), **EN).content.decode()
    assert reverse("subsidies:confirm", args=[claim.pk]) in detail


@pytest.mark.parametrize(
    ("status", "words"),
    [(ClaimStatus.AWAITING_DATA, "Waiting for department data"),
     (ClaimStatus.IN_REVIEW, "Awaiting an official&#x27;s review"),
     (ClaimStatus.INELIGIBLE, "Not eligible")],
)  # fmt: skip
def test_a_claim_in_progress_or_closed_shows_its_status(client, policy, status, words):  # noqa: F811
    enterprise = EnterpriseFactory()
    claim = held(policy, enterprise, status)
    page = calculator(client, member_of(enterprise))
    assert words in page
    assert reverse("subsidies:claim", args=[claim.pk]) in page
    assert "Claim now" not in page


def test_another_enterprises_claim_changes_nothing_for_mine(client, policy):  # noqa: F811
    held(policy, EnterpriseFactory(), ClaimStatus.PAID)
    page = calculator(client, member_of(EnterpriseFactory()))
    assert "Claim now" in page and "Paid ¥" not in page
