"""A partner client's token, with every scope or none, never turns any page or endpoint
into a 500 (tests/api/test_every_endpoint.py does the same for people)."""

import pytest
from django.test import Client

from partners.scopes import SCOPES
from tests.api.test_every_endpoint import BODIES, ENDPOINTS
from tests.partners_support import bearer, issue_token, make_partner

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("scopes", [list(SCOPES), []], ids=["every scope", "no scope"])
def test_no_endpoint_answers_a_partner_token_with_a_500(enterprise, member, scopes):
    partner, _secret = make_partner(scopes=list(SCOPES), enterprise=enterprise, rate=100_000)
    client = Client(raise_request_exception=False, **bearer(issue_token(partner, scopes)))
    failures = []
    for url in ENDPOINTS.values():
        url = url.format(uscc=enterprise.uscc)
        calls = [("get", None, None), ("delete", None, None),
                 ("post", *BODIES[1]), ("patch", *BODIES[0])]  # fmt: skip
        for method, content_type, body in calls:
            kwargs = {"content_type": content_type, "data": body} if body is not None else {}
            status = getattr(client, method)(url, **kwargs).status_code
            if status >= 500 and not (url == "/healthz" and status == 503):
                failures.append(f"{method.upper()} {url}: {status}")
    assert failures == []
