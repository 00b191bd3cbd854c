"""Every error under /api/, whatever causes it, is JSON in the one documented shape
(docs/api.md "Errors", the OpenAPI `Error` schema):

    {"code": "<stable code>", "detail": "<sentence in the user's language>",
     "fields": {"<input>": ["<message>", ...]}}       # fields only when inputs are named

Each cause is asked in English and in Simplified Chinese.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import department
from tests.partners_support import partner_api_client

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
LANGUAGES = {"en": "en", "zh-Hans": "zh-hans"}


@dataclass
class World:
    member: object
    enterprise: object


@pytest.fixture
def world(member, enterprise) -> World:
    return World(member=member, enterprise=enterprise)


def _api(world: World, language: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(world.member)
    return client


def _session(world: World, language: str) -> Client:
    """A browser's session, which must send the CSRF token with every write."""
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.member)
    return client


def unknown_path(world, language, settings):
    return Client(HTTP_ACCEPT_LANGUAGE=language).get("/api/v1/no-such-thing/")


def csrf_failure_drf(world, language, settings):
    return _session(world, language).put(
        reverse("v1:enterprise-contact", args=[world.enterprise.uscc]),
        data="{}",
        content_type="application/json",
    )


def csrf_failure_django(world, language, settings):
    """Outside DRF: Django's CsrfViewMiddleware refuses before any view runs."""
    return _session(world, language).post("/api/v1/no-such-thing/", {"a": "b"})


