"""Who may reach what: every URL pattern, as every role, against one table of rules.

The URL names come from tests/api/test_every_endpoint.py (its walk of the URL
configuration and its example URLs), rewritten to point at real objects owned by
enterprise A (Xihu, Market Supervision). Each (URL, role) is asked with GET and with an
empty POST, and the answer's class is compared with RULES. A URL name without a rule fails
the suite, so a new endpoint has to say who may use it.

Answer classes:
  allow  2xx, or a 3xx that is not a redirect to the login page
  login  401, or a redirect to the login page
  deny   403 or 404 (404 hides that an object exists)
  input  400, 405, 409 or 422: the caller got past the door and the input decided
  error  5xx (never expected)

Partner API clients (OAuth2 client credentials, with and without each scope) are walked
by test_partner_matrix.py over the same URLs and world, with its own rules for API views
(PARTNER_RULES); pages answer them as they answer the anonymous column here.
"""

import re
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client

from tests.api.test_every_endpoint import ENDPOINTS, pattern_names
from tests.security.world import ROLES, Owned, World, build_world

pytestmark = pytest.mark.django_db

ARTEFACT = Path(__file__).resolve().parents[2] / "var" / "artefacts" / "authorization-matrix.txt"

# --- Example URLs on real objects --------------------------------------------------------

# URL name (regex) -> which of the owner's ids replaces the example's placeholder id.
ID_FOR = [
    (r"^v1:disbursement-detail$", "disbursement"),
    (r"^(recovery:(order|repay|appeal|waive)|v1:recovery-order-(detail|waive|repay|appeal))$",
     "recovery_order"),
    (r"^(subsidies:(claim|confirm|approve|reject|retry_payment|receipt)|v1:claim-)", "claim"),
    (r"^(approvals:(tracker|edit|review|submit|commitment|withdraw)$|v1:approval-application-)",
     "application"),
    (r"^(approvals:(answer_supplement|resubmit|item|receipt|approve|reject|request_supplement|assign"
     r"|verify|pause|resume)$|v1:approval-item-)", "item"),
    (r"^approvals:permit$", "permit"),
    (r"^v1:permit-verify$", "permit_code"),
    (r"^(notifications:open|v1:notification-detail)$", "notification"),
    (r"^(credit:commitment|v1:credit-commitment-)", "commitment"),
    (r"^(credit:repair_new|v1:credit-record-detail)$", "record"),
    (r"^(credit:repair_decide|v1:credit-repair-)", "repair"),
    (r"^(directline:(detail|handle|act|attachment)|v1:request-)", "request"),
    (r"^(disputes:(detail|handle|decide|withdraw|attachment)|v1:dispute-)", "dispute"),
    (r"^v1:data-call-detail$", "data_call"),
]  # fmt: skip
PLACEHOLDER = re.compile(r"/(1|FG-2026-0000001|ABCDEF1234)/")


# Example queries test_every_endpoint uses to provoke bad input are dropped here (the matrix
# is about the door, not the input), except where the query names the object.
KEEP_QUERY = {"mock-department", "v1:policy-evaluate", "v1:enterprise-facts", "v1:policy-watch"}


def example_url(name: str | None, owner: Owned, shared: dict | None = None) -> str:
    """test_every_endpoint's example URL for `name`, on `owner`'s objects."""
    url = ENDPOINTS[name].format(uscc=owner.enterprise.uscc)
    if name not in KEEP_QUERY:
        url = url.split("?")[0]
    if shared:
        url = url.replace("no-such-policy", shared["policy"])
        if name and name.startswith(("policies:official", "v1:policy-version")):
            url = PLACEHOLDER.sub(f"/{shared['policy_version']}/", url, count=1)
    if shared and name in ("subsidies:roster", "subsidies:roster_confirm", "v1:roster-detail",
                           "v1:roster-confirm"):  # fmt: skip
        # The roster of a version, for the owner's enterprise: two ids in one path.
        return url.replace(
            "/rosters/1/1/", f"/rosters/{shared['policy_version']}/{owner.enterprise.pk}/"
        )
    for pattern, key in ID_FOR:
        if name and re.search(pattern, name):
            return PLACEHOLDER.sub(f"/{owner.ids[key]}/", url, count=1)
    return url


# --- Answers -----------------------------------------------------------------------------

LOGIN_PATH = "/accounts/login/"


