"""Idempotency-Key, one mechanism for every creating POST (qinqing/api/idempotency.py).

Every POST operation of /api/v1/ is either idempotent or named in NOT_CREATING with the
reason (the first test fails for a new one); every idempotent endpoint has a case in CASES
that checks replay and mismatch. Then: the key's validation, in-flight requests under real
concurrency (PostgreSQL, threads), scoping by principal and endpoint, errors not kept,
expiry and the hourly purge.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from approvals.models import Application
from credit.inspections.models import InspectionCampaign
from credit.records.models import CreditRecord
from credit.repair.models import RepairApplication
from datahub.models import FactCorrection
from directline.models import Category, Request, RequestAttachment
from disputes.models import Dispute, DisputeAttachment
from disputes.services import raise_dispute
from integrations.models import WebhookDelivery, WebhookSubscription
from policies.models import Policy, PolicyTestCase, PolicyVersion
from qinqing.audit.models import AuditEvent
from qinqing.celery import app as celery_app
from qinqing.idempotency.models import IdempotencyKey
from qinqing.idempotency.services import purge_expired
from qinqing.idempotency.tasks import purge_expired_idempotency_keys
from subsidies.models import Claim, ClaimStatus
from tests.approvals.conftest import _packages_installed
from tests.directline.conftest import categories_installed
from tests.factories import (
    CreditRecordFactory,
    EnterpriseFactory,
    OfficialFactory,
    department,
    district,
    member_of,
)
from tests.policies.test_lifecycle import SIMPLE_CRITERIA, version_fields

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"

# POST operations that create nothing a repeat would create again: each is a step of a
# state machine (a repeat is refused with 409, or is harmless), or replaces what it made.
NOT_CREATING = {
    "claim-approve": "state change; a repeat is a 409",
    "claim-reject": "state change; a repeat is a 409",
    "claim-retry-payment": "state change; a repeat is a 409",
    "notification-mark-read": "marks read; a repeat changes nothing",
    "policy-version-submit": "state change",
    "policy-version-approve": "state change",
    "policy-version-send-back": "state change",
    "policy-version-generate-boundary-cases": "replaces the generated cases",
    "approval-application-submit": "state change; a repeat is a 409",
    "approval-application-commit": "state change",
    "approval-application-withdraw": "state change",
    "approval-item-approve": "state change",
    "approval-item-reject": "state change",
    "approval-item-request-supplement": "state change (with its message); a repeat is a 409",
    "approval-item-answer-supplement": "state change (with its message); a repeat is a 409",
    "approval-item-resubmit": "state change (with its message); a repeat is a 409",
    "approval-item-assign": "sets the assignee; a repeat changes nothing",
    "approval-item-verify": "state change",
    "approval-item-pause-clock": "state change; a second pause is a 409",
    "approval-item-resume-clock": "state change",
    "credit-commitment-start-verification": "state change",
    "credit-commitment-fulfil": "state change",
    "credit-commitment-breach": "state change; a repeat is a 409",
    "credit-commitment-penalise": "state change; a repeat is a 409",
    "credit-commitment-withdraw": "state change",
    "credit-campaign-publish": "state change; a repeat is a 409",
    "credit-campaign-draw": "the one draw; a second is a 409",
    "credit-inspection-result": "recorded once; a repeat is a 409",
    "credit-inspection-recuse": "state change",
    "credit-repair-approve": "state change; a repeat is a 409",
    "credit-repair-reject": "state change; a repeat is a 409",
    "request-ask": "state change (with its message); a repeat is a 409",
    "request-supply": "state change (with its message); a repeat is a 409",
    "request-transfer": "state change",
    "request-assign": "sets the assignee; a repeat is a 409",
    "request-answer": "state change (with its message); a repeat is a 409",
    "request-rate": "state change; rated once",
    "request-publish": "state change; a repeat is a 409",
    "request-refuse-publication": "sets a flag",
    "dispute-withdraw": "state change; a repeat is a 409",
    "recovery-order-waive": "state change; a repeat is a 409",
    "token": "signs in; creates nothing",
    "policy-watch": "one open watch per enterprise and policy: asking again returns it (200)",
    "oauth-token": "OAuth2 token endpoint (RFC 6749), not the REST API",
}


def _post_handlers() -> dict[str, Any]:
    """URL name -> the view handler of POST, for every /api/v1/ pattern."""
    found = {}
    v1 = get_resolver().namespace_dict["v1"][1]
    for pattern in _patterns(v1):
        view = pattern.callback
        cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
        if cls is None or not pattern.name:
            continue
        actions = getattr(view, "actions", None)
        if actions is not None:
            handler_name = actions.get("post")
            handler = getattr(cls, handler_name, None) if handler_name else None
        else:
            handler = getattr(cls, "post", None)
        if handler is not None:
            found[pattern.name] = handler
    return found


def _patterns(resolver):
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _patterns(pattern)
        else:
            yield pattern


def test_every_post_is_idempotent_or_said_not_to_create():
    handlers = _post_handlers()
    assert handlers, "no POST endpoint found under /api/v1/"
    undecided = sorted(
        name
        for name, handler in handlers.items()
        if not getattr(handler, "idempotent_methods", None) and name not in NOT_CREATING
    )
    assert not undecided, f"POST endpoints that must take Idempotency-Key or be listed: {undecided}"
    idempotent = {name for name, h in handlers.items() if getattr(h, "idempotent_methods", None)}
    assert idempotent == set(CASES), "every idempotent endpoint needs a case in CASES"
    assert not set(NOT_CREATING) - set(handlers), "NOT_CREATING names an endpoint that is gone"


def test_the_schema_documents_the_header_on_every_idempotent_endpoint():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = {
        path
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method == "post"
        and any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    assert len(documented) == len(CASES), sorted(documented)


# --- One case per idempotent endpoint -----------------------------------------------------


@dataclass
class Case:
    user: Any
    url: str
    body: Callable[[], dict]  # called for each request (files are read once)
    other_body: Callable[[], dict]
    count: Callable[[], int]  # what a repeat would create again
    format: str = "json"


def _hrss_policy(code: str = "jobs") -> tuple[Policy, Any]:
    author = OfficialFactory(department=department("hrss"), district=None)
    policy = Policy.objects.create(
        code=code, department=department("hrss"), title_zh="稳岗补贴", title_en="Job subsidy",
        summary_zh="-", summary_en="-", legal_basis_zh="-", benefit_type="employment_subsidy",
        delivery_mode="apply",
    )  # fmt: skip
    return policy, author


def _member_a() -> tuple[Any, Any]:
    enterprise = EnterpriseFactory(district=district("xihu"))
    return enterprise, member_of(enterprise)


def case_claims(ctx) -> Case:
    from tests.subsidies.conftest import policy_for_everyone

    enterprise, member = _member_a()  # the extracts need enterprises
    hrss = lambda: OfficialFactory(department=department("hrss"), district=None)  # noqa: E731
    policy_for_everyone(code="jobs", title="稳岗补贴", benefit_type="employment_subsidy",
                        author=hrss(), approver=hrss())  # fmt: skip
    other = EnterpriseFactory()
    return Case(member, "/api/v1/claims/", lambda: {"policy": "jobs", "uscc": enterprise.uscc},
                lambda: {"policy": "jobs", "uscc": other.uscc}, Claim.objects.count)  # fmt: skip


def case_claim_accept(ctx) -> Case:
    """Accepting an offer (confirm mode) pays it: a replay must not pay again."""
    from sandbox.treasury.models import TreasuryRecord
    from tests.subsidies.conftest import policy_for_everyone

    enterprise, member = _member_a()
    hrss = lambda: OfficialFactory(department=department("hrss"), district=None)  # noqa: E731
    policy = policy_for_everyone(code="jobs", title="稳岗补贴", benefit_type="employment_subsidy",
                                 author=hrss(), approver=hrss())  # fmt: skip
    offer = Claim.objects.create(enterprise=enterprise, policy=policy, period="2026",
                                 version=policy.versions.get(), origin="batch",
                                 status=ClaimStatus.OFFERED, amount=Decimal("5000.00"))  # fmt: skip
    return Case(member, f"/api/v1/claims/{offer.pk}/accept/", lambda: {},
                lambda: {"note": "another body"}, TreasuryRecord.objects.count)  # fmt: skip


def case_applications(ctx) -> Case:
    _packages_installed()
    enterprise, member = _member_a()
    return Case(
        member, "/api/v1/approvals/applications/",
        lambda: {"package": "enterprise-establishment"},
        lambda: {"package": "industrial-project", "uscc": enterprise.uscc},
        Application.objects.count,
    )  # fmt: skip


def case_credit_records(ctx) -> Case:
    enterprise, _member = _member_a()
    official = OfficialFactory(department=department("market"), district=district("xihu"))
    body = {"uscc": enterprise.uscc, "kind": "administrative_penalty", "severity": "minor",
            "title": "未按规定公示年报", "occurred_on": "2026-01-05"}  # fmt: skip
    return Case(official, "/api/v1/credit/records/", lambda: body,
                lambda: {**body, "title": "another"}, CreditRecord.objects.count)  # fmt: skip


def case_campaigns(ctx) -> Case:
    official = OfficialFactory(department=department("market"), district=None)
    names = [OfficialFactory(department=department("market")).username for _ in range(2)]
    body = {"title": "双随机 2026", "items": ["license"], "inspectors": names}
    return Case(official, "/api/v1/credit/campaigns/", lambda: body,
                lambda: {**body, "title": "another"}, InspectionCampaign.objects.count)  # fmt: skip


def case_repairs(ctx) -> Case:
    enterprise, member = _member_a()
    record = CreditRecordFactory(enterprise=enterprise, severity="minor",
                                 occurred_on=date(2024, 1, 10))  # fmt: skip
    return Case(member, "/api/v1/credit/repairs/",
                lambda: {"record": record.pk, "evidence": "已整改"},
                lambda: {"record": record.pk, "evidence": "另一份证明"},
                RepairApplication.objects.count)  # fmt: skip


def case_requests(ctx) -> Case:
    categories_installed()
    enterprise, member = _member_a()
    body = {"enterprise": enterprise.uscc, "category": "policy_question", "subject": "发票问题",
            "description": "发票无法开具。"}  # fmt: skip
    return Case(member, "/api/v1/requests/", lambda: body,
                lambda: {**body, "subject": "另一个问题"}, Request.objects.count)  # fmt: skip


def case_attachments(ctx) -> Case:
    from directline.services import raising

    ctx["settings"].DIRECTLINE_ATTACHMENT_ROOT = ctx["tmp_path"] / "private"
    categories_installed()
    enterprise, member = _member_a()
    raised = raising.raise_request(
        actor=member, enterprise=enterprise, category=Category.objects.get(code="policy_question"),
        subject="发票问题", description="发票无法开具。",
    )  # fmt: skip
    return Case(
        member, f"/api/v1/requests/{raised.pk}/attachments/",
        lambda: {"files": SimpleUploadedFile("证明.pdf", PDF, content_type="application/pdf")},
        lambda: {"files": SimpleUploadedFile("证明.pdf", PDF + b"%", "application/pdf")},
        RequestAttachment.objects.count, format="multipart",
    )  # fmt: skip


def _dispute_raised(ctx):
    ctx["settings"].DISPUTES_ATTACHMENT_ROOT = ctx["tmp_path"] / "disputes"
    enterprise, member = _member_a()
    dispute = raise_dispute(actor=member, enterprise=enterprise, fact="hrss.insured_employees",
                            claimed_value="12", statement="应为12人。")  # fmt: skip
    return dispute, member


def case_disputes(ctx) -> Case:
    enterprise, member = _member_a()
    body = {"enterprise": enterprise.uscc, "fact": "hrss.insured_employees",
            "claimed_value": "12", "statement": "十月参保人数应为12人。"}  # fmt: skip
    return Case(member, "/api/v1/disputes/", lambda: body,
                lambda: {**body, "fact": "hrss.new_hires_this_year"},
                Dispute.objects.count)  # fmt: skip


def case_dispute_decide(ctx) -> Case:
    """A correction writes the hub's answer: a replay must not write it twice."""
    dispute, _member = _dispute_raised(ctx)
    official = OfficialFactory(department=department("hrss"), district=None)
    body = {"outcome": "correct", "value": "12", "reason": "补录。"}
    return Case(official, f"/api/v1/disputes/{dispute.pk}/decide/", lambda: body,
                lambda: {**body, "value": "13"}, FactCorrection.objects.count)  # fmt: skip


