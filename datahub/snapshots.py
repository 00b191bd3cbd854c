"""Bulk extracts: chosen facts for every enterprise at once, for batch work (matching a new
policy against the whole register, grading everyone, drawing inspections).

In the real platform departments share bulk extracts that the city's data platform keeps
in sync: each department's extract comes from the adapter its link names for bulk work
(adapters.bulk_adapter_for; the sandbox's simulated departments compute theirs with the
same vectorised simulation as their single answers, so both paths agree), and the facts
the portal keeps itself from their local providers. An extract is one table per department
(one column per fact). A refresh is incremental and set-based: the department's new
extract goes into a staging table with COPY (qinqing.bulk), one comparison (IS DISTINCT
FROM on every fact column) finds the rows that are new or differ, and only those are
written (UPDATE … FROM, INSERT … ON CONFLICT; enterprises gone from the register are
deleted), all in one transaction: readers see the old extract or the new one, never half
of each. Exactly the enterprises whose facts changed are told to the apps above the hub
on commit (datahub.signals.send_facts_changed, cause "extract"); a change of a fact the
hub answers from a correction is no change (corrections win, and are overlaid on every
read). The first extract, or one whose facts were added or removed, is built whole and
swapped in.

A change the hub learns of one enterprise at a time (an answer, a correction, a listing, a
new enterprise) is brought into the extracts for those enterprises only (`refresh_rows`),
by the same staged comparison. A department's extract is locked (a transaction-level
advisory lock, safe behind PgBouncer in transaction mode) for the whole of a refresh and
of `refresh_rows`, so the two never interleave.
"""

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from departments.models import Department
from qinqing.bulk import copy_text
from qinqing.errors import Conflict
from qinqing.transitions import move

from . import corrections
from .adapters import ExtractRequest, bulk_adapter_for
from .catalogue import CATALOGUE, FactSpec, FactType
from .columns import EPOCH, python_value
from .models import CallOutcome, DataCall, SnapshotRefresh
from .providers import local_provider
from .signals import send_facts_changed

logger = logging.getLogger(__name__)

_SQL_TYPES = {
    FactType.MONEY: "numeric(16,2)",
    FactType.DECIMAL: "numeric(16,1)",
    FactType.INTEGER: "bigint",
    FactType.DATE: "date",
    FactType.BOOLEAN: "boolean",
    FactType.ENUM: "varchar(32)",
}
_EXACT = {FactType.MONEY, FactType.DECIMAL}


def table_name(department: str) -> str:
    return f"datahub_extract_{department}"


def column_name(fact: str) -> str:
    return fact.replace(".", "__")


def department_facts(department: str) -> list[FactSpec]:
    """The facts in a department's extract: those a local provider extracts from the
    portal's own tables (providers.py), and the others when the department's adapter
    offers bulk extracts."""
    bulk = bulk_adapter_for(department) is not None
    chosen = []
    for name in sorted(CATALOGUE):
        spec = CATALOGUE[name]
        if spec.department != department:
            continue
        provider = local_provider(spec.interface)
        if (provider.extract is not None) if provider is not None else bulk:
            chosen.append(spec)
    return chosen


def extract_departments() -> list[str]:
    """Departments with a bulk extract to refresh."""
    codes = sorted({spec.department for spec in CATALOGUE.values()})
    return [code for code in codes if department_facts(code)]


def _extract_columns(department: str, specs: list[FactSpec], ids: np.ndarray,
                     register: list[tuple], as_of: date) -> dict[str, np.ndarray]:  # fmt: skip
    """A local provider's facts from its own tables; the others from the department's
    bulk adapter."""
    columns: dict[str, np.ndarray] = {}
    remote = [spec.name for spec in specs if local_provider(spec.interface) is None]
    if remote:
        adapter = bulk_adapter_for(department)
        if adapter is None:
            raise ValueError(f"department {department!r} offers no bulk extract")
        columns.update(adapter.extract(ExtractRequest(
            department=department, fact_names=remote, as_of=as_of, enterprise_ids=ids,
            register=register,
        )))  # fmt: skip
        missing = set(remote) - set(columns)
        if missing:
            raise ValueError(f"the {department} extract lacks {', '.join(sorted(missing))}")
    by_interface: dict[str, list[str]] = {}
    for spec in specs:
        if local_provider(spec.interface) is not None:
            by_interface.setdefault(spec.interface, []).append(spec.name)
    for interface, names in by_interface.items():
        extract = local_provider(interface).extract
        columns.update(extract(ids, names, as_of))
    return columns