def answer_class(response) -> str:
    status = response.status_code
    if status == 401 or (
        300 <= status < 400 and response.get("Location", "").startswith(LOGIN_PATH)
    ):
        return "login"
    if status >= 500:
        return "error"
    if status < 400:
        return "allow"
    if status in (403, 404):
        return "deny"
    return "input"


def classes_allowed(code: str) -> set[str]:
    return {
        "a": {"allow"},
        "l": {"login"},
        "d": {"deny"},
        "i": {"input"},
        "x": {"deny", "input"},  # any 4xx: the input or the object decides
    }[code]


# --- The rules ---------------------------------------------------------------------------
#
# One row per URL name: (name, GET, POST). Each answer string has one letter per role, in
# the order of world.ROLES:
#
#     anonymous, member_a, member_b, official_market_xihu, official_hrss_city,
#     official_general_office, auditor, admin
#
# a allow, l login, d deny (403/404), i input (400/405/409/422), x any 4xx.
# Enterprise A is in Xihu and its objects belong to Market Supervision: member_b and the
# Human Resources and General Office officials are outsiders to them; the Xihu market
# official is their department's official. Exact names, not patterns, so that a new URL
# name has no rule until someone writes one.
RULES: list[tuple[str | None, str, str]] = [
    # Public pages, the log-in flow and the language switch.
    ("home", "aaaaaaaa", "aaaaaaaa"),
    ("healthz", "aaaaaaaa", "iiiiiiii"),
    # The keys that sign decision receipts: anyone.
    ("jwks", "aaaaaaaa", "iiiiiiii"),
    ("accounts:login", "aaaaaaaa", "aaaaaaaa"),
    ("accounts:logout", "iiiiiiii", "aaaaaaaa"),
    # Any logged-in person.
    ("accounts:password_change", "laaaaaaa", "laaaaaaa"),
    ("accounts:password_change_done", "laaaaaaa", "liiiiiii"),
    # The register: members see their own enterprise, officials their district's (or the city's).
    ("enterprises:list", "laaaaaaa", "laaaaaaa"),
    ("enterprises:detail", "ladaaaaa", "ladaaaaa"),
    ("enterprises:contact_edit", "ladddddd", "ladddddd"),
    # Officials only.
    ("official_workspace", "lddaaadd", "lddaaadd"),
    # A private person's own pages (issue #26): none of these roles is a person (the
    # person's own access is tested in tests/persons/); asking for records is POST only.
    ("person_profile", "lddddddd", "lddddddd"),
    ("person_check_records", "liiiiiii", "lddddddd"),
    ("person_data_access", "lddddddd", "lddddddd"),
    ("person_subsidies", "lddddddd", "lddddddd"),
    ("person_claim", "lddddddd", "lddddddd"),
    ("person_check_subsidies", "liiiiiii", "lddddddd"),
    ("person_claim_policy", "liiiiiii", "lddddddd"),
    ("set_language", "aaaaaaaa", "aaaaaaaa"),
    # Simulated department and treasury interfaces: refused to every web caller (403).
    ("mock-department", "dddddddd", "iiiiiiii"),
    ("mock-treasury-payments", "iiiiiiii", "dddddddd"),
    ("mock-treasury-batches", "iiiiiiii", "dddddddd"),
    ("mock-treasury-status", "dddddddd", "iiiiiiii"),
    ("mock-treasury-collections", "iiiiiiii", "dddddddd"),
    ("mock-treasury-collection-status", "dddddddd", "iiiiiiii"),
    # Reference data and the caller's own profile: any authenticated caller.
    ("v1:api-root", "laaaaaaa", "liiiiiii"),
    ("v1:enterprise-list", "laaaaaaa", "liiiiiii"),
    ("v1:enterprise-detail", "ladaaaaa", "liiiiiii"),
    ("v1:enterprise-contact", "liiiiiii", "liiiiiii"),
    ("v1:district-list", "laaaaaaa", "liiiiiii"),
    ("v1:district-detail", "laaaaaaa", "liiiiiii"),
    ("v1:department-list", "laaaaaaa", "liiiiiii"),
    ("v1:department-detail", "laaaaaaa", "liiiiiii"),
    ("v1:me", "laaaaaaa", "liiiiiii"),
    # Department data about an enterprise: officials (and admin), never members or auditors.
    ("v1:enterprise-facts", "lddaaada", "liiiiiii"),
    # The data-call log: enterprise A sees calls about itself; the call is Taxation's, so
    # Market and HR officials do not see it; auditors and admins see all.
    ("v1:data-call-list", "laaaaaaa", "liiiiiii"),
    ("v1:data-call-detail", "laddddaa", "liiiiiii"),
    ("enterprise_data_access", "laddddaa", "laddddaa"),
    ("data_calls", "lddaaaaa", "lddaaaaa"),
    ("data_interfaces", "laaaaaaa", "laaaaaaa"),
    # Policies: the catalogue is public; management pages are for the issuing department
    # (Market) and admins; the calculator is for enterprise members.
    ("policies:catalog", "aaaaaaaa", "aaaaaaaa"),
    ("policies:calculator", "laaddddd", "laaddddd"),
    # "Tell me when I qualify": members, for their own enterprises (an empty POST: 400).
    ("policies:watches", "laaddddd", "laaddddd"),
    ("policies:watch", "laaddddd", "liiddddd"),
    ("policies:detail", "aaaaaaaa", "aaaaaaaa"),
    ("policies:official_list", "lddaaada", "lddaaada"),
    ("policies:official_version", "lddaddda", "lddaddda"),
    ("policies:official_edit", "lddaddda", "lddaddda"),
    ("policies:official_new", "lddaaada", "lddaaada"),
    ("policies:official_new_policy", "lddaaada", "lddaaada"),
    ("policies:official_first", "lddaxxda", "lddaxxda"),
    ("policies:official_case", "lddxxxdx", "lddxxxdx"),
    # Claims on a Market policy: member A and the Market official; reviews for officials;
    # reconciliation for auditors (read) and admins.
    ("subsidies:claims", "laaaaaaa", "laaaaaaa"),
    ("subsidies:claim", "ladaddaa", "ladaddaa"),
    ("subsidies:batch_run", "lddddddd", "lddddddd"),
    ("subsidies:confirm", "liiiiiii", "ladaddaa"),
    # The world's claim is still being decided: 409 (no receipt yet) for whoever sees it.
    ("subsidies:receipt", "lididdii", "liiiiiii"),
    ("subsidies:retry_payment", "lddaddxd", "lddxddxd"),
    ("subsidies:make_claim", "liiiiiii", "lddddddd"),
    ("subsidies:review_queue", "lddaaaaa", "lddaaaaa"),
    ("subsidies:approve", "lddadddd", "lddidddd"),
    ("subsidies:reject", "lddadddd", "lddidddd"),
    ("subsidies:reconciliation", "ldddddaa", "ldddddda"),
    # The employer's roster of a policy paying persons: its members confirm it; the
    # officials covering the policy's department (the Xihu market official) read it.
    ("subsidies:rosters", "laaddddd", "liiiiiii"),
    ("subsidies:roster", "ladadddd", "liiiiiii"),
    ("subsidies:roster_confirm", "liiiiiii", "ladddddd"),
    # Approvals: A's application and its Market item; the review pages for the item's
    # department (Xihu Market), auditors and admins.
    ("approvals:list", "laaaaaaa", "laaaaaaa"),
    ("approvals:start", "liiiiiii", "laaaaaaa"),
    ("approvals:tracker", "ladaddaa", "ladaddaa"),
    ("approvals:edit", "ladaddaa", "ladaddaa"),
    ("approvals:review", "ladaddaa", "ladaddaa"),
    ("approvals:submit", "liiiiiii", "ladaddaa"),
    ("approvals:commitment", "ladddddd", "ladddddd"),
    ("approvals:withdraw", "liiiiiii", "ladaddaa"),
    ("approvals:answer_supplement", "liiiiiii", "ladiddii"),
    ("approvals:resubmit", "liiiiiii", "ladiddii"),
    ("approvals:permit", "ladaddaa", "ladaddaa"),
    ("approvals:receipt", "ladaddaa", "liiiiiii"),
    ("approvals:queue", "lddaaaaa", "lddaaaaa"),
    ("approvals:overdue", "lddaaaaa", "lddaaaaa"),
    ("approvals:verifications", "lddaaaaa", "lddaaaaa"),
    ("approvals:item", "lddaddaa", "lddaddaa"),
    # GET: the confirmation page (approve) and the reasons page (reject); an empty
    # rejection is refused on its field (400) before anything is decided.
    ("approvals:approve", "lddaddaa", "lddaddaa"),
    ("approvals:reject", "lddaddaa", "lddiddii"),
    ("approvals:request_supplement", "liiiiiii", "lddaddaa"),
    ("approvals:assign", "liiiiiii", "lddaddaa"),
    ("approvals:verify", "liiiiiii", "lddaddaa"),
    ("permit_verify", "aaaaaaaa", "aaaaaaaa"),
    # Claims over REST (disbursements: officials of the policy's department, auditors, admins).
    ("v1:claim-list", "laaaaaaa", "liiiiiii"),
    ("v1:claim-detail", "ladaddaa", "liiiiiii"),
    ("v1:claim-approve", "liiiiiii", "lddddddd"),
    # Accepting an offer: the enterprise's members (a claim no longer offered answers as
    # it stands); everyone else who can see the claim 403, others 404.
    ("v1:claim-accept", "liiiiiii", "ladddddd"),
    ("v1:claim-receipt", "lididdii", "liiiiiii"),
    ("v1:claim-retry-payment", "liiiiiii", "lxxxxxxx"),
    (
        "v1:claim-reject",
        "liiiiiii",
        "lixixxii",
    ),  # body checked before the object: outsiders may get 400
    ("v1:disbursement-list", "laaaaaaa", "liiiiiii"),
    # The employer's roster over REST: its members confirm it, the officials covering the
    # policy's department read it (everyone else 404). The world's version pays
    # enterprises, so its roster is empty and confirming it is refused (400).
    ("v1:roster-list", "laaaaaaa", "liiiiiii"),
    ("v1:roster-detail", "ladadddd", "liiiiiii"),
    ("v1:roster-confirm", "liiiiiii", "lidddddd"),
    # Recovery orders: the enterprise's members and its policy's department (auditors
    # read); officials raise and waive, the members repay and appeal.
    ("recovery:orders", "laaaaaaa", "liiiiiii"),
    ("recovery:order", "ladaddaa", "liiiiiii"),
    ("recovery:raise", "lddaaadd", "lddiiidd"),
    ("recovery:repay", "ladddddd", "ladddddd"),
    ("recovery:appeal", "ladddddd", "lidddddd"),
    ("recovery:waive", "lddadddd", "lddidddd"),
    ("v1:recovery-order-list", "laaaaaaa", "lddiiidd"),
    ("v1:recovery-order-detail", "ladaddaa", "liiiiiii"),
    ("v1:recovery-order-waive", "liiiiiii", "lddidddd"),
    # Repaid already by the page's POST above in the same world: a second repayment is a 409.
    ("v1:recovery-order-repay", "liiiiiii", "lidddddd"),
    ("v1:recovery-order-appeal", "liiiiiii", "lidddddd"),
    ("v1:disbursement-detail", "lddaddaa", "liiiiiii"),
    # Notifications: each person's own.
    ("notifications:list", "laaaaaaa", "laaaaaaa"),
    ("notifications:open", "ladddddd", "ladddddd"),
    ("notifications:mark_read", "liiiiiii", "laaaaaaa"),
    ("notifications:preferences", "laaaaaaa", "laaaaaaa"),
    ("v1:notification-list", "laaaaaaa", "liiiiiii"),
    ("v1:notification-detail", "ladddddd", "liiiiiii"),
    ("v1:notification-mark-read", "liiiiiii", "laaaaaaa"),
    # Policy life cycle over REST: actions for the issuing department (and admin).
    ("v1:policy-list", "aaaaaaaa", "liiiiiii"),
    ("v1:policy-detail", "aaaaaaaa", "liiiiiii"),
    ("v1:policy-versions", "aaaaaaaa", "liiiiiii"),
    ("v1:policy-evaluate", "ladaaaaa", "liiiiiii"),
    ("v1:policy-watch", "ladddddd", "ladddddd"),
    ("v1:policy-version-submit", "liiiiiii", "lddidddi"),
    ("v1:policy-version-approve", "liiiiiii", "lddidddi"),
    ("v1:policy-version-send-back", "liiiiiii", "liiiiiii"),
    ("v1:policy-version-generate-boundary-cases", "liiiiiii", "lddidddi"),
    ("v1:policy-version-what-if", "lddiddii", "liiiiiii"),
    ("v1:policy-version-test-cases", "laaaaaaa", "liiiiiii"),
    # Approvals over REST.
    ("v1:approval-application-list", "laaaaaaa", "liiddddd"),
    ("v1:approval-application-detail", "ladaddaa", "liiiiiii"),
    ("v1:approval-application-submit", "liiiiiii", "lidddddd"),
    ("v1:approval-application-commit", "liiiiiii", "lididdii"),
    ("v1:approval-application-withdraw", "liiiiiii", "lidddddd"),
    ("v1:approval-item-list", "laaaaaaa", "liiiiiii"),
    ("v1:approval-item-detail", "ladaddaa", "liiiiiii"),
    ("v1:approval-item-receipt", "ladaddaa", "liiiiiii"),
    ("v1:approval-item-approve", "liiiiiii", "lddidddd"),
    ("v1:approval-item-reject", "liiiiiii", "lddidddd"),
    ("v1:approval-item-request-supplement", "liiiiiii", "lddidddd"),
    ("v1:approval-item-answer-supplement", "liiiiiii", "lidddddd"),
    ("v1:approval-item-resubmit", "liiiiiii", "lidddddd"),
    (
        "v1:approval-item-assign",
        "liiiiiii",
        "lixixxii",
    ),  # body checked before the object: outsiders may get 400
    # An empty JSON body lacks `passed`: those who see the item may get 400 before the
    # service refuses them; those who do not see it get 404 first.
    ("v1:approval-item-verify", "liiiiiii", "lxdidxxx"),
    (
        "v1:approval-item-pause-clock",
        "liiiiiii",
        "lixixxii",
    ),  # body checked before the object: outsiders may get 400
    ("v1:approval-item-resume-clock", "liiiiiii", "lddidddd"),
    ("approvals:pause", "liiiiiii", "lddaddaa"),
    ("approvals:resume", "liiiiiii", "lddaddaa"),
    # Public permit check.
    ("v1:permit-verify", "aaaaaaaa", "iiiiiiii"),
    # Credit: records and grades are readable by officials city-wide (credit is shared across
    # departments by design) and by the enterprise itself; commitments and repairs by the
    # verifying department; campaigns by officials (no campaign exists in this world:
    # its detail URLs answer 404 to everyone).
    ("credit:records", "laaaaaaa", "laaaaaaa"),
    ("credit:record_new", "lddaaadd", "lddaaadd"),
    ("credit:lists", "lddaaaaa", "lddaaaaa"),
    ("credit:commitments", "laaaaaaa", "laaaaaaa"),
    ("credit:commitment", "ladaddaa", "ladaddaa"),
    ("credit:commitment_action", "liiiiiii", "ladadddd"),
    ("credit:enterprise", "ladaaaaa", "ladaaaaa"),
    ("credit:public", "aaaaaaaa", "aaaaaaaa"),
    ("v1:credit-record-list", "laaaaaaa", "lddiiidd"),
    ("v1:credit-record-detail", "ladaaaaa", "liiiiiii"),
    ("v1:credit-grade-list", "laaaaaaa", "liiiiiii"),
    ("v1:credit-grade-detail", "ladaaaaa", "liiiiiii"),
    ("v1:credit-commitment-list", "laaaaaaa", "liiiiiii"),
    ("v1:credit-commitment-detail", "ladaddaa", "liiiiiii"),
    ("v1:credit-commitment-start-verification", "liiiiiii", "lddadddd"),
    ("v1:credit-commitment-fulfil", "liiiiiii", "lddadddd"),
    ("v1:credit-commitment-breach", "liiiiiii", "lididddd"),
    ("v1:credit-commitment-penalise", "liiiiiii", "lididddd"),
    ("v1:credit-commitment-withdraw", "liiiiiii", "ladidddd"),
    ("credit:campaigns", "lddaaaaa", "lddaaaaa"),
    ("credit:campaign_new", "lddaaadd", "lddaaadd"),
    ("credit:campaign", "lddddddd", "lddddddd"),
    ("credit:campaign_action", "liiiiiii", "lddddddd"),
    ("credit:selection_result", "liiiiiii", "lddddddd"),
    ("credit:selection_recuse", "liiiiiii", "lddddddd"),
    ("credit:draw_verify", "dddddddd", "dddddddd"),
    # The public index of draws and each draw's files: anyone (no draw in this world).
    ("credit:draws", "aaaaaaaa", "iiiiiiii"),
    ("credit:draw_public", "dddddddd", "iiiiiiii"),
    ("credit:draw_file", "dddddddd", "iiiiiiii"),
    ("credit:repair_new", "ladddddd", "ladddddd"),
    ("credit:repairs", "laaaaaaa", "laaaaaaa"),
    ("credit:repair_decide", "liiiiiii", "ladaddaa"),
    ("v1:credit-campaign-list", "laaaaaaa", "lddiiidd"),
    ("v1:credit-campaign-detail", "lddddddd", "liiiiiii"),
    ("v1:credit-campaign-publish", "liiiiiii", "lddddddd"),
    ("v1:credit-campaign-draw", "liiiiiii", "lddddddd"),
    ("v1:credit-campaign-verify", "lddddddd", "liiiiiii"),
    ("v1:credit-inspection-list", "laaaaaaa", "liiiiiii"),
    ("v1:credit-inspection-detail", "lddddddd", "liiiiiii"),
    ("v1:credit-inspection-result", "liiiiiii", "lddddddd"),
    ("v1:credit-inspection-recuse", "liiiiiii", "lddddddd"),
    ("v1:credit-repair-list", "laaaaaaa", "liiiiiii"),
    ("v1:credit-repair-detail", "ladaddaa", "liiiiiii"),
    ("v1:credit-repair-approve", "liiiiiii", "lddadddd"),
    ("v1:credit-repair-reject", "liiiiiii", "lididdii"),
    # Direct line: A's request is routed to Xihu Market.
    ("directline:list", "laaaaaaa", "laaaaaaa"),
    ("directline:new", "laaddddd", "laaddddd"),
    ("directline:queue", "lddaaaaa", "lddaaaaa"),
    ("directline:answers", "aaaaaaaa", "aaaaaaaa"),
    ("directline:detail", "ladaddaa", "ladaddaa"),
    ("directline:handle", "ladaddaa", "ladaddaa"),
    ("directline:act", "liiiiiii", "ladaddaa"),
    ("directline:attachment", "lddddddd", "lddddddd"),
    ("v1:request-list", "laaaaaaa", "liiiiiii"),
    ("v1:request-detail", "ladaddaa", "liiiiiii"),
    (
        "v1:request-ask",
        "liiiiiii",
        "lixixxii",
    ),  # body checked before the object: outsiders may get 400
    (
        "v1:request-supply",
        "liiiiiii",
        "lixixxii",
    ),  # body checked before the object: outsiders may get 400
    (
        "v1:request-transfer",
        "liiiiiii",
        "lixixxii",
    ),  # body checked before the object: outsiders may get 400
    (
        "v1:request-assign",
        "liiiiiii",
        "lixixxii",
    ),  # body checked before the object: outsiders may get 400
    (
        "v1:request-answer",
        "liiiiiii",
        "lixixxii",
    ),  # body checked before the object: outsiders may get 400
    (
        "v1:request-rate",
        "liiiiiii",
        "lixixxii",
    ),  # body checked before the object: outsiders may get 400
    ("v1:request-publish", "liiiiiii", "lddidddd"),
    ("v1:request-refuse-publication", "liiiiiii", "ladddddd"),
    ("v1:request-attachments", "liiiiiii", "lididdii"),
    # Fact disputes: A's dispute is on a Market fact, with Xihu Market (the Human Resources
    # and General Office officials are outsiders). Pages first: member A withdraws it on the
    # page, so the API's withdrawal then finds it withdrawn (409).
    ("disputes:list", "laaaaaaa", "laaaaaaa"),
    ("disputes:new", "laaddddd", "laaddddd"),
    ("disputes:queue", "lddaaaaa", "lddaaaaa"),
    ("disputes:detail", "ladaddaa", "ladaddaa"),
    ("disputes:handle", "ladaddaa", "ladaddaa"),
    ("disputes:decide", "liiiiiii", "lddadddd"),
    ("disputes:withdraw", "liiiiiii", "ladddddd"),
    ("disputes:attachment", "lddddddd", "lddddddd"),
    ("v1:dispute-list", "laaaaaaa", "liiiiiii"),
    ("v1:dispute-detail", "ladaddaa", "liiiiiii"),
    ("v1:dispute-decide", "liiiiiii", "lididdii"),
    ("v1:dispute-withdraw", "liiiiiii", "lidddddd"),
    ("v1:dispute-attachments", "liiiiiii", "lididdii"),
    # Token exchange: POST only; an empty body is bad input.
    ("v1:token", "iiiiiiii", "iiiiiiii"),
    # OAuth2 client-credentials token (partners app, another session's work): POST only;
    # an empty body names no client.
    ("v1:oauth-token", "iiiiiiii", "xxxxxxxx"),
    # Dashboards: officials (scoped), auditors and admins; never enterprise members.
    ("dashboards:overview", "lddaaaaa", "iiiiiiii"),
    ("dashboards:section", "lddaaaaa", "iiiiiiii"),
    ("dashboards:export", "lddaaaaa", "iiiiiiii"),
    ("v1:stats-overview", "lddaaaaa", "liiiiiii"),
    ("v1:stats-section", "lddddddd", "liiiiiii"),
    ("v1:stats-figure", "lddaaaaa", "liiiiiii"),
    # Webhooks (integrations app, built by another session at the time of writing; these
    # rows record what it answered then and should be reviewed by its authors).
    ("v1:webhook-subscription-list", "laaaaaaa", "liiiiiii"),
    ("v1:webhook-subscription-detail", "lddddddd", "liiiiiii"),
    ("v1:webhook-subscription-event-types", "laaaaaaa", "liiiiiii"),
    ("v1:webhook-delivery-list", "laaaaaaa", "liiiiiii"),
    ("v1:webhook-delivery-detail", "lddddddd", "liiiiiii"),
    ("v1:webhook-delivery-redeliver", "liiiiiii", "lddddddd"),
    ("mock-partner-webhooks", "aaaaaaaa", "iiiiiiii"),
    # The API schema and its documentation page are public.
    ("schema", "aaaaaaaa", "iiiiiiii"),
    ("swagger-ui", "aaaaaaaa", "iiiiiiii"),
    # Anything else under /api/: JSON 404.
    (None, "dddddddd", "dddddddd"),
]

