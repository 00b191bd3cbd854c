"""Monthly partitions of the append-only logs on PostgreSQL (issue #25, docs/scaling.md).

The data-access log, the audit trail and the outbox grow without bound: at province scale
hundreds of millions of rows a year. On PostgreSQL each is a declaratively partitioned
table, by month of its time column: a query bounded in time reads only its months, and a
month past its retention is dropped whole (DROP TABLE of one partition, no DELETE, no
bloat). SQLite keeps plain tables; everything here is then a no-op.

- `partition_by_month` turns a plain table into a partitioned one (run by each table's
  migration), moving its rows. The primary key becomes (id, time): PostgreSQL requires the
  partition key in every unique constraint.
- `maintain` (beat, daily: qinqing.tasks.maintain_partitions) creates the coming months'
  partitions ahead and drops the months past PARTITION_RETENTION_MONTHS. Rows outside
  every month land in a DEFAULT partition; creating their month later moves them out.
- Retention is per table and off unless configured; the audit trail is only ever dropped
  when configured explicitly, the ledger and every other table never (only tables listed
  here are touched).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

# Every SQL name below is built from these constants and dates, never from input (S608).

# table -> its time column. Only these tables are ever partitioned, created or dropped.
MONTHLY_TABLES = {
    "datahub_datacall": "started_at",
    "audit_auditevent": "occurred_at",
    "events_outboxevent": "occurred_at",
}
MONTHS_AHEAD = 3
# The audit trail's append-only trigger (qinqing/audit/migrations/0002): moving rows out
# of the DEFAULT partition deletes them there, so it is lifted for that move only.
APPEND_ONLY_TRIGGERS = {"audit_auditevent": "audit_event_no_update"}


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def _bound(month: dt.date) -> str:
    return f"'{month:%Y-%m-%d} 00:00:00+00'"


def is_partitioned(cursor, table: str) -> bool:
    cursor.execute(
        "select exists(select 1 from pg_partitioned_table p join pg_class c on c.oid = p.partrelid"
        " where c.relname = %s and c.relnamespace = 'public'::regnamespace)",
        [table],
    )
    return cursor.fetchone()[0]


def existing_partitions(cursor, table: str) -> list[str]:
    cursor.execute(
        "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid"
        " join pg_class p on p.oid = i.inhparent where p.relname = %s order by 1",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def create_month(cursor, table: str, month: dt.date) -> bool:
    """The partition of `month`, moving any of its rows out of the DEFAULT partition.
    False when it exists already."""
    name = partition_name(table, month)
    if name in existing_partitions(cursor, table):
        return False
    key = MONTHLY_TABLES[table]
    low, high = _bound(month), _bound(add_months(month, 1))
    default = f"{table}_default"
    cursor.execute(
        f"select exists(select 1 from {default} where {key} >= {low} and {key} < {high})"  # noqa: S608
    )
    if not cursor.fetchone()[0]:
        cursor.execute(
            f"create table {name} partition of {table} for values from ({low}) to ({high})"
        )
        return True
    # Rows of this month sit in DEFAULT: move them into a table of their own, attach it.
    trigger = APPEND_ONLY_TRIGGERS.get(table)
    cursor.execute(f"create table {name} (like {table} including defaults including constraints)")
    if trigger:
        cursor.execute(f"alter table {default} disable trigger {trigger}")
    cursor.execute(
        f"with moved as (delete from {default} where {key} >= {low} and {key} < {high}"  # noqa: S608
        f" returning *) insert into {name} select * from moved"
    )
    if trigger:
        cursor.execute(f"alter table {default} enable trigger {trigger}")
    cursor.execute(
        f"alter table {table} attach partition {name} for values from ({low}) to ({high})"
    )
    return True


def partition_by_month(schema_editor, table: str) -> None:
    """Migration step: `table` becomes partitioned by month of its time column, its rows
    moved, its indexes, checks, foreign keys and sequence kept. PostgreSQL only."""
    if schema_editor.connection.vendor != "postgresql":
        return
    key = MONTHLY_TABLES[table]
    old = f"{table}_unpartitioned"
    with schema_editor.connection.cursor() as cursor:
        if is_partitioned(cursor, table):
            return
        cursor.execute(
            "select i.relname, pg_get_indexdef(x.indexrelid) from pg_index x"
            " join pg_class i on i.oid = x.indexrelid where x.indrelid = %s::regclass"
            " and not x.indisprimary",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "select conname, pg_get_constraintdef(oid) from pg_constraint"
            " where conrelid = %s::regclass and contype = 'f'",
            [table],
        )
        foreign_keys = cursor.fetchall()
        # A foreign key must reference a unique key, and a partitioned table's keys include
        # its time column: references to the log by id alone lose their database
        # constraint (the ORM's on_delete stays; integrations' deliveries -> outbox).
        cursor.execute(
            "select conrelid::regclass::text, conname from pg_constraint"
            " where confrelid = %s::regclass and contype = 'f'",
            [table],
        )
        for referencing, name in cursor.fetchall():
            cursor.execute(f'alter table {referencing} drop constraint "{name}"')
        cursor.execute(f"select min({key}), max({key}) from {table}")  # noqa: S608
        first, last = cursor.fetchone()
        cursor.execute(f"alter table {table} rename to {old}")
        cursor.execute(f"alter table {old} rename constraint {table}_pkey to {old}_pkey")
        for name, _definition in indexes:
            cursor.execute(f'drop index "{name}"')
        for name, _definition in foreign_keys:
            cursor.execute(f'alter table {old} drop constraint "{name}"')
        cursor.execute(
            f"create table {table} (like {old} including defaults including constraints"
            f" including storage) partition by range ({key})"
        )
        # PostgreSQL 15 has no identity columns on partitioned tables: a sequence it owns.
        cursor.execute(f"create sequence {table}_id_part_seq owned by {table}.id")
        cursor.execute(
            f"alter table {table} alter column id set default nextval('{table}_id_part_seq')"
        )
        cursor.execute(f"alter table {table} add primary key (id, {key})")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f'alter table {table} add constraint "{name}" {definition}')
        cursor.execute(f"create table {table}_default partition of {table} default")
        today = month_start(timezone.now().date())
        month = month_start(first.date()) if first else today
        end = max(add_months(today, MONTHS_AHEAD), month_start(last.date()) if last else today)
        while month <= end:
            create_month(cursor, table, month)
            month = add_months(month, 1)
        cursor.execute(f"insert into {table} select * from {old}")  # noqa: S608
        cursor.execute(
            f"select setval('{table}_id_part_seq', coalesce((select max(id) from {old}), 0) + 1,"  # noqa: S608
            " false)"
        )
        cursor.execute(f"drop table {old}")
        cursor.execute(f"alter sequence {table}_id_part_seq rename to {table}_id_seq")


def retention_months(table: str) -> int | None:
    return getattr(settings, "PARTITION_RETENTION_MONTHS", {}).get(table)


def _droppable(cursor, table: str, name: str) -> bool:
    if table != "events_outboxevent":
        return True
    # An outbox month goes only once every event in it has been dispatched.
    cursor.execute(f"select not exists(select 1 from {name} where dispatched_at is null)")  # noqa: S608
    return cursor.fetchone()[0]


def maintain(today: dt.date | None = None) -> dict[str, list[str]]:
    """Create the next MONTHS_AHEAD months' partitions; drop the months past retention.
    Returns what was created and dropped."""
    done: dict[str, list[str]] = {"created": [], "dropped": []}
    if connection.vendor != "postgresql":
        return done
    this_month = month_start(today or timezone.now().date())
    for table in MONTHLY_TABLES:
        with transaction.atomic(), connection.cursor() as cursor:
            if not is_partitioned(cursor, table):
                continue
            for ahead in range(MONTHS_AHEAD + 1):
                month = add_months(this_month, ahead)
                if create_month(cursor, table, month):
                    done["created"].append(partition_name(table, month))
            months = retention_months(table)
            if months is None:
                continue
            oldest_kept = partition_name(table, add_months(this_month, -months))
            for name in existing_partitions(cursor, table):
                if name.endswith("_default") or name >= oldest_kept:
                    continue
                if _droppable(cursor, table, name):
                    cursor.execute(f"drop table {name}")
                    done["dropped"].append(name)
    return done
