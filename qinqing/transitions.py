"""The one way a status changes, for one row or thousands.

Every model with a status declares its table once, on the model:

    class Claim(models.Model):
        transitions = Transitions({"submitted": {"checking"}, ...}, action="claim")

and every change goes through `move` (one row the caller has locked) or `move_many` (a set
of rows, the allowed from-states in the UPDATE's WHERE clause). Both check the table, write
the row, append the audit events and the outbox events in the caller's transaction, so a
change is never half recorded. Nothing else writes a status (a test over the source says
so): a fix to this module is a fix everywhere.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing import jsontext
from qinqing.audit.services import record_events, record_rows, record_rows_sql
from qinqing.bulk import RawJson, any_of, int_array
from qinqing.errors import IllegalTransition
from qinqing.events.services import Event, emit_many
from qinqing.iterables import chunked


class Transitions:
    """A model's transition table, with what a change records.

    `action` prefixes the audit actions (`claim` → `claim.paid`). `audit_fields` names the
    fields changed alongside the status that the trail keeps ("all" for every one; never
    personal data). `outbox(obj, to)` and `outbox_many(ids, to)` build the events partners
    hear of (or nothing); `outbox_many` may take `known=` (move_many's `outbox_known`);
    `labels` gives a row's label in the trail for set-based moves.
    """

    def __init__(
        self,
        table: Mapping[str, Iterable[str]],
        *,
        action: str,
        field: str = "status",
        audit_fields: Sequence[str] | str = (),
        outbox: Callable[[Any, str], Event | None] | None = None,
        outbox_many: Callable[..., Iterable[Event]] | None = None,
    ) -> None:
        # Plain strings (a TextChoices member's value): the trail's pictures are made of
        # them, and an enum member costs a repr each time a picture is keyed.
        self.table = {_plain(state): frozenset(map(_plain, targets))
                      for state, targets in table.items()}  # fmt: skip
        for targets in self.table.values():
            unknown = targets - self.table.keys()
            if unknown:
                raise ValueError(f"{action}: transitions to undeclared states {sorted(unknown)}")
        self.action = action
        self.field = field
        self.audit_fields = audit_fields
        self.outbox = outbox
        self.outbox_many = outbox_many

    @property
    def states(self) -> frozenset[str]:
        return frozenset(self.table)

    def allows(self, here: str, there: str) -> bool:
        return there in self.table.get(here, ())

    def sources(self, to: str, via: Sequence[str] = ()) -> frozenset[str]:
        """The states from which `to` (through `via`) may be reached in one change."""
        path = [*via, to]
        for here, there in itertools.pairwise(path):
            if not self.allows(here, there):
                return frozenset()
        return frozenset(state for state, targets in self.table.items() if path[0] in targets)


def _plain(state: str) -> str:
    """A state as a plain str: a TextChoices member's value, without its class."""
    return str.__str__(state)


def _label(model: type[models.Model], state: str, field: str) -> str:
    choices = dict(model._meta.get_field(field).flatchoices)
    return str(choices.get(state, state))


def refusal(obj: models.Model, here: str, there: str) -> IllegalTransition:
    """The user's words for a change the table does not allow."""
    model = type(obj)
    field = model.transitions.field
    return IllegalTransition(
        _("This %(thing)s is “%(status)s” and cannot become “%(to)s”.")
        % {
            "thing": model._meta.verbose_name,
            "status": _label(model, here, field),
            "to": _label(model, there, field),
        }
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Combinable):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _audited(machine: Transitions, changes: Mapping[str, Any]) -> dict[str, Any]:
    names = changes if machine.audit_fields == "all" else machine.audit_fields
    return {name: _jsonable(changes[name]) for name in names if name in changes}


def _stamp_fields(model: type[models.Model]) -> list[str]:
    """Fields saved with every change because Django stamps them (`auto_now`)."""
    return [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]


def move(
    obj: models.Model, to: str, *, actor: Any = None, via: Sequence[str] = (), **changes: Any
) -> models.Model:
    """Change `obj`'s status to `to` (through `via`, each step checked and audited), saving
    `changes` with it. The caller holds the row's lock; raises IllegalTransition when the
    table does not allow the change, before anything is written."""
    machine: Transitions = type(obj).transitions
    field = machine.field
    path = [getattr(obj, field), *via, to]
    for here, there in itertools.pairwise(path):
        if not machine.allows(here, there):
            raise refusal(obj, here, there)
    setattr(obj, field, to)
    for name, value in changes.items():
        setattr(obj, name, value)
    update_fields = [field, *changes, *(f for f in _stamp_fields(type(obj)) if f not in changes)]
    obj.save(update_fields=update_fields)
    expressions = [name for name, value in changes.items() if isinstance(value, Combinable)]
    if expressions:
        obj.refresh_from_db(fields=expressions)
    extra = _audited(machine, changes)
    steps = list(itertools.pairwise(path))
    record_events(
        actor=actor,
        events=[
            (
                f"{machine.action}.{there}",
                obj,
                {field: here},
                {field: there, **(extra if index == len(steps) - 1 else {})},
            )
            for index, (here, there) in enumerate(steps)
        ],
    )
    if machine.outbox is not None:
        event = machine.outbox(obj, to)
        if event is not None:
            emit_many([event])
    return obj


def move_many(
    model: type[models.Model],
    ids: Iterable[int],
    to: str,
    *,
    actor: Any = None,
    via: Sequence[str] = (),
    labels: Mapping[int, str] | None = None,
    rows: Mapping[int, Mapping[str, Any]] | None = None,
    chunk_size: int = 5000,
    outbox_known: Mapping[int, Any] | None = None,
    **changes: Any,
) -> list[int]:
    """Move every row of `ids` whose status may become `to` (through `via`), set-based: the
    allowed from-states are in the UPDATE's WHERE clause, so a row another process moved
    meanwhile is left alone and not returned. `changes` are the same for every row
    (constants or expressions). `rows` gives each row values of its own (id → {field:
    value}, every row the same fields; a claim's decision, a payment's reference), written
    with the status in the same statement on PostgreSQL; with `rows`, `changes` must be
    constants. `outbox_known`: what the caller read of these rows already in this
    transaction, handed to the model's `outbox_many` hook (as `known=`) so that it need
    not read them again. Returns the ids moved; call inside a transaction."""
    machine: Transitions = model.transitions
    field = machine.field
    to, via = _plain(to), [_plain(step) for step in via]
    sources = machine.sources(to, via)
    if not sources:
        raise IllegalTransition(
            _("No %(thing)s can become “%(to)s” this way.")
            % {"thing": model._meta.verbose_name, "to": _label(model, to, field)}
        )
    now = timezone.now()
    stamps = {name: now for name in _stamp_fields(model) if name not in changes}
    values = {field: to, **stamps, **changes}
    if rows is not None and any(isinstance(v, Combinable) for v in changes.values()):
        raise ValueError("move_many: with per-row values, the common changes are constants")
    extra = _audited(machine, changes)
    name = str(model._meta.verbose_name)  # translated once, not once a row
    labels = labels or {}
    # On PostgreSQL, with constant changes, the UPDATE writes the trail too (_Trail).
    trail = (_Trail(machine, model, actor, sources, via, to, extra, name, labels, rows)
             if connection.vendor == "postgresql"
             and not any(isinstance(value, Combinable) for value in values.values())
             else None)  # fmt: skip
    moved: list[tuple[int, str]] = []
    for chunk in chunked(list(ids), chunk_size):
        moved.extend(_update_chunk(model, field, chunk, sources, values, rows, trail))
    if not moved:
        return []
    if trail is None:
        _record_moves(machine, model, actor, moved, via, to, extra, name, labels, rows)
    moved_ids = [pk for pk, _here in moved]
    if machine.outbox_many is not None:
        if outbox_known is None:
            emit_many(list(machine.outbox_many(moved_ids, to)))
        else:
            emit_many(list(machine.outbox_many(moved_ids, to, known=outbox_known)))
    return moved_ids


def _record_moves(machine: Transitions, model: type[models.Model], actor: Any,
                  moved: list[tuple[int, str]], via: Sequence[str], to: str,
                  extra: Mapping[str, Any], name: str, labels: Mapping[int, str],
                  rows: Mapping[int, Mapping[str, Any]] | None) -> None:  # fmt: skip
    """The trail of a set-based move, written from Python (where _Trail does not apply)."""
    if rows is None:
        # Every row that left one state has the same steps and pictures: made and encoded
        # once per from-state, not once a row (a sweep's 50,000 rows share one or two).
        shared = {
            here: [(action, RawJson(jsontext.plain(before)), RawJson(jsontext.plain(after)))
                   for action, before, after in _steps(machine, here, via, to, extra)]
            for here in {here for _pk, here in moved}
        }  # fmt: skip
        events = [(action, pk, labels.get(pk) or f"{name} {pk}", before, after)
                  for pk, here in moved for action, before, after in shared[here]]  # fmt: skip
    else:
        events = []
        for pk, here in moved:
            label = labels.get(pk) or f"{name} {pk}"
            own = {**extra, **_audited(machine, rows[pk])}
            for action, before, after in _steps(machine, here, via, to, own):
                events.append((action, pk, label, before, after))
    record_rows(actor=actor, model=model, events=events)


def _steps(
    machine: Transitions, here: str, via: Sequence[str], to: str, extra: Mapping[str, Any]
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """A row's audited steps from `here` to `to` through `via`: (action, before, after)
    each, the changed fields in the last step's after."""
    field = machine.field
    last = len(via)
    return [
        (f"{machine.action}.{b}", {field: a}, {field: b, **(extra if index == last else {})})
        for index, (a, b) in enumerate(itertools.pairwise([here, *via, to]))
    ]


class _Trail:
    """A set-based move's audit rows as part of its UPDATE (PostgreSQL): each moved row's
    steps from the state it left, the pictures made and encoded once per from-state (a
    sweep's 50,000 rows share one or two), each row's own audited values (`rows`) added
    to its last step's after, its label from `labels` or "<model> <id>"; written by
    qinqing.audit's INSERT … SELECT over the UPDATE's RETURNING rows, in the same
    statement, so the trail never travels through Python. The rows are those the
    record_rows path writes elsewhere (SQLite, or changes that are expressions)."""

    def __init__(self, machine: Transitions, model: type[models.Model], actor: Any,
                 sources: frozenset[str], via: Sequence[str], to: str,
                 extra: Mapping[str, Any], name: str, labels: Mapping[int, str],
                 rows: Mapping[int, Mapping[str, Any]] | None) -> None:  # fmt: skip
        self.machine, self.model, self.actor = machine, model, actor
        self.name, self.labels, self.rows = name, labels, rows
        steps = []
        for here in sorted(sources):
            made = _steps(machine, here, via, to, extra)
            steps += [{"here": here, "n": n, "action": action, "before": before,
                       "after": after, "last": n == len(made) - 1}
                      for n, (action, before, after) in enumerate(made)]  # fmt: skip
        self.steps = jsontext.plain(steps)

    def sql(self, ids: list[Any]) -> tuple[str, list[Any]]:
        """The INSERT for one chunk's rows, reading the CTE `moved` (id, here)."""
        own: dict[str, dict[str, Any]] = {}
        if self.rows is not None:
            for key in ids:
                audited = _audited(self.machine, self.rows.get(key, {}))
                if audited:
                    own[str(key)] = audited
        labels = {str(key): self.labels[key] for key in ids if self.labels.get(key)}
        source = (
            "SELECT s.action, m.id::text AS object_id, "
            "COALESCE(%s::jsonb ->> m.id::text, %s || ' ' || m.id::text) AS label, s.before, "
            "CASE WHEN s.last THEN s.after || COALESCE(%s::jsonb -> m.id::text, '{}'::jsonb) "
            "ELSE s.after END AS after "
            "FROM moved m JOIN jsonb_to_recordset(%s::jsonb) AS s(here text, n integer, "
            "action text, before jsonb, after jsonb, last boolean) ON s.here = m.here "
            "ORDER BY m.id, s.n"
        )
        insert, params = record_rows_sql(actor=self.actor, model=self.model, source=source)
        return insert, [*params, jsontext.plain(labels), self.name, jsontext.plain(own), self.steps]


def _update_chunk(
    model: type[models.Model],
    field: str,
    ids: list[int],
    sources: frozenset[str],
    values: Mapping[str, Any],
    rows: Mapping[int, Mapping[str, Any]] | None = None,
    trail: _Trail | None = None,
) -> list[tuple[int, str]]:
    """One chunk: the rows still in a from-state moved, with the state each one left."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("move_many must run inside a transaction")
    if trail is not None:
        return _update_returning(model, field, ids, sources, values, rows, trail)
    manager = model._base_manager
    candidates = manager.filter(any_of("pk", ids), **{f"{field}__in": sorted(sources)})
    if connection.vendor == "postgresql":  # an expression among the changes (attempts + 1)
        locked = list(candidates.select_for_update(of=("self",)).values_list("pk", field))
    else:  # SQLite: the write lock is the database's; one reader at a time suffices here
        locked = list(candidates.values_list("pk", field))
    if not locked:
        return locked
    pks = [pk for pk, _ in locked]
    if rows is None:
        manager.filter(any_of("pk", pks)).update(**values)
    else:  # SQLite: a statement a row (the embedded default's batches are small)
        for pk in pks:
            manager.filter(pk=pk).update(**values, **rows[pk])
    return locked


def _update_returning(
    model: type[models.Model],
    field: str,
    ids: list[int],
    sources: frozenset[str],
    values: Mapping[str, Any],
    rows: Mapping[int, Mapping[str, Any]] | None,
    trail: _Trail,
) -> list[tuple[int, str]]:
    """One chunk in ONE statement on PostgreSQL, the rows locked by the UPDATE itself, its
    audit rows written by the same statement (`trail`, a data-modifying CTE): the
    from-states in its WHERE (a row moved meanwhile is re-checked after its lock and left
    alone), each row's own values (`rows`) as one JSON document unpacked by
    jsonb_to_recordset into columns of the fields' own types (the driver quotes one
    string, where arrays of JSON texts cost it a regular-expression pass per quote). With
    one from-state, the state each row left is that one; with several, a locking
    subquery (FOR UPDATE, in id order) says which, as it was once locked."""
    ids = list(ids)  # an array parameter (a tuple would be sent as a record)
    meta = model._meta
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    status = quote(meta.get_field(field).column)
    common = [meta.get_field(name) for name in values]
    assignments = [f"{quote(f.column)} = %s" for f in common]
    params: list[Any] = [f.get_db_prep_save(_pk_of(values[f.name]), connection) for f in common]
    states = sorted(sources)
    several = len(states) > 1
    if rows is None:
        keys, key_array = _key_array(meta.pk, ids)
        if several:
            source = (f"FROM (SELECT {pk}, {status} FROM {table} WHERE {pk} = ANY({keys}) "  # noqa: S608
                      f"AND {status} = ANY(%s) ORDER BY {pk} FOR UPDATE) AS old "
                      f"WHERE t.{pk} = old.{pk}")  # fmt: skip
            params += [key_array, states]
        else:
            source = f"WHERE t.{pk} = ANY({keys}) AND t.{status} = %s"
            params += [key_array, states[0]]
    else:
        # The rows are found from the document (an index probe each): the table is never
        # restricted on its own as well, for the planner then joins the two small-looking
        # sets by comparing every pair (1.4 million comparisons for 1,700 rows).
        ids = [key for key in ids if key in rows]  # a row without its values is not moved
        if not ids:
            return []
        fields = [meta.get_field(name) for name in rows[ids[0]]]
        names = [quote(f.column) for f in fields]
        columns = ", ".join([f"pk {meta.pk.rel_db_type(connection)}"]
                            + [f"{name} {f.db_type(connection)}"
                               for name, f in zip(names, fields, strict=True)])  # fmt: skip
        document = jsontext.plain([
            {"pk": key, **{f.column: _row_value(f, rows[key][f.name]) for f in fields}}
            for key in ids
        ])  # fmt: skip

        def unpacked(alias: str) -> str:
            return f"jsonb_to_recordset(%s::jsonb) AS {alias}({columns})"

        assignments += [f"{name} = old.{name}" for name in names]
        if several:
            own = ", ".join(f"v.{name}" for name in names)
            source = (f"FROM (SELECT s.{pk}, s.{status}, {own} "  # noqa: S608
                      f"FROM {unpacked('v')} JOIN {table} AS s ON s.{pk} = v.pk "
                      f"WHERE s.{status} = ANY(%s) ORDER BY s.{pk} FOR UPDATE OF s) AS old "
                      f"WHERE t.{pk} = old.{pk}")  # fmt: skip
            params += [document, states]
        else:
            source = f"FROM {unpacked('old')} WHERE t.{pk} = old.pk "
            source += f"AND t.{status} = %s"
            params += [document, states[0]]
    if several:
        returning = f"t.{pk} AS id, old.{status} AS here"
    else:
        returning = f"t.{pk} AS id, CAST(%s AS text) AS here"
        params.append(states[0])
    insert, trail_params = trail.sql(ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH moved AS (UPDATE {table} AS t SET {', '.join(assignments)} {source} "  # noqa: S608
            f"RETURNING {returning}), trail AS ({insert}) SELECT id, here FROM moved",
            [*params, *trail_params],
        )
        moved = cursor.fetchall()
    if several:
        return sorted(moved)
    keys = sorted([key for key, _here in moved])
    return [(key, states[0]) for key in keys]


def _key_array(pk: models.Field, ids: list[Any]) -> tuple[str, Any]:
    """The placeholder and the parameter for "the key is one of `ids`": integer keys as
    the array's text ('{1,2,3}', joined at C speed) cast on the server, where the driver
    would adapt the list a Python call per element (0.15 s of Python for the sweep's
    120,000 records); other keys as the list itself."""
    if isinstance(pk, models.IntegerField):
        return f"%s::{pk.rel_db_type(connection)}[]", int_array(ids)
    return "%s", ids


def _pk_of(value: Any) -> Any:
    """A related object given as a change (reviewed_by=user) is written as its key."""
    return value.pk if isinstance(value, models.Model) else value


def _row_value(field: models.Field, value: Any) -> Any:
    """A value as jsonb_to_recordset reads it: JSON fields as they are, others as text."""
    if isinstance(field, models.JSONField) or value is None:
        return value
    return _jsonable(field.get_db_prep_save(value, connection))
