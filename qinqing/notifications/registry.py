"""The notification kinds people can turn on or off: empty here, filled by the app that
sends them.

Each app declares its kinds in `<app>/notification_kinds.py`, found at start-up by
`NotificationsConfig.ready()` (autodiscovery), so this package names no app's
vocabulary; the model stores the code, with no choices tied to any app. A kind says who
reads it (its audience), so that each person's settings list only the kinds they can
receive:

    register_kind("claim.paid", _("Subsidy paid"), Audience.ENTERPRISE)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise

from qinqing.registry import Registry


class Audience(StrEnum):
    """Who receives a kind: the enterprises' members, the government side (officials,
    auditors, administrators), or both."""

    ENTERPRISE = "enterprise"
    OFFICIAL = "official"
    BOTH = "both"


@dataclass(frozen=True)
class Kind:
    """What the preferences page shows for a kind, and to whom."""

    label: str | Promise
    audience: Audience = Audience.BOTH

    def __str__(self) -> str:
        return str(self.label)


# Kind code -> Kind.
NOTIFICATION_KINDS: Registry[Kind] = Registry("notification kind")


def register_kind(code: str, label: str | Promise, audience: Audience) -> Kind:
    """Declare a kind once, with its audience (an app's notification_kinds.py)."""
    return NOTIFICATION_KINDS.register(code, Kind(label, Audience(audience)))


def kind_of(code: str) -> Kind | None:
    entry = NOTIFICATION_KINDS.get(code)
    if entry is None or isinstance(entry, Kind):
        return entry
    return Kind(entry)  # registered with a bare label: for everyone


def kind_label(code: str) -> str | Promise:
    kind = kind_of(code)
    return kind.label if kind is not None else code


def audience_of(user: Any) -> Audience:
    """Which side a person reads from: an enterprise member the enterprise's kinds, every
    other role (officials, auditors, administrators) the government's."""
    if getattr(user, "is_enterprise_member", False):
        return Audience.ENTERPRISE
    return Audience.OFFICIAL


def kinds_for(user: Any) -> list[tuple[str, Kind]]:
    """The kinds this person can receive, in registration order: theirs and the shared."""
    side = audience_of(user)
    kinds = ((code, kind_of(code)) for code in NOTIFICATION_KINDS)
    return [(code, kind) for code, kind in kinds if kind.audience in (side, Audience.BOTH)]
