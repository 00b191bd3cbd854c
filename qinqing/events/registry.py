"""The event types partners may subscribe to: empty here, filled by the app that emits them.

Each app declares its types in `<app>/event_types.py`, found at start-up by
`EventsConfig.ready()` (autodiscovery, as Django's admin finds `admin.py`), so this
package names no app's vocabulary:

    EVENT_TYPES.register("claim.paid", EventType(_("A subsidy claim was paid…"), "claims:read"))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qinqing.registry import Registry


@dataclass(frozen=True)
class EventType:
    """What an event type means (shown to subscribers), and the partner scope that reads
    the same records over the API: a partner client receives the event only with it."""

    description: Any
    read_scope: str = ""


EVENT_TYPES: Registry[EventType] = Registry("event type")


def event_type_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in EVENT_TYPES]
