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
        if method != "get":
            expected.add("413")
        if "requestBody" in operation:
            expected.add("415")
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


def test_each_operation_takes_one_body_type():
    """JSON, or multipart where a file is uploaded: a body offered three ways made
    openapi-python-client write a client that failed at import (issue 19, item 10)."""
    offered = {
        f"{method.upper()} {path}": sorted(operation["requestBody"]["content"])
        for method, path, operation in operations()
        if "requestBody" in operation
    }
    several = {name: kinds for name, kinds in offered.items() if len(kinds) != 1}
    assert not several, several
    multipart = {name for name, kinds in offered.items() if kinds == ["multipart/form-data"]}
    assert multipart == {
        "POST /api/v1/requests/{id}/attachments/",
        "POST /api/v1/disputes/{id}/attachments/",
    }


def test_the_api_reads_json_only_where_no_file_is_uploaded():
    """What the schema says is what the server does: a form body is a 415 in the one shape."""
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] == ["qinqing.api.parsers.JSONParser"]


@pytest.mark.django_db
def test_a_form_body_is_refused_with_415():
    from tests.factories import EnterpriseFactory, member_of

    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(member_of(EnterpriseFactory()))

    answer = client.post("/api/v1/claims/", {"policy": "x", "uscc": "y"}, format="multipart")

    assert answer.status_code == 415, answer.content
    assert answer.json()["code"] == "unsupported_media_type"


def test_creates_link_to_the_operations_on_what_they_made():
    """schemathesis' stateful run (tests/robustness/test_api_fuzz.py) follows these."""
    claim_create = SCHEMA["paths"]["/api/v1/claims/"]["post"]
    links = claim_create["responses"]["201"]["links"]
    assert links["claims_retrieve"] == {
        "operationId": "claims_retrieve",
        "parameters": {"id": "$response.body#/id"},
        "description": "The object this answer describes.",
    }
    version_create = SCHEMA["paths"]["/api/v1/policies/{code}/versions/"]["post"]
    assert "policy_versions_submit_create" in version_create["responses"]["200"]["links"]
    ids = {op["operationId"] for _m, _p, op in operations()}
    for _method, _path, operation in operations():
        for answer in operation["responses"].values():
            for link in answer.get("links", {}).values():
                assert link["operationId"] in ids


def test_a_first_hop_comes_from_no_department():
    """Found by the stateful fuzz run: a new request's first hop has from_department null,
    which the schema said was a string (issue 19, item 11)."""
    hop = SCHEMA["components"]["schemas"]["RequestHop"]["properties"]["from_department"]
    assert hop.get("nullable") is True