# Known authorisation holes: (name, method, role) -> what leaks. The rule above records the
# answer the code gives today, so the suite passes and documents the hole; fixing the hole
# makes the test fail here, and the entry goes. None found at the time of writing.
KNOWN_HOLES: dict[tuple[str, str, str], str] = {}


def client_for(world: World, role: str) -> Client:
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    if world.users[role] is not None:
        client.force_login(world.users[role])
    return client


def json_body(url: str) -> dict:
    """The API takes JSON but where a file is uploaded: its empty POST is an empty JSON body
    (an empty multipart one would be a 415)."""
    if url.startswith("/api/") and not url.endswith("/attachments/"):
        return {"content_type": "application/json"}
    return {}


def ask(client: Client, method: str, url: str) -> str:
    # The API takes JSON: its empty POST is an empty JSON body (a multipart one is a 415).
    as_json = json_body(url)
    response = getattr(client, method)(url, **as_json)
    if url == "/healthz" and response.status_code == 503:
        return "allow"  # by design when, say, no worker runs: the door was open
    return answer_class(response)


def run_role(world: World, role: str, table: dict) -> list[str]:
    """Every URL as `role`, GET then an empty POST; the mismatches with the rules."""
    index = ROLES.index(role)
    client = client_for(world, role)
    mismatches = []
    for name, get_rule, post_rule in RULES:
        if name not in ENDPOINTS:
            continue  # reported once by the caller
        url = example_url(name, world.a, world.shared)
        for method, rule in (("get", get_rule), ("post", post_rule)):
            got = ask(client, method, url)
            expected = rule[index]
            table[(name, method)][index] = got[0]
            if got not in classes_allowed(expected):
                mismatches.append(
                    f"{role:24} {method.upper():4} {url}  ({name}): {got}, rule {expected}"
                )
            if name == "accounts:logout" and world.users[role] is not None:
                client.force_login(world.users[role])  # logging out must not end the walk
    return mismatches


