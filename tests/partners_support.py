"""Partner clients for tests (tests/partners/, the authorisation matrix in tests/security/).

    client, partner = partner_api_client(scopes=["claims:read"], department="hrss",
                                         district="xihu")
    client.get("/api/v1/claims/")   # as the partner system, through its bearer token

The client is registered with the same service the back office uses; the token is written
straight to the table (no HTTP round trip), with the scopes asked for (default: all the
client was granted). tests/partners/test_token.py covers the real token endpoint.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone
from django.utils.crypto import get_random_string
from oauth2_provider.models import AccessToken, set_token_value
from rest_framework.test import APIClient

from departments.models import Department, District
from enterprises.models import Enterprise
from partners.models import PartnerClient
from partners.services import create_partner_client


def make_partner(
    *,
    scopes: Iterable[str],
    department: str | Department | None = None,
    district: str | District | None = None,
    enterprise: Enterprise | None = None,
    rate: int | None = None,
    name: str | None = None,
) -> tuple[PartnerClient, str]:
    """A partner client bound to a department (code or object, optional district) or to an
    enterprise; returns it and its client secret."""
    if isinstance(department, str):
        department = Department.objects.get(code=department)
    if isinstance(district, str):
        district = District.objects.get(code=district)
    return create_partner_client(
        name=name or f"Partner {get_random_string(8)}",
        scopes=scopes,
        department=department,
        district=district,
        enterprise=enterprise,
        requests_per_minute=rate,
    )


def issue_token(
    partner: PartnerClient, scopes: Iterable[str] | None = None, *, expires_in: int = 3600
) -> str:
    """A bearer token for `partner` (as the token endpoint would issue it)."""
    raw = get_random_string(40)
    token = AccessToken(
        user=partner.service_user,
        application=partner.application,
        scope=" ".join(partner.scopes if scopes is None else scopes),
        expires=timezone.now() + timedelta(seconds=expires_in),
    )
    set_token_value(token, raw)
    token.save()
    return raw


def bearer(raw_token: str) -> dict[str, str]:
    """Headers for Django's test client / APIClient: **bearer(token)."""
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_token}"}


def partner_api_client(**binding) -> tuple[APIClient, PartnerClient]:
    """An APIClient that calls as a new partner client (make_partner's arguments)."""
    partner, _secret = make_partner(**binding)
    client = APIClient()
    client.credentials(**bearer(issue_token(partner)))
    return client, partner
