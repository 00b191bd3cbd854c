"""The one way a state machine's status changes: the move checked against the app's table,
the row saved with the fields that change with it, and the audit event written — in the
caller's transaction, on a row the caller has locked."""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.db import models

from .services import record_event


def jsonable(value: Any) -> Any:
    """A changed field's value as the audit trail stores it."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def change_status(
    obj: models.Model,
    to: str,
    *,
    table: Mapping[str, set[str]],
    actor: Any,
    action_prefix: str,
    refusal: Callable[[str], Exception],
    **changes: Any,
) -> models.Model:
    """Move `obj.status` to `to` if the table allows it, else raise `refusal(current)`."""
    here = obj.status
    if to not in table[here]:
        raise refusal(here)
    obj.status = to
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.save(update_fields=["status", *changes])
    record_event(
        actor=actor,
        action=f"{action_prefix}.{to}",
        obj=obj,
        before={"status": here},
        after={"status": to, **{name: jsonable(value) for name, value in changes.items()}},
    )
    return obj
