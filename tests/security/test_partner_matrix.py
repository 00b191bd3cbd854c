"""The authorisation matrix for partner systems: OAuth2 clients with and without each scope.

The human matrix (test_authorization_matrix.py) decides, per URL name, what eight kinds of
person may do. This file adds the partner clients (tests/security/world.PARTNER_ROLES): one
bound to Market Supervision in Xihu and one bound to enterprise A, both holding every
scope of partners/scopes.py, and then, for every scope, one client of each binding that
holds every scope but that one.

- Pages (every URL that is not a DRF view) refuse bearer tokens: a partner system is not a
  browser user, so a page answers it exactly as it answers an anonymous visitor (the
  anonymous letter of RULES): the log-in redirect for a private page, the public page for a
  public one. No extra rule is needed, and none can drift.
- API views answer the all-scope clients as PARTNER_RULES says: every DRF URL name needs a
  row, so a new endpoint fails test_every_api_url_name_has_a_partner_rule until someone
  decides what a partner system may do with it.
- A client lacking exactly one scope gets 403, naming that scope, on every (URL, method)
  that needs it (partners.scopes.required_scope of the view's declared `scope_resource`),
  and the all-scope client's answer everywhere else (asked of one binding per scope, the
  two in turn: what a scope opens does not depend on the binding).

Each client walks on the same world inside its own savepoint, rolled back afterwards, so a
POST by one client never changes what the next is answered.
"""

from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from rest_framework import exceptions

from partners.scopes import SCOPES, required_scope
from tests.api.test_every_endpoint import ENDPOINTS
from tests.partners.test_every_view_has_a_scope import api_views
from tests.partners_support import bearer
from tests.security.test_authorization_matrix import (
    RULES,
    ask,
    classes_allowed,
    example_url,
    json_body,
)
from tests.security.world import PARTNER_ROLES, ROLES, World, build_world, partner_token

pytestmark = pytest.mark.django_db

ARTEFACT = (
    Path(__file__).resolve().parents[2] / "var" / "artefacts" / "authorization-matrix-partners.txt"
)