def load_register() -> tuple[np.ndarray, list[tuple]]:
    """Every enterprise's id and register entry (adapters.RegisterEntry's order), read in
    one pass."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, uscc, size_class, registered_capital, established_on, "
            "industry_division, industry_section FROM enterprises_enterprise ORDER BY id"
        )
        rows = cursor.fetchall()
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    register = [(row[1], row[2], row[3], _as_date(row[4]), row[5], row[6]) for row in rows]
    return ids, register


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def refresh_extract(
    department: str, *, purpose: str, requested_by: Any = None, as_of: date | None = None
) -> SnapshotRefresh:
    """Bring one department's extract up to date with the department's new one. Logged as
    one call with its purpose; exactly the enterprises whose facts changed are signalled
    on commit."""
    if not purpose.strip():
        raise ValueError("a purpose is required to read department data")
    specs = department_facts(department)
    if not specs:
        raise ValueError(f"no bulk extract for department {department!r}")
    as_of = as_of or timezone.localdate()
    department_row = Department.objects.get(code=department)
    started_at, started = timezone.now(), time.perf_counter()
    refresh = SnapshotRefresh.objects.create(
        department=department_row, fact_names=[spec.name for spec in specs], as_of=as_of,
        status=SnapshotRefresh.Status.RUNNING, started_at=started_at, purpose=purpose[:200],
    )  # fmt: skip
    try:
        # One transaction, the department's extract locked throughout (against refresh_rows
        # and another refresh): readers see the old extract or the new one, and nothing
        # learnt one enterprise at a time while the department's extract was read is lost.
        with transaction.atomic():
            _lock_extract(department_row.pk)
            ids, register = load_register()
            columns = _extract_columns(department, specs, ids, register, as_of)
            changed_ids, changed_facts = _apply_extract(department, specs, ids, columns,
                                                        as_of, whole=True)  # fmt: skip
    except Exception as error:
        with transaction.atomic():
            move(refresh, SnapshotRefresh.Status.FAILED, finished_at=timezone.now(),
                 detail=f"{type(error).__name__}: {error}"[:300])  # fmt: skip
        raise
    seconds = time.perf_counter() - started
    with transaction.atomic():
        move(refresh, SnapshotRefresh.Status.DONE, rows=len(ids), finished_at=timezone.now(),
             seconds=round(seconds, 3))  # fmt: skip
    is_user = requested_by is not None and getattr(requested_by, "is_authenticated", False)
    DataCall.objects.create(
        department=department_row, interface=f"{specs[0].interface} (bulk extract)",
        enterprise=None, fact_names=refresh.fact_names, purpose=purpose[:200],
        requested_by=requested_by if is_user else None,
        requested_by_label=requested_by.get_username() if is_user else "system",
        transport="extract", started_at=started_at, latency_ms=round(seconds * 1000, 1),
        outcome=CallOutcome.OK, rows=len(ids),
    )  # fmt: skip
    refresh.refresh_from_db()
    if changed_ids:
        transaction.on_commit(lambda: send_facts_changed(changed_ids, changed_facts, "extract"))
    return refresh


# The class half of the advisory lock's key; the department's primary key is the other.
_LOCK_CLASS = 0x44480001


def _lock_extract(department_pk: int) -> None:
    """Hold the department's extract until the transaction ends: a full refresh and
    `refresh_rows` wait for each other. A transaction-level advisory lock (PostgreSQL):
    released at commit or rollback, so it is safe behind PgBouncer in transaction mode.
    SQLite takes one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, department_pk])


