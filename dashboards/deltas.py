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

Subjects that read the same rows through the same joins (payments and claim to cash: the
confirmed disbursements with their claim, policy and enterprise; data calls and their
latency: the calls with their enterprise) share one source. The changed rows are joined
once per image for the whole source, into a materialized CTE holding every column its
subjects group by or add up, and each subject's GROUP BY reads that CTE: a batch confirming
2,000 disbursements looks up their 2,000 claims and enterprises once, not once per subject.

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
from django.db.models import Aggregate, QuerySet, Value
from django.db.models.expressions import Star

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


def _sql_of(queryset: QuerySet) -> str:
    """The queryset's SQL with its values written in (a trigger has no params)."""
    sql, params = queryset.query.sql_with_params()
    return connection.ops.compose_sql(sql, params)


@dataclass(frozen=True)
class Source:
    """Subjects that read the same rows of one model through the same joins, as one
    row-level query (`sql`, not grouped) selecting every column any of them groups by or
    adds up; `picked` is, for each subject, its dimension or measure name → the column's
    alias in `sql` (a measure's aggregate is its own: `spec.measures[name].function`)."""

    specs: tuple[Grouped, ...]
    sql: str
    picked: tuple[dict[str, str], ...]


def sources() -> list[Source]:
    """`INCREMENTAL` by source: the same model and the same rows() query."""
    shared: dict[tuple[str, str], list[Grouped]] = {}
    for spec in INCREMENTAL:
        rows = spec.rows()
        shared.setdefault((rows.model._meta.label, str(rows.query)), []).append(spec)
    return [_source(tuple(specs)) for specs in shared.values()]


def _source(specs: tuple[Grouped, ...]) -> Source:
    """The row-level query of `specs`: their dimensions' expressions and their measures'
    inputs (the column a COUNT counts or a SUM adds), each selected once under an alias of
    its own, from the rows the specs share."""
    aliases: dict[str, object] = {}

    def alias_of(expression: object, name: str, index: int) -> str:
        for alias, known in aliases.items():
            if known == expression:
                return alias
        alias = f"g{index}_{name}"
        aliases[alias] = expression
        return alias

    picked = []
    for index, spec in enumerate(specs):
        mine = {name: alias_of(expression, name, index) for name, expression in spec.dims.items()}
        for name, measure in spec.measures.items():
            if not isinstance(measure, Aggregate) or measure.distinct or measure.filter is not None:
                # A distinct count or a filtered one does not add up as differences.
                raise ValueError(f"{spec.subject}.{name} is not a plain COUNT or SUM")
            counted = measure.source_expressions[0]
            if isinstance(counted, Star):
                counted = Value(1)
            mine[name] = alias_of(counted, name, index)
        picked.append(mine)
    rows = specs[0].rows().order_by().values(**aliases)
    return Source(specs, _sql_of(rows), tuple(picked))


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
    changed = f"{sql} ".replace(f"FROM {quoted} ", f"FROM {replaced} ")[:-1]
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


def _grouped(source: Source, index: int, rows: str) -> str:
    """Subject `index`'s GROUP BY over `rows` (the source's row-level columns), its columns
    under the names the full rebuild's query gives them (t_month, t_n, …)."""
    spec, picked = source.specs[index], source.picked[index]
    dims = [f'r."{picked[name]}" AS "t_{name}"' for name in spec.dims]
    measures = [f'{measure.function}(r."{picked[name]}") AS "t_{name}"'
                for name, measure in spec.measures.items()]  # fmt: skip
    groups = ", ".join(str(position) for position in range(1, len(dims) + 1))
    group_by = f" GROUP BY {groups}" if groups else ""
    return f"SELECT {', '.join((*dims, *measures))} FROM {rows} r{group_by}"  # noqa: S608


_ROWS = "dashboards_rows"


def _part(source: Source, table: str, image: str, sign: int) -> str:
    """The source's tally rows from one image (`image`, a subquery, read in place of
    `table`), counted `sign` times: the image joined once, in a CTE, and each subject's
    GROUP BY over it (materialized when there are several, so that the join runs once)."""
    rows = _with_rows(source.sql, table, image)
    materialized = " MATERIALIZED" if len(source.specs) > 1 else ""
    union = " UNION ALL ".join(
        _signed(spec, _grouped(source, index, _ROWS), sign)
        for index, spec in enumerate(source.specs)
    )
    return f"SELECT * FROM (WITH {_ROWS} AS{materialized} ({rows}) {union}) AS g"  # noqa: S608


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

    The subjects are taken by source (`sources()`): those reading the same rows through the
    same joins have one row-level query, so each image of a statement (the new rows, the
    old ones) is joined once per source, into a materialized CTE that each subject's GROUP
    BY then reads. Payments and claim to cash both read the confirmed disbursements with
    their claim, policy and enterprise: an UPDATE of 2,000 disbursements from sent to
    confirmed looks up 2,000 claims and enterprises per image once, where one pass per
    subject looked them up twice.

    An UPDATE's tally rows are written per source, and only when the statement changed a
    column that source reads (an `IF EXISTS` over the two images first): a batch moving
    2,000 claims from paying to paid recounts the claims by status and leaves the payment
    tallies, which read no claim status, alone. A row changed only in a column one subject
    of a source reads (a claim's creation time, read by claim to cash) is counted -1 and +1
    under the same keys for the others (payments), which cancel in the change log's sum.
    The functions plan with sequential scans off: the images are a few thousand rows and
    the tables they join are millions, so each joined row is found by its key, whatever
    the statistics of a table that has just grown say (a hash join over every enterprise
    per statement was most of the trigger's time)."""
    plan: dict[str, dict[str, list[tuple[str | None, list[str]]]]] = {}
    pks: dict[str, str] = {}
    for source in sources():
        model = source.specs[0].rows().model
        base = model._meta.db_table
        pks[base] = model._meta.pk.column
        for table, columns in tables_read(source.sql).items():
            pk = pks.get(table) or _pk_of(table)
            entry = plan.setdefault(table, {"INSERT": [], "UPDATE": [], "DELETE": []})
            old_rows = _changed(_OLD, _NEW, pk, columns)
            new_rows = _changed(_NEW, _OLD, pk, columns)
            entry["UPDATE"].append((_differ(pk, columns), [
                _part(source, table, old_rows, -1), _part(source, table, new_rows, 1),
            ]))  # fmt: skip
            if table == base:
                entry["INSERT"].append((None, [_part(source, table, _ALL_NEW, 1)]))
                entry["DELETE"].append((None, [_part(source, table, _ALL_OLD, -1)]))
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
