"""Keeping the tallies current between full rebuilds, on PostgreSQL: changes recorded by
triggers, applied as differences.

The subjects that are one GROUP BY over rows that only change when a row changes (claims,
payments, claim to cash, data calls and their latency, commitments: `INCREMENTAL`) are
kept current this way. For each table such a subject reads, statement-level triggers
(created by the dashboards' migration, PostgreSQL only) turn the rows a statement inserted,
updated or deleted into signed tally rows in `dashboards_change`: the rows as they were
count -1 under their old keys, as they are +1 under their new ones, summed per key, so an
UPDATE of 2,000 claims from one state to another writes a handful of change rows, and an
update that touches no column a tally reads writes none. The expressions are the full
rebuild's own (`Grouped` in tallies/), compiled once with the source table swapped for the
statement's transition table, so the two cannot count differently. A table only joined
(the enterprise's district and industry, the policy's department, the claim behind a
payment) has an UPDATE trigger too: an enterprise that moves district moves its claims.

`apply_changes` drains the log in one statement: delete what it sees, sum it per tally
key at both grains (by district and industry, and the city-wide rollup), and add it to
the tally rows with INSERT … ON CONFLICT DO UPDATE against the unique index on the tally
key; rows that come to zero are removed, as a rebuild would not have them. It takes the
rebuild's advisory lock, so it never overlaps a rebuild, and a rebuild (REPEATABLE READ)
empties the log of exactly the changes its own snapshot already counts.

The other subjects depend on the clock (an item or a request becomes overdue with no row
changing; working hours need the holiday calendar) or are distinct counts (enterprises
served): `refresh.keep_current` rebuilds them each tick. The full rebuild stays, for
repair: `differences()` compares the kept tallies with a fresh rebuild.

On SQLite (the embedded default) there are no triggers: the full rebuild keeps the
dashboards right, as before.
"""

import re
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection

from .models import Change, Tally
from .tallies import credit, department_data, funds
from .tallies.writing import Grouped

INCREMENTAL: tuple[Grouped, ...] = (
    funds.CLAIMS,
    funds.PAYMENTS,
    funds.CLAIM_TO_CASH,
    department_data.DATA_CALLS,
    department_data.DATA_CALL_MS,
    credit.COMMITMENTS,
)

# The tally key: the columns a change is summed by, and the unique index it is added by.
KEY = (
    "subject",
    "grain",
    "month",
    "policy_id",
    "department_id",
    "district_id",
    "industry",
    "category_id",
    "key",
    "bucket",
)
_DIMS = KEY[2:]
# What a subject that has no such dimension writes (the tally columns' defaults).
_BLANK = {"industry": "''", "key": "''"}
_TYPES = {
    "month": "date",
    "policy_id": "integer",
    "department_id": "integer",
    "district_id": "integer",
    "industry": "varchar(1)",
    "category_id": "integer",
    "key": "varchar(40)",
    "bucket": "smallint",
}
UNIQUE_INDEX = "dashboards_tally_key"
_OLD, _NEW = "dashboards_old", "dashboards_new"
_PREFIX = "dashboards_delta"
_ALL_OLD, _ALL_NEW = f"SELECT * FROM {_OLD}", f"SELECT * FROM {_NEW}"  # noqa: S608


def compiled(spec: Grouped) -> str:
    """The spec's GROUP BY as SQL with its values written in (a trigger has no params)."""
    sql, params = spec.query().query.sql_with_params()
    return connection.ops.compose_sql(sql, params)


def tables_read(sql: str) -> dict[str, list[str]]:
    """Each table the SQL reads and the columns it reads from it."""
    found: dict[str, list[str]] = {}
    for table, column in re.findall(r'"(\w+)"\."(\w+)"', sql):
        columns = found.setdefault(table, [])
        if column not in columns:
            columns.append(column)
    return found


def _with_rows(sql: str, table: str, rows: str) -> str:
    """The SQL reading `rows` (a subquery) in place of `table`, joined inner: a call whose
    enterprise is not among the changed ones is not a changed call."""
    quoted = f'"{table}"'
    replaced = f"({rows}) AS {quoted}"
    changed = sql.replace(f"FROM {quoted} ", f"FROM {replaced} ")
    changed = changed.replace(f"LEFT OUTER JOIN {quoted} ON", f"INNER JOIN {replaced} ON")
    changed = changed.replace(f"INNER JOIN {quoted} ON", f"INNER JOIN {replaced} ON")
    if changed.count(replaced) != 1:
        raise ValueError(f"{table} is not read once in: {sql}")
    return changed