# --- The rules for API views -------------------------------------------------------------
#
# One row per DRF URL name: (name, GET, POST), one letter per PARTNER_ROLES entry:
#
#     partner_market_xihu (department-bound, like official_market_xihu),
#     partner_enterprise_a (enterprise-bound, like member_a)
#
# a allow, l login, d deny (403/404), i input (400/405/409/422), x any 4xx, as in RULES.
# A bound client sees what its binding would see (the service user carries it), through
# its scopes; endpoints marked scope_resource "none" (a person's notifications, the
# username/password token exchange, the router's index) are refused to it (403).
PARTNER_RULES: list[tuple[str | None, str, str]] = [
    # Reference data and who-am-I: any client. Writes on a read-only resource need a
    # `<resource>:write` scope no client can hold (403); the router's index is closed (none).
    ("v1:api-root", "dd", "dd"),
    ("v1:enterprise-list", "aa", "dd"),
    ("v1:enterprise-detail", "aa", "dd"),
    ("v1:enterprise-contact", "ii", "dd"),
    ("v1:district-list", "aa", "ii"),
    ("v1:district-detail", "aa", "ii"),
    ("v1:department-list", "aa", "ii"),
    ("v1:department-detail", "aa", "ii"),
    ("v1:me", "aa", "ii"),
    # Department data: the department's client; never an enterprise's (as for members).
    ("v1:enterprise-facts", "ad", "dd"),
    ("v1:data-call-list", "aa", "dd"),
    ("v1:data-call-detail", "da", "dd"),
    # Claims and payments: as the binding's person would be answered.
    ("v1:claim-list", "aa", "ii"),
    ("v1:claim-detail", "aa", "ii"),
    ("v1:claim-approve", "ii", "dd"),
    ("v1:claim-retry-payment", "ii", "xx"),
    ("v1:claim-accept", "ii", "xa"),
    ("v1:claim-receipt", "ii", "ii"),  # the world's claim is undecided: 409
    ("v1:claim-reject", "ii", "ii"),
    # The employer's roster (claims scopes): the enterprise's client confirms it, the
    # department's reads it; the world's version pays enterprises, so confirming its
    # empty roster is refused (400).
    ("v1:roster-list", "aa", "ii"),
    ("v1:roster-detail", "aa", "ii"),
    ("v1:roster-confirm", "ii", "di"),
    ("v1:disbursement-list", "aa", "dd"),
    ("v1:disbursement-detail", "ad", "dd"),
    # Recovery orders: read as claims are; raising and waiving are the department's (its
    # client passes the door, the empty body decides), repaying is the enterprise's own.
    ("v1:recovery-order-list", "aa", "id"),
    ("v1:recovery-order-detail", "aa", "ii"),
    ("v1:recovery-order-waive", "ii", "id"),
    ("v1:recovery-order-repay", "ii", "da"),
    ("v1:recovery-order-appeal", "ii", "di"),
    # A person's notifications are not for machines (scope_resource "none"): 403.
    ("v1:notification-list", "dd", "dd"),
    ("v1:notification-detail", "dd", "dd"),
    ("v1:notification-mark-read", "dd", "dd"),
    # Policies: read only for partners; the life-cycle actions need policies:write, which
    # the registry does not offer (403), where the Market official would pass the door.
    ("v1:policy-list", "aa", "dd"),
    ("v1:policy-detail", "aa", "dd"),
    ("v1:policy-versions", "aa", "dd"),
    ("v1:policy-evaluate", "aa", "dd"),
    # "Tell me when I qualify": an enterprise's own client may read it; asking needs
    # policies:write, which the registry does not offer.
    ("v1:policy-watch", "da", "dd"),
    ("v1:policy-version-submit", "ii", "dd"),
    ("v1:policy-version-approve", "ii", "dd"),
    ("v1:policy-version-send-back", "ii", "dd"),
    ("v1:policy-version-generate-boundary-cases", "ii", "dd"),
    ("v1:policy-version-what-if", "id", "dd"),
    ("v1:policy-version-test-cases", "aa", "dd"),
    # Approvals: the department's client acts on items, the enterprise's on applications.
    ("v1:approval-application-list", "aa", "di"),
    ("v1:approval-application-detail", "aa", "ii"),
    ("v1:approval-application-submit", "ii", "di"),
    ("v1:approval-application-commit", "ii", "ii"),
    ("v1:approval-application-withdraw", "ii", "di"),
    ("v1:approval-item-list", "aa", "ii"),
    ("v1:approval-item-detail", "aa", "ii"),
    ("v1:approval-item-receipt", "aa", "ii"),
    ("v1:approval-item-approve", "ii", "id"),
    ("v1:approval-item-reject", "ii", "id"),
    ("v1:approval-item-request-supplement", "ii", "id"),
    ("v1:approval-item-answer-supplement", "ii", "di"),
    ("v1:approval-item-resubmit", "ii", "di"),
    ("v1:approval-item-assign", "ii", "ii"),
    ("v1:approval-item-verify", "ii", "ix"),  # the empty JSON body is checked first
    ("v1:approval-item-pause-clock", "ii", "ii"),
    ("v1:approval-item-resume-clock", "ii", "id"),
    ("v1:permit-verify", "aa", "ii"),
    # Credit: as the official and the member (campaigns: none exists in this world).
    ("v1:credit-record-list", "aa", "id"),
    ("v1:credit-record-detail", "aa", "ii"),
    ("v1:credit-grade-list", "aa", "ii"),
    ("v1:credit-grade-detail", "aa", "ii"),
    ("v1:credit-commitment-list", "aa", "ii"),
    ("v1:credit-commitment-detail", "aa", "ii"),
    ("v1:credit-commitment-start-verification", "ii", "ad"),
    ("v1:credit-commitment-fulfil", "ii", "ad"),
    ("v1:credit-commitment-breach", "ii", "ii"),
    ("v1:credit-commitment-penalise", "ii", "ii"),
    ("v1:credit-commitment-withdraw", "ii", "ia"),
    ("v1:credit-campaign-list", "aa", "id"),
    ("v1:credit-campaign-detail", "dd", "ii"),
    ("v1:credit-campaign-publish", "ii", "dd"),
    ("v1:credit-campaign-draw", "ii", "dd"),
    ("v1:credit-campaign-verify", "dd", "ii"),
    ("v1:credit-inspection-list", "aa", "ii"),
    ("v1:credit-inspection-detail", "dd", "ii"),
    ("v1:credit-inspection-result", "ii", "dd"),
    ("v1:credit-inspection-recuse", "ii", "dd"),
    ("v1:credit-repair-list", "aa", "ii"),
    ("v1:credit-repair-detail", "aa", "ii"),
    ("v1:credit-repair-approve", "ii", "ad"),
    ("v1:credit-repair-reject", "ii", "ii"),
    # Direct line.
    ("v1:request-list", "aa", "ii"),
    ("v1:request-detail", "aa", "ii"),
    ("v1:request-ask", "ii", "ii"),
    ("v1:request-supply", "ii", "ii"),
    ("v1:request-transfer", "ii", "ii"),
    ("v1:request-assign", "ii", "xx"),
    ("v1:request-answer", "ii", "ii"),
    ("v1:request-rate", "ii", "ii"),
    ("v1:request-publish", "ii", "id"),
    ("v1:request-refuse-publication", "ii", "da"),
    ("v1:request-attachments", "ii", "ii"),
    # Fact disputes (A's, on a Market fact, with Xihu Market).
    ("v1:dispute-list", "aa", "ii"),
    ("v1:dispute-detail", "aa", "ii"),
    ("v1:dispute-decide", "ii", "ii"),
    ("v1:dispute-withdraw", "ii", "da"),
    ("v1:dispute-attachments", "ii", "ii"),
    # The username/password exchange is for people: closed to clients (403).
    ("v1:token", "dd", "dd"),
    # Dashboards: the department's client, never the enterprise's.
    ("v1:stats-overview", "ad", "dd"),
    ("v1:stats-section", "dd", "dd"),
    ("v1:stats-figure", "ad", "dd"),
    # Webhooks (webhooks:manage): each client its own subscriptions.
    ("v1:webhook-subscription-list", "aa", "ii"),
    ("v1:webhook-subscription-detail", "dd", "ii"),
    ("v1:webhook-subscription-event-types", "aa", "ii"),
    ("v1:webhook-delivery-list", "aa", "ii"),
    ("v1:webhook-delivery-detail", "dd", "ii"),
    ("v1:webhook-delivery-redeliver", "ii", "dd"),
    # The schema and its documentation page: public, the token is ignored.
    ("schema", "aa", "ii"),
    ("swagger-ui", "aa", "ii"),
]


