"""Signals the hub sends, so that the apps above it learn of changed facts without the
hub importing them."""

from django.dispatch import Signal

# Sent after the change is committed, whenever the hub learns that facts about some
# enterprises changed: a new bulk extract that differs from the last one, a single answer
# that differs from the last answer, a correction (a fact dispute), and so on.
# Arguments: enterprise_ids (list[int]: exactly the enterprises whose facts changed),
# facts (list[str]: the changed fact names; empty means "any of them") and cause (str: one
# of "extract", "answer", "correction", "registered", "credit"). Receivers re-evaluate
# what depends on those facts (subsidies: open automatic and confirm policies) and must
# not raise: a receiver queues its work.
facts_changed = Signal()
