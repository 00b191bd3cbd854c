"""Writing audit events. Service functions call these inside their transaction.

A model may declare `audit_masked_fields = {"field": digits_kept_at_start}`: those values
enter the trail masked (the trail shows that a bank account changed, not the number).
"""

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

from qinqing import jsontext
from qinqing.bulk import RawJson, insert_values
from qinqing.masking import mask_digits
from qinqing.middleware import current_request_id

from .models import AuditEvent

# Secrets never enter the trail, even hashed.
_NEVER_RECORDED = frozenset({"password"})


def _audited_field_names(instance: models.Model) -> list[str]:
    # "Last modified" stamps change on every save and say nothing about what changed.
    return [
        field.attname
        for field in instance._meta.concrete_fields
        if not getattr(field, "auto_now", False) and field.attname not in _NEVER_RECORDED
    ]


def snapshot(
    instance: models.Model, fields: Iterable[str] | None = None, *, masked: bool = True
) -> dict[str, Any]:
    """A JSON-safe picture of a model's fields, for the before/after of an event."""
    names = list(fields) if fields is not None else _audited_field_names(instance)
    values = {name: getattr(instance, name) for name in names if name not in _NEVER_RECORDED}
    if masked:
        values = _mask(type(instance), values)
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def _mask(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    masked_fields: dict[str, int] = getattr(model, "audit_masked_fields", {})
    return {
        name: mask_digits(str(value), keep_start=masked_fields[name])
        if name in masked_fields and value
        else value
        for name, value in values.items()
    }


def _event(actor: Any, action: str, obj: models.Model, before: dict[str, Any] | None,
           after: dict[str, Any] | None) -> AuditEvent:  # fmt: skip
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent(
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


def record_event(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; `actor` is a user, or None for the system (tasks, migrations)."""
    event = _event(actor, action, obj, before, after)
    event.save(force_insert=True)
    return event


# The columns a bulk writer gives, in this order (occurred_at takes the one `now`).
AUDIT_FIELDS = ("actor_id", "actor_label", "action", "object_type", "object_id",
                "object_label", "before", "after", "request_id")  # fmt: skip


def _who(actor: Any) -> tuple[int | None, str]:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.pk, actor.get_username()
    return None, "system"


def _json_or_none(value: dict[str, Any] | None) -> RawJson | None:
    return None if value is None else RawJson(jsontext.dumps(value))


def record_events(
    *,
    actor: Any,
    events: Iterable[tuple[str, models.Model, dict[str, Any] | None, dict[str, Any] | None]],
) -> int:
    """Append many events in one INSERT: (action, object, before, after) each. For changes
    made in bulk (a batch run's thousands of claims), where one INSERT per event would
    cost more than the change itself. Written as plain values (`record_values`)."""
    actor_id, actor_label = _who(actor)
    request_id = current_request_id.get()
    return record_values([
        (actor_id, actor_label, action, obj._meta.label_lower, str(obj.pk), str(obj)[:300],
         _json_or_none(before), _json_or_none(after), request_id)
        for action, obj, before, after in events
    ])  # fmt: skip


def record_rows(
    *,
    actor: Any,
    model: type[models.Model],
    events: Iterable[tuple[str, Any, str, dict[str, Any] | None, dict[str, Any] | None]],
) -> int:
    """Like record_events, from plain values: (action, object id, object label, before,
    after). For bulk changes made with UPDATE statements, where loading every object only
    to name it in the trail would cost more than the change. No model object is built:
    the rows go to the one bulk writer as tuples (`record_values`)."""
    actor_id, actor_label = _who(actor)
    request_id = current_request_id.get()
    object_type = model._meta.label_lower
    encoded = _Encoded()
    return record_values([
        (actor_id, actor_label, action, object_type, str(object_id), label[:300],
         encoded(before), encoded(after), request_id)
        for action, object_id, label, before, after in events
    ])  # fmt: skip


def record_rows_sql(*, actor: Any, model: type[models.Model], source: str) -> tuple[str, list[Any]]:
    """record_rows as SQL, for a statement that makes the rows itself (PostgreSQL): one
    INSERT … SELECT of the trail's rows from `source`, a query with the columns `action`,
    `object_id` (text), `label`, `before` and `after` (jsonb), in the order it gives them.
    For a change made by one UPDATE (qinqing.transitions.move_many): its trail is written
    by the same statement and never travels through Python, the rows the same as
    record_rows would write. Returns the SQL and the parameters that come before
    `source`'s own."""
    actor_id, actor_label = _who(actor)
    quote = connection.ops.quote_name
    # Names from the model, values as parameters.
    sql = (
        f"INSERT INTO {quote(AuditEvent._meta.db_table)} (actor_id, actor_label, object_type, "  # noqa: S608
        "request_id, occurred_at, action, object_id, object_label, before, after) "
        "SELECT %s, %s, %s, %s, %s, a.action, a.object_id, left(a.label, 300), a.before, a.after "
        f"FROM ({source}) AS a"
    )
    return sql, [actor_id, actor_label, model._meta.label_lower, current_request_id.get(),
                 timezone.now()]  # fmt: skip


class _Encoded(dict):
    """Before/after pictures as JSON text, each distinct picture encoded once: a chunk's
    thousands of rows mostly share a handful ({"status": "paying"}), and encoding them one
    by one cost more than writing them. One already encoded (`RawJson`) is kept."""

    def __call__(self, value: dict[str, Any] | None) -> RawJson | None:
        if value is None or isinstance(value, RawJson):
            return value
        # The type too (1 and True are equal keys, not the same JSON), and other values by
        # their repr: equal Decimals of another scale (1.0, 1.00), equal instants in other
        # time zones, are not the same JSON either; a nested value's repr is hashable.
        key = tuple((name, type(item), item if type(item) in _PLAIN else repr(item))
                    for name, item in value.items())  # fmt: skip
        made = self.get(key)
        if made is None:
            self[key] = made = RawJson(jsontext.dumps(value))
        return made


_PLAIN = (str, int, bool, type(None))


def record_values(rows: Sequence[Sequence[Any]]) -> int:
    """The trail's bulk writer: tuples of AUDIT_FIELDS (before and after as dicts, None, or
    `qinqing.bulk.RawJson` text), all stamped with one time, written with
    `qinqing.bulk.insert_values` (COPY on PostgreSQL, the sequence numbering them).
    Append-only like every other write: the database's trigger refuses any change after.
    Returns how many were written."""
    insert_values(AuditEvent, AUDIT_FIELDS, rows, keys=False)
    return len(rows)


def record_change(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    raw_before: dict[str, Any],
) -> AuditEvent | None:
    """Record what changed since `raw_before` (a snapshot taken with masked=False), masked.

    Writes nothing when nothing changed: an event means something happened.
    """
    raw_after = snapshot(obj, raw_before.keys(), masked=False)
    changed = [name for name in raw_before if raw_before[name] != raw_after.get(name)]
    if not changed:
        return None
    model = type(obj)
    return record_event(
        actor=actor,
        action=action,
        obj=obj,
        before=_mask(model, {name: raw_before[name] for name in changed}),
        after=_mask(model, {name: raw_after[name] for name in changed}),
    )