def too_large_json(world, language, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    return _api(world, language).post(
        "/api/v1/claims/", data=json.dumps({"x": "y" * 4096}), content_type="application/json"
    )


def too_large_form(world, language, settings):
    """Outside DRF: the OAuth token endpoint reads the form itself."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    return Client(HTTP_ACCEPT_LANGUAGE=language).post(
        "/api/v1/oauth/token/", {"grant_type": "client_credentials", "x": "y" * 4096}
    )


def malformed_json(world, language, settings):
    return _api(world, language).post(
        "/api/v1/claims/", data='{"policy": ', content_type="application/json"
    )


def deep_json(world, language, settings):
    return _api(world, language).post(
        "/api/v1/claims/", data="[" * 1000 + "]" * 1000, content_type="application/json"
    )


def method_not_allowed(world, language, settings):
    return _api(world, language).delete("/api/v1/enterprises/")


def method_not_allowed_django(world, language, settings):
    """Outside DRF: django-oauth-toolkit's token view answers an empty 405."""
    return Client(HTTP_ACCEPT_LANGUAGE=language).get("/api/v1/oauth/token/")


def unsupported_media_type(world, language, settings):
    return _api(world, language).post("/api/v1/claims/", data="x", content_type="text/plain")


def invalid(world, language, settings):
    return _api(world, language).put(
        reverse("v1:enterprise-contact", args=[world.enterprise.uscc]),
        {"contact_phone": "0571-87654321", "bank_name": "浙商银行", "bank_account": "12"},
        format="json",
    )


def not_authenticated(world, language, settings):
    return APIClient(HTTP_ACCEPT_LANGUAGE=language).get("/api/v1/claims/")


def wrong_client_secret(world, language, settings):
    return Client(HTTP_ACCEPT_LANGUAGE=language).post(
        "/api/v1/oauth/token/",
        {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
    )


def forbidden(world, language, settings):
    return _api(world, language).get(
        f"/api/v1/enterprises/{world.enterprise.uscc}/facts/",
        {"names": "tax.arrears", "purpose": "test"},
    )


def not_found(world, language, settings):
    return _api(world, language).get("/api/v1/claims/999999999/")


def throttled(world, language, settings):
    department("market")
    client, _partner = partner_api_client(scopes=["policies:read"], department="market", rate=1)
    client.credentials(
        HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"],
        HTTP_ACCEPT_LANGUAGE=language,
    )
    client.get("/api/v1/policies/")
    return client.get("/api/v1/policies/")


def nul_in_address(world, language, settings):
    return Client(HTTP_ACCEPT_LANGUAGE=language).get("/api/v1/enterprises/%00/")


def service_refusal(world, language, settings):
    settings.ROOT_URLCONF = "tests.api.error_urls"
    return Client(HTTP_ACCEPT_LANGUAGE=language).post("/api/v1/test-refusal/")


def server_error(world, language, settings):
    settings.ROOT_URLCONF = "tests.api.error_urls"
    client = Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
    return client.get("/api/v1/test-crash/")


# cause -> (the request, its status, its code, the input named under "fields" or None)
CAUSES: dict[str, tuple[Callable, int, str, str | None]] = {
    "unknown_path": (unknown_path, 404, "not_found", None),
    "csrf_failure_drf": (csrf_failure_drf, 403, "csrf_failed", None),
    "csrf_failure_django": (csrf_failure_django, 403, "csrf_failed", None),
    "too_large": (too_large_json, 413, "too_large", None),
    "too_large_form": (too_large_form, 413, "too_large", None),
    "malformed_json": (malformed_json, 400, "parse_error", None),
    "deep_json": (deep_json, 400, "parse_error", None),
    "method_not_allowed": (method_not_allowed, 405, "method_not_allowed", None),
    "method_not_allowed_django": (method_not_allowed_django, 405, "method_not_allowed", None),
    "unsupported_media_type": (unsupported_media_type, 415, "unsupported_media_type", None),
    "invalid": (invalid, 400, "invalid", "bank_account"),
    "not_authenticated": (not_authenticated, 401, "not_authenticated", None),
    "wrong_client_secret": (wrong_client_secret, 401, "invalid_client", None),
    "forbidden": (forbidden, 403, "permission_denied", None),
    "not_found": (not_found, 404, "not_found", None),
    "throttled": (throttled, 429, "throttled", None),
    "nul_in_address": (nul_in_address, 400, "bad_request", None),
    "service_refusal": (service_refusal, 409, "conflict", None),
    "server_error": (server_error, 500, "server_error", None),
}


def assert_in_shape(response, status: int, code: str, field: str | None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"].strip()
    extra = set(body) - {"code", "detail", "fields"}
    # The OAuth token endpoint keeps RFC 6749's own names beside the shape.
    assert extra <= {"error", "error_description"}, extra
    if field is None:
        assert "fields" not in body
    else:
        assert set(body["fields"]) == {field}
        assert all(isinstance(m, str) and m for m in body["fields"][field])
    return body


@pytest.mark.parametrize("cause", sorted(CAUSES))
def test_every_error_is_json_in_the_one_shape_in_english(cause, world, settings):
    request, status, code, field = CAUSES[cause]
    response = request(world, "en", settings)
    body = assert_in_shape(response, status, code, field)
    assert not CJK.search(body["detail"]), body["detail"]


@pytest.mark.parametrize("cause", sorted(CAUSES))
def test_every_error_is_json_in_the_one_shape_in_chinese(cause, world, settings):
    request, status, code, field = CAUSES[cause]
    response = request(world, "zh-Hans", settings)
    body = assert_in_shape(response, status, code, field)
    assert response["Content-Language"] == "zh-hans"
    assert CJK.search(body["detail"]), body["detail"]


def test_the_field_messages_are_in_the_users_language_too(world, settings):
    body = invalid(world, "zh-Hans", settings).json()
    assert CJK.search(body["fields"]["bank_account"][0])


def test_deep_json_refuses_before_parsing_and_keeps_the_shallow(world, settings):
    """64 levels are accepted as JSON (the view then judges the content); 65 are not."""
    api = _api(world, "en")
    shallow = api.post("/api/v1/claims/", data="[" * 64 + "]" * 64, content_type="application/json")
    deep = api.post("/api/v1/claims/", data="[" * 65 + "]" * 65, content_type="application/json")
    assert shallow.json()["code"] != "parse_error"
    assert deep.status_code == 400 and deep.json()["code"] == "parse_error"
    # Brackets inside strings are text, not nesting.
    text = api.post(
        "/api/v1/claims/", data=json.dumps({"policy": "[" * 500}), content_type="application/json"
    )
    assert text.json()["code"] != "parse_error"


def test_a_browser_on_the_browsable_api_still_gets_a_page(world):
    """The browsable API renders the same error for people; machines get JSON."""
    client = APIClient(HTTP_ACCEPT="text/html")
    response = client.get("/api/v1/claims/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/html")
