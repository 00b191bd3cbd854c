"""The hub's credit facts come from the credit app's tables: the default grade without
records, lists as they stand, logged and simulated like any department's call, in process
and over HTTP, single answers and bulk extracts alike; and a black-listed enterprise's
subsidy claim is ineligible with that criterion named."""

from datetime import date, timedelta

import pytest
from django.test import override_settings

from credit.records.models import RecordKind
from credit.records.services import add_record
from datahub.adapters import close_adapters
from datahub.extracts.reading import read_snapshot
from datahub.extracts.refresh import refresh_extract
from datahub.fetching.pipeline import fetch_facts
from datahub.models import CallOutcome, DataCall
from policies.models import DeliveryMode, Policy
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.publication import approve, submit_for_approval
from subsidies.claims import submit_claim
from subsidies.models import ClaimStatus
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

from ..policies.test_lifecycle import SIMPLE_CRITERIA, version_fields

CREDIT = ["credit.grade", "credit.red_list", "credit.black_list"]
TODAY = date.today()


def fetch(enterprise, **options):
    return fetch_facts(enterprise, CREDIT, purpose="test: credit facts", **options).values()


def black_list(enterprise):
    official = OfficialFactory(department=department("market"))
    add_record(
        enterprise=enterprise,
        kind=RecordKind.ADMINISTRATIVE_PENALTY,
        severity="serious",
        title="无证经营",
        occurred_on=TODAY,
        actor=official,
    )


@pytest.mark.django_db
def test_an_enterprise_without_records_has_the_default_grade_and_no_listing(enterprise):
    assert fetch(enterprise) == {
        "credit.grade": "B",
        "credit.red_list": False,
        "credit.black_list": False,
    }
    call = DataCall.objects.get()
    assert (call.department.code, call.interface, call.outcome) == (
        "ndrc",
        "credit.public_credit",
        CallOutcome.OK,
    )
    assert call.purpose == "test: credit facts" and call.response_hash


@pytest.mark.django_db
def test_a_black_listing_shows_at_once_despite_the_cache(
    enterprise, django_capture_on_commit_callbacks
):
    assert fetch(enterprise)["credit.black_list"] is False  # now cached for a day
    with django_capture_on_commit_callbacks(execute=True):
        black_list(enterprise)
    facts = fetch(enterprise)
    assert facts["credit.black_list"] is True and facts["credit.grade"] == "D"
    assert DataCall.objects.filter(outcome=CallOutcome.CACHED).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("behaviour", "reason"), [
    ({"error_rate": 1.0}, CallOutcome.UNAVAILABLE),
    ({"malformed_rate": 1.0}, CallOutcome.MALFORMED),
    ({"down": True}, CallOutcome.UNAVAILABLE),
])  # fmt: skip
@override_settings(HUB_TIMEOUT_SECONDS=0.3)
def test_the_departments_simulated_failures_apply(enterprise, simulate, behaviour, reason):
    simulate("ndrc", **behaviour)
    result = fetch_facts(enterprise, CREDIT, purpose="test")
    assert result["credit.grade"].known is False
    assert result["credit.grade"].reason == reason
    assert DataCall.objects.get().outcome == reason


@pytest.mark.django_db
def test_the_extract_agrees_with_single_answers(market_official):
    plain, listed = EnterpriseFactory(), EnterpriseFactory()
    black_list(listed)
    refresh = refresh_extract("ndrc", purpose="test: batch matching", as_of=TODAY)
    assert refresh.rows == 2
    snapshot = read_snapshot(CREDIT)
    for enterprise in (plain, listed):
        live = fetch_facts(enterprise, CREDIT, purpose="test", use_cache=False)
        for name in CREDIT:
            assert snapshot.value(enterprise.pk, name) == live[name].value
    assert snapshot.value(listed.pk, "credit.black_list") is True


@pytest.fixture
def http(live_server, settings):
    settings.HUB_HTTP_BASE_URL = live_server.url
    yield live_server
    close_adapters()


@pytest.mark.django_db(transaction=True)
def test_over_http_the_same_facts(http, reference_data):
    plain, listed = EnterpriseFactory(), EnterpriseFactory()
    black_list(listed)
    for enterprise in (plain, listed):
        over_http = fetch(enterprise, transport="http", use_cache=False)
        in_process = fetch(enterprise, transport="inprocess", use_cache=False)
        assert over_http == in_process
    assert over_http["credit.black_list"] is True
    assert set(DataCall.objects.values_list("transport", flat=True)) == {"http", "inprocess"}


# --- A black-listed enterprise gets no subsidy ---------------------------------------------

NOT_BLACK_LISTED = {"id": "not-black-listed", "label": {"zh": "未列入失信黑名单",
                                                        "en": "Not on the black list"},
                    "clause": "第五条", "fact": "credit.black_list", "op": "is_false"}  # fmt: skip


def credit_policy() -> Policy:
    """An apply-mode award every active enterprise meets, unless black-listed."""
    for code in ("hrss", "market", "ndrc"):
        refresh_extract(code, purpose="test", as_of=TODAY)
    author = OfficialFactory(department=department("hrss"), district=None)
    approver = OfficialFactory(department=department("hrss"), district=None)
    policy = Policy.objects.create(
        code="honest-award", department=department("hrss"), title_zh="诚信奖励",
        title_en="Honesty award", summary_zh="-", summary_en="-", legal_basis_zh="第五条",
        benefit_type="award", delivery_mode=DeliveryMode.APPLY)  # fmt: skip
    criteria = {"all": [{**SIMPLE_CRITERIA["all"][0], "value": 0}, NOT_BLACK_LISTED]}
    version = create_draft(
        policy=policy,
        actor=author,
        **version_fields(valid_from=TODAY - timedelta(days=1), criteria=criteria, parameters={}),
    )
    generate_boundary_cases(version)
    approve(submit_for_approval(version, actor=author), actor=approver)
    return policy


@pytest.mark.django_db(transaction=True)
def test_a_black_listed_enterprises_claim_is_ineligible_naming_the_criterion(reference_data):
    honest, listed = EnterpriseFactory(), EnterpriseFactory()
    black_list(listed)
    policy = credit_policy()
    outcomes = {}
    for enterprise in (honest, listed):
        claim, _created = submit_claim(
            enterprise=enterprise, policy=policy, actor=member_of(enterprise)
        )
        claim.refresh_from_db()
        outcomes[enterprise.pk] = claim
    assert outcomes[honest.pk].status == ClaimStatus.IN_REVIEW
    refused = outcomes[listed.pk]
    assert refused.status == ClaimStatus.INELIGIBLE
    failed = [row for row in refused.decision["criteria"] if row["met"] is False]
    assert [(row["id"], row["fact"], row["value"]) for row in failed] == [
        ("not-black-listed", "credit.black_list", True)
    ]
    assert failed[0]["label"]["en"] == "Not on the black list"
