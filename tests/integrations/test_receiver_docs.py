"""The receiver docs/api.md shows partners works: it accepts a real delivery signed with
the subscription's secret and refuses the same request with another secret or altered."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from integrations import delivering, dispatching, signing
from integrations.models import WebhookDelivery

from .conftest import record_event_for, subscribe

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_receiver() -> dict:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("**Verifying the signature**") :]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


def call(app, path: str, headers: dict[str, str], body: bytes) -> str:
    environ = {"PATH_INFO": path, "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body)}  # fmt: skip
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    status = []
    app(environ, lambda line, _headers: status.append(line))
    return status[0]


def test_the_documented_receiver_accepts_a_real_delivery(world, endpoint):
    subscription = subscribe(world["auditor"])
    record_event_for(world["a"])
    dispatching.dispatch_pending()
    delivering.deliver(WebhookDelivery.objects.get(subscription=subscription).pk)
    (sent,) = endpoint.requests
    receiver = documented_receiver()
    receiver["SECRETS"] = {"/hooks/erp": subscription.revealed_secret}
    app, headers, body = receiver["app"], sent["headers"], sent["body"]
    assert call(app, "/hooks/erp", headers, body).startswith("204")
    assert call(app, "/hooks/erp", headers, body + b" ").startswith("400")
    assert call(app, "/hooks/other", headers, body).startswith("400")
    receiver["SECRETS"]["/hooks/erp"] = signing.new_secret()
    assert call(app, "/hooks/erp", headers, body).startswith("400")
    assert not receiver["verified"]("whsec_x", body, "not a number", "v1=00")