def _apply_extract(department: str, specs: list[FactSpec], ids: np.ndarray,
                   columns: dict[str, np.ndarray], as_of: date,
                   *, whole: bool) -> tuple[list[int], list[str]]:  # fmt: skip
    """In the caller's transaction (the extract locked): bring the extract table to these
    rows. The new rows go into a staging table (COPY on PostgreSQL, qinqing.bulk); one
    comparison (IS DISTINCT FROM on every fact column) finds the rows that are new or
    differ; only those are written (UPDATE … FROM, INSERT … ON CONFLICT); `whole` (the
    department's full extract) also removes the enterprises gone from the register.
    Returns the enterprises whose facts changed and the facts that did; a first extract,
    or one whose facts changed layout, is built whole (no change is known then)."""
    live = table_name(department)
    text_columns = [ids.astype(str)] + [_as_text(spec, columns[spec.name]) for spec in specs]
    with connection.cursor() as cursor:
        layout = _layout(cursor, live)
        wanted = ["enterprise_id", *(column_name(spec.name) for spec in specs)]
        if layout != wanted:
            if not whole:  # rows of an extract that is not (yet) built with these facts
                return [], []
            return _replace_table(department, specs, text_columns, layout is not None)
        stage = _stage(cursor, live, specs, text_columns)
        changes = _merge(cursor, live, stage, specs, whole=whole)
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(stage)}")
    return _without_corrected(changes, specs, as_of)


def _layout(cursor, table: str) -> list[str] | None:
    """The table's columns in order, or None when it does not exist."""
    if table not in connection.introspection.table_names(cursor):
        return None
    return [column.name for column in connection.introspection.get_table_description(cursor, table)]


def _definitions(specs: list[FactSpec]) -> str:
    quote = connection.ops.quote_name
    # SQLite would turn numeric text into floats; there, exact amounts stay text.
    exact_as_text = connection.vendor == "sqlite"
    return ", ".join(
        f"{quote(column_name(spec.name))} "
        + ("text" if exact_as_text and spec.type in _EXACT else _SQL_TYPES[spec.type])
        for spec in specs
    )


def _fill(cursor, table: str, specs: list[FactSpec], text_columns: list[np.ndarray]) -> None:
    if connection.vendor == "postgresql":
        _copy_in(table, specs, text_columns)
    else:
        _insert_rows(cursor, table, specs, text_columns)


def _stage(cursor, live: str, specs: list[FactSpec], text_columns: list[np.ndarray]) -> str:
    """A temporary table shaped like the extract (no key, no index: nothing to maintain
    while a million rows go in), filled with the new rows."""
    stage = f"{live}_stage"
    quote = connection.ops.quote_name
    cursor.execute(f"DROP TABLE IF EXISTS {quote(stage)}")
    if connection.vendor == "postgresql":
        cursor.execute(f"CREATE TEMPORARY TABLE {quote(stage)} (LIKE {quote(live)}) ON COMMIT DROP")
    else:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {quote(stage)} (enterprise_id bigint, {_definitions(specs)})"
        )
    _fill(cursor, stage, specs, text_columns)
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {quote(stage)}")  # the join's plan needs its size
    return stage