def case_dispute_attachments(ctx) -> Case:
    dispute, member = _dispute_raised(ctx)
    return Case(
        member, f"/api/v1/disputes/{dispute.pk}/attachments/",
        lambda: {"files": SimpleUploadedFile("证明.pdf", PDF, content_type="application/pdf")},
        lambda: {"files": SimpleUploadedFile("证明.pdf", PDF + b"%", "application/pdf")},
        DisputeAttachment.objects.count, format="multipart",
    )  # fmt: skip


def case_subscriptions(ctx) -> Case:
    ctx["settings"].WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    _enterprise, member = _member_a()
    body = {"name": "ERP", "url": "http://127.0.0.1:9/hooks", "event_types": ["claim.paid"]}
    return Case(member, "/api/v1/webhooks/subscriptions/", lambda: body,
                lambda: {**body, "name": "ERP 2"}, WebhookSubscription.objects.count)  # fmt: skip


def case_redeliver(ctx) -> Case:
    from integrations import dispatching
    from tests.integrations.conftest import record_event_for, subscribe

    ctx["settings"].WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    ctx["monkeypatch"].setattr(dispatching, "enqueue_deliveries", lambda delivery_ids: None)
    enterprise, member = _member_a()
    subscribe(member, url="http://127.0.0.1:9/hooks")
    record_event_for(enterprise)
    dispatching.dispatch_pending()
    delivery = WebhookDelivery.objects.get()
    redelivered = AuditEvent.objects.filter(action="webhooks.delivery.redelivered")
    return Case(member, f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver/", lambda: {},
                lambda: {"now": True}, redelivered.count)  # fmt: skip


