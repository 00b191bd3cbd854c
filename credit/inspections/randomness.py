"""The randomness a campaign fixes at publication and reveals at the draw (see
credit/inspections/draw.py, "qinqing-draw-2"): the named public event, each party's
commitment, and the reveals checked against them."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from ..errors import refused
from . import draw as algorithm
from .models import PARTIES, InspectionCampaign

PUBLIC_EVENT_MAX = 200
SECRET_MAX = 200
HEX = frozenset("0123456789abcdef")


def clean_randomness(
    public_event: str, public_event_on: date | None, commitments: Any, *, today: date
) -> tuple[str, date, dict[str, str]]:
    """The named public event (on a day not before today) and each party's commitment (a
    SHA-256 in hex, all different): what fixes the draw's randomness at publication."""
    errors: dict[str, str] = {}
    public_event = (public_event or "").strip()
    if not public_event or len(public_event) > PUBLIC_EVENT_MAX:
        errors["public_event"] = _(
            "Name the future public event whose value will enter the draw (for example: the "
            "closing value of a named stock index on a named date), in at most 200 characters."
        )
    if not isinstance(public_event_on, date) or public_event_on < today:
        errors["public_event_on"] = _("The public event's date must be today or later.")
    cleaned: dict[str, str] = {}
    given = commitments if isinstance(commitments, dict) else {}
    for party in PARTIES:
        value = str(given.get(party) or "").strip().lower()
        if len(value) != 64 or not set(value) <= HEX:
            errors[f"commitment_{party}"] = _(
                "Give the SHA-256 (64 hexadecimal characters) of the party's secret."
            )
        cleaned[party] = value
    if not errors and len(set(cleaned.values())) != len(cleaned):
        errors["commitment_supervisor"] = _("Each party commits to its own secret.")
    if errors:
        raise refused(errors)
    return public_event, public_event_on, cleaned  # type: ignore[return-value]


def clean_reveals(campaign: InspectionCampaign, reveals: Any) -> dict[str, str | None]:
    """Each party's secret as revealed (None: not revealed, the fallback stands in); a
    reveal that does not match its commitment is refused."""
    given = reveals if isinstance(reveals, dict) else {}
    cleaned: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for party, committed in campaign.commitments.items():
        value = str(given.get(party) or "").strip()
        if len(value) > SECRET_MAX:
            errors[f"reveal_{party}"] = _("At most %(n)d characters.") % {"n": SECRET_MAX}
        elif value and algorithm.commitment(value) != committed:
            errors[f"reveal_{party}"] = _(
                "This secret does not match the commitment published for it (its SHA-256 is "
                "%(got)s, the commitment %(want)s). Enter the secret exactly as it was hashed."
            ) % {"got": algorithm.commitment(value), "want": committed}
        cleaned[party] = value or None
    if errors:
        raise refused(errors)
    return cleaned
