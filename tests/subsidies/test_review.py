"""Apply-mode policies: an eligible claim waits for an official of the policy's department
(and district), who approves it (paid) or rejects it with a reason the enterprise sees."""

import pytest
from django.urls import reverse

from policies.models import Policy
from qinqing.audit.models import AuditEvent
from sandbox.treasury.models import TreasuryRecord
from subsidies.claims import approve_claim, reject_claim
from subsidies.errors import ClaimConflict, ClaimRefused, ReviewNotAllowed
from subsidies.models import TRANSITIONS, Claim, ClaimStatus, Disbursement
from tests.factories import AuditorFactory, OfficialFactory, department, district

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_transitions_table_has_the_review_step():
    assert ClaimStatus.IN_REVIEW in TRANSITIONS[ClaimStatus.CHECKING]
    assert TRANSITIONS[ClaimStatus.IN_REVIEW] == {
        ClaimStatus.ELIGIBLE, ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN}  # fmt: skip
    assert TRANSITIONS[ClaimStatus.REJECTED] == set()
    sources = {
        status for status, targets in TRANSITIONS.items() if ClaimStatus.IN_REVIEW in targets
    }
    assert sources == {ClaimStatus.CHECKING}


def test_an_eligible_apply_mode_claim_waits_for_review_and_nothing_is_paid(claim_in_review):
    claim, _member = claim_in_review()
    assert claim.status == ClaimStatus.IN_REVIEW
    assert claim.amount is not None and claim.decision["criteria"]
    assert not Disbursement.objects.exists() and not TreasuryRecord.objects.exists()


