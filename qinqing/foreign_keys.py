"""Foreign keys: checked at a moment the caller chooses, or checked per statement over the
set of rows it wrote instead of per row (PostgreSQL), for the tables a batch writes a
million rows of.

Set-checked keys. PostgreSQL checks a foreign key with a trigger a row: a lookup of the
referenced row that locks it (`FOR KEY SHARE`), so paying a million persons locks, dirties
and logs each person's, enterprise's, policy's and version's row once per claim; measured,
that is a quarter of the database's work in the 5,000,000-person run (docs/performance.md,
thirteenth session). A model names the keys it wants checked by set in `set_checked_keys`
(the fields carry `db_constraint=False`; Django's `on_delete` still acts in the ORM), and
its migration calls `install()` with them. For each key:

- the referencing side: after each INSERT or COPY statement, one anti-join of the rows it
  wrote (the statement's transition table) against the referenced table refuses the
  statement if any key names no row; an UPDATE that changes the key is checked by a row
  trigger, as the foreign key did (an UPDATE that leaves it alone costs nothing);
- the referenced side: a DELETE first takes `SHARE` on the referencing table, then refuses
  the statement if any deleted row is still named. The lock closes the race the row lock
  closed: a writer of the referencing table waits for the deletion to commit and then sees
  the row gone, or the deletion waits for the writer and then sees its rows. Only a
  deletion takes it, and nothing in the product deletes these rows in bulk.

Both refusals raise SQLSTATE 23503 (`IntegrityError`), with the foreign key's own wording.
Two things differ from a foreign key: the checks run when the statement ends, not at the
commit (the product writes referenced rows before the rows that name them), and a TRUNCATE
of the referenced table alone is not refused. In REPEATABLE READ a writer's snapshot may
predate a deletion it waited for, so there the check also locks the rows it names (a
serialization failure then, as with a foreign key), and a deletion of named rows is
refused outright (its snapshot could miss a writer it waited for).

SQLite (the embedded default) gets row triggers for the writing side; a deletion is
refused by the ORM's `PROTECT` (Django's flush deletes tables in no set order, which
triggers on the referenced side would refuse).
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db import connection


def check_foreign_keys_now() -> None:
    """Run the foreign-key checks the caller's transaction has deferred so far, now, and
    defer the later ones again (PostgreSQL; nothing elsewhere). Django's foreign keys are
    checked at the commit: a transaction that takes a contended row lock last (a budget's
    reservation) would otherwise hold it through thousands of checks at its commit, while
    every other chunk waits for the row. Either way a missing row fails the transaction.
    Transaction-scoped (SET CONSTRAINTS), so safe behind PgBouncer in transaction mode."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@dataclass(frozen=True)
class Reference:
    """`table.column` names a row of `target` by `target_column`. Migrations list these as
    plain values, so a migration keeps meaning what it meant when the models move on."""

    table: str
    column: str
    target: str
    target_column: str = "id"

    @property
    def stem(self) -> str:
        """The prefix of this key's trigger and function names (within PostgreSQL's 63)."""
        stem = f"qqkey_{self.table}_{self.column}"
        if len(stem) > 50:
            digest = hashlib.sha1(stem.encode(), usedforsecurity=False).hexdigest()[:8]
            stem = f"{stem[:41]}_{digest}"
        return stem


def declared_references() -> list[Reference]:
    """Every key the models declare in `set_checked_keys`, as the installed triggers must
    cover it (a test compares the two)."""
    found = []
    for model in apps.get_models():
        for name in getattr(model, "set_checked_keys", ()):
            field = model._meta.get_field(name)
            if field.db_constraint:
                raise ValueError(f"{model._meta.label}.{name}: set-checked keys carry no "
                                 "database constraint (db_constraint=False)")  # fmt: skip
            target = field.target_field
            found.append(Reference(model._meta.db_table, field.column,
                                   target.model._meta.db_table, target.column))  # fmt: skip
    return found


_ISOLATED = "current_setting('transaction_isolation') <> 'read committed'"