def _version_body(**changes) -> dict:
    today = str(timezone.localdate())
    return {**version_fields(), "valid_from": today, "valid_until": today, "budget": "1000.00",
            "criteria": SIMPLE_CRITERIA, **changes}  # fmt: skip


def case_policy_versions(ctx) -> Case:
    policy, author = _hrss_policy()
    return Case(author, f"/api/v1/policies/{policy.code}/versions/", _version_body,
                lambda: _version_body(budget="2000.00"), PolicyVersion.objects.count)  # fmt: skip


def case_test_cases(ctx) -> Case:
    from policies.services.drafts import create_draft

    policy, author = _hrss_policy()
    draft = create_draft(policy=policy, actor=author, **version_fields())
    facts = {"hrss.insured_employees": 9, "market.registration_status": "active"}
    body = {"name": "nine staff", "expected_status": "eligible", "facts": facts}
    return Case(author, f"/api/v1/policy-versions/{draft.pk}/test-cases/", lambda: body,
                lambda: {**body, "name": "ten staff"}, PolicyTestCase.objects.count)  # fmt: skip


def _recovery_order(ctx, amount: str = "100.00"):
    from recovery.models import RecoveryOrder
    from tests.dashboards.conftest import make_policy, paid_claim

    enterprise, member = _member_a()
    policy = make_policy(f"recover-{RecoveryOrder.objects.count()}", "hrss")
    claim = paid_claim(enterprise, policy, "1000.00", timezone.now(), 1)
    order = RecoveryOrder.objects.create(enterprise=enterprise, claim=claim, grounds="decision",
                                         reason="重复发放", amount=Decimal(amount))  # fmt: skip
    return order, member