def api_names() -> set[str]:
    """URL names served by DRF views: those a bearer token can reach."""
    return set(api_views())


# --- Walking -----------------------------------------------------------------------------


def walk(world: World, token: str, rules: dict[str, tuple[str, str]], index: int, label: str,
         table: dict, names) -> list[str]:  # fmt: skip
    """Every URL in `names` with the bearer token, GET then an empty POST; mismatches."""
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en", **bearer(token))
    mismatches = []
    for name in names:
        url = example_url(name, world.a, world.shared)
        for position, method in enumerate(("get", "post")):
            got = ask(client, method, url)
            expected = rules[name][position][index]
            table.setdefault((name, method), {})[label] = got[0]
            if got not in classes_allowed(expected):
                mismatches.append(
                    f"{label:24} {method.upper():4} {url}  ({name}): {got}, rule {expected}"
                )
    return mismatches


def expected_rules() -> dict[str, tuple[str, str]]:
    """Per URL name, the partner letters: PARTNER_RULES for API views, and for pages the
    anonymous visitor's letter of RULES for every partner role."""
    anonymous = ROLES.index("anonymous")
    expected = {
        name: (get[anonymous] * len(PARTNER_ROLES), post[anonymous] * len(PARTNER_ROLES))
        for name, get, post in RULES
        if name not in api_names()
    }
    expected.update({name: (get, post) for name, get, post in PARTNER_RULES})
    return expected


def test_every_api_url_name_has_a_partner_rule():
    names = [name for name, _get, _post in PARTNER_RULES]
    duplicates = {name for name in names if names.count(name) > 1}
    assert not duplicates, f"partner rules listed twice: {sorted(duplicates, key=str)}"
    missing = api_names() - set(names)
    assert not missing, "add a partner rule for: " + ", ".join(sorted(map(str, missing)))
    not_api = set(names) - api_names()
    assert not not_api, "partner rules for names that are not API views: " + ", ".join(
        map(str, not_api)
    )
    for name, get_rule, post_rule in PARTNER_RULES:
        assert len(get_rule) == len(post_rule) == len(PARTNER_ROLES), name


