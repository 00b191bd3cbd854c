"""The audit trail in words: an action's name as people read it ("claim paid", "认领已兑付"),
never its code (`claim.paid`) — the one place that renders it, for the back office's
trail, the outbox and the CSV download."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.events.registry import ACTION_LABELS, EVENT_TYPES


@cache
def _machines() -> dict[str, type[models.Model]]:
    """Each transition table's audit prefix (`claim`) and its model."""
    found = {}
    for model in apps.get_models():
        machine = getattr(model, "transitions", None)  # a qinqing.transitions.Transitions
        if hasattr(machine, "action") and hasattr(machine, "table"):
            found[machine.action] = model
    return found


def action_label(action: str) -> str:
    """An audit action or event type in words, in the active language: the label declared
    with the event type, else the app's registered words, else a status change's model and
    status names ("subsidy claim: Paid"), else the code read as words."""
    event_type = EVENT_TYPES.get(action)
    if event_type is not None and event_type.label:
        return str(event_type.label)
    label = ACTION_LABELS.get(action)
    if label:
        return str(label)
    prefix, _dot, state = action.rpartition(".")
    model = _machines().get(prefix)
    if model is not None:
        field = model.transitions.field
        choices = dict(model._meta.get_field(field).flatchoices)
        if state in choices:
            return _("%(thing)s: %(status)s") % {"thing": model._meta.verbose_name,
                                                 "status": choices[state]}  # fmt: skip
    return action.replace(".", " ").replace("_", " ")


def local_time_text(moment: datetime | None) -> str:
    """A stored (UTC) time as the portal reads it: Asia/Shanghai, to the second."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def audit_rows(events: Iterable[Any]) -> tuple[list[str], Iterator[list[Any]]]:
    """The trail as a download: the header and each event's row, its time local (the
    export writes wall-clock Asia/Shanghai) and its action in words beside its code."""
    header = [str(_("time")), str(_("actor")), str(_("what happened")), str(_("action")),
              str(_("object type")), str(_("object id")), str(_("object")),
              str(_("request id"))]  # fmt: skip
    rows = (
        [event.occurred_at, event.actor_label, action_label(event.action), event.action,
         event.object_type, event.object_id, event.object_label, event.request_id]
        for event in events
    )  # fmt: skip
    return header, rows
