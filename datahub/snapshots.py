"""Bulk extracts: chosen facts for every enterprise at once, for batch work (matching a new
policy against the whole register, grading everyone, drawing inspections).

In the real platform departments share bulk extracts that the city's data platform keeps
in sync: each department's extract comes from the adapter its link names for bulk work
(adapters.bulk_adapter_for; the sandbox's simulated departments compute theirs with the
same vectorised simulation as their single answers, so both paths agree), and the facts
the portal keeps itself from their local providers. An extract is one table per department
(one column per fact), rebuilt from the catalogue at every refresh and swapped in whole:
readers see the old extract or the new one, never half of each. On PostgreSQL rows go in
with COPY.

A refresh that differs from the last extract finds exactly the rows that changed, in SQL
(the new table joined to the old one, before the old is dropped), and tells the apps
above the hub on commit (datahub.signals.facts_changed, cause "extract"). A change the
hub learns of one enterprise at a time (an answer, a correction, a listing, a new
enterprise) is brought into the extracts for those enterprises only (`refresh_rows`).
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
    """Rebuild one department's extract. Logged as one call with its purpose."""
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
        ids, register = load_register()
        columns = _extract_columns(department, specs, ids, register, as_of)
        with transaction.atomic():
            changed_ids, changed_facts = _replace_table(department, specs, ids, columns)
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


def _replace_table(department: str, specs: list[FactSpec], ids: np.ndarray,
                   columns: dict[str, np.ndarray]) -> tuple[list[int], list[str]]:  # fmt: skip
    """Swap the new extract in; returns the enterprises whose rows differ from the old
    extract's (new, changed or gone) and the facts that differ (none on a first extract)."""
    live, fresh = table_name(department), table_name(department) + "_new"
    quote = connection.ops.quote_name
    # SQLite would turn numeric text into floats; there, exact amounts stay text.
    exact_as_text = connection.vendor == "sqlite"
    definitions = ", ".join(
        f"{quote(column_name(spec.name))} "
        + ("text" if exact_as_text and spec.type in _EXACT else _SQL_TYPES[spec.type])
        for spec in specs
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quote(fresh)}")
        cursor.execute(
            f"CREATE TABLE {quote(fresh)} (enterprise_id bigint PRIMARY KEY, {definitions})"
        )
        text_columns = [ids.astype(str)] + [_as_text(spec, columns[spec.name]) for spec in specs]
        if connection.vendor == "postgresql":
            _copy_in(fresh, specs, text_columns)
        else:
            _insert_rows(cursor, fresh, specs, text_columns)
        changes = _changed_rows(cursor, live, fresh, specs)
        cursor.execute(f"DROP TABLE IF EXISTS {quote(live)}")
        cursor.execute(f"ALTER TABLE {quote(fresh)} RENAME TO {quote(live)}")
    return changes


def _changed_rows(cursor, live: str, fresh: str,
                  specs: list[FactSpec]) -> tuple[list[int], list[str]]:  # fmt: skip
    """Rows of `fresh` that are new or differ from `live` in a fact both extracts carry,
    and rows of `live` gone from `fresh`: two set-based statements (a join on the key and
    an anti-join), whatever the size of the register. A fact the old extract lacked is
    not a change of the enterprises' facts (nothing was known before)."""
    if live not in connection.introspection.table_names(cursor):
        return [], []
    old_columns = {column.name for column in
                   connection.introspection.get_table_description(cursor, live)}  # fmt: skip
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
    `facts`, every extract when none is named), set-based: one extraction for the ids,
    one DELETE and one insert per department. For a change learnt one enterprise at a
    time, so that a re-evaluation over the extracts sees it. Returns the departments
    refreshed."""
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
    register_ids, register = _register_of(ids_sorted)
    if not len(register_ids):
        return []
    for department, refresh in latest.items():
        names = set(refresh.fact_names)
        if wanted and not names & wanted:
            continue
        specs = [CATALOGUE[name] for name in sorted(names) if name in CATALOGUE]
        columns = _extract_columns(department, specs, register_ids, register, as_of)
        live = table_name(department)
        text_columns = [register_ids.astype(str)] + [_as_text(spec, columns[spec.name])
                                                     for spec in specs]  # fmt: skip
        with transaction.atomic(), connection.cursor() as cursor:
            for begin in range(0, len(ids_sorted), 500):
                part = ids_sorted[begin : begin + 500]
                marks = ", ".join(["%s"] * len(part))
                delete = f"DELETE FROM {quote(live)} WHERE enterprise_id IN ({marks})"  # noqa: S608
                cursor.execute(delete, part)
            if connection.vendor == "postgresql":
                _copy_in(live, specs, text_columns)
            else:
                _insert_rows(cursor, live, specs, text_columns)
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