def case_recovery_orders(ctx) -> Case:
    from recovery.models import RecoveryOrder
    from tests.dashboards.conftest import make_policy, paid_claim

    official = OfficialFactory(department=department("hrss"), district=None)
    policy = make_policy("recover", "hrss")
    claims = [paid_claim(EnterpriseFactory(), policy, "1000.00", timezone.now(), 1)
              for _ in range(2)]  # fmt: skip
    return Case(official, "/api/v1/recovery-orders/",
                lambda: {"claim": claims[0].pk, "amount": "100.00", "reason": "重复发放"},
                lambda: {"claim": claims[1].pk, "amount": "100.00", "reason": "重复发放"},
                RecoveryOrder.objects.count)  # fmt: skip


def case_recovery_repay(ctx) -> Case:
    """Repaying collects through the treasury: a replay must not collect again."""
    from sandbox.treasury.models import TreasuryCollection

    order, member = _recovery_order(ctx)
    return Case(member, f"/api/v1/recovery-orders/{order.pk}/repay/", lambda: {},
                lambda: {"note": "another body"}, TreasuryCollection.objects.count)  # fmt: skip


def case_recovery_appeal(ctx) -> Case:
    categories_installed()
    order, member = _recovery_order(ctx)
    return Case(member, f"/api/v1/recovery-orders/{order.pk}/appeal/",
                lambda: {"text": "款项应属本企业"}, lambda: {"text": "另一个理由"},
                Request.objects.count)  # fmt: skip


