"""After "Claim now" on the calculator, the focus moves to the claim's result, so a
screen-reader user hears the outcome; it stays there while the status updates, and the
result says what really happened (paid), with no second "Claim now"."""

import pytest

from subsidies.models import Claim, ClaimStatus
from tests.e2e.test_portal import log_in
from tests.factories import EnterpriseFactory, member_of
from tests.subsidies.test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

FOCUSED_RESULT = (
    "() => !!document.activeElement && document.activeElement.hasAttribute('data-claim-result')"
)


def test_claim_now_moves_the_focus_to_the_result(page, policy):  # noqa: F811
    enterprise = EnterpriseFactory(name="杭州焦点示范有限公司")
    member_of(enterprise, username="zhao")
    log_in(page, "zhao")
    page.goto(page.base_url + "/policies/calculator/")
    page.get_by_role("button", name="立即申领").click()
    page.wait_for_function(FOCUSED_RESULT)
    # The claim was made and paid at once (embedded mode); the focused region says so and
    # keeps the focus while the status panel inside it is refreshed.
    page.wait_for_function("() => document.activeElement.innerText.includes('已兑付')")
    assert page.evaluate("document.activeElement.id") == f"claim-result-{policy.code}"
    assert page.evaluate("!!document.activeElement.querySelector('#claim-status')")
    assert Claim.objects.get(enterprise=enterprise).status == ClaimStatus.PAID
    page.wait_for_timeout(1500)  # a poll or two later, the focus has not been lost
    assert page.evaluate(FOCUSED_RESULT)
    assert page.get_by_role("button", name="立即申领").count() == 0
    # Coming back, the calculator reads the claim's real state: paid, no "Claim now".
    page.reload()
    assert page.get_by_role("button", name="立即申领").count() == 0
    assert "已兑付" in page.locator("article.policy-card").inner_text()
