"""The event types partners may subscribe to: empty here, filled by the app that emits them.

Each app declares its types in `<app>/event_types.py`, found at start-up by
`EventsConfig.ready()` (autodiscovery, as Django's admin finds `admin.py`), so this
package names no app's vocabulary:

    EVENT_TYPES.register("claim.paid", EventType(_("A subsidy claim was paid…"), "claims:read",
                                                 label=_("claim paid")))

An event's `label` is its name in words, as the audit trail and the back office show it
("claim paid", never `claim.paid`). Audit actions that are no partner event type register
their words in ACTION_LABELS, in the same `event_types.py`; qinqing.audit.display renders
either (and a status change of a model with a transition table by the model's and the
status's names) in one place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from qinqing.registry import Registry


@dataclass(frozen=True)
class EventType:
    """What an event type means (shown to subscribers), and the partner scope that reads
    the same records over the API: a partner client receives the event only with it."""

    description: Any
    read_scope: str = ""
    label: Any = ""  # the name in words (lazy): "claim paid"


EVENT_TYPES: Registry[EventType] = Registry("event type")
# Audit actions that are no event type partners hear of: action -> its name in words.
ACTION_LABELS: Registry[Any] = Registry("audit action label")


# The outbox's consumers (the partners' webhooks): each registers a function saying which
# event types it wants now, read from its own subscriptions. An event no consumer wants is
# written already handled: a batch run's hundred thousand events, when nobody listens,
# are never handed out one dispatch at a time. A subscription made later hears of what
# happens from then on: in the process that made it at once (the consumer calls
# forget_wanted_types() when its subscriptions change), in every other within
# WANTED_SECONDS.
CONSUMERS: Registry[Callable[[], Collection[str]]] = Registry("outbox consumer")
# How long a process keeps the answer: asking the consumers (a query) once per event was
# a statement per paid claim on the instant path (issue #24).
WANTED_SECONDS = 1.0
# (until, the consumers asked, their answer)
_wanted: tuple[float, tuple[Callable[[], Collection[str]], ...], frozenset[str]] | None = None


def wanted_types() -> frozenset[str]:
    """The event types some consumer wants now (as this process last asked, at most
    WANTED_SECONDS ago, of the consumers registered now)."""
    global _wanted
    consumers = tuple(consumer for _name, consumer in CONSUMERS.items())
    now = time.monotonic()
    held = _wanted
    if held is not None and held[0] > now and held[1] == consumers:
        return held[2]
    wanted: set[str] = set()
    for consumer in consumers:
        wanted.update(consumer())
    answer = frozenset(wanted)
    _wanted = (now + WANTED_SECONDS, consumers, answer)
    return answer


def forget_wanted_types() -> None:
    """A consumer's subscriptions changed: the next event asks the consumers again."""
    global _wanted
    _wanted = None


def event_type_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in EVENT_TYPES]