def case_roster_confirm(ctx) -> Case:
    """Confirming a roster withdraws, and pays, the employees: a replay must not confirm
    it again."""
    from policies.models import DeliveryMode
    from tests.persons.conftest import NUMBER, OTHER_NUMBER, person_login
    from tests.persons.rent import person_claim, rent_policy

    enterprise, member = _member_a()
    policy = rent_policy(DeliveryMode.CONFIRM)
    people = [person_login(number, name)[0]
              for number, name in ((NUMBER, "陈小青"), (OTHER_NUMBER, "林大山"))]  # fmt: skip
    for person in people:
        person_claim(person, policy, enterprise, status=ClaimStatus.OFFERED, paid=False)
    confirmed = AuditEvent.objects.filter(action="claim.roster_confirmed")
    return Case(member, f"/api/v1/rosters/{policy.versions.get().pk}/{enterprise.pk}/confirm/",
                lambda: {"removals": [{"person": people[0].pk, "reason": "已离职"}]},
                lambda: {"removals": []}, confirmed.count)  # fmt: skip


CASES = {
    "roster-confirm": case_roster_confirm,
    "recovery-order-list": case_recovery_orders,
    "recovery-order-repay": case_recovery_repay,
    "recovery-order-appeal": case_recovery_appeal,
    "claim-list": case_claims,
    "claim-accept": case_claim_accept,
    "approval-application-list": case_applications,
    "credit-record-list": case_credit_records,
    "credit-campaign-list": case_campaigns,
    "credit-repair-list": case_repairs,
    "request-list": case_requests,
    "request-attachments": case_attachments,
    "dispute-list": case_disputes,
    "dispute-decide": case_dispute_decide,
    "dispute-attachments": case_dispute_attachments,
    "webhook-subscription-list": case_subscriptions,
    "webhook-delivery-redeliver": case_redeliver,
    "policy-versions": case_policy_versions,
    "policy-version-test-cases": case_test_cases,
}


@pytest.fixture
def ctx(reference_data, settings, monkeypatch, tmp_path) -> dict:
    return {"settings": settings, "monkeypatch": monkeypatch, "tmp_path": tmp_path}


def _post(case: Case, body: dict, key: str | None, user=None) -> Any:
    client = APIClient()
    client.force_authenticate(user or case.user)
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(case.url, body, format=case.format, **headers)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_same_key_replays_and_another_body_is_refused(name, ctx):
    case = CASES[name](ctx)
    first = _post(case, case.body(), "key-1")
    assert 200 <= first.status_code < 300, first.content
    made = case.count()
    assert made >= 1
    again = _post(case, case.body(), "key-1")
    kept = first.json()
    if isinstance(kept, dict):  # a webhook's signing secret is shown once, never replayed
        kept.pop("secret", None)
    assert (again.status_code, again.json()) == (first.status_code, kept)
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert case.count() == made, "the replay did it again"
    mismatch = _post(case, case.other_body(), "key-1")
    assert mismatch.status_code == 422, mismatch.content
    assert "Idempotency-Key" in mismatch.json()["detail"]
    assert case.count() == made
    # Another key is another request.
    fresh = _post(case, case.other_body(), "key-2")
    assert fresh.status_code != 422 and "Idempotent-Replayed" not in fresh


