"""Writing audit events. Service functions call record_event inside their transaction."""

import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from qinqing.middleware import current_request_id

from .models import AuditEvent

# Secrets never enter the trail, even hashed.
_NEVER_RECORDED = frozenset({"password"})


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """A JSON-safe picture of a model's concrete fields, for the before/after of an event."""
    if fields is None:
        # "Last modified" stamps change on every save and say nothing about what changed.
        fields = [
            field.attname
            for field in instance._meta.concrete_fields
            if not getattr(field, "auto_now", False)
        ]
    names = list(fields)
    values = {name: getattr(instance, name) for name in names if name not in _NEVER_RECORDED}
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def record_event(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; `actor` is a user, or None for the system (tasks, migrations)."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_label=(actor.get_username() if is_user else "system"),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_label=str(obj)[:300],
        before=before,
        after=after,
        request_id=current_request_id.get(),
    )


def changed_only(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep just the fields that differ, so an event shows what changed at a glance."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}