def test_approved_on_the_pages_the_claim_is_paid(client, claim_in_review, hrss_official):
    claim, member = claim_in_review()
    client.force_login(hrss_official)
    queue = client.get(reverse("subsidies:review_queue"))
    assert [c.pk for c in queue.context["page"].object_list] == [claim.pk]
    page = client.get(reverse("subsidies:claim", args=[claim.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["can_review"]
    assert reverse("subsidies:approve", args=[claim.pk]).encode() in page.content
    confirm = client.get(reverse("subsidies:approve", args=[claim.pk]))
    assert confirm.status_code == 200 and b"criterion-pass" in confirm.content
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW  # asking for confirmation changes nothing
    done = client.post(reverse("subsidies:approve", args=[claim.pk]))
    assert done["Location"] == reverse("subsidies:review_queue")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert claim.reviewed_by == hrss_official and claim.reviewed_at is not None
    assert TreasuryRecord.objects.count() == 1
    assert AuditEvent.objects.filter(action="claim.eligible", actor=hrss_official).exists()
    assert client.get(reverse("subsidies:review_queue")).context["page"].paginator.count == 0
    client.force_login(member)
    assert claim.disbursement.reference in client.get(
        reverse("subsidies:claim", args=[claim.pk])).content.decode()  # fmt: skip


def test_rejected_with_a_reason_that_the_enterprise_sees(api_client, client, claim_in_review,
                                                         hrss_official):  # fmt: skip
    claim, member = claim_in_review()
    api_client.force_authenticate(hrss_official)
    url = reverse("v1:claim-reject", args=[claim.pk])
    assert api_client.post(url, {}, format="json").status_code == 400
    assert api_client.post(url, {"reason": "   "}, format="json").status_code == 400
    assert api_client.post(url, {"reason": "x" * 501}, format="json").status_code == 400
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
    reason = "参保人数与申报材料不符 / staff numbers do not match"
    response = api_client.post(url, {"reason": reason}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "rejected" and response.json()["review_note"] == reason
    claim.refresh_from_db()
    assert (claim.status, claim.review_note, claim.reviewed_by) == (
        ClaimStatus.REJECTED, reason, hrss_official)  # fmt: skip
    assert not Disbursement.objects.exists()
    client.force_login(member)
    page = client.get(reverse("subsidies:claim", args=[claim.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert reason in page.content.decode() and b"hx-trigger" not in page.content
    api_client.force_authenticate(member)
    assert api_client.get(reverse("v1:claim-detail", args=[claim.pk])).json()["review_note"] == (
        reason)  # fmt: skip


def test_the_reject_page_asks_for_the_reason(client, claim_in_review, hrss_official):
    claim, _member = claim_in_review()
    client.force_login(hrss_official)
    url = reverse("subsidies:reject", args=[claim.pk])
    assert b'name="reason"' in client.get(url).content
    missing = client.post(url, {"reason": ""})
    assert missing.status_code == 400 and b"error-summary" in missing.content
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
    assert client.post(url, {"reason": "Not in the programme"}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED


def test_a_claim_not_in_review_is_a_conflict(api_client, claim_in_review, hrss_official):
    claim, _member = claim_in_review()
    reject_claim(claim.pk, actor=hrss_official, reason="no")
    with pytest.raises(ClaimConflict):
        approve_claim(claim.pk, actor=hrss_official)
    api_client.force_authenticate(hrss_official)
    assert api_client.post(reverse("v1:claim-approve", args=[claim.pk])).status_code == 409
    assert api_client.post(reverse("v1:claim-reject", args=[claim.pk]), {"reason": "again"},
                           format="json").status_code == 409  # fmt: skip
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED and claim.review_note == "no"


def test_the_service_checks_the_reason_before_anything(claim_in_review, hrss_official):
    claim, _member = claim_in_review()
    for reason in ("", "  ", "x" * 501):
        with pytest.raises(ClaimRefused):
            reject_claim(claim.pk, actor=hrss_official, reason=reason)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW


def test_a_district_official_reviews_their_districts_claims_only(api_client, claim_in_review):
    xihu_claim, _ = claim_in_review(district=district("xihu"))
    binjiang_claim, _ = claim_in_review(district=district("binjiang"))
    xihu_official = OfficialFactory(department=department("hrss"), district=district("xihu"))
    api_client.force_authenticate(xihu_official)
    assert api_client.post(reverse("v1:claim-approve", args=[binjiang_claim.pk])).status_code == 404
    assert api_client.post(reverse("v1:claim-approve", args=[xihu_claim.pk])).status_code == 200
    with pytest.raises(ReviewNotAllowed):
        approve_claim(binjiang_claim.pk, actor=xihu_official)
    assert Claim.objects.get(pk=xihu_claim.pk).status == ClaimStatus.PAID
    assert Claim.objects.get(pk=binjiang_claim.pk).status == ClaimStatus.IN_REVIEW


def test_nobody_else_may_review_and_nothing_is_written(api_client, client, claim_in_review):
    claim, member = claim_in_review(district=district("xihu"))
    events = AuditEvent.objects.count()
    outsiders = {
        "enterprise member": (member, 403),
        "other department": (OfficialFactory(department=department("taxation")), 404),
        "other district": (
            OfficialFactory(department=department("hrss"), district=district("binjiang")),
            404,
        ),
        "auditor": (AuditorFactory(), 403),
    }
    for name, (user, expected) in outsiders.items():
        api_client.force_authenticate(user)
        approve = api_client.post(reverse("v1:claim-approve", args=[claim.pk]))
        reject = api_client.post(reverse("v1:claim-reject", args=[claim.pk]), {"reason": "no"},
                                 format="json")  # fmt: skip
        assert (approve.status_code, reject.status_code) == (expected, expected), name
        client.force_login(user)
        for url_name in ("subsidies:approve", "subsidies:reject"):
            url = reverse(url_name, args=[claim.pk])
            assert client.post(url, {"reason": "no"}).status_code == expected, (name, url_name)
        page = client.get(reverse("subsidies:claim", args=[claim.pk]))
        assert page.status_code == 404 or not page.context["can_review"], name
    with pytest.raises(ReviewNotAllowed):
        approve_claim(claim.pk, actor=member)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW and claim.reviewed_by is None
    assert AuditEvent.objects.count() == events
    assert not Disbursement.objects.exists()


def test_the_review_queue_is_scoped(client, claim_in_review, hrss_official):
    claim, member = claim_in_review(district=district("xihu"))
    url = reverse("subsidies:review_queue")
    client.force_login(member)
    assert client.get(url).status_code == 403
    expected = {
        "department official": (hrss_official, [claim.pk]),
        "auditor": (AuditorFactory(), [claim.pk]),
        "other department": (OfficialFactory(department=department("taxation")), []),
        "other district": (
            OfficialFactory(department=department("hrss"), district=district("binjiang")),
            [],
        ),
    }
    for name, (user, claims) in expected.items():
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200, name
        assert [c.pk for c in page.context["page"].object_list] == claims, name
    client.force_login(hrss_official)
    filtered = client.get(url, {"district": "binjiang"})
    assert list(filtered.context["page"].object_list) == []


def test_the_queue_lists_the_oldest_first(client, claim_in_review, hrss_official):
    first, _ = claim_in_review()
    second, _ = claim_in_review()
    client.force_login(hrss_official)
    page = client.get(reverse("subsidies:review_queue"))
    assert [c.pk for c in page.context["page"].object_list] == [first.pk, second.pk]


def test_an_empty_reason_shows_on_the_field_and_in_the_summary(client, claim_in_review,
                                                                hrss_official):  # fmt: skip
    claim, _member = claim_in_review()
    client.force_login(hrss_official)
    missing = client.post(reverse("subsidies:reject", args=[claim.pk]), {"reason": "  "},
                          HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    html = missing.content.decode()
    assert missing.status_code == 400
    field = html.split('class="field field-error"', 1)[1].split("</div>\n", 1)[0]
    assert 'id="id_reason_error"' in field
    assert 'href="#id_reason"' in html.split('class="error-summary"', 1)[1]


def test_the_review_queue_filters_offer_the_departments_policies_and_review_statuses(
    client, claim_in_review, hrss_official
):
    claim, _member = claim_in_review()
    elsewhere = Policy.objects.create(
        code="tax-award", department=department("taxation"), title_zh="税务奖励",
        title_en="Tax award", summary_zh="-", summary_en="-", legal_basis_zh="-",
        benefit_type="award",
    )  # fmt: skip
    client.force_login(hrss_official)
    form = client.get(reverse("subsidies:review_queue")).context["filter"].form
    policies = [value for value, _label in form.fields["policy"].choices if value]
    assert claim.policy.code in [str(value) for value in policies]
    assert elsewhere.code not in [str(value) for value in policies]
    statuses = [value for value, _label in form.fields["status"].choices if value]
    assert statuses == [ClaimStatus.IN_REVIEW]
    client.force_login(AuditorFactory())
    form = client.get(reverse("subsidies:review_queue")).context["filter"].form
    assert elsewhere.code in [str(value) for value, _label in form.fields["policy"].choices]