# --- The key itself -----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "clé-é", "tab\there"])
def test_an_empty_too_long_or_non_ascii_key_is_a_400(ctx, key):
    case = case_requests(ctx)
    answer = _post(case, case.body(), key)
    assert answer.status_code == 400 and "Idempotency-Key" in answer.json()["detail"]
    assert Request.objects.count() == 0 and not IdempotencyKey.objects.exists()


def test_a_key_of_255_characters_is_accepted(ctx):
    case = case_requests(ctx)
    assert _post(case, case.body(), "k" * 255).status_code == 201
    assert IdempotencyKey.objects.get().key == "k" * 255


def test_without_a_key_nothing_is_kept_and_a_repeat_creates_again(ctx):
    case = case_requests(ctx)
    assert _post(case, case.body(), None).status_code == 201
    assert _post(case, case.body(), None).status_code == 201
    assert Request.objects.count() == 2 and not IdempotencyKey.objects.exists()


# --- Scope: principal and endpoint --------------------------------------------------------


def test_another_user_s_key_is_another_key(ctx):
    case = case_requests(ctx)
    first = _post(case, case.body(), "shared")
    other_enterprise, other_member = _member_a()
    theirs = _post(case, {**case.body(), "enterprise": other_enterprise.uscc}, "shared",
                   user=other_member)  # fmt: skip
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert theirs.json()["id"] != first.json()["id"]
    # Not even their own body with the first user's key replays the first answer to them.
    same_body = _post(case, case.body(), "shared-2", user=other_member)
    assert same_body.status_code == 403 and Request.objects.count() == 2