def _merge(cursor, live: str, stage: str, specs: list[FactSpec],
           *, whole: bool) -> list[tuple]:  # fmt: skip
    """Rows of `stage` new to `live` or differing from it in a fact: found in one join and
    kept in a temporary table with a flag per fact; `live` then gets exactly those rows.
    Returns (enterprise_id, new?, flag per fact) for each, and (id, True, all True) for
    each enterprise gone from `live` when `whole`."""
    quote = connection.ops.quote_name
    names = [quote(column_name(spec.name)) for spec in specs]
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    tests = [f"s.{name} {distinct} o.{name}" for name in names]
    flags = ", ".join(f"{test} AS {quote(f'changed_{index}')}" for index, test in enumerate(tests))
    diff = f"{live}_diff"
    temporary = "TEMPORARY TABLE {} ON COMMIT DROP" if connection.vendor == "postgresql" else (
        "TEMPORARY TABLE {}")  # fmt: skip
    cursor.execute(f"DROP TABLE IF EXISTS {quote(diff)}")
    # Table and column names come from the catalogue, never from a request.
    cursor.execute(
        f"CREATE {temporary.format(quote(diff))} AS "  # noqa: S608
        f"SELECT s.*, o.enterprise_id IS NULL AS added, {flags} "
        f"FROM {quote(stage)} s LEFT JOIN {quote(live)} o ON o.enterprise_id = s.enterprise_id "
        f"WHERE o.enterprise_id IS NULL OR {' OR '.join(tests)}"
    )
    cursor.execute(
        f"UPDATE {quote(live)} SET "  # noqa: S608
        + ", ".join(f"{name} = d.{name}" for name in names)
        + f" FROM {quote(diff)} d WHERE {quote(live)}.enterprise_id = d.enterprise_id "
        "AND NOT d.added"
    )
    columns = ", ".join(["enterprise_id", *names])
    cursor.execute(
        f"INSERT INTO {quote(live)} ({columns}) SELECT {columns} FROM {quote(diff)} "  # noqa: S608
        "WHERE added ON CONFLICT (enterprise_id) DO NOTHING"
    )
    flag_names = ", ".join(quote(f"changed_{index}") for index in range(len(specs)))
    cursor.execute(f"SELECT enterprise_id, added, {flag_names} FROM {quote(diff)}")  # noqa: S608
    rows = cursor.fetchall()
    cursor.execute(f"DROP TABLE {quote(diff)}")
    if whole:
        cursor.execute(
            f"DELETE FROM {quote(live)} WHERE NOT EXISTS (SELECT 1 FROM {quote(stage)} s "  # noqa: S608
            f"WHERE s.enterprise_id = {quote(live)}.enterprise_id) RETURNING enterprise_id"
        )
        everything = (True,) * len(specs)
        rows += [(pk, True, *everything) for (pk,) in cursor.fetchall()]
    return rows


def _without_corrected(rows: list[tuple], specs: list[FactSpec],
                       as_of: date) -> tuple[list[int], list[str]]:  # fmt: skip
    """The enterprises and facts that changed, leaving out a change of a fact the hub
    answers from a correction (corrections win over the extract: that fact did not
    change for anyone reading it)."""
    if not rows:
        return [], []
    corrected = corrections.latest([int(row[0]) for row in rows], specs, as_of)
    ids: set[int] = set()
    facts: set[str] = set()
    for row in rows:
        enterprise_id = int(row[0])
        names = {spec.name for spec, flag in zip(specs, row[2:], strict=True)
                 if flag and (enterprise_id, spec.name) not in corrected}  # fmt: skip
        if names:
            ids.add(enterprise_id)
            facts |= names
    return sorted(ids), sorted(facts)


def _replace_table(department: str, specs: list[FactSpec], text_columns: list[np.ndarray],
                   existed: bool) -> tuple[list[int], list[str]]:  # fmt: skip
    """The extract built whole (the first one, or facts added or removed), swapped in at
    the end of the caller's transaction. Against an earlier extract, the enterprises that
    are new or gone and those differing in a fact both carry are returned as changed; a
    fact the old extract lacked is not a change (nothing was known before)."""
    live, fresh = table_name(department), table_name(department) + "_new"
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quote(fresh)}")
        cursor.execute(
            f"CREATE TABLE {quote(fresh)} (enterprise_id bigint PRIMARY KEY, {_definitions(specs)})"
        )
        _fill(cursor, fresh, specs, text_columns)
        changes = _changed_rows(cursor, live, fresh, specs) if existed else ([], [])
        cursor.execute(f"DROP TABLE IF EXISTS {quote(live)}")
        cursor.execute(f"ALTER TABLE {quote(fresh)} RENAME TO {quote(live)}")
    return changes


