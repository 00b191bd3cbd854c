"""The demo data leaves officials something to review: `seed_demo_claims` submits claims
on the apply-mode demo policy, which wait in the science officials' queue, once."""

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from subsidies.models import Claim, ClaimStatus
from subsidies.selectors import claims_awaiting_review

pytestmark = pytest.mark.django_db


def test_demo_claims_wait_for_the_science_officials_once(reference_data):
    out = io.StringIO()
    call_command("seed_demo", enterprises=400, seed=2021, stdout=out)
    call_command("refresh_extracts", purpose="test", stdout=out)
    call_command("seed_demo_policies", stdout=out)
    call_command("seed_demo_claims", count=3, stdout=out)
    waiting = Claim.objects.filter(policy__code="rd-award-2026", status=ClaimStatus.IN_REVIEW)
    assert waiting.count() == 3
    science = User.objects.get(username="science_city")
    assert set(claims_awaiting_review(science)) == set(waiting)
    call_command("seed_demo_claims", count=3, stdout=out)
    assert Claim.objects.filter(policy__code="rd-award-2026").count() == 3
