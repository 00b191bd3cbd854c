"""The error answers are part of the contract: documented for every operation of the
committed schema (qinqing/api/schema.py), with the shared bodies, so that the fuzz suite
can hold every answer's status to it; and the answers found undocumented are fixed."""

from pathlib import Path

import pytest
import yaml
from rest_framework.test import APIClient

from tests.security.world import build_world

SCHEMA = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text(encoding="utf-8")
)
METHODS = {"get", "post", "put", "patch", "delete"}


def operations():
    for path, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def test_every_operation_documents_its_error_answers():
    missing = []
    for method, path, operation in operations():
        expected = {"401", "403"}
        if method != "get":
            expected |= {"400", "404", "409"}
        if "{" in path:
            expected.add("404")
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
            expected.add("422")
        for status in sorted(expected - set(operation["responses"])):
            missing.append(f"{method.upper()} {path}: {status}")
        for status, answer in operation["responses"].items():
            if status.startswith("4") and "content" not in answer:
                missing.append(f"{method.upper()} {path}: {status} has no body")
    assert not missing, "\n".join(missing)
    schemas = SCHEMA["components"]["schemas"]
    assert schemas["Error"]["required"] == ["code", "detail"]
    assert set(schemas["Error"]["properties"]) == {"code", "detail", "fields"}
    assert "ValidationError" not in schemas  # one shape for every error, invalid input too
    bodies = {
        answer["content"]["application/json"]["schema"]["$ref"]
        for _method, _path, operation in operations()
        for status, answer in operation["responses"].items()
        if status.startswith("4")
    }
    assert bodies == {"#/components/schemas/Error"}


@pytest.mark.django_db
def test_what_if_without_department_data_is_a_conflict_not_bad_input():
    """Found by the fuzz suite: it answered 400 to a GET with no input at all."""
    world = build_world()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(world.users["official_market_xihu"])

    answer = client.get(f"/api/v1/policy-versions/{world.shared['policy_version']}/what-if/")

    assert answer.status_code == 409, answer.content
    assert answer.json()["detail"]