def _postgresql(reference: Reference) -> tuple[list[str], list[str]]:
    """The statements that create this key's triggers, and those that drop them."""
    t, c = f'"{reference.table}"', f'"{reference.column}"'
    u, k = f'"{reference.target}"', f'"{reference.target_column}"'
    stem = reference.stem
    refused = (
        f'\'insert or update on table "{reference.table}" violates set-checked key'
        f" \"{stem}\"' USING ERRCODE = 'foreign_key_violation',"
        f" DETAIL = format('Key ({reference.column})=(%s) is not present in table"
        f' "{reference.target}".\', missing)'
    )
    named = (
        f'\'update or delete on table "{reference.target}" violates set-checked key'
        f' "{stem}" on table "{reference.table}"\' USING ERRCODE = \'foreign_key_violation\','
        f" DETAIL = format('Key ({reference.target_column})=(%s) is still referenced from"
        f' table "{reference.table}".\', kept)'
    )
    functions = {
        # After an INSERT or COPY: one anti-join over the rows the statement wrote.
        "written": f"""
DECLARE missing text;
BEGIN
  IF {_ISOLATED} THEN
    PERFORM 1 FROM {u} u WHERE u.{k} IN (SELECT n.{c} FROM qqkey_new n) FOR KEY SHARE OF u;
  END IF;
  SELECT n.{c}::text INTO missing FROM qqkey_new n
   WHERE n.{c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {u} u WHERE u.{k} = n.{c}) LIMIT 1;
  IF FOUND THEN RAISE EXCEPTION {refused}; END IF;
  RETURN NULL;
END""",  # noqa: S608 (the names are the models' own tables and columns)
        # A row whose key an UPDATE changes: checked and locked as the foreign key did.
        "changed": f"""
DECLARE missing text := NEW.{c}::text;
BEGIN
  PERFORM 1 FROM {u} u WHERE u.{k} = NEW.{c} FOR KEY SHARE OF u;
  IF NOT FOUND THEN RAISE EXCEPTION {refused}; END IF;
  RETURN NEW;
END""",
        # Before a DELETE: writers of the referencing table wait until this transaction
        # ends, and it waits for theirs.
        "locked": f"""
BEGIN
  LOCK TABLE {t} IN SHARE MODE;
  RETURN NULL;
END""",
        # After a DELETE: none of the deleted rows may still be named.
        "deleted": f"""
DECLARE kept text;
BEGIN
  SELECT o.{k}::text INTO kept FROM qqkey_old o
   WHERE EXISTS (SELECT 1 FROM {t} t WHERE t.{c} = o.{k}) LIMIT 1;
  IF FOUND THEN RAISE EXCEPTION {named}; END IF;
  IF {_ISOLATED} AND EXISTS (SELECT 1 FROM qqkey_old) THEN
    RAISE EXCEPTION 'named rows of "{reference.target}" are deleted in READ COMMITTED only'
      USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN NULL;
END""",  # noqa: S608
        # A referenced row's key changed: refused while it is named.
        "rekeyed": f"""
DECLARE kept text := OLD.{k}::text;
BEGIN
  LOCK TABLE {t} IN SHARE MODE;
  IF EXISTS (SELECT 1 FROM {t} t WHERE t.{c} = OLD.{k}) THEN
    RAISE EXCEPTION {named};
  END IF;
  RETURN NEW;
END""",  # noqa: S608
    }
    triggers = {
        "written": f"AFTER INSERT ON {t} REFERENCING NEW TABLE AS qqkey_new FOR EACH STATEMENT",
        "changed": f"BEFORE UPDATE OF {c} ON {t} FOR EACH ROW"
        f" WHEN (NEW.{c} IS NOT NULL AND NEW.{c} IS DISTINCT FROM OLD.{c})",
        "locked": f"BEFORE DELETE ON {u} FOR EACH STATEMENT",
        "deleted": f"AFTER DELETE ON {u} REFERENCING OLD TABLE AS qqkey_old FOR EACH STATEMENT",
        "rekeyed": f"BEFORE UPDATE OF {k} ON {u} FOR EACH ROW"
        f" WHEN (OLD.{k} IS DISTINCT FROM NEW.{k})",
    }
    create, drop = [], []
    for part, body in functions.items():
        name = f"{stem}_{part}"
        on = t if part in ("written", "changed") else u
        create += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${body}\n$$",
            f"DROP TRIGGER IF EXISTS {name} ON {on}",
            f"CREATE TRIGGER {name} {triggers[part]} EXECUTE FUNCTION {name}()",
        ]
        drop += [f"DROP TRIGGER IF EXISTS {name} ON {on}", f"DROP FUNCTION IF EXISTS {name}()"]
    return create, drop


def _sqlite(reference: Reference) -> tuple[list[str], list[str]]:
    t, c = f'"{reference.table}"', f'"{reference.column}"'
    u, k = f'"{reference.target}"', f'"{reference.target_column}"'
    missing = f"NEW.{c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {u} WHERE {k} = NEW.{c})"  # noqa: S608
    message = f"FOREIGN KEY constraint failed: {reference.table}.{reference.column}"
    create, drop = [], []
    for part, event in (("written", "INSERT"), ("changed", f"UPDATE OF {c}")):
        name = f"{reference.stem}_{part}"
        drop.append(f"DROP TRIGGER IF EXISTS {name}")
        create += [
            drop[-1],
            f"CREATE TRIGGER {name} BEFORE {event} ON {t} FOR EACH ROW WHEN {missing}"
            f" BEGIN SELECT RAISE(ABORT, '{message}'); END",
        ]
    return create, drop


def _statements(references: Iterable[Reference], *, creating: bool) -> list[str]:
    build = {"postgresql": _postgresql, "sqlite": _sqlite}.get(connection.vendor)
    if build is None:
        raise NotImplementedError(f"set-checked keys on {connection.vendor}")
    statements = []
    for reference in references:
        create, drop = build(reference)
        statements += create if creating else drop
    return statements


def install(references: Iterable[Reference]) -> None:
    """Create (or recreate) the triggers that check these keys by set."""
    with connection.cursor() as cursor:
        for statement in _statements(references, creating=True):
            cursor.execute(statement)


def uninstall(references: Iterable[Reference]) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(references, creating=False):
            cursor.execute(statement)


def installed_stems() -> set[str]:
    """The keys whose writing-side trigger this database holds, by `Reference.stem` (a
    test compares them with `declared_references()`)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'qqkey%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = [row[0] for row in cursor.fetchall()]
    return {name.removesuffix("_written") for name in names
            if name.startswith("qqkey_") and name.endswith("_written")}  # fmt: skip
