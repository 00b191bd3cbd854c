"""The token endpoint: client credentials only, for active partner clients, scopes within
what was granted; tokens that expire, are stored as a checksum and stop at deactivation."""

import base64
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from partners.services import update_partner_client
from tests.partners_support import bearer, issue_token, make_partner

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/oauth/token/"


def ask_token(client, partner, secret, **extra):
    data = {"grant_type": "client_credentials", "client_id": partner.client_id,
            "client_secret": secret, **extra}  # fmt: skip
    return client.post(TOKEN_URL, data)


def test_client_credentials_give_a_bearer_token_acting_as_the_service_user(client):
    partner, secret = make_partner(scopes=["claims:read", "policies:read"], department="hrss")

    answer = ask_token(client, partner, secret)

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert sorted(body["scope"].split()) == ["claims:read", "policies:read"]
    assert "refresh_token" not in body
    stored = AccessToken.objects.get(application=partner.application)
    assert stored.user == partner.service_user
    assert stored.token == ""  # only the SHA-256 is kept at rest
    me = client.get("/api/v1/me/", **bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == partner.service_user.username


def test_http_basic_client_authentication_works_too(client):
    partner, secret = make_partner(scopes=["policies:read"], department="market")
    basic = base64.b64encode(f"{partner.client_id}:{secret}".encode()).decode()

    answer = client.post(TOKEN_URL, {"grant_type": "client_credentials"},
                         HTTP_AUTHORIZATION=f"Basic {basic}")  # fmt: skip

    assert answer.status_code == 200, answer.content


def test_a_client_may_narrow_its_scopes_but_not_widen_them(client):
    partner, secret = make_partner(scopes=["claims:read", "policies:read"], department="hrss")

    narrowed = ask_token(client, partner, secret, scope="claims:read")
    widened = ask_token(client, partner, secret, scope="claims:read claims:write")

    assert narrowed.status_code == 200
    assert narrowed.json()["scope"] == "claims:read"
    assert widened.status_code == 400
    assert widened.json()["error"] == "invalid_scope"


def test_a_wrong_secret_is_refused(client):
    partner, _secret = make_partner(scopes=["claims:read"], department="hrss")

    answer = ask_token(client, partner, "not-the-secret")

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()


def test_the_secret_is_stored_hashed(db):
    partner, secret = make_partner(scopes=["claims:read"], department="hrss")

    stored = Application.objects.get(pk=partner.application_id).client_secret

    assert secret not in stored
    assert check_password(secret, stored)  # a Django password hash of it


def test_an_inactive_client_gets_no_token_and_its_tokens_stop_working(client):
    partner, secret = make_partner(scopes=["policies:read"], department="market")
    token = issue_token(partner)
    assert client.get("/api/v1/policies/", **bearer(token)).status_code == 200

    update_partner_client(partner, actor=None, is_active=False)

    assert ask_token(client, partner, secret).status_code == 401
    refused = client.get("/api/v1/me/", **bearer(token))
    assert refused.status_code == 401


def test_only_the_client_credentials_grant_is_served(client):
    partner, secret = make_partner(scopes=["policies:read"], department="market")

    answer = client.post(TOKEN_URL, {"grant_type": "password", "username": "x",
                                     "password": "y", "client_id": partner.client_id,
                                     "client_secret": secret})  # fmt: skip

    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_an_application_without_a_partner_binding_is_no_client(client):
    Application.objects.create(
        name="stray", client_type="confidential", authorization_grant_type="client-credentials",
        client_id="stray-client", client_secret="stray-secret",
    )  # fmt: skip

    answer = client.post(TOKEN_URL, {"grant_type": "client_credentials",
                                     "client_id": "stray-client",
                                     "client_secret": "stray-secret"})  # fmt: skip

    assert answer.status_code == 401


def test_an_expired_token_is_refused(client):
    partner, _secret = make_partner(scopes=["policies:read"], department="market")
    token = issue_token(partner)
    AccessToken.objects.filter(application=partner.application).update(
        expires=timezone.now() - timedelta(seconds=1)
    )

    assert client.get("/api/v1/me/", **bearer(token)).status_code == 401


def test_a_token_in_the_query_string_is_not_accepted(client):
    partner, _secret = make_partner(scopes=["policies:read"], department="market")
    token = issue_token(partner)

    assert client.get(f"/api/v1/me/?access_token={token}").status_code == 401
