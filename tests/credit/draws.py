"""Publishing and drawing with the commit-reveal the draw now requires: each party's secret
is known here, the public event is today, the reveals are given unless a test says not."""

from typing import Any

from django.utils import timezone

from credit.inspections import draw as algorithm
from credit.inspections import services

SECRETS = {"department": "department secret 42", "supervisor": "supervisor secret 7"}
EVENT = "Closing value of the SSE Composite Index on the day of the draw"


def commitments(secrets: dict[str, str] | None = None) -> dict[str, str]:
    return {party: algorithm.commitment(secret) for party, secret in (secrets or SECRETS).items()}


def publish_campaign(campaign_id: int, *, actor: Any, **extra: Any):
    extra.setdefault("public_event", EVENT)
    extra.setdefault("public_event_on", timezone.localdate())
    extra.setdefault("commitments", commitments())
    return services.publish_campaign(campaign_id, actor=actor, **extra)


def run_draw(campaign_id: int, *, actor: Any, public_value: str, **extra: Any):
    extra.setdefault("reveals", dict(SECRETS))
    return services.run_draw(campaign_id, actor=actor, public_value=public_value, **extra)