def _changed_rows(cursor, live: str, fresh: str,
                  specs: list[FactSpec]) -> tuple[list[int], list[str]]:  # fmt: skip
    """Rows of `fresh` that are new or differ from `live` in a fact both extracts carry,
    and rows of `live` gone from `fresh`: two set-based statements (a join on the key and
    an anti-join)."""
    old_columns = set(_layout(cursor, live) or ())
    common = [spec for spec in specs if column_name(spec.name) in old_columns]
    quote = connection.ops.quote_name
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    tests = [f"n.{quote(column_name(spec.name))} {distinct} o.{quote(column_name(spec.name))}"
             for spec in common]  # fmt: skip
    flags = "".join(f", {test}" for test in tests)
    differs = " OR ".join(["o.enterprise_id IS NULL", *tests])
    # Table and column names come from the catalogue, never from a request.
    cursor.execute(
        f"SELECT n.enterprise_id{flags} FROM {quote(fresh)} n LEFT JOIN {quote(live)} o "  # noqa: S608
        f"ON o.enterprise_id = n.enterprise_id WHERE {differs}"
    )
    rows = cursor.fetchall()
    cursor.execute(
        f"SELECT o.enterprise_id FROM {quote(live)} o WHERE NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {quote(fresh)} n WHERE n.enterprise_id = o.enterprise_id)"
    )
    gone = [row[0] for row in cursor.fetchall()]
    changed = {spec.name for row in rows for spec, flag in zip(common, row[1:], strict=True)
               if flag}  # fmt: skip
    if gone:
        changed |= {spec.name for spec in common}
    return sorted({int(row[0]) for row in rows} | {int(pk) for pk in gone}), sorted(changed)


def refresh_rows(
    enterprise_ids: list[int], facts: Iterable[str] = (), as_of: date | None = None
) -> list[str]:
    """Bring these enterprises' rows of the extracts up to date (those carrying any of
    `facts`, every extract when none is named), set-based and incremental as a full
    refresh is: their new rows staged, compared, and only those that differ written; the
    rows of enterprises no longer in the register removed. Each department's extract is
    locked against a full refresh meanwhile. For a change learnt one enterprise at a time
    (the re-evaluation it feeds was already told, so nothing is signalled here). Returns
    the departments refreshed."""
    if not enterprise_ids:
        return []
    wanted = set(facts)
    as_of = as_of or timezone.localdate()
    latest = {
        refresh.department.code: refresh
        for refresh in SnapshotRefresh.objects.filter(status=SnapshotRefresh.Status.DONE)
        .select_related("department")
        .order_by("started_at")
    }
    ids_sorted = sorted({int(pk) for pk in enterprise_ids})
    quote = connection.ops.quote_name
    done: list[str] = []
    for department, refresh in latest.items():
        names = set(refresh.fact_names)
        if wanted and not names & wanted:
            continue
        specs = [CATALOGUE[name] for name in sorted(names) if name in CATALOGUE]
        with transaction.atomic():
            _lock_extract(refresh.department.pk)
            register_ids, register = _register_of(ids_sorted)
            if len(register_ids):
                columns = _extract_columns(department, specs, register_ids, register, as_of)
                _apply_extract(department, specs, register_ids, columns, as_of, whole=False)
            gone = sorted(set(ids_sorted) - set(register_ids.tolist()))
            with connection.cursor() as cursor:
                for begin in range(0, len(gone), 500):
                    part = gone[begin : begin + 500]
                    marks = ", ".join(["%s"] * len(part))
                    cursor.execute(
                        f"DELETE FROM {quote(table_name(department))} "  # noqa: S608
                        f"WHERE enterprise_id IN ({marks})", part,
                    )  # fmt: skip
        done.append(department)
    return done


def _register_of(enterprise_ids: list[int]) -> tuple[np.ndarray, list[tuple]]:
    """load_register() for some enterprises only."""
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for begin in range(0, len(enterprise_ids), 500):
            part = enterprise_ids[begin : begin + 500]
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(
                "SELECT id, uscc, size_class, registered_capital, established_on, "  # noqa: S608
                "industry_division, industry_section FROM enterprises_enterprise "
                f"WHERE id IN ({marks}) ORDER BY id", part,
            )  # fmt: skip
            rows += cursor.fetchall()
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    return ids, [(row[1], row[2], row[3], _as_date(row[4]), row[5], row[6]) for row in rows]


