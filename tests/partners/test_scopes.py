"""A partner client sees what its binding (a department, a district, an enterprise) would
see, and only through the scopes it holds: `<resource>:read` to read, `:write` to change."""

import pytest

from partners.services import update_partner_client
from tests.factories import EnterpriseFactory, district, member_of
from tests.partners_support import partner_api_client

pytestmark = pytest.mark.django_db(transaction=True)


def ids(answer) -> set[int]:
    assert answer.status_code == 200, answer.content
    return {row["id"] for row in answer.json()["results"]}


def test_a_department_client_lists_only_its_department_and_districts_claims(claim_in_review):
    xihu_claim, _member = claim_in_review()
    binjiang_claim, _member = claim_in_review(district=district("binjiang"))
    hrss_xihu, _ = partner_api_client(scopes=["claims:read"], department="hrss", district="xihu")
    hrss_city, _ = partner_api_client(scopes=["claims:read"], department="hrss")
    market, _ = partner_api_client(scopes=["claims:read"], department="market")

    assert ids(hrss_xihu.get("/api/v1/claims/")) == {xihu_claim.pk}
    assert ids(hrss_city.get("/api/v1/claims/")) == {xihu_claim.pk, binjiang_claim.pk}
    assert ids(market.get("/api/v1/claims/")) == set()
    assert hrss_xihu.get(f"/api/v1/claims/{binjiang_claim.pk}/").status_code == 404


def test_without_the_resources_scope_the_call_is_refused_naming_the_scope(claim_in_review):
    client, _ = partner_api_client(scopes=["claims:read"], department="hrss")

    refused = client.get("/api/v1/approvals/applications/")

    assert refused.status_code == 403
    assert "approvals:read" in refused.json()["detail"]


def test_a_view_with_its_own_permission_classes_still_needs_the_scope(reference_data):
    """The dashboards' API declares permission_classes itself; the scope still applies."""
    client, _ = partner_api_client(scopes=["claims:read"], department="hrss")

    refused = client.get("/api/v1/stats/overview/")

    assert refused.status_code == 403
    assert "stats:read" in refused.json()["detail"]


def test_an_enterprise_client_sees_only_its_enterprise(claim_in_review):
    own_claim, _member = claim_in_review()
    other_claim, _member = claim_in_review()
    enterprise = own_claim.enterprise
    client, _partner = partner_api_client(
        scopes=["claims:read", "enterprises:read"], enterprise=enterprise
    )

    listed = client.get("/api/v1/enterprises/")
    assert [row["uscc"] for row in listed.json()["results"]] == [enterprise.uscc]
    assert ids(client.get("/api/v1/claims/")) == {own_claim.pk}
    assert client.get(f"/api/v1/claims/{other_claim.pk}/").status_code == 404


def test_writing_needs_the_write_scope(apply_policy):
    enterprise = EnterpriseFactory()
    member_of(enterprise)
    reader, _ = partner_api_client(scopes=["claims:read"], enterprise=enterprise)
    writer, _ = partner_api_client(scopes=["claims:read", "claims:write"], enterprise=enterprise)
    claim = {"policy": apply_policy.code, "uscc": enterprise.uscc}

    refused = reader.post("/api/v1/claims/", claim, format="json")
    accepted = writer.post("/api/v1/claims/", claim, format="json")

    assert refused.status_code == 403
    assert "claims:write" in refused.json()["detail"]
    assert accepted.status_code == 201, accepted.content
    assert ids(reader.get("/api/v1/claims/")) == {accepted.json()["id"]}


def test_a_withdrawn_scope_stops_working_at_once(reference_data):
    client, partner = partner_api_client(scopes=["policies:read"], department="market")
    assert client.get("/api/v1/policies/").status_code == 200

    update_partner_client(partner, actor=None, scopes=["claims:read"])

    refused = client.get("/api/v1/policies/")
    assert refused.status_code == 403
    assert "policies:read" in refused.json()["detail"]


def test_endpoints_not_for_partner_systems_are_refused_and_reference_data_is_open(reference_data):
    client, partner = partner_api_client(scopes=["claims:read"], department="hrss")

    assert client.get("/api/v1/notifications/").status_code == 403
    assert client.get("/api/v1/districts/").status_code == 200
    me = client.get("/api/v1/me/").json()
    assert me["username"] == partner.service_user.username
    assert me["role"] == "official"


def test_the_schema_is_served_to_a_client_presenting_its_token(reference_data):
    client, _ = partner_api_client(scopes=["claims:read"], department="hrss")

    schema = client.get("/api/schema/?format=json")

    assert schema.status_code == 200
    oauth2 = schema.json()["components"]["securitySchemes"]["oauth2"]
    flow = oauth2["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/api/v1/oauth/token/"
    assert "claims:write" in flow["scopes"]
    claims = schema.json()["paths"]["/api/v1/claims/"]
    assert {"oauth2": ["claims:read"]} in claims["get"]["security"]
    assert {"oauth2": ["claims:write"]} in claims["post"]["security"]