def write_artefact(table: dict, labels: list[str], mismatches: list[str], answers: int) -> str:
    lines = [
        f"Partner matrix: {len(table) // 2} URL names x 2 methods x {len(PARTNER_ROLES)} "
        f"all-scope clients, and {len(labels) - len(PARTNER_ROLES)} clients lacking one "
        f"scope each (the URLs needing it, for each binding; all the API's "
        f"{len(api_names())} URL names x 2 methods for one binding a scope) = {answers} "
        f"answers ({len(mismatches)} mismatches).",
        "a allow, l login, d deny, i input, e error, . not asked; columns: " + ", ".join(labels),
    ]
    for (name, method), letters in sorted(table.items(), key=lambda item: str(item[0])):
        row = "".join(letters.get(label, ".") for label in labels)
        lines.append(f"{method.upper():4} {name!s:52} {row}")
    ARTEFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTEFACT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines[0]


@pytest.mark.long
def test_partner_clients_get_the_answers_their_rules_say(capsys):
    rules = expected_rules()
    names = [name for name, *_ in RULES if name in ENDPOINTS and name in rules]
    api = [name for name in names if name in api_names()]
    views = api_views()
    table: dict = {}
    labels = list(PARTNER_ROLES)
    mismatches: list[str] = []
    answers = 0
    with transaction.atomic():
        world = build_world()
        for index, role in enumerate(PARTNER_ROLES):
            with transaction.atomic():
                mismatches += walk(world, partner_token(world, role), rules, index, role, table,
                                   names)  # fmt: skip
                answers += 2 * len(names)
                transaction.set_rollback(True)
        # Every scope, withheld: 403 naming it where it is needed (for each binding),
        # unchanged elsewhere. Whether a scope is needed does not depend on the binding
        # (partners.scopes.check_scope sees the view and the token's scopes only), so the
        # "unchanged elsewhere" walk takes the bindings in turn, one per scope: it was half
        # of the suite's longest test, repeating the all-scope walks' answers.
        for number, scope in enumerate(sorted(SCOPES)):
            for index, role in enumerate(PARTNER_ROLES):
                label = f"{role}-{scope}"
                labels.append(label)
                withheld = {
                    name: tuple(
                        "f" if needs(views[name], method) == scope else rules[name][pos][index]
                        for pos, method in enumerate(("GET", "POST"))
                    )
                    for name in api
                }
                walked = (api if number % len(PARTNER_ROLES) == index
                          else [name for name in api if "f" in withheld[name]])  # fmt: skip
                with transaction.atomic():
                    token = partner_token(world, role, set(SCOPES) - {scope})
                    mismatches += walk_withheld(world, token, withheld, label, scope, table,
                                                walked)  # fmt: skip
                    answers += 2 * len(walked)
                    transaction.set_rollback(True)
        transaction.set_rollback(True)
    summary = write_artefact(table, labels, mismatches, answers)
    with capsys.disabled():
        print(f"\n{summary} Written to {ARTEFACT.relative_to(ARTEFACT.parents[2])}.")  # noqa: T201
    assert not mismatches, f"{len(mismatches)} answers differ:\n" + "\n".join(mismatches)


def needs(view, method: str) -> str | None:
    """The scope `view` needs for `method`; None when none, or when closed to partners."""
    try:
        return required_scope(view, method)
    except exceptions.PermissionDenied:
        return None


def walk_withheld(world: World, token: str, withheld: dict, label: str, scope: str,
                  table: dict, names) -> list[str]:  # fmt: skip
    """As walk(), where "f" means exactly 403 with the withheld scope named in the answer."""
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en", **bearer(token))
    mismatches = []
    for name in names:
        url = example_url(name, world.a, world.shared)
        for position, method in enumerate(("get", "post")):
            expected = withheld[name][position]
            if expected == "f":
                response = getattr(client, method)(url, **json_body(url))
                refused = response.status_code == 403 and scope in response.content.decode()
                table.setdefault((name, method), {})[label] = "f" if refused else "!"
                if not refused:
                    mismatches.append(
                        f"{label:40} {method.upper():4} {url}  ({name}): "
                        f"{response.status_code}, expected 403 naming {scope}"
                    )
                continue
            got = ask(client, method, url)
            table.setdefault((name, method), {})[label] = got[0]
            if got not in classes_allowed(expected):
                mismatches.append(
                    f"{label:40} {method.upper():4} {url}  ({name}): {got}, rule {expected}"
                )
    return mismatches
