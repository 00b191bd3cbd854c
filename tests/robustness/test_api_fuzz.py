"""Property-based robustness: the committed OpenAPI contract, fuzzed as every role.

Schemathesis generates requests from docs/openapi.yaml for every operation and sends them
in-process to the Django WSGI application, as each role: anonymous, an enterprise member,
a district official, a city-wide official, an auditor (DRF tokens) and two partner clients
(OAuth2 client-credentials bearer tokens). Every answer must not be a 5xx and must match
the schema (status code and body). Path parameters point at the security suite's real
objects (enterprise A's claim, item, request...), so detail and action endpoints are
exercised, not just their 404s.

Two runs per role:
- every operation on its own (MAX_EXAMPLES cases each);
- stateful: schemathesis' state machine over the schema's links (qinqing/api/schema.py:
  a create's answer links to the operations on what it made), STATEFUL_EXAMPLES scenarios
  of up to STATEFUL_STEPS calls. A create's references (policy, USCC, category, record...)
  are pointed at the world's real objects, so creates succeed and their links are followed.

Deterministic: Hypothesis runs derandomized (a fixed seed), without an example database.
The cases of an operation are drawn once per process and sent again as each later role
(with that role's world's path parameters): derandomized, every role drew the same cases
anyway, and drawing them was most of the run's time.
Everything it writes stays in the test database (attachments go to a temporary folder).
Each run prints its number of cases. At the time of writing, on PostgreSQL: 104 operations,
413 cases per role on their own, and 71-77 calls per role in the stateful run (about 52
of them on objects reached through links): 3,400 cases in all for the seven roles.
"""

import os
import re
from pathlib import Path

import pytest
import schemathesis
import yaml
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from directline.models import Category
from tests.security.world import PARTNER_ROLES, build_world, partner_token

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "docs" / "openapi.yaml"
# Hypothesis keeps a cache of the code's constants; under var/ (ignored), not the work tree.
set_hypothesis_home_dir(str(ROOT / "var" / "hypothesis"))
# CI's budget (2 cores): about 5 minutes for both runs and every role. A deeper run:
# QINQING_FUZZ_EXAMPLES=50 QINQING_FUZZ_SCENARIOS=200 pytest tests/robustness/test_api_fuzz.py
MAX_EXAMPLES = int(os.environ.get("QINQING_FUZZ_EXAMPLES", "4"))
STATEFUL_EXAMPLES = int(os.environ.get("QINQING_FUZZ_SCENARIOS", "12"))
STATEFUL_STEPS = 6
# People through a DRF token (an enterprise member, a district official, a city-wide
# official, an auditor), and the partner clients (OAuth2 bearer tokens with every scope,
# bound to Xihu's Market Supervision and to enterprise A: tests/security/world.py).
ROLES = (
    "anonymous",
    "member_a",
    "official_market_xihu",
    "official_hrss_city",
    "auditor",
    *PARTNER_ROLES,
)
# Every answer's status must be documented (qinqing/api/schema.py documents the shared
# error answers of every operation) and its body must match the documented schema.
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

# Known failures that need a change beyond an app's api.py/serializers.py. Each entry is
# (role or "*", "METHOD /path", "check name"), with why. Keep this list short and dated.
KNOWN_FAILURES: set[tuple[str, str, str]] = set()

# Path prefix -> which of enterprise A's objects its {id}/{uscc}/{code} names.
OBJECT_FOR = [
    ("/api/v1/claims/", "claim"),
    ("/api/v1/disbursements/", "disbursement"),
    ("/api/v1/approvals/applications/", "pending_application"),
    ("/api/v1/approvals/items/", "pending_item"),
    ("/api/v1/approvals/permits/", "permit_code"),
    ("/api/v1/credit/commitments/", "commitment"),
    ("/api/v1/credit/records/", "record"),
    ("/api/v1/credit/repairs/", "repair"),
    ("/api/v1/requests/", "request"),
    ("/api/v1/notifications/", "notification"),
    ("/api/v1/data-calls/", "data_call"),
]


def path_parameters(path: str, world) -> dict:
    """Real values for the operation's path parameters, or {} to let them be generated."""
    names = set(re.findall(r"{(\w+)}", path))
    if not names:
        return {}
    values: dict = {}
    if "uscc" in names:
        values["uscc"] = world.a.ids["uscc"]
    if path.startswith("/api/v1/policies/"):
        values["code"] = world.shared["policy"]
    elif path.startswith("/api/v1/policy-versions/"):
        values["id"] = world.shared["policy_version"]
    elif path.startswith("/api/v1/districts/"):
        values["code"] = "xihu"
    elif path.startswith("/api/v1/departments/"):
        values["code"] = "market"
    for prefix, key in OBJECT_FOR:
        if path.startswith(prefix):
            values[sorted(names - {"uscc"})[0]] = world.a.ids[key]
    return {name: value for name, value in values.items() if name in names}


