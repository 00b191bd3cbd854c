"""Signals the hub sends, so that the apps above it learn of changed facts without the
hub importing them."""

import logging

from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Sent after the change is committed, whenever the hub learns that facts about some
# enterprises changed: a new bulk extract that differs from the last one, a single answer
# that differs from the last answer, a correction (a fact dispute), and so on.
# Arguments: enterprise_ids (list[int]: exactly the enterprises whose facts changed),
# facts (list[str]: the changed fact names; empty means "any of them") and cause (str: one
# of "extract", "answer", "correction", "registered", "credit"). Receivers re-evaluate
# what depends on those facts (subsidies: open automatic and confirm policies) and must
# not raise: a receiver queues its work.
facts_changed = Signal()


def send_facts_changed(enterprise_ids: list[int], facts: list[str], cause: str) -> None:
    """The one way to send it, robustly: a receiver that fails is logged, never the
    sender's failure (receivers queue their work and should not raise)."""
    for receiver, result in facts_changed.send_robust(
        sender=None, enterprise_ids=enterprise_ids, facts=facts, cause=cause
    ):
        if isinstance(result, Exception):
            logger.error("facts_changed receiver %r failed: %s", receiver, result)
