"""Signals the hub sends, so that the apps above it learn of changed facts without the
hub importing them."""

import logging

from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Sent after the change is committed, whenever the hub learns that facts about some
# enterprises or private persons changed: a new bulk extract that differs from the last
# one, a single answer that differs from the last answer, a correction (a fact dispute), a
# new enterprise or person in the register, and so on.
# Arguments: enterprise_ids (list[int]: exactly the enterprises whose facts changed),
# person_ids (list[int]: exactly the persons whose facts changed, issue #26; a receiver
# that knows only enterprises reads none, and a person's change names no enterprise: the
# employer never hears of it), facts (list[str]: the changed fact names; empty means "any
# of them") and cause (str: one of "extract", "answer", "correction", "registered",
# "credit"). Receivers re-evaluate what depends on those facts (subsidies: open automatic
# and confirm policies, for enterprises and for persons) and must not raise: a receiver
# queues its work.
facts_changed = Signal()


def send_facts_changed(enterprise_ids: list[int], facts: list[str], cause: str, *,
                       person_ids: list[int] = ()) -> None:  # fmt: skip
    """The one way to send it, robustly: a receiver that fails is logged, never the
    sender's failure (receivers queue their work and should not raise)."""
    # `person_ids` only when some persons changed: a receiver of enterprises alone (and
    # every listener written before persons had facts) hears exactly what it heard.
    persons = {"person_ids": list(person_ids)} if person_ids else {}
    for receiver, result in facts_changed.send_robust(
        sender=None, enterprise_ids=list(enterprise_ids), facts=facts, cause=cause, **persons
    ):
        if isinstance(result, Exception):
            logger.error("facts_changed receiver %r failed: %s", receiver, result)