def _as_text(spec: FactSpec, column: np.ndarray) -> np.ndarray:
    """Exact text for COPY: money from fen, quantities from tenths, dates from days."""
    if spec.type is FactType.MONEY:
        return np.char.add(np.char.add((column // 100).astype(str), "."),
                           np.char.zfill((column % 100).astype(str), 2))  # fmt: skip
    if spec.type is FactType.DECIMAL:
        return np.char.add(np.char.add((column // 10).astype(str), "."), (column % 10).astype(str))
    if spec.type is FactType.DATE:
        return column.astype("datetime64[D]").astype(str)
    if spec.type is FactType.BOOLEAN:
        return np.where(column, "t", "f")
    return column.astype(str)


def _copy_in(table: str, specs: list[FactSpec], text_columns: list[np.ndarray]) -> None:
    """Join the text columns into COPY lines, then one COPY (qinqing.bulk). Joined row by
    row in Python: numpy's char.add copies every growing fixed-width string once per
    column, which cost seconds per hundred thousand rows."""
    rows = zip(*(column.tolist() for column in text_columns), strict=True)
    names = ["enterprise_id", *(column_name(spec.name) for spec in specs)]
    copy_text(table, names, "\n".join(map("\t".join, rows)) + "\n")


def _insert_rows(cursor, table: str, specs: list[FactSpec],
                 text_columns: list[np.ndarray]) -> None:  # fmt: skip
    names = ", ".join(["enterprise_id", *(column_name(spec.name) for spec in specs)])
    marks = ", ".join(["%s"] * (len(specs) + 1))
    rows = list(zip(*(column.tolist() for column in text_columns), strict=True))
    sqlite_rows = [
        (int(row[0]), *(_sqlite_value(spec, value) for spec, value in zip(specs, row[1:],
                                                                          strict=True)))
        for row in rows
    ]  # fmt: skip
    # Table and column names come from the catalogue, never from a request.
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", sqlite_rows)  # noqa: S608


def _sqlite_value(spec: FactSpec, text: str) -> Any:
    if spec.type is FactType.BOOLEAN:
        return text == "t"
    if spec.type is FactType.INTEGER:
        return int(text)
    return text


@dataclass
class Snapshot:
    """Chosen facts for many enterprises: numpy columns aligned on enterprise_ids.

    Money is in fen (int64), quantities in tenths, dates in days since 1970 (the hub's
    units, datahub.columns), so batch rules compare exact integers.
    """

    enterprise_ids: np.ndarray
    columns: dict[str, np.ndarray]
    refreshed_at: dict[str, datetime] = field(default_factory=dict)
    # False where an enterprise is missing from a department's extract: unknown, not zero.
    known: dict[str, np.ndarray] = field(default_factory=dict)
    as_of: date | None = None  # the oldest extract's date

    def value(self, enterprise_id: int, fact: str):
        """One typed value (Decimal, int, date, bool, str), as fetch_facts would give it."""
        rows = np.flatnonzero(self.enterprise_ids == enterprise_id)
        if not len(rows):
            raise KeyError(enterprise_id)
        return python_value(CATALOGUE[fact], self.columns[fact], int(rows[0]))


class SnapshotMissing(Conflict, LookupError):
    """A fact's extract has not been made yet: refresh it first (409 where it reaches a
    user: not their input, the department data is not there yet)."""

    code = "snapshot_missing"


def read_snapshot(
    fact_names: Iterable[str], enterprise_ids: Iterable[int] | None = None
) -> Snapshot:
    """The latest extracts' columns for these facts; for every enterprise in them, or for
    `enterprise_ids` only (those missing from an extract unknown for its facts)."""
    subset = None if enterprise_ids is None else sorted({int(pk) for pk in enterprise_ids})
    names = list(dict.fromkeys(fact_names))
    by_department: dict[str, list[FactSpec]] = {}
    for name in names:
        spec = CATALOGUE[name]
        by_department.setdefault(spec.department, []).append(spec)
    latest = {
        refresh.department.code: refresh
        for refresh in SnapshotRefresh.objects.filter(
            status=SnapshotRefresh.Status.DONE, department__code__in=by_department
        )
        .select_related("department")
        .order_by("started_at")
    }
    quote = connection.ops.quote_name
    per_department: list[tuple[list[FactSpec], np.ndarray, list[tuple]]] = []
    for department, specs in by_department.items():
        if department not in latest or not {s.name for s in specs} <= set(
            latest[department].fact_names
        ):
            raise SnapshotMissing(
                f"no extract of {department} with {', '.join(s.name for s in specs)}"
            )
        selected = ", ".join(quote(column_name(spec.name)) for spec in specs)
        with connection.cursor() as cursor:
            if subset is None:
                cursor.execute(
                    f"SELECT enterprise_id, {selected} FROM {quote(table_name(department))} "  # noqa: S608
                    "ORDER BY enterprise_id"
                )
                rows = cursor.fetchall()
            else:
                rows = []
                for begin in range(0, len(subset), 1000):
                    part = subset[begin : begin + 1000]
                    marks = ", ".join(["%s"] * len(part))
                    cursor.execute(
                        f"SELECT enterprise_id, {selected} FROM {quote(table_name(department))} "  # noqa: S608
                        f"WHERE enterprise_id IN ({marks}) ORDER BY enterprise_id", part,
                    )  # fmt: skip
                    rows += cursor.fetchall()
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        per_department.append((specs, ids, rows))
    if subset is not None:
        all_ids = np.array(subset, dtype=np.int64)
    else:
        all_ids = (np.unique(np.concatenate([ids for _, ids, _ in per_department]))
                   if per_department else np.array([], dtype=np.int64))  # fmt: skip
    columns: dict[str, np.ndarray] = {}
    known: dict[str, np.ndarray] = {}
    for specs, ids, rows in per_department:
        # Extracts refreshed at different times may differ by a few enterprises: those
        # missing from one are unknown for its facts, never dropped and never zero.
        positions = np.searchsorted(all_ids, ids)
        present = np.zeros(len(all_ids), dtype=bool)
        present[positions] = True
        for index, spec in enumerate(specs, start=1):
            values = _from_sql(spec, [row[index] for row in rows])
            column = np.zeros(len(all_ids), dtype=values.dtype)
            column[positions] = values
            columns[spec.name] = column
            known[spec.name] = present
    snapshot = Snapshot(
        enterprise_ids=all_ids,
        columns=columns,
        refreshed_at={code: refresh.finished_at for code, refresh in latest.items()},
        known=known,
        as_of=min((refresh.as_of for refresh in latest.values()), default=None),
    )
    _overlay_corrections(snapshot, [spec for specs, _i, _r in per_department for spec in specs])
    return snapshot


def _overlay_corrections(snapshot: Snapshot, specs: list[FactSpec]) -> None:
    """Values corrected on a dispute win over the extract's (datahub.corrections)."""
    if not len(snapshot.enterprise_ids):
        return
    found = corrections.latest_of_all(specs, snapshot.as_of or timezone.localdate())
    for (enterprise_id, name), correction in found.items():
        row = np.searchsorted(snapshot.enterprise_ids, enterprise_id)
        if row >= len(snapshot.enterprise_ids) or snapshot.enterprise_ids[row] != enterprise_id:
            continue
        spec = CATALOGUE[name]
        snapshot.columns[name][row] = _from_sql(spec, [correction.value])[0]
        known = snapshot.known[name] = snapshot.known[name].copy()
        known[row] = True


def _from_sql(spec: FactSpec, values: list) -> np.ndarray:
    # PostgreSQL gives Decimal, SQLite the exact text it was given: never a float.
    if spec.type is FactType.MONEY:
        return np.array([int(Decimal(str(v)) * 100) for v in values], dtype=np.int64)
    if spec.type is FactType.DECIMAL:
        return np.array([int(Decimal(str(v)) * 10) for v in values], dtype=np.int64)
    if spec.type is FactType.DATE:
        return np.array([(_as_date(v) - EPOCH).days for v in values], dtype=np.int64)
    if spec.type is FactType.BOOLEAN:
        return np.array([bool(v) for v in values], dtype=bool)
    if spec.type is FactType.INTEGER:
        return np.array(values, dtype=np.int64)
    return np.array(values, dtype="<U32")