@pytest.fixture
def _keep_test_connection():
    """A raw WSGI call closes "old" connections at the start and end of each request, and
    inside the test's transaction that closes it (PostgreSQL). Django's test client turns
    this off during its requests; so does this suite."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(settings, tmp_path, _keep_test_connection):
    settings.DIRECTLINE_ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


# (METHOD, path) -> the cases drawn for it, kept as sent the first time (before the call).
DRAWN: dict[tuple[str, str], list] = {}


def run_operation(operation, role_headers: dict, path_values: dict) -> tuple[list[str], int]:
    """Up to MAX_EXAMPLES cases for one operation; every failure, not just the first."""
    app = get_wsgi_application()
    failures: list[str] = []
    sent = []
    key = (operation.method.upper(), operation.path)
    if key in DRAWN:
        for drawn in DRAWN[key]:
            case = drawn.derive()
            case.path_parameters.update(path_values)
            send(case, app, role_headers, failures)
            sent.append(1)
        return failures, len(sent)
    drawn_now: list = []
    strategy = operation.as_strategy(path_parameters=path_values or None)

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=["explicit", "generate"],
    )
    @given(case=strategy)
    def fuzz(case):
        drawn_now.append(case.derive())
        send(case, app, role_headers, failures)
        sent.append(1)

    fuzz()
    DRAWN[key] = drawn_now
    return failures, len(sent)


def send(case, app, role_headers: dict, failures: list[str]) -> None:
    response = case.call(app=app, base_url="http://testserver", headers=role_headers)
    try:
        case.validate_response(response, checks=CHECKS)
    except BaseException as exc:  # a FailureGroup; every failure is collected
        failures.extend(_failures(case, response, exc))


def role_headers(role: str, world) -> dict:
    headers = {"Accept-Language": "en"}
    if role in PARTNER_ROLES:
        headers["Authorization"] = f"Bearer {partner_token(world, role)}"
    elif world.users[role] is not None:
        headers["Authorization"] = f"Token {Token.objects.create(user=world.users[role]).key}"
    return headers


def _failures(case, response, exc: BaseException) -> list[str]:
    """One line per failed check (a FailureGroup holds every failure, not just the first)."""
    text = str(exc)
    titles = re.findall(r"^- (.+)$", text, re.MULTILINE) or [text.strip()[:120]]
    lines = []
    for title in titles:
        lines.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {title}")
        if "Response violates schema" in title:
            lines.append("    " + " | ".join(text.split("\n")[3:9])[:300])
    return lines


@pytest.mark.long
@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_its_contract_for(role, world, capsys):
    schema = schemathesis.openapi.from_path(SCHEMA_PATH)
    headers = role_headers(role, world)
    failures: list[str] = []
    operations = cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        found, sent = run_operation(operation, headers, path_parameters(operation.path, world))
        operations += 1
        cases += sent
        for failure in found:
            key = (role, f"{operation.method.upper()} {operation.path}", failure)
            if not any(known[:2] == key[:2] and known[2] in failure for known in KNOWN_FAILURES):
                failures.append(failure)
    with capsys.disabled():
        print(f"\nschemathesis as {role}: {operations} operations, {cases} cases")  # noqa: T201
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} contract failures as {role}:\n" + "\n".join(unique[:60])


# --- Stateful: creates, then the operations on what they made (the schema's links) -------


def real_references(path: str, world) -> dict:
    """Body values that name the world's real objects, for the creates that start the
    scenarios: with random references every create is a 400/404 and no link is followed."""
    uscc = world.a.ids["uscc"]
    return {
        "/api/v1/claims/": {"policy": world.shared["policy"], "uscc": uscc},
        "/api/v1/approvals/applications/": {"package": "enterprise-establishment", "uscc": uscc},
        "/api/v1/requests/": {"enterprise": uscc, "category": Category.objects.first().code},
        "/api/v1/credit/records/": {"uscc": uscc},
        "/api/v1/credit/repairs/": {"record": world.a.ids["record"]},
        "/api/v1/webhooks/subscriptions/": {
            "url": "https://93.184.215.14/hooks",
            "event_types": ["claim.paid"],
        },
    }.get(path, {})


def linked_operation_ids() -> list[str]:
    """The creates that carry links and the operations they link to. The run is kept to
    them: every other operation is a root of its own (schemathesis infers links between
    any two), and the scenarios would spend their steps on random ids' 404s."""
    spec = yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))
    ids = set()
    for item in spec["paths"].values():
        for operation in item.values():
            for answer in operation.get("responses", {}).values():
                links = answer.get("links", {})
                if links:
                    ids.add(operation["operationId"])
                ids.update(link["operationId"] for link in links.values())
    return sorted(ids)


def state_machine(role: str, world, headers: dict, tally: dict, failures: list[str]):
    schema = schemathesis.openapi.from_path(SCHEMA_PATH).include(
        operation_id=linked_operation_ids()
    )
    app = get_wsgi_application()

    class Machine(schema.as_state_machine()):
        def step(self, input):
            case = input.case
            if input.transition is None:  # a scenario's first call: real objects
                for name, value in path_parameters(case.path, world).items():
                    case.path_parameters[name] = value
                if case.method == "POST" and isinstance(case.body, dict):
                    case.body.update(real_references(case.path, world))
            else:
                for name in ("code", "uscc"):  # not named by the links
                    if name in (case.path_parameters or {}):
                        case.path_parameters.update(
                            {k: v for k, v in path_parameters(case.path, world).items()
                             if k == name}
                        )  # fmt: skip
            return super().step(input)

        def get_call_kwargs(self, case):
            return {"app": app, "base_url": "http://testserver", "headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            tally["cases"] += 1
            tally["linked"] += "{id}" in case.path  # reached only through a link
            try:
                case.validate_response(response, checks=CHECKS)
            except BaseException as exc:  # collected, not raised: every failure is listed
                failures.extend(_failures(case, response, exc))

    return Machine


@pytest.mark.parametrize("role", ROLES)
def test_linked_operations_keep_their_contract_for(role, world, capsys):
    headers = role_headers(role, world)
    tally = {"cases": 0, "linked": 0}
    failures: list[str] = []
    machine = state_machine(role, world, headers, tally, failures)
    machine.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=["generate"],
        )
    )
    with capsys.disabled():
        print(  # noqa: T201
            f"\nschemathesis stateful as {role}: {tally['cases']} calls, "
            f"{tally['linked']} through links"
        )
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} contract failures as {role}:\n" + "\n".join(unique[:60])