def test_a_partner_client_s_keys_are_its_own(ctx):
    from tests.partners_support import partner_api_client

    categories_installed()
    enterprise = EnterpriseFactory(district=district("xihu"))
    body = {"enterprise": enterprise.uscc, "category": "policy_question", "subject": "发票问题",
            "description": "发票无法开具。"}  # fmt: skip
    one, _partner = partner_api_client(scopes=["requests:write"], enterprise=enterprise)
    two, _other = partner_api_client(scopes=["requests:write"], enterprise=enterprise)
    first = one.post("/api/v1/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == 201, first.content
    replay = one.post("/api/v1/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    second_client = two.post("/api/v1/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert second_client.status_code == 201 and "Idempotent-Replayed" not in second_client
    assert Request.objects.count() == 2


def test_the_same_key_on_another_endpoint_is_another_key(ctx):
    requests_case = case_requests(ctx)
    ctx["settings"].WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert _post(requests_case, requests_case.body(), "k").status_code == 201
    subscription = APIClient()
    subscription.force_authenticate(requests_case.user)
    answer = subscription.post(
        "/api/v1/webhooks/subscriptions/",
        {"name": "ERP", "url": "http://127.0.0.1:9/hooks", "event_types": ["claim.paid"]},
        format="json", HTTP_IDEMPOTENCY_KEY="k",
    )  # fmt: skip
    assert answer.status_code == 201 and "Idempotent-Replayed" not in answer


# --- Errors are not kept ------------------------------------------------------------------


def test_a_refused_request_releases_its_key_for_the_corrected_one(ctx):
    case = case_requests(ctx)
    refused = _post(case, {**case.body(), "subject": ""}, "k")
    assert refused.status_code == 400 and not IdempotencyKey.objects.exists()
    corrected = _post(case, case.body(), "k")
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected
    assert _post(case, case.body(), "k")["Idempotent-Replayed"] == "true"
    assert Request.objects.count() == 1


def test_an_exception_in_the_view_releases_the_key(ctx, monkeypatch):
    from directline.services import raising

    case = case_requests(ctx)

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(raising, "raise_request", broken)
    client = APIClient(raise_request_exception=True)
    client.force_authenticate(case.user)
    with pytest.raises(RuntimeError):
        client.post(case.url, case.body(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert not IdempotencyKey.objects.exists()


# --- In flight, and under real concurrency ------------------------------------------------


def _held(monkeypatch) -> tuple[threading.Event, threading.Event]:
    """Raising a request waits, inside the view, until `go` is set; `inside` says a
    request got there. So the others arrive while the first is in flight, however slow
    the machine."""
    from directline.services import raising

    original = raising.raise_request
    inside, go = threading.Event(), threading.Event()

    def held(**kwargs):
        inside.set()
        go.wait(timeout=60)
        return original(**kwargs)

    monkeypatch.setattr(raising, "raise_request", held)
    return inside, go


@pytest.mark.postgres
def test_ten_threads_with_one_key_create_one_request(ctx, monkeypatch):
    case = case_requests(ctx)
    inside, go = _held(monkeypatch)
    start = threading.Barrier(10)
    answers: list[tuple[int, dict, bool]] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            start.wait()
            answer = _post(case, case.body(), "one-key")
            with lock:
                answers.append((answer.status_code, answer.json(),
                                answer.has_header("Idempotent-Replayed")))  # fmt: skip
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    # Nine answer while one is held inside the view (a second one inside would also wait).
    deadline = time.monotonic() + 60
    while len(answers) < 9 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert inside.is_set()
    go.set()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 10
    assert Request.objects.count() == 1
    codes = sorted(code for code, _body, _replayed in answers)
    assert codes == [201] + [409] * 9, codes
    assert all("Idempotency-Key" in body["detail"] for code, body, _r in answers if code == 409)
    created = [body for code, body, _replayed in answers if code == 201]
    # Once done, the key replays the one answer.
    again = _post(case, case.body(), "one-key")
    assert again["Idempotent-Replayed"] == "true" and again.json() == created[0]


@pytest.mark.postgres
def test_a_repeat_while_the_first_is_in_flight_is_a_409(ctx, monkeypatch):
    case = case_requests(ctx)
    inside, go = _held(monkeypatch)
    first: list = []

    def send() -> None:
        try:
            first.append(_post(case, case.body(), "k"))
        finally:
            connection.close()

    thread = threading.Thread(target=send)
    thread.start()
    assert inside.wait(timeout=60)
    during = _post(case, case.body(), "k")
    go.set()
    thread.join(timeout=60)
    assert during.status_code == 409 and "Idempotency-Key" in during.json()["detail"]
    assert first[0].status_code == 201 and Request.objects.count() == 1
    after = _post(case, case.body(), "k")
    assert after["Idempotent-Replayed"] == "true" and after.json() == first[0].json()


def test_a_key_abandoned_by_a_dead_process_is_taken_over(ctx, settings):
    """A process that died mid-request left its key "in progress": after the lock
    timeout the next request with the key is handled."""
    case = case_requests(ctx)
    stale = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS + 1)
    _post(case, case.body(), "k")  # learn the endpoint and hash the view stores
    row = IdempotencyKey.objects.get()
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status_code=None, response=None, locked_at=stale
    )
    Request.objects.all().delete()
    taken = _post(case, case.body(), "k")
    assert taken.status_code == 201 and "Idempotent-Replayed" not in taken
    assert Request.objects.count() == 1
    IdempotencyKey.objects.update(status_code=None, locked_at=timezone.now())
    assert _post(case, case.body(), "k").status_code == 409


# --- Expiry -------------------------------------------------------------------------------


def test_keys_expire_after_24_hours(ctx):
    case = case_requests(ctx)
    _post(case, case.body(), "k")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    later = _post(case, case.other_body(), "k")  # another body: no 422, the key is forgotten
    assert later.status_code == 201 and Request.objects.count() == 2


def test_the_hourly_purge_deletes_expired_keys_only(ctx):
    case = case_requests(ctx)
    _post(case, case.body(), "old")
    _post(case, case.other_body(), "new")
    now = timezone.now()
    IdempotencyKey.objects.filter(key="old").update(created_at=now - timedelta(hours=25))
    IdempotencyKey.objects.filter(key="new").update(created_at=now - timedelta(hours=23))
    assert purge_expired_idempotency_keys.apply().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert purge_expired(now=now + timedelta(hours=2)) == 1
    entry = celery_app.conf.beat_schedule["purge-expired-idempotency-keys"]
    assert entry["task"] == purge_expired_idempotency_keys.name