def _changed(side: str, other: str, pk: str, columns: list[str]) -> str:
    """The rows of `side` (old or new images) whose columns read by a tally changed."""
    mine = ", ".join(f's."{column}"' for column in columns)
    theirs = ", ".join(f'o."{column}"' for column in columns)
    join = f'{side} s JOIN {other} o ON o."{pk}" = s."{pk}"'
    return f"SELECT s.* FROM {join} WHERE ({mine}) IS DISTINCT FROM ({theirs})"  # noqa: S608


def _differ(pk: str, columns: list[str]) -> str:
    """Rows whose columns read by a tally an UPDATE changed, if any: the old images' keys
    and columns less the new ones' (hashed in one pass: an EXISTS over a join of the
    two images was planned as a nested loop, every old row against every new one)."""
    picked = ", ".join(f'"{column}"' for column in dict.fromkeys([pk, *columns]))
    return f"SELECT {picked} FROM {_OLD} EXCEPT SELECT {picked} FROM {_NEW}"  # noqa: S608


def _signed(spec: Grouped, sql: str, sign: int) -> str:
    """The spec's tally rows from `sql`, counted `sign` times, in the change log's columns."""
    picked = []
    for name in _DIMS:
        if name == "grain":
            continue
        value = f'q."t_{name}"' if name in spec.dims else _BLANK.get(name, "NULL")
        picked.append(f"CAST({value} AS {_TYPES[name]})")
    n = f'CAST({sign} * q."t_n" AS bigint)' if "n" in spec.measures else "CAST(0 AS bigint)"
    amount = f'{sign} * q."t_amount"' if "amount" in spec.measures else "0"
    amount = f"CAST({amount} AS numeric(18, 2))"
    values = ", ".join((f"'{spec.subject}'", *picked, n, amount))
    return f"SELECT {values} FROM ({sql}) q"  # noqa: S608


_LOG_COLUMNS = ", ".join(name for name in (*_DIMS, "n", "amount") if name != "grain")
_GROUP = ", ".join(name for name in _DIMS if name != "grain")


def _insert(parts: list[str]) -> str:
    """One INSERT into the change log of the parts' rows, summed per key; a row changed in a
    column no tally reads cancels out and is not written."""
    table = Change._meta.db_table
    union = " UNION ALL ".join(parts)
    return (
        f"INSERT INTO {table} (subject, {_LOG_COLUMNS})"  # noqa: S608
        f" SELECT subject, {_GROUP}, SUM(n), SUM(amount) FROM ("
        f"{union}) AS d (subject, {_LOG_COLUMNS})"
        f" GROUP BY subject, {_GROUP} HAVING SUM(n) <> 0 OR SUM(amount) <> 0;"
    )


