"""Administrators register partner clients in the back office or with a command; the secret
is shown once and works; every registration and change is in the audit trail."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from partners.models import PartnerClient
from qinqing.audit.models import AuditEvent
from tests.factories import AdminFactory, EnterpriseFactory, department, district

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/oauth/token/"


@pytest.fixture
def client(client):
    """The back office in English: the assertions read its English labels."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def token_for(client, client_id, secret):
    return client.post(TOKEN_URL, {"grant_type": "client_credentials", "client_id": client_id,
                                   "client_secret": secret})  # fmt: skip


def test_the_back_office_registers_a_client_and_shows_its_secret_once(client):
    client.force_login(AdminFactory())
    answer = client.post("/admin/partners/partnerclient/add/", {
        "name": "Market data exchange", "scopes": ["claims:read", "enterprises:read"],
        "requests_per_minute": "120", "department": department("market").pk,
        "district": district("xihu").pk, "enterprise_uscc": "",
    })  # fmt: skip

    assert answer.status_code == 200, answer.content[:2000]
    partner = PartnerClient.objects.get(name="Market data exchange")
    page = answer.content.decode()
    secret = re.search(r"client secret</th><td><code>([^<]+)</code>", page).group(1)
    assert partner.client_id in page
    assert "no-store" in answer["Cache-Control"]
    user = partner.service_user
    assert (user.role, user.department.code, user.district.code) == ("official", "market", "xihu")
    assert sorted(partner.scopes) == ["claims:read", "enterprises:read"]
    assert partner.rate_per_minute == 120
    assert (
        secret
        not in client.get(f"/admin/partners/partnerclient/{partner.pk}/change/").content.decode()
    )
    assert token_for(client, partner.client_id, secret).status_code == 200
    assert AuditEvent.objects.filter(action="partner_client.create").count() == 1


def test_the_back_office_refuses_a_client_bound_to_both_or_neither(client):
    client.force_login(AdminFactory())
    enterprise = EnterpriseFactory()
    both = client.post("/admin/partners/partnerclient/add/", {
        "name": "Both", "scopes": ["claims:read"], "department": department("market").pk,
        "enterprise_uscc": enterprise.uscc,
    })  # fmt: skip
    neither = client.post("/admin/partners/partnerclient/add/", {
        "name": "Neither", "scopes": ["claims:read"],
    })  # fmt: skip

    assert both.status_code == neither.status_code == 200
    assert "not both" in both.content.decode()
    assert not PartnerClient.objects.exists()


def test_deactivating_in_the_back_office_is_audited(client):
    client.force_login(AdminFactory())
    out = io.StringIO()
    call_command("create_partner_client", "--name", "Tax bridge", "--department", "taxation",
                 "--scopes", "claims:read", stdout=out, stderr=io.StringIO())  # fmt: skip
    partner = PartnerClient.objects.get()

    answer = client.post(f"/admin/partners/partnerclient/{partner.pk}/change/",
                         {"scopes": ["claims:read"], "requests_per_minute": ""})  # fmt: skip

    assert answer.status_code == 302
    partner.refresh_from_db()
    assert partner.is_active is False
    assert partner.service_user.is_active is False
    change = AuditEvent.objects.get(action="partner_client.change")
    assert change.before == {"is_active": True}


def test_the_command_prints_a_working_client_id_and_secret(client):
    enterprise = EnterpriseFactory()
    out = io.StringIO()

    call_command("create_partner_client", "--name", "ERP of the enterprise", "--enterprise",
                 enterprise.uscc, "--scopes", "claims:read,claims:write", "--rate", "30",
                 stdout=out, stderr=io.StringIO())  # fmt: skip

    printed = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    partner = PartnerClient.objects.get(application__client_id=printed["client_id"])
    assert partner.enterprise == enterprise
    assert partner.service_user.enterprise_memberships.get().enterprise == enterprise
    assert token_for(client, printed["client_id"], printed["client_secret"]).status_code == 200


def test_the_command_refuses_unknown_scopes_and_bindings(db):
    with pytest.raises(CommandError, match="Unknown scopes: claims:delete"):
        call_command("create_partner_client", "--name", "x", "--department", "market",
                     "--scopes", "claims:delete")  # fmt: skip
    with pytest.raises(CommandError, match="No department"):
        call_command("create_partner_client", "--name", "x", "--department", "nowhere",
                     "--scopes", "claims:read")  # fmt: skip
    assert not PartnerClient.objects.exists()