def write_artefact(table: dict, mismatches: list[str]) -> str:
    header = "anon memA memB offMX offHC offGO aud adm"
    lines = [
        f"Authorisation matrix: {len(RULES)} URL names x 2 methods x {len(ROLES)} roles = "
        f"{len(RULES) * 2 * len(ROLES)} answers ({len(mismatches)} mismatches).",
        "a allow, l login, d deny, i input, e error; roles: " + ", ".join(ROLES),
        f"{'':52} {header}",
    ]
    for (name, method), letters in table.items():
        lines.append(f"{method.upper():4} {name or '(none)':47} " + "    ".join(letters))
    lines += ["", f"Known holes ({len(KNOWN_HOLES)}):"]
    lines += [f"  {m.upper()} {n} as {r}: {what}" for (n, m, r), what in KNOWN_HOLES.items()]
    ARTEFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTEFACT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines[0]


def test_every_url_name_has_a_rule():
    names = [name for name, _get, _post in RULES]
    duplicates = {name for name in names if names.count(name) > 1}
    assert not duplicates, f"rules listed twice: {sorted(duplicates, key=str)}"
    missing = pattern_names() - set(names)
    assert not missing, "add a rule for: " + ", ".join(sorted(map(str, missing)))
    stale = set(names) - pattern_names()
    assert not stale, "rules for URL names that no longer exist: " + ", ".join(map(str, stale))
    for name, get_rule, post_rule in RULES:
        assert len(get_rule) == len(post_rule) == len(ROLES), name
    for name, method, role in KNOWN_HOLES:
        assert name in names and method in ("get", "post") and role in ROLES, (name, method, role)


