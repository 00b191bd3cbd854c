"""Property-based robustness: the committed OpenAPI contract, fuzzed as every role.

Schemathesis generates requests from docs/openapi.yaml for every operation and sends them
in-process to the Django WSGI application, authenticated with a DRF token as each role.
Every answer must not be a 5xx and must match the schema (status code and body). Path
parameters point at the security suite's real objects (enterprise A's claim, item,
request...), so detail and action endpoints are exercised, not just their 404s.

Deterministic: Hypothesis runs derandomized (a fixed seed), without an example database,
with MAX_EXAMPLES cases per operation and role. Everything it writes stays in the test
database (attachments go to a temporary folder).
"""

import re
from pathlib import Path

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.world import PARTNER_ROLES, build_world, partner_token

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "docs" / "openapi.yaml"
# Hypothesis keeps a cache of the code's constants; under var/ (ignored), not the work tree.
set_hypothesis_home_dir(str(ROOT / "var" / "hypothesis"))
MAX_EXAMPLES = 6
# People through a DRF token, and the partner clients (OAuth2 bearer tokens with every scope,
# bound to Xihu's Market Supervision and to enterprise A: tests/security/world.py).
ROLES = ("anonymous", "member_a", "official_market_xihu", "auditor", *PARTNER_ROLES)
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


def run_operation(operation, role_headers: dict, path_values: dict) -> tuple[list[str], int]:
    """Up to MAX_EXAMPLES cases for one operation; every failure, not just the first."""
    app = get_wsgi_application()
    failures: list[str] = []
    sent = []
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
        response = case.call(app=app, base_url="http://testserver", headers=role_headers)
        sent.append(1)
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseException as exc:  # a FailureGroup; every failure is collected
            text = str(exc)
            titles = re.findall(r"^- (.+)$", text, re.MULTILINE) or [text.strip()[:120]]
            for title in titles:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {title}"
                )
                if "Response violates schema" in title:
                    failures.append("    " + " | ".join(text.split("\n")[3:9])[:300])

    fuzz()
    return failures, len(sent)


@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_its_contract_for(role, world, capsys):
    schema = schemathesis.openapi.from_path(SCHEMA_PATH)
    headers = {"Accept-Language": "en"}
    if role in PARTNER_ROLES:
        headers["Authorization"] = f"Bearer {partner_token(world, role)}"
    elif world.users[role] is not None:
        headers["Authorization"] = f"Token {Token.objects.create(user=world.users[role]).key}"
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
