"""A verified bearer token is kept briefly in the shared cache (partners/oauth.py, issue
#24), and whatever would make it stale forgets it at once: a revoked token, a deactivated
client, a withdrawn scope, a deactivated service user are refused on the very next call,
and an expired token is refused even while its verification is cached."""

import hashlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken

from partners.services import update_partner_client
from tests.partners_support import bearer, issue_token, make_partner

pytestmark = pytest.mark.django_db

URL = "/api/v1/policies/"


@pytest.fixture(autouse=True)
def token_cache(monkeypatch):
    """The cache on, whichever cache the suite runs with (it is off with a per-process
    cache, which another process could not clear): these tests run in one process."""
    monkeypatch.setattr("partners.oauth.token_cache_seconds", lambda: 60)
    cache.clear()


def used(client, token: str) -> int:
    """Call once, so that the token's verification is cached; the status."""
    return client.get(URL, **bearer(token)).status_code


def token_statements(client, token: str) -> int:
    with CaptureQueriesContext(connection) as seen:
        assert client.get(URL, **bearer(token)).status_code == 200
    return sum("oauth2_provider_accesstoken" in query["sql"] for query in seen.captured_queries)


def test_a_token_used_again_is_not_read_again(client):
    partner, _secret = make_partner(scopes=["policies:read"], department="market")
    token = issue_token(partner)

    assert token_statements(client, token) == 1
    assert token_statements(client, token) == 0


def test_a_revoked_token_is_refused_at_once(client):
    partner, _secret = make_partner(scopes=["policies:read"], department="market")
    token = issue_token(partner)
    assert used(client, token) == 200

    AccessToken.objects.get(application=partner.application).revoke()

    assert used(client, token) == 401


def test_tokens_deleted_in_bulk_are_refused_at_once(client):
    partner, _secret = make_partner(scopes=["policies:read"], department="market")
    token = issue_token(partner)
    assert used(client, token) == 200

    AccessToken.objects.filter(application=partner.application).delete()

    assert used(client, token) == 401


def test_a_deactivated_client_is_refused_at_once(client):
    partner, _secret = make_partner(scopes=["policies:read"], department="market")
    token = issue_token(partner)
    assert used(client, token) == 200

    update_partner_client(partner, actor=None, is_active=False)

    assert used(client, token) == 401


def test_a_withdrawn_scope_is_refused_at_once(client):
    partner, _secret = make_partner(scopes=["policies:read", "claims:read"], department="market")
    token = issue_token(partner)
    assert used(client, token) == 200

    update_partner_client(partner, actor=None, scopes=["claims:read"])

    assert used(client, token) == 403


def test_a_deactivated_service_user_is_refused_at_once(client):
    partner, _secret = make_partner(scopes=["policies:read"], department="market")
    token = issue_token(partner)
    assert used(client, token) == 200

    partner.service_user.is_active = False
    partner.service_user.save()

    assert used(client, token) == 401


def test_a_token_that_expires_while_cached_is_refused(client, monkeypatch):
    partner, _secret = make_partner(scopes=["policies:read"], department="market")
    token = issue_token(partner, expires_in=30)
    assert used(client, token) == 200

    later = timezone.now() + timedelta(seconds=31)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)

    refused = client.get(URL, HTTP_ACCEPT_LANGUAGE="en", **bearer(token))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "The access token has expired."


def test_the_cache_keeps_neither_the_token_nor_a_secret(client):
    partner, _secret = make_partner(scopes=["policies:read"], department="market")
    token = issue_token(partner)
    assert used(client, token) == 200

    kept = cache.get("partner-token:" + hashlib.sha256(token.encode()).hexdigest())

    assert kept is not None
    assert "token" not in kept.__dict__
    assert "client_secret" not in kept.application.__dict__
    assert "password" not in kept.application.partner_client.service_user.__dict__