@pytest.mark.long
def test_every_role_gets_the_answer_its_rule_says(capsys):
    table = {(name, method): ["?"] * len(ROLES) for name, *_ in RULES for method in ("get", "post")}
    mismatches = [
        f"no example URL for {name} in tests/api/test_every_endpoint.ENDPOINTS"
        for name, *_ in RULES
        if name not in ENDPOINTS
    ]
    for role in ROLES:
        # A fresh world per role, rolled back afterwards: one role's POSTs (withdrawing an
        # application, say) never change what the next role is answered.
        with transaction.atomic():
            world = build_world()
            mismatches += run_role(world, role, table)
            transaction.set_rollback(True)
    summary = write_artefact(table, mismatches)
    with capsys.disabled():
        print(f"\n{summary} Written to {ARTEFACT.relative_to(ARTEFACT.parents[2])}.")  # noqa: T201
    assert not mismatches, f"{len(mismatches)} answers differ from RULES:\n" + "\n".join(mismatches)


# --- Cross-tenant reads ------------------------------------------------------------------

# Public by design although they name an enterprise or its permit.
PUBLIC_BY_DESIGN = {"credit:public", "v1:permit-verify", "permit_verify"}


def owned_details(world: World) -> list[str]:
    """URL names whose example URL names an enterprise's own object (or the enterprise)."""
    return [
        name
        for name in ENDPOINTS
        if name not in PUBLIC_BY_DESIGN
        and example_url(name, world.a, world.shared) != example_url(name, world.b, world.shared)
    ]


