"""No input makes a 500, on any page or endpoint, for any caller.

Every URL pattern must appear in ENDPOINTS (the first test fails for a new one), so a new
endpoint cannot escape this suite. Admin pages are Django's own and are left out.
"""

import itertools

import pytest
from django.test import Client
from django.urls import get_resolver
from django.urls.resolvers import URLResolver

from tests.factories import OfficialFactory, district

pytestmark = pytest.mark.django_db

# Pattern name (with namespace) -> URL to call; "{uscc}" is the caller's enterprise.
ENDPOINTS = {
    "home": "/",
    "healthz": "/healthz",
    "jwks": "/.well-known/jwks.json",
    "accounts:login": "/accounts/login/",
    "accounts:logout": "/accounts/logout/",
    "accounts:password_change": "/accounts/password/",
    "accounts:password_change_done": "/accounts/password/done/",
    "enterprises:list": "/enterprises/",
    "enterprises:detail": "/enterprises/{uscc}/",
    "enterprises:contact_edit": "/enterprises/{uscc}/contact/",
    "official_workspace": "/official/",
    "person_profile": "/me/",
    "person_check_records": "/me/records/",
    "person_data_access": "/me/data-access/?page=x",
    "person_subsidies": "/me/subsidies/",
    "person_claim": "/me/subsidies/1/",
    "person_check_subsidies": "/me/subsidies/check/",
    "person_claim_policy": "/me/subsidies/claim/no-such-policy/",
    "set_language": "/i18n/setlang/",
    "mock-department": "/mock/departments/taxation/tax.annual_summary/?uscc={uscc}&fields=yysr"
    "&as_of=2026-11-01",
    "mock-treasury-payments": "/mock/treasury/payments/",
    "mock-treasury-batches": "/mock/treasury/batches/",
    "mock-treasury-status": "/mock/treasury/payments/qinqing-claim-1/",
    "mock-treasury-collections": "/mock/treasury/collections/",
    "mock-treasury-collection-status": "/mock/treasury/collections/qinqing-recovery-1-1/",
    "v1:api-root": "/api/v1/",
    "v1:enterprise-list": "/api/v1/enterprises/",
    "v1:enterprise-detail": "/api/v1/enterprises/{uscc}/",
    "v1:enterprise-contact": "/api/v1/enterprises/{uscc}/contact/",
    "v1:district-list": "/api/v1/districts/",
    "v1:district-detail": "/api/v1/districts/xihu/",
    "v1:department-list": "/api/v1/departments/",
    "v1:department-detail": "/api/v1/departments/taxation/",
    "v1:me": "/api/v1/me/",
    "v1:enterprise-facts": "/api/v1/enterprises/{uscc}/facts/?names=tax.arrears&purpose=test",
    "v1:data-call-list": "/api/v1/data-calls/",
    "v1:data-call-detail": "/api/v1/data-calls/1/",
    "enterprise_data_access": "/enterprises/{uscc}/data-access/",
    "data_calls": "/official/data-calls/?department=taxation&export=csv",
    "data_interfaces": "/data/interfaces/",
    "policies:catalog": "/policies/?q=补贴&status=open&industry=C",
    "policies:calculator": "/policies/calculator/",
    "policies:watches": "/policies/watches/",
    "policies:watch": "/policies/no-such-policy/watch/?uscc={uscc}",
    "policies:detail": "/policies/no-such-policy/",
    "policies:official_list": "/policies/manage/",
    "policies:official_version": "/policies/manage/versions/1/",
    "policies:official_edit": "/policies/manage/versions/1/edit/",
    "policies:official_new": "/policies/manage/no-such-policy/new-version/",
    "policies:official_new_policy": "/policies/manage/new/",
    "policies:official_case": "/policies/manage/versions/1/cases/1/",
    "policies:official_first": "/policies/manage/no-such-policy/first-version/",
    "subsidies:claims": "/claims/?status=paid",
    "subsidies:claim": "/claims/1/",
    "subsidies:batch_run": "/claims/batches/1/",
    "subsidies:retry_payment": "/claims/1/retry-payment/",
    "subsidies:confirm": "/claims/1/confirm/",
    "subsidies:receipt": "/claims/1/receipt/",
    "subsidies:make_claim": "/claims/claim/no-such-policy/",
    "subsidies:review_queue": "/claims/review/?status=in_review&district=xihu",
    "subsidies:approve": "/claims/1/approve/",
    "subsidies:reject": "/claims/1/reject/",
    "subsidies:reconciliation": "/claims/reconciliation/",
    "subsidies:rosters": "/claims/rosters/",
    "subsidies:roster": "/claims/rosters/1/1/",
    "subsidies:roster_confirm": "/claims/rosters/1/1/confirm/",
    "approvals:list": "/approvals/?status=draft&page=2",
    "approvals:start": "/approvals/start/industrial-project/",
    "approvals:tracker": "/approvals/1/",
    "approvals:edit": "/approvals/1/edit/",
    "approvals:review": "/approvals/1/review/",
    "approvals:submit": "/approvals/1/submit/",
    "approvals:commitment": "/approvals/1/commitment/?item=1&item=x",
    "approvals:withdraw": "/approvals/1/withdraw/",
    "approvals:answer_supplement": "/approvals/items/1/supplement/",
    "approvals:resubmit": "/approvals/items/1/resubmit/",
    "approvals:permit": "/approvals/permits/FG-2026-0000001/",
    "approvals:receipt": "/approvals/items/1/receipt/",
    "approvals:queue": "/approvals/review/?status=pending&mine=on&export=csv",
    "approvals:overdue": "/approvals/review/overdue/?export=xlsx",
    "approvals:verifications": "/approvals/review/verifications/",
    "approvals:item": "/approvals/review/1/",
    "approvals:approve": "/approvals/review/1/approve/",
    "approvals:reject": "/approvals/review/1/reject/",
    "approvals:request_supplement": "/approvals/review/1/supplement/",
    "approvals:assign": "/approvals/review/1/assign/",
    "approvals:verify": "/approvals/review/1/verify/",
    "permit_verify": "/permits/verify/?code=%00%FF",
    "v1:claim-list": "/api/v1/claims/",
    "v1:claim-detail": "/api/v1/claims/1/",
    "v1:claim-approve": "/api/v1/claims/1/approve/",
    "v1:claim-accept": "/api/v1/claims/1/accept/",
    "v1:claim-receipt": "/api/v1/claims/1/receipt/",
    "v1:claim-retry-payment": "/api/v1/claims/1/retry-payment/",
    "v1:claim-reject": "/api/v1/claims/1/reject/",
    "v1:roster-list": "/api/v1/rosters/",
    "v1:roster-detail": "/api/v1/rosters/1/1/",
    "v1:roster-confirm": "/api/v1/rosters/1/1/confirm/",
    "v1:disbursement-list": "/api/v1/disbursements/",
    "v1:disbursement-detail": "/api/v1/disbursements/1/",
    "v1:recovery-order-list": "/api/v1/recovery-orders/",
    "v1:recovery-order-detail": "/api/v1/recovery-orders/1/",
    "v1:recovery-order-waive": "/api/v1/recovery-orders/1/waive/",
    "v1:recovery-order-repay": "/api/v1/recovery-orders/1/repay/",
    "v1:recovery-order-appeal": "/api/v1/recovery-orders/1/appeal/",
    "recovery:orders": "/recovery/?status=%00",
    "recovery:raise": "/recovery/raise/",
    "recovery:order": "/recovery/1/",
    "recovery:repay": "/recovery/1/repay/",
    "recovery:appeal": "/recovery/1/appeal/",
    "recovery:waive": "/recovery/1/waive/",
    "notifications:list": "/notifications/?page=2",
    "notifications:open": "/notifications/1/open/",
    "notifications:mark_read": "/notifications/mark-read/",
    "notifications:preferences": "/notifications/preferences/",
    "v1:notification-list": "/api/v1/notifications/?unread=true",
    "v1:notification-detail": "/api/v1/notifications/1/",
    "v1:notification-mark-read": "/api/v1/notifications/mark-read/",
    "v1:policy-list": "/api/v1/policies/",
    "v1:policy-detail": "/api/v1/policies/no-such-policy/",
    "v1:policy-versions": "/api/v1/policies/no-such-policy/versions/",
    "v1:policy-evaluate": "/api/v1/policies/no-such-policy/evaluate/?uscc={uscc}",
    "v1:policy-watch": "/api/v1/policies/no-such-policy/watch/?uscc={uscc}",
    "v1:policy-version-submit": "/api/v1/policy-versions/1/submit/",
    "v1:policy-version-approve": "/api/v1/policy-versions/1/approve/",
    "v1:policy-version-send-back": "/api/v1/policy-versions/1/send-back/",
    "v1:policy-version-generate-boundary-cases": (
        "/api/v1/policy-versions/1/generate-boundary-cases/"
    ),
    "v1:policy-version-what-if": "/api/v1/policy-versions/1/what-if/",
    "v1:policy-version-test-cases": "/api/v1/policy-versions/1/test-cases/",
    "v1:approval-application-list": "/api/v1/approvals/applications/?status=draft",
    "v1:approval-application-detail": "/api/v1/approvals/applications/1/",
    "v1:approval-application-submit": "/api/v1/approvals/applications/1/submit/",
    "v1:approval-application-commit": "/api/v1/approvals/applications/1/commit/",
    "v1:approval-application-withdraw": "/api/v1/approvals/applications/1/withdraw/",
    "v1:approval-item-list": "/api/v1/approvals/items/?status=pending",
    "v1:approval-item-detail": "/api/v1/approvals/items/1/",
    "v1:approval-item-receipt": "/api/v1/approvals/items/1/receipt/",
    "v1:approval-item-approve": "/api/v1/approvals/items/1/approve/",
    "v1:approval-item-reject": "/api/v1/approvals/items/1/reject/",
    "v1:approval-item-request-supplement": "/api/v1/approvals/items/1/request-supplement/",
    "v1:approval-item-answer-supplement": "/api/v1/approvals/items/1/answer-supplement/",
    "v1:approval-item-resubmit": "/api/v1/approvals/items/1/resubmit/",
    "v1:approval-item-assign": "/api/v1/approvals/items/1/assign/",
    "v1:approval-item-verify": "/api/v1/approvals/items/1/verify/",
    "v1:approval-item-pause-clock": "/api/v1/approvals/items/1/pause-clock/",
    "v1:approval-item-resume-clock": "/api/v1/approvals/items/1/resume-clock/",
    "approvals:pause": "/approvals/review/1/pause/",
    "approvals:resume": "/approvals/review/1/resume/",
    "v1:permit-verify": "/api/v1/approvals/permits/ABCDEF1234/",
    "credit:records": "/credit/records/?kind=reward&severity=serious&district=xihu&uscc=%00",
    "credit:record_new": "/credit/records/new/",
    "credit:lists": "/credit/lists/?list_kind=black&status=current&page=2",
    "credit:commitments": "/credit/commitments/?status=verifying&subject_kind=x",
    "credit:commitment": "/credit/commitments/1/",
    "credit:commitment_action": "/credit/commitments/1/breach/",
    "credit:enterprise": "/credit/enterprises/{uscc}/",
    "credit:public": "/credit/public/{uscc}/",
    "v1:credit-record-list": "/api/v1/credit/records/?kind=arrears&department=market",
    "v1:credit-record-detail": "/api/v1/credit/records/1/",
    "v1:credit-grade-list": "/api/v1/credit/grades/",
    "v1:credit-grade-detail": "/api/v1/credit/grades/{uscc}/",
    "v1:credit-commitment-list": "/api/v1/credit/commitments/?status=made",
    "v1:credit-commitment-detail": "/api/v1/credit/commitments/1/",
    "v1:credit-commitment-start-verification": "/api/v1/credit/commitments/1/start-verification/",
    "v1:credit-commitment-fulfil": "/api/v1/credit/commitments/1/fulfil/",
    "v1:credit-commitment-breach": "/api/v1/credit/commitments/1/breach/",
    "v1:credit-commitment-penalise": "/api/v1/credit/commitments/1/penalise/",
    "v1:credit-commitment-withdraw": "/api/v1/credit/commitments/1/withdraw/",
    "credit:campaigns": "/credit/campaigns/?page=2",
    "credit:campaign_new": "/credit/campaigns/new/",
    "credit:campaign": "/credit/campaigns/1/",
    "credit:campaign_action": "/credit/campaigns/1/draw/",
    "credit:selection_result": "/credit/inspections/1/result/",
    "credit:selection_recuse": "/credit/inspections/1/recuse/",
    "credit:draw_verify": "/credit/draws/1/verify/",
    "credit:draws": "/credit/draws/?page=2",
    "credit:draw_public": "/credit/draws/1/",
    "credit:draw_file": "/credit/draws/1/population.txt",
    "credit:repair_new": "/credit/records/1/repair/",
    "credit:repairs": "/credit/repairs/?status=pending",
    "credit:repair_decide": "/credit/repairs/1/decide/",
    "v1:credit-campaign-list": "/api/v1/credit/campaigns/",
    "v1:credit-campaign-detail": "/api/v1/credit/campaigns/1/",
    "v1:credit-campaign-publish": "/api/v1/credit/campaigns/1/publish/",
    "v1:credit-campaign-draw": "/api/v1/credit/campaigns/1/draw/",
    "v1:credit-campaign-verify": "/api/v1/credit/campaigns/1/verify/",
    "v1:credit-inspection-list": "/api/v1/credit/inspections/",
    "v1:credit-inspection-detail": "/api/v1/credit/inspections/1/",
    "v1:credit-inspection-result": "/api/v1/credit/inspections/1/result/",
    "v1:credit-inspection-recuse": "/api/v1/credit/inspections/1/recuse/",
    "v1:credit-repair-list": "/api/v1/credit/repairs/",
    "v1:credit-repair-detail": "/api/v1/credit/repairs/1/",
    "v1:credit-repair-approve": "/api/v1/credit/repairs/1/approve/",
    "v1:credit-repair-reject": "/api/v1/credit/repairs/1/reject/",
    "directline:list": "/requests/?page=2",
    "directline:new": "/requests/new/",
    "directline:queue": "/requests/queue/?all=on&page=x",
    "directline:answers": "/requests/answers/?q=%00发票",
    "directline:detail": "/requests/1/",
    "directline:handle": "/requests/queue/1/",
    "directline:act": "/requests/1/rate/",
    "directline:attachment": "/requests/1/attachments/1/",
    "v1:request-list": "/api/v1/requests/?status=open&category__code=x",
    "v1:request-detail": "/api/v1/requests/1/",
    "v1:request-ask": "/api/v1/requests/1/ask/",
    "v1:request-supply": "/api/v1/requests/1/supply/",
    "v1:request-transfer": "/api/v1/requests/1/transfer/",
    "v1:request-assign": "/api/v1/requests/1/assign/",
    "v1:request-answer": "/api/v1/requests/1/answer/",
    "v1:request-rate": "/api/v1/requests/1/rate/",
    "v1:request-publish": "/api/v1/requests/1/publish/",
    "v1:request-refuse-publication": "/api/v1/requests/1/refuse-publication/",
    "v1:request-attachments": "/api/v1/requests/1/attachments/",
    "disputes:list": "/disputes/?page=2",
    "disputes:new": "/disputes/new/?fact=%00&from=calculator&claim=x",
    "disputes:queue": "/disputes/queue/?all=on&page=x",
    "disputes:detail": "/disputes/1/",
    "disputes:handle": "/disputes/queue/1/",
    "disputes:decide": "/disputes/queue/1/decide/",
    "disputes:withdraw": "/disputes/1/withdraw/",
    "disputes:attachment": "/disputes/1/attachments/1/",
    "v1:dispute-list": "/api/v1/disputes/?status=raised&fact=%00",
    "v1:dispute-detail": "/api/v1/disputes/1/",
    "v1:dispute-decide": "/api/v1/disputes/1/decide/",
    "v1:dispute-withdraw": "/api/v1/disputes/1/withdraw/",
    "v1:dispute-attachments": "/api/v1/disputes/1/attachments/",
    "v1:token": "/api/v1/auth/token/",
    "v1:oauth-token": "/api/v1/oauth/token/",
    "dashboards:overview": "/dashboards/?period=2026-13&district=x&policy=%00",
    "dashboards:section": "/dashboards/funds/?period=1999&industry=Z",
    "dashboards:export": "/dashboards/figures/funds_by_policy.xlsx?department=x",
    "v1:stats-overview": "/api/v1/stats/overview/?period=abcd",
    "v1:stats-section": "/api/v1/stats/nothing/",
    "v1:stats-figure": "/api/v1/stats/figures/funds_kpis/?district=binjiang",
    "v1:webhook-subscription-list": "/api/v1/webhooks/subscriptions/?active=x",
    "v1:webhook-subscription-detail": "/api/v1/webhooks/subscriptions/1/",
    "v1:webhook-subscription-event-types": "/api/v1/webhooks/subscriptions/event-types/",
    "v1:webhook-delivery-list": "/api/v1/webhooks/deliveries/?status=nope&subscription=x",
    "v1:webhook-delivery-detail": "/api/v1/webhooks/deliveries/1/",
    "v1:webhook-delivery-redeliver": "/api/v1/webhooks/deliveries/1/redeliver/",
    "mock-partner-webhooks": "/mock/partner/webhooks/?fail=x",
    "schema": "/api/schema/",
    "swagger-ui": "/api/docs/",
    None: "/api/nothing-here/",
}
FORMAT_SUFFIXED = [
    "/api/v1/enterprises.json",
    "/api/v1/districts/xihu.json",
    "/api/v1/enterprises/{uscc}/contact.json",
    "/api/v1/.json",
]
METHODS = ["get", "head", "options", "post", "put", "patch", "delete"]
BODIES = [
    ("application/json", b"{not json"),
    ("application/json", b'{"contact_phone": [], "bank_name": {}, "bank_account": 7, '
                         b'"username": null, "password": 1, "language": 5}'),
    ("application/x-www-form-urlencoded", b"contact_phone=%FF%FE&bank_name=" + b"x" * 3000),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n"),
]  # fmt: skip