def trigger_sql() -> tuple[list[str], list[str]]:
    """The statements that create the triggers, and those that drop them.

    An UPDATE's tally rows are written per subject, and only when the statement changed a
    column that subject reads (an `IF EXISTS` over the two images first): a batch moving
    2,000 claims from paying to paid recounts the claims by status and leaves the payment
    tallies, which read no claim status, alone. The functions plan with sequential scans
    off: the images are a few thousand rows and the tables they join are millions, so
    each joined row is found by its key, whatever the statistics of a table that has
    just grown say (a hash join over every enterprise per statement was most of the
    trigger's time)."""
    plan: dict[str, dict[str, list[tuple[str | None, list[str]]]]] = {}
    pks: dict[str, str] = {}
    for spec in INCREMENTAL:
        sql = compiled(spec)
        model = spec.rows().model
        base = model._meta.db_table
        pks[base] = model._meta.pk.column
        for table, columns in tables_read(sql).items():
            pk = pks.get(table) or _pk_of(table)
            entry = plan.setdefault(table, {"INSERT": [], "UPDATE": [], "DELETE": []})
            old_rows = _changed(_OLD, _NEW, pk, columns)
            new_rows = _changed(_NEW, _OLD, pk, columns)
            entry["UPDATE"].append((_differ(pk, columns), [
                _signed(spec, _with_rows(sql, table, old_rows), -1),
                _signed(spec, _with_rows(sql, table, new_rows), 1),
            ]))  # fmt: skip
            if table == base:
                entry["INSERT"].append((None, [_signed(spec, _with_rows(sql, table, _ALL_NEW), 1)]))
                entry["DELETE"].append(
                    (None, [_signed(spec, _with_rows(sql, table, _ALL_OLD), -1)])
                )
    create, drop = [], []
    for table, events in sorted(plan.items()):
        function = f"{_PREFIX}_{table}"
        branches = []
        for event, groups in events.items():
            if not groups:
                continue
            unguarded = [part for guard, parts in groups if guard is None for part in parts]
            statements = [_insert(unguarded)] if unguarded else []
            statements += [f"IF EXISTS ({guard}) THEN {_insert(parts)} END IF;"
                           for guard, parts in groups if guard is not None]  # fmt: skip
            branches.append(f"IF TG_OP = '{event}' THEN {' '.join(statements)} END IF;")
        create.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql"
            f" SET enable_seqscan = off AS $$ BEGIN {' '.join(branches)} RETURN NULL; END $$"
        )
        for event, groups in events.items():
            if not groups:
                continue
            name = f"{_PREFIX}_{event.lower()}"
            images = {
                "INSERT": f"NEW TABLE AS {_NEW}",
                "UPDATE": f"OLD TABLE AS {_OLD} NEW TABLE AS {_NEW}",
                "DELETE": f"OLD TABLE AS {_OLD}",
            }[event]
            drop.append(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
            create.append(drop[-1])
            create.append(
                f'CREATE TRIGGER {name} AFTER {event} ON "{table}" REFERENCING {images}'
                f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
        drop.append(f"DROP FUNCTION IF EXISTS {function}()")
    return create, drop


def _pk_of(table: str) -> str:
    for model in apps.get_models():
        if model._meta.db_table == table:
            return model._meta.pk.column
    raise LookupError(table)


def unique_index_sql() -> tuple[str, str]:
    table = Tally._meta.db_table
    columns = ", ".join(KEY)
    return (
        f"CREATE UNIQUE INDEX IF NOT EXISTS {UNIQUE_INDEX} ON {table} ({columns})"
        " NULLS NOT DISTINCT",
        f"DROP INDEX IF EXISTS {UNIQUE_INDEX}",
    )


def install() -> None:
    """Create (or recreate) the unique tally key and the triggers; PostgreSQL only."""
    if connection.vendor != "postgresql":
        return
    create, _drop = trigger_sql()
    with connection.cursor() as cursor:
        cursor.execute(unique_index_sql()[0])
        for statement in create:
            cursor.execute(statement)


def uninstall() -> None:
    if connection.vendor != "postgresql":
        return
    _create, drop = trigger_sql()
    with connection.cursor() as cursor:
        for statement in drop:
            cursor.execute(statement)
        cursor.execute(unique_index_sql()[1])


def _drain_sql() -> str:
    tally, log = Tally._meta.db_table, Change._meta.db_table
    full = ", ".join(name for name in KEY if name != "grain")
    rollup = ", ".join(name for name in KEY if name not in ("grain", "district_id", "industry"))
    columns = ", ".join(KEY)
    return f"""
WITH gone AS (DELETE FROM {log} RETURNING subject, {_LOG_COLUMNS}),
summed AS (
  SELECT subject,
         CASE WHEN GROUPING(district_id) = 0 THEN 'di' ELSE '' END AS grain,
         month, policy_id, department_id, district_id,
         CASE WHEN GROUPING(industry) = 0 THEN industry ELSE '' END AS industry,
         category_id, key, bucket, SUM(n) AS n, SUM(amount) AS amount
  FROM gone
  GROUP BY GROUPING SETS (({full}), ({rollup}))
  HAVING SUM(n) <> 0 OR SUM(amount) <> 0
)
INSERT INTO {tally} AS t ({columns}, n, amount)
SELECT {columns}, n, amount FROM summed
ON CONFLICT ({columns}) DO UPDATE SET n = t.n + EXCLUDED.n, amount = t.amount + EXCLUDED.amount
RETURNING t.id, t.n, t.amount, t.subject
"""  # noqa: S608 (table and column names are this module's own)


@dataclass
class Drained:
    """What one drain did: the tally rows it touched, per subject and by id (the emptied
    ones, deleted, among them)."""

    touched: dict[str, int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)
    emptied: list[int] = field(default_factory=list)


def drain() -> Drained:
    """Apply every recorded change to the tallies (the caller holds the rebuild's lock, in
    a transaction): one statement, then one to remove the rows that came to nothing."""
    done = Drained()
    if connection.vendor != "postgresql":  # no triggers, nothing recorded
        return done
    with connection.cursor() as cursor:
        cursor.execute(_drain_sql())
        for row_id, n, amount, subject in cursor.fetchall():
            done.touched[subject] = done.touched.get(subject, 0) + 1
            done.ids.append(row_id)
            if n == 0 and amount == 0:
                done.emptied.append(row_id)
        if done.emptied:
            table = Tally._meta.db_table
            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [done.emptied])  # noqa: S608
    return done