def test_enterprise_b_never_reads_enterprise_a_objects():
    world = build_world()
    client = client_for(world, "member_b")
    a_marks = (world.a.enterprise.uscc, world.a.enterprise.name)
    leaks = []
    details = owned_details(world)
    for name in details:
        url = example_url(name, world.a, world.shared)
        if client.get(url).status_code == 200:
            leaks.append(f"member of B read {url} ({name})")
    # Lists and pages: B's answers never name enterprise A.
    for name in set(ENDPOINTS) - set(details) - PUBLIC_BY_DESIGN:
        url = example_url(name, world.a, world.shared).split("?")[0]
        response = client.get(url)
        body = response.content.decode("utf-8", errors="replace")
        if response.status_code == 200 and any(mark in body for mark in a_marks):
            leaks.append(f"member of B saw enterprise A in {url} ({name})")
    assert len(details) >= 20, details
    assert not leaks, "\n".join(leaks)


def test_a_district_official_never_reads_another_districts_objects():
    """The Xihu market official is refused Binjiang enterprise B's objects, even those of
    their own department, and never sees B named in a list."""
    world = build_world()
    client = client_for(world, "official_market_xihu")
    b_marks = (world.b.enterprise.uscc, world.b.enterprise.name)
    details = owned_details(world)
    seen_own = []
    leaks = []
    for name in details:
        if client.get(example_url(name, world.a, world.shared)).status_code == 200:
            seen_own.append(name)
            url = example_url(name, world.b, world.shared)
            if client.get(url).status_code == 200:
                leaks.append(f"Xihu official read Binjiang's {url} ({name})")
    for name in set(ENDPOINTS) - set(details) - PUBLIC_BY_DESIGN:
        url = example_url(name, world.a, world.shared).split("?")[0]
        response = client.get(url)
        body = response.content.decode("utf-8", errors="replace")
        if response.status_code == 200 and any(mark in body for mark in b_marks):
            leaks.append(f"Xihu official saw Binjiang's enterprise B in {url} ({name})")
    # The check means something only if the official reads the same kind of object at home.
    assert len(seen_own) >= 10, seen_own
    assert not leaks, "\n".join(leaks)