def pattern_names(patterns=None, namespace="") -> set:
    names = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace != "admin":
                names |= pattern_names(pattern.url_patterns, inner)
        else:
            names.add(f"{namespace}{pattern.name}" if pattern.name else None)
    return names


def test_every_url_pattern_is_in_the_list():
    assert pattern_names() == set(ENDPOINTS)


@pytest.fixture
def callers(member, enterprise, official_xihu):
    anonymous = Client(raise_request_exception=False)
    as_member = Client(raise_request_exception=False)
    as_member.force_login(member)
    as_official = Client(raise_request_exception=False)
    as_official.force_login(OfficialFactory(district=district("binjiang")))
    return {"anonymous": anonymous, "member": as_member, "other-district official": as_official}


@pytest.mark.long
def test_no_caller_method_or_body_makes_a_500(callers, enterprise):
    failures = []
    urls = [*ENDPOINTS.values(), *FORMAT_SUFFIXED]
    for (who, client), url, method in itertools.product(callers.items(), urls, METHODS):
        url = url.format(uscc=enterprise.uscc)
        bodies = BODIES if method in ("post", "put", "patch") else [(None, None)]
        for content_type, body in bodies:
            kwargs = {"content_type": content_type, "data": body} if body is not None else {}
            response = getattr(client, method)(url, **kwargs)
            # /healthz answers 503 by design when, say, no worker is running.
            expected_503 = url == "/healthz" and response.status_code == 503
            if response.status_code >= 500 and not expected_503:
                failures.append(
                    f"{who} {method.upper()} {url} {content_type}: {response.status_code}"
                )
    assert failures == []


def test_refusals_say_why_in_json_on_the_api(callers, enterprise):
    """A 4xx from the API always carries a body a program can show to a person."""
    client = callers["member"]
    for url in ("/api/v1/enterprises/{uscc}/contact/", "/api/v1/auth/token/"):
        url = url.format(uscc=enterprise.uscc)
        for content_type, body in BODIES:
            response = client.put(url, data=body, content_type=content_type)
            if url.endswith("/token/"):
                response = client.post(url, data=body, content_type=content_type)
            assert 400 <= response.status_code < 500, (url, content_type)
            payload = response.json()
            assert payload and all(payload.values()), (url, content_type, payload)
