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

Persons (issue #26) have extracts of their own, made by the same machinery with another
subject (`PERSONS`): one table per department keyed by the person's id, the facts of
PERSON_CATALOGUE that the department's person providers extract in bulk (asked by
identity number, opened here from the register's sealed copies and never written
anywhere), for every person in the register. `read_person_snapshot` aligns them with the
employer's enterprise facts (person.hrss.employer_uscc → the enterprise's id). The same
rules hold for them: a person's fact corrected on a dispute is overlaid on every read
(datahub.corrections, before the employer is looked up, so a corrected employer counts),
a refresh signals exactly the persons whose facts changed (facts_changed with
`person_ids`, a corrected fact's change left out), and `refresh_rows(…, subject=PERSONS)`
brings some persons' rows up to date (a person newly registered, a changed answer).
"""

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from departments.models import Department
from enterprises.models import Enterprise
from enterprises.persons.models import Person
from enterprises.persons.protection import unseal_many
from qinqing.bulk import copy_text
from qinqing.errors import Conflict
from qinqing.transitions import move

from . import corrections
from .adapters import ExtractRequest, bulk_adapter_for
from .catalogue import (
    CATALOGUE,
    PERSON_CATALOGUE,
    FactSpec,
    FactType,
    person_specs_for,
    specs_for,
)
from .columns import EPOCH, python_value
from .models import CallOutcome, DataCall, SnapshotRefresh, Subject
from .providers import PERSON_PROVIDERS, local_provider
from .signals import send_facts_changed

logger = logging.getLogger(__name__)

_SQL_TYPES = {
    FactType.MONEY: "numeric(16,2)",
    FactType.DECIMAL: "numeric(16,1)",
    FactType.INTEGER: "bigint",
    FactType.DATE: "date",
    FactType.BOOLEAN: "boolean",
    FactType.ENUM: "varchar(32)",
    FactType.TEXT: "varchar(64)",
}
_EXACT = {FactType.MONEY, FactType.DECIMAL}
_EMPTY_DTYPES = {FactType.BOOLEAN: bool, FactType.INTEGER: np.int64, FactType.MONEY: np.int64,
                 FactType.DECIMAL: np.int64, FactType.DATE: np.int64}  # fmt: skip


def column_name(fact: str) -> str:
    return fact.replace(".", "__")


# --- Whom an extract describes -------------------------------------------------------------


@dataclass(frozen=True)
class ExtractSubject:
    """What differs between the enterprises' extracts and the persons': the catalogue, the
    key column, the tables' names, how the register is read and how a department's columns
    are made. Everything else (staging, comparison, merge, lock, log) is shared."""

    code: str  # models.Subject
    catalogue: dict[str, FactSpec]
    key: str  # the key column of the extract tables
    prefix: str  # the extract tables' names: prefix + department code
    lock_class: int  # the class half of the advisory lock's key
    # Every department whose facts this subject's extracts carry, and those facts.
    facts: Callable[[str], list[FactSpec]]
    # (ids or None for all) -> (ids ascending, what the department is asked by, per id).
    register: Callable[[list[int] | None], tuple[np.ndarray, list]]
    # (department, specs, ids, register, as_of) -> one column per fact aligned with ids.
    columns: Callable[..., dict[str, np.ndarray]]

    def table(self, department: str) -> str:
        return f"{self.prefix}{department}"

    def departments(self) -> list[str]:
        codes = sorted({spec.department for spec in self.catalogue.values()})
        return [code for code in codes if self.facts(code)]


def _enterprise_facts(department: str) -> list[FactSpec]:
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


_REGISTER_SQL = (
    "SELECT id, uscc, size_class, registered_capital, established_on, "
    "industry_division, industry_section FROM enterprises_enterprise"
)


def _enterprise_register(enterprise_ids: list[int] | None) -> tuple[np.ndarray, list[tuple]]:
    """Enterprises' ids and register entries (adapters.RegisterEntry's order), ascending:
    every enterprise in one pass, or those named."""
    rows = _select_by_ids(_REGISTER_SQL, enterprise_ids)
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    return ids, [(row[1], row[2], row[3], _as_date(row[4]), row[5], row[6]) for row in rows]


def _select_by_ids(select: str, ids: list[int] | None, key: str = "id") -> list[tuple]:
    """`select` (no WHERE) for every row, or for the rows whose `key` is in `ids` (in
    pieces of 500), ordered by `key`."""
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute(f"{select} ORDER BY {key}")
            return cursor.fetchall()
        rows: list[tuple] = []
        for begin in range(0, len(ids), 500):
            part = ids[begin : begin + 500]
            marks = ", ".join(["%s"] * len(part))
            # The statement and key are this module's own, never from a request.
            cursor.execute(f"{select} WHERE {key} IN ({marks}) ORDER BY {key}", part)
            rows += cursor.fetchall()
        return sorted(rows, key=lambda row: row[0])


def _person_facts(department: str) -> list[FactSpec]:
    """A department's person facts that its person providers extract in bulk."""
    chosen = []
    for name in sorted(PERSON_CATALOGUE):
        spec = PERSON_CATALOGUE[name]
        provider = PERSON_PROVIDERS.get(spec.interface)
        if spec.department == department and provider is not None and provider.extract:
            chosen.append(spec)
    return chosen


def _person_register(person_ids: list[int] | None) -> tuple[np.ndarray, list[str]]:
    """Persons' ids and identity numbers, ascending: the numbers opened from the register's
    sealed copies for the departments' extracts, held in memory only."""
    table = connection.ops.quote_name(Person._meta.db_table)
    rows = _select_by_ids(f"SELECT id, id_hash, id_sealed FROM {table}", person_ids)  # noqa: S608
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    return ids, unseal_many([row[2] for row in rows], [row[1] for row in rows])


def _person_columns(department: str, specs: list[FactSpec], ids: np.ndarray,
                    numbers: list[str], as_of: date) -> dict[str, np.ndarray]:  # fmt: skip
    """Each person provider's extract asked once for all its facts (providers sharing one
    extract function, as a department's interfaces usually do, asked once together)."""
    if not len(ids):  # nobody registered yet: an empty extract, no department asked
        return {spec.name: np.array([], dtype=_EMPTY_DTYPES.get(spec.type, str)) for spec in specs}
    groups: dict[int, tuple[Callable, list[str]]] = {}
    for spec in specs:
        extract = PERSON_PROVIDERS.get(spec.interface).extract
        groups.setdefault(id(extract), (extract, []))[1].append(spec.name)
    columns: dict[str, np.ndarray] = {}
    for extract, names in groups.values():
        columns.update(extract(numbers, names, as_of))
    missing = {spec.name for spec in specs} - set(columns)
    if missing:
        raise ValueError(f"the {department} person extract lacks {', '.join(sorted(missing))}")
    for spec in specs:
        if spec.type is FactType.ENUM and spec.aliases:
            columns[spec.name] = _spelled_as_codes(spec, columns[spec.name])
    return columns


def _spelled_as_codes(spec: FactSpec, column: np.ndarray) -> np.ndarray:
    """An enumeration in the department's spellings ("B类") as the catalogue's codes ("B"),
    as single answers are normalised: each distinct value looked up once."""
    distinct, inverse = np.unique(np.asarray(column, dtype=str), return_inverse=True)
    codes = np.array([spec.aliases.get(value, value) for value in distinct.tolist()], dtype=str)
    return codes[inverse] if len(distinct) else np.asarray(column, dtype=str)


ENTERPRISES = ExtractSubject(
    code=Subject.ENTERPRISE, catalogue=CATALOGUE, key="enterprise_id",
    prefix="datahub_extract_", lock_class=0x44480001, facts=_enterprise_facts,
    register=_enterprise_register,
    # Looked up when called: benchmarks time or replace the module's _extract_columns.
    columns=lambda *args: _extract_columns(*args),
)  # fmt: skip
PERSONS = ExtractSubject(
    code=Subject.PERSON, catalogue=PERSON_CATALOGUE, key="person_id",
    prefix="datahub_person_extract_", lock_class=0x44480002, facts=_person_facts,
    register=_person_register, columns=_person_columns,
)  # fmt: skip


def table_name(department: str) -> str:
    return ENTERPRISES.table(department)


def department_facts(department: str) -> list[FactSpec]:
    return _enterprise_facts(department)


def extract_departments() -> list[str]:
    """Departments with an enterprise bulk extract to refresh."""
    return ENTERPRISES.departments()


def person_extract_departments() -> list[str]:
    """Departments with a person bulk extract to refresh."""
    return PERSONS.departments()


def load_register() -> tuple[np.ndarray, list[tuple]]:
    """Every enterprise's id and register entry (adapters.RegisterEntry's order), read in
    one pass."""
    return _enterprise_register(None)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


# --- Refreshing --------------------------------------------------------------------------


def refresh_extract(
    department: str, *, purpose: str, requested_by: Any = None, as_of: date | None = None
) -> SnapshotRefresh:
    """Bring one department's enterprise extract up to date with the department's new one.
    Logged as one call with its purpose; exactly the enterprises whose facts changed are
    signalled on commit."""
    return _refresh(ENTERPRISES, department, purpose=purpose, requested_by=requested_by,
                    as_of=as_of)  # fmt: skip


def refresh_person_extract(
    department: str, *, purpose: str, requested_by: Any = None, as_of: date | None = None
) -> SnapshotRefresh:
    """Bring one department's person extract up to date: its person facts for every
    person in the register, logged as one call with its purpose (naming no person)."""
    return _refresh(PERSONS, department, purpose=purpose, requested_by=requested_by,
                    as_of=as_of)  # fmt: skip


def refresh_person_extracts(
    *, purpose: str, requested_by: Any = None, as_of: date | None = None
) -> list[SnapshotRefresh]:
    """Every department's person extract, one after the other."""
    return [refresh_person_extract(code, purpose=purpose, requested_by=requested_by,
                                   as_of=as_of)
            for code in person_extract_departments()]  # fmt: skip


def refresh_subject(
    subject: str, department: str, *, purpose: str, requested_by: Any = None,
    as_of: date | None = None,
) -> SnapshotRefresh:  # fmt: skip
    """refresh_extract or refresh_person_extract by the subject's name (tasks, commands)."""
    chosen = PERSONS if subject == Subject.PERSON else ENTERPRISES
    return _refresh(chosen, department, purpose=purpose, requested_by=requested_by, as_of=as_of)


def _refresh(subject: ExtractSubject, department: str, *, purpose: str, requested_by: Any,
             as_of: date | None) -> SnapshotRefresh:  # fmt: skip
    if not purpose.strip():
        raise ValueError("a purpose is required to read department data")
    specs = subject.facts(department)
    if not specs:
        raise ValueError(f"no bulk extract of {subject.code} facts for department {department!r}")
    as_of = as_of or timezone.localdate()
    department_row = Department.objects.get(code=department)
    started_at, started = timezone.now(), time.perf_counter()
    refresh = SnapshotRefresh.objects.create(
        department=department_row, subject=subject.code,
        fact_names=[spec.name for spec in specs], as_of=as_of,
        status=SnapshotRefresh.Status.RUNNING, started_at=started_at, purpose=purpose[:200],
    )  # fmt: skip
    try:
        # One transaction, the department's extract locked throughout (against refresh_rows
        # and another refresh): readers see the old extract or the new one, and nothing
        # learnt one row at a time while the department's extract was read is lost.
        with transaction.atomic():
            _lock_extract(department_row.pk, subject)
            ids, register = subject.register(None)
            columns = subject.columns(department, specs, ids, register, as_of)
            del register  # a person's identity numbers live no longer than needed
            changed_ids, changed_facts = _apply_extract(subject, department, specs, ids,
                                                        columns, as_of, whole=True)  # fmt: skip
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
        enterprise=None, person=None, fact_names=refresh.fact_names, purpose=purpose[:200],
        requested_by=requested_by if is_user else None,
        requested_by_label=requested_by.get_username() if is_user else "system",
        transport="extract", started_at=started_at, latency_ms=round(seconds * 1000, 1),
        outcome=CallOutcome.OK, rows=len(ids),
    )  # fmt: skip
    refresh.refresh_from_db()
    if changed_ids and subject is ENTERPRISES:
        transaction.on_commit(lambda: send_facts_changed(changed_ids, changed_facts, "extract"))
    elif changed_ids:
        transaction.on_commit(lambda: send_facts_changed([], changed_facts, "extract",
                                                         person_ids=changed_ids))  # fmt: skip
    return refresh


def _lock_extract(department_pk: int, subject: ExtractSubject = ENTERPRISES) -> None:
    """Hold the department's extract until the transaction ends: a full refresh and
    `refresh_rows` wait for each other. A transaction-level advisory lock (PostgreSQL):
    released at commit or rollback, so it is safe behind PgBouncer in transaction mode.
    SQLite takes one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [subject.lock_class, department_pk]
            )


def _apply_extract(subject: ExtractSubject, department: str, specs: list[FactSpec],
                   ids: np.ndarray, columns: dict[str, np.ndarray], as_of: date,
                   *, whole: bool) -> tuple[list[int], list[str]]:  # fmt: skip
    """In the caller's transaction (the extract locked): bring the extract table to these
    rows. The new rows go into a staging table (COPY on PostgreSQL, qinqing.bulk); one
    comparison (IS DISTINCT FROM on every fact column) finds the rows that are new or
    differ; only those are written (UPDATE … FROM, INSERT … ON CONFLICT); `whole` (the
    department's full extract) also removes the rows gone from the register.
    Returns the rows whose facts changed and the facts that did; a first extract, or one
    whose facts changed layout, is built whole (no change is known then)."""
    live = subject.table(department)
    text_columns = [ids.astype(str)] + [_as_text(spec, columns[spec.name]) for spec in specs]
    with connection.cursor() as cursor:
        layout = _layout(cursor, live)
        wanted = [subject.key, *(column_name(spec.name) for spec in specs)]
        if layout != wanted:
            if not whole:  # rows of an extract that is not (yet) built with these facts
                return [], []
            return _replace_table(subject, department, specs, text_columns, layout is not None)
        stage = _stage(cursor, subject, live, specs, text_columns)
        changes = _merge(cursor, subject.key, live, stage, specs, whole=whole)
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(stage)}")
    return _without_corrected(changes, specs, as_of, subject)


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


def _fill(cursor, key: str, table: str, specs: list[FactSpec],
          text_columns: list[np.ndarray]) -> None:  # fmt: skip
    if connection.vendor == "postgresql":
        _copy_in(key, table, specs, text_columns)
    else:
        _insert_rows(cursor, key, table, specs, text_columns)


def _stage(cursor, subject: ExtractSubject, live: str, specs: list[FactSpec],
           text_columns: list[np.ndarray]) -> str:  # fmt: skip
    """A temporary table shaped like the extract (no key, no index: nothing to maintain
    while a million rows go in), filled with the new rows."""
    stage = f"{live}_stage"
    quote = connection.ops.quote_name
    cursor.execute(f"DROP TABLE IF EXISTS {quote(stage)}")
    if connection.vendor == "postgresql":
        cursor.execute(f"CREATE TEMPORARY TABLE {quote(stage)} (LIKE {quote(live)}) ON COMMIT DROP")
    else:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {quote(stage)} ({subject.key} bigint, {_definitions(specs)})"
        )
    _fill(cursor, subject.key, stage, specs, text_columns)
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {quote(stage)}")  # the join's plan needs its size
    return stage


def _merge(cursor, key: str, live: str, stage: str, specs: list[FactSpec],
           *, whole: bool) -> list[tuple]:  # fmt: skip
    """Rows of `stage` new to `live` or differing from it in a fact: found in one join and
    kept in a temporary table with a flag per fact; `live` then gets exactly those rows.
    Returns (key, new?, flag per fact) for each, and (key, True, all True) for each row
    gone from `live` when `whole`."""
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
        f"SELECT s.*, o.{key} IS NULL AS added, {flags} "
        f"FROM {quote(stage)} s LEFT JOIN {quote(live)} o ON o.{key} = s.{key} "
        f"WHERE o.{key} IS NULL OR {' OR '.join(tests)}"
    )
    cursor.execute(
        f"UPDATE {quote(live)} SET "  # noqa: S608
        + ", ".join(f"{name} = d.{name}" for name in names)
        + f" FROM {quote(diff)} d WHERE {quote(live)}.{key} = d.{key} "
        "AND NOT d.added"
    )
    columns = ", ".join([key, *names])
    cursor.execute(
        f"INSERT INTO {quote(live)} ({columns}) SELECT {columns} FROM {quote(diff)} "  # noqa: S608
        f"WHERE added ON CONFLICT ({key}) DO NOTHING"
    )
    flag_names = ", ".join(quote(f"changed_{index}") for index in range(len(specs)))
    cursor.execute(f"SELECT {key}, added, {flag_names} FROM {quote(diff)}")  # noqa: S608
    rows = cursor.fetchall()
    cursor.execute(f"DROP TABLE {quote(diff)}")
    if whole:
        cursor.execute(
            f"DELETE FROM {quote(live)} WHERE NOT EXISTS (SELECT 1 FROM {quote(stage)} s "  # noqa: S608
            f"WHERE s.{key} = {quote(live)}.{key}) RETURNING {key}"
        )
        everything = (True,) * len(specs)
        rows += [(pk, True, *everything) for (pk,) in cursor.fetchall()]
    return rows


def _without_corrected(
    rows: list[tuple], specs: list[FactSpec], as_of: date, subject: ExtractSubject = ENTERPRISES
) -> tuple[list[int], list[str]]:
    """The enterprises (or persons) and facts that changed, leaving out a change of a fact
    the hub answers from a correction (corrections win over the extract: that fact did not
    change for anyone reading it)."""
    if not rows:
        return [], []
    corrected = corrections.latest([int(row[0]) for row in rows], specs, as_of, subject.code)
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


def _replace_table(subject: ExtractSubject, department: str, specs: list[FactSpec],
                   text_columns: list[np.ndarray],
                   existed: bool) -> tuple[list[int], list[str]]:  # fmt: skip
    """The extract built whole (the first one, or facts added or removed), swapped in at
    the end of the caller's transaction. Against an earlier extract, the rows that are new
    or gone and those differing in a fact both carry are returned as changed; a fact the
    old extract lacked is not a change (nothing was known before)."""
    live, fresh = subject.table(department), subject.table(department) + "_new"
    quote = connection.ops.quote_name
    key = subject.key
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quote(fresh)}")
        cursor.execute(
            f"CREATE TABLE {quote(fresh)} ({key} bigint PRIMARY KEY, {_definitions(specs)})"
        )
        _fill(cursor, key, fresh, specs, text_columns)
        changes = _changed_rows(cursor, key, live, fresh, specs) if existed else ([], [])
        cursor.execute(f"DROP TABLE IF EXISTS {quote(live)}")
        cursor.execute(f"ALTER TABLE {quote(fresh)} RENAME TO {quote(live)}")
    return changes


def _changed_rows(cursor, key: str, live: str, fresh: str,
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
    differs = " OR ".join([f"o.{key} IS NULL", *tests])
    # Table and column names come from the catalogue, never from a request.
    cursor.execute(
        f"SELECT n.{key}{flags} FROM {quote(fresh)} n LEFT JOIN {quote(live)} o "  # noqa: S608
        f"ON o.{key} = n.{key} WHERE {differs}"
    )
    rows = cursor.fetchall()
    cursor.execute(
        f"SELECT o.{key} FROM {quote(live)} o WHERE NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {quote(fresh)} n WHERE n.{key} = o.{key})"
    )
    gone = [row[0] for row in cursor.fetchall()]
    changed = {spec.name for row in rows for spec, flag in zip(common, row[1:], strict=True)
               if flag}  # fmt: skip
    if gone:
        changed |= {spec.name for spec in common}
    return sorted({int(row[0]) for row in rows} | {int(pk) for pk in gone}), sorted(changed)


def _latest(subject: ExtractSubject, departments: Iterable[str] | None = None,
            ) -> dict[str, SnapshotRefresh]:  # fmt: skip
    """The latest finished refresh of each department's extract of this subject."""
    done = SnapshotRefresh.objects.filter(status=SnapshotRefresh.Status.DONE,
                                          subject=subject.code)  # fmt: skip
    if departments is not None:
        done = done.filter(department__code__in=list(departments))
    return {refresh.department.code: refresh
            for refresh in done.select_related("department").order_by("started_at")}  # fmt: skip


def refresh_rows(
    subject_ids: list[int], facts: Iterable[str] = (), as_of: date | None = None,
    subject: ExtractSubject = ENTERPRISES,
) -> list[str]:  # fmt: skip
    """Bring these enterprises' rows of the extracts (or these persons' rows of the person
    extracts, with `subject=PERSONS`) up to date — those carrying any of `facts`, every
    extract of the subject when none is named — set-based and incremental as a full
    refresh is: their new rows staged, compared, and only those that differ written; the
    rows of those no longer in the register removed. Each department's extract is locked
    against a full refresh meanwhile. For a change learnt one enterprise or person at a
    time (a new one in the register, an answer, a correction: the re-evaluation it feeds
    is told by its sender, so nothing is signalled here). Returns the departments
    refreshed."""
    if not subject_ids:
        return []
    wanted = set(facts)
    as_of = as_of or timezone.localdate()
    latest = _latest(subject)
    ids_sorted = sorted({int(pk) for pk in subject_ids})
    quote = connection.ops.quote_name
    done: list[str] = []
    for department, refresh in latest.items():
        names = set(refresh.fact_names)
        if wanted and not names & wanted:
            continue
        specs = [subject.catalogue[name] for name in sorted(names) if name in subject.catalogue]
        with transaction.atomic():
            _lock_extract(refresh.department.pk, subject)
            register_ids, register = subject.register(ids_sorted)
            if len(register_ids):
                columns = subject.columns(department, specs, register_ids, register, as_of)
                _apply_extract(subject, department, specs, register_ids, columns, as_of,
                               whole=False)  # fmt: skip
            del register  # a person's identity numbers live no longer than needed
            gone = sorted(set(ids_sorted) - set(register_ids.tolist()))
            with connection.cursor() as cursor:
                for begin in range(0, len(gone), 500):
                    part = gone[begin : begin + 500]
                    marks = ", ".join(["%s"] * len(part))
                    cursor.execute(
                        f"DELETE FROM {quote(subject.table(department))} "  # noqa: S608
                        f"WHERE {subject.key} IN ({marks})", part,
                    )  # fmt: skip
        done.append(department)
    return done


def _register_of(enterprise_ids: list[int]) -> tuple[np.ndarray, list[tuple]]:
    """load_register() for some enterprises only."""
    return _enterprise_register(sorted(enterprise_ids))


def _as_text(spec: FactSpec, column: np.ndarray) -> np.ndarray:
    """Exact text for COPY: money from fen, quantities from tenths, dates from days."""
    if not len(column):
        return np.array([], dtype=str)
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


def _copy_in(key: str, table: str, specs: list[FactSpec],
             text_columns: list[np.ndarray]) -> None:  # fmt: skip
    """Join the text columns into COPY lines, then one COPY (qinqing.bulk). Joined row by
    row in Python: numpy's char.add copies every growing fixed-width string once per
    column, which cost seconds per hundred thousand rows."""
    if not len(text_columns[0]):
        return  # nothing to write (COPY would read one empty line as a row)
    lists = [column.tolist() for column in text_columns]
    for index, spec in enumerate(specs, start=1):
        if spec.type in (FactType.TEXT, FactType.ENUM):
            lists[index] = [_copy_escaped(value) for value in lists[index]]
    rows = zip(*lists, strict=True)
    names = [key, *(column_name(spec.name) for spec in specs)]
    copy_text(table, names, "\n".join(map("\t".join, rows)) + "\n")


def _copy_escaped(value: str) -> str:
    """A department's text as COPY's text format reads it (a backslash, tab or line break
    inside it escaped)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r"))  # fmt: skip
    return value


def _insert_rows(cursor, key: str, table: str, specs: list[FactSpec],
                 text_columns: list[np.ndarray]) -> None:  # fmt: skip
    names = ", ".join([key, *(column_name(spec.name) for spec in specs)])
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
    specs = [CATALOGUE[name] for name in dict.fromkeys(fact_names)]
    ids, columns, known, latest = _read(ENTERPRISES, specs, enterprise_ids)
    snapshot = Snapshot(
        enterprise_ids=ids,
        columns=columns,
        refreshed_at={code: refresh.finished_at for code, refresh in latest.items()},
        known=known,
        as_of=min((refresh.as_of for refresh in latest.values()), default=None),
    )
    _overlay_corrections(snapshot, specs)
    return snapshot


def _read(subject: ExtractSubject, specs: list[FactSpec], subset_ids: Iterable[int] | None):
    """The columns of these facts from the latest extracts of `subject`: (ids ascending,
    columns, known, the refreshes read). Every row in the extracts, or the rows of
    `subset_ids` (those missing from an extract unknown for its facts)."""
    subset = None if subset_ids is None else sorted({int(pk) for pk in subset_ids})
    by_department: dict[str, list[FactSpec]] = {}
    for spec in specs:
        by_department.setdefault(spec.department, []).append(spec)
    latest = _latest(subject, by_department)
    per_department: list[tuple[list[FactSpec], np.ndarray, dict[str, np.ndarray]]] = []
    for department, wanted in by_department.items():
        if department not in latest or not {s.name for s in wanted} <= set(
            latest[department].fact_names
        ):
            raise SnapshotMissing(
                f"no {subject.code} extract of {department} with "
                f"{', '.join(s.name for s in wanted)}"
            )
        table = subject.table(department)
        found = None
        if subset is None and connection.vendor == "postgresql":
            found = _copied_columns(table, subject.key, wanted)
        if found is None:
            found = _selected_columns(table, subject.key, wanted, subset)
        per_department.append((wanted, *found))
    if subset is not None:
        all_ids = np.array(subset, dtype=np.int64)
    else:
        all_ids = (np.unique(np.concatenate([ids for _, ids, _ in per_department]))
                   if per_department else np.array([], dtype=np.int64))  # fmt: skip
    columns: dict[str, np.ndarray] = {}
    known: dict[str, np.ndarray] = {}
    for wanted, ids, found in per_department:
        # Extracts refreshed at different times may differ by a few rows: those missing
        # from one are unknown for its facts, never dropped and never zero.
        positions = np.searchsorted(all_ids, ids)
        present = np.zeros(len(all_ids), dtype=bool)
        present[positions] = True
        for spec in wanted:
            values = found[spec.name]
            column = np.zeros(len(all_ids), dtype=values.dtype)
            column[positions] = values
            columns[spec.name] = column
            known[spec.name] = present
    return all_ids, columns, known, latest


Columns = tuple[np.ndarray, dict[str, np.ndarray]]  # the keys and one column per fact


def _selected_columns(table: str, key: str, wanted: list[FactSpec],
                      subset: list[int] | None) -> Columns:  # fmt: skip
    """The extract's rows (all, or those of `subset`) through the driver, row by row."""
    quote = connection.ops.quote_name
    selected = ", ".join(quote(column_name(spec.name)) for spec in wanted)
    rows = _select_by_ids(f"SELECT {key}, {selected} FROM {quote(table)}", subset, key=key)  # noqa: S608
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    return ids, {spec.name: _from_sql(spec, [row[index] for row in rows])
                 for index, spec in enumerate(wanted, start=1)}  # fmt: skip


# A whole extract on PostgreSQL: each number column aggregated by the database into one
# binary string of big-endian 8-byte integers (money in fen, quantities in tenths and dates
# in days computed there), read straight into numpy; each text column into one string cut
# at line breaks. Millions of rows without a Python object per value, and all the columns
# in one statement, so they come from the same version of the extract.
_PACKED_SQL = {
    FactType.MONEY: "int8send(round({} * 100)::bigint)",
    FactType.DECIMAL: "int8send(round({} * 10)::bigint)",
    FactType.INTEGER: "int8send({}::bigint)",
    FactType.DATE: "int8send(({} - DATE '1970-01-01')::bigint)",
    FactType.BOOLEAN: "boolsend({})",
}


def _copied_columns(table: str, key: str, wanted: list[FactSpec]) -> Columns | None:
    """The whole extract in one statement; None when it cannot be read so (a NULL, or a
    line break inside a text): the caller then fetches rows."""
    quote = connection.ops.quote_name
    # No ORDER BY in the aggregates (a sort each): one aggregation feeds every aggregate the
    # same rows in the same order, so the columns stay aligned on the keys, sorted here.
    expressions = [f"string_agg(int8send({key}), ''::bytea)", "count(*)"]
    for spec in wanted:
        column = quote(column_name(spec.name))
        if spec.type in _PACKED_SQL:
            packed = _PACKED_SQL[spec.type].format(column)
            expressions.append(f"string_agg({packed}, ''::bytea)")
        else:
            expressions.append(f"string_agg({column}, E'\\n')")
    with connection.cursor() as cursor:
        # Table and column names come from the catalogue, never from a request.
        cursor.execute(f"SELECT {', '.join(expressions)} FROM {quote(table)}")  # noqa: S608
        row = cursor.fetchone()
    count = int(row[1])
    if not count:
        return np.array([], dtype=np.int64), {
            spec.name: np.array([], dtype=_EMPTY_DTYPES.get(spec.type, str)
                                if spec.type is not FactType.ENUM else "<U32")
            for spec in wanted
        }  # fmt: skip
    ids = np.frombuffer(bytes(row[0]), dtype=">i8").astype(np.int64)
    found: dict[str, np.ndarray] = {}
    for spec, value in zip(wanted, row[2:], strict=True):
        if value is None:
            return None
        if spec.type is FactType.BOOLEAN:
            column = np.frombuffer(bytes(value), dtype=np.uint8).astype(bool)
        elif spec.type in _PACKED_SQL:
            column = np.frombuffer(bytes(value), dtype=">i8").astype(np.int64)
        else:
            column = np.array(value.split("\n"), dtype=str if spec.type is FactType.TEXT
                              else "<U32")  # fmt: skip
        if len(column) != count:
            return None  # a NULL left out of the aggregate, or a line break in a text
        found[spec.name] = column
    if len(ids) > 1 and (ids[1:] < ids[:-1]).any():
        order = np.argsort(ids, kind="stable")
        ids = ids[order]
        found = {name: column[order] for name, column in found.items()}
    return ids, found


@dataclass
class PersonSnapshot:
    """Person facts and their employer's enterprise facts, aligned on person rows.

    `employer_ids`: the enterprise insuring each person (person.hrss.employer_uscc matched
    in the register), -1 when the person is not insured or the employer is not in the
    register; an employer's fact is unknown (`known` False) for such a person. The same
    units as Snapshot (fen, tenths, days since 1970). A date the department gives as
    "none" (not insured: no start date) is -1, known.
    """

    person_ids: np.ndarray
    employer_ids: np.ndarray
    columns: dict[str, np.ndarray]
    known: dict[str, np.ndarray] = field(default_factory=dict)
    as_of: date | None = None  # the oldest extract's date, persons' and employers'
    refreshed_at: dict[str, datetime] = field(default_factory=dict)

    def value(self, person_id: int, fact: str):
        """One typed value, as the hub's single answers give it (None where unknown)."""
        rows = np.flatnonzero(self.person_ids == person_id)
        if not len(rows):
            raise KeyError(person_id)
        row = int(rows[0])
        if not self.known[fact][row]:
            return None
        spec = PERSON_CATALOGUE.get(fact) or CATALOGUE[fact]
        if spec.type is FactType.DATE and self.columns[fact][row] < 0:
            return None
        return python_value(spec, self.columns[fact], row)


EMPLOYER_FACT = "person.hrss.employer_uscc"


def read_person_snapshot(
    person_fact_names: Iterable[str],
    employer_fact_names: Iterable[str] = (),
    person_ids: Iterable[int] | None = None,
) -> PersonSnapshot:
    """The latest person extracts' columns for these person facts, with the employer's
    enterprise facts (the latest enterprise extracts, corrections overlaid) on each
    person's row; for every person in the extracts, or for `person_ids` only. Raises
    SnapshotMissing when an extract was never made."""
    person_names = list(dict.fromkeys(person_fact_names))
    employer_names = list(dict.fromkeys(employer_fact_names))
    person_specs = person_specs_for([*person_names, EMPLOYER_FACT])
    employer_specs = specs_for(employer_names)
    ids, columns, known, latest = _read(PERSONS, person_specs, person_ids)
    as_of = [refresh.as_of for refresh in latest.values()]
    # Before the employer is looked up: a corrected employer is the one that counts.
    _overlay(PERSONS, ids, columns, known, person_specs, min(as_of, default=None))
    usccs = columns[EMPLOYER_FACT] if EMPLOYER_FACT in person_names else columns.pop(
        EMPLOYER_FACT)  # fmt: skip
    insured_known = known[EMPLOYER_FACT] if EMPLOYER_FACT in person_names else known.pop(
        EMPLOYER_FACT)  # fmt: skip
    # For some persons (a re-evaluation), only their employers are looked up and read.
    employer_ids = _employers_of(usccs, insured_known, some=person_ids is not None)
    refreshed_at = {f"person:{code}": refresh.finished_at for code, refresh in latest.items()}
    if employer_specs:
        employers = read_snapshot(employer_names, None if person_ids is None else
                                  np.unique(employer_ids[employer_ids >= 0]).tolist())  # fmt: skip
        rows = np.searchsorted(employers.enterprise_ids, employer_ids)
        rows = np.minimum(rows, max(len(employers.enterprise_ids) - 1, 0))
        found = (employer_ids >= 0) & (len(employers.enterprise_ids) > 0)
        if len(employers.enterprise_ids):
            found &= employers.enterprise_ids[rows] == employer_ids
        for spec in employer_specs:
            source = employers.columns[spec.name]
            column = np.zeros(len(ids), dtype=source.dtype)
            if len(source):
                column[found] = source[rows[found]]
            columns[spec.name] = column
            known[spec.name] = found & (employers.known[spec.name][rows] if len(source)
                                        else found)  # fmt: skip
        as_of += [employers.as_of] if employers.as_of else []
        refreshed_at.update(employers.refreshed_at)
    return PersonSnapshot(person_ids=ids, employer_ids=employer_ids, columns=columns,
                          known=known, as_of=min(as_of, default=None),
                          refreshed_at=refreshed_at)  # fmt: skip


def persons_insured_by(enterprise_ids: Iterable[int]) -> list[int]:
    """The persons the latest person extract shows insured by these enterprises (their
    corrected employer counting, as read_person_snapshot reads it): whom a change in an
    employer's facts reaches. One scan of the extract on PostgreSQL (`= ANY` of one array);
    [] while no person extract carries the employer."""
    ids = sorted({int(pk) for pk in enterprise_ids})
    spec = PERSON_CATALOGUE[EMPLOYER_FACT]
    refresh = _latest(PERSONS, [spec.department]).get(spec.department)
    if not ids or refresh is None or EMPLOYER_FACT not in refresh.fact_names:
        return []
    usccs = list(Enterprise.objects.filter(pk__in=ids).values_list("uscc", flat=True))
    if not usccs:
        return []
    quote = connection.ops.quote_name
    # The table and column come from the catalogue, never from a request.
    select = (f"SELECT {PERSONS.key} FROM {quote(PERSONS.table(spec.department))} "  # noqa: S608
              f"WHERE {quote(column_name(EMPLOYER_FACT))}")  # fmt: skip
    found: set[int] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{select} = ANY(%s)", [usccs])
            found |= {int(row[0]) for row in cursor.fetchall()}
        else:
            for begin in range(0, len(usccs), 500):
                part = usccs[begin : begin + 500]
                cursor.execute(f"{select} IN ({', '.join(['%s'] * len(part))})", part)
                found |= {int(row[0]) for row in cursor.fetchall()}
    wanted = set(usccs)
    corrected = corrections.latest_of_all([spec], refresh.as_of, Subject.PERSON)
    for (person_id, _name), correction in corrected.items():
        if correction.value in wanted:
            found.add(person_id)  # corrected to one of these employers (corrected away:
            # still evaluated, and found not to qualify through them)
    return sorted(found)


def _employers_of(usccs: np.ndarray, known: np.ndarray, *, some: bool = False) -> np.ndarray:
    """The register's enterprise id for each USCC (-1 for none, unknown or not found):
    the whole register read at once, or (`some`: a few persons) those USCCs only."""
    if some:
        wanted = sorted({str(uscc) for uscc in usccs[known].tolist() if uscc})
        rows = list(Enterprise.objects.filter(uscc__in=wanted).values_list("uscc", "id"))
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT uscc, id FROM enterprises_enterprise ORDER BY uscc")
            rows = cursor.fetchall()
    out = np.full(len(usccs), -1, dtype=np.int64)
    if not rows or not len(usccs):
        return out
    register = np.array([row[0] for row in rows])
    register_ids = np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows))
    order = np.argsort(register, kind="stable")  # the database's collation may differ
    register, register_ids = register[order], register_ids[order]
    positions = np.minimum(np.searchsorted(register, usccs), len(register) - 1)
    matched = known & (usccs != "") & (register[positions] == usccs)
    out[matched] = register_ids[positions[matched]]
    return out


def _overlay_corrections(snapshot: Snapshot, specs: list[FactSpec]) -> None:
    """Values corrected on a dispute win over the extract's (datahub.corrections)."""
    _overlay(ENTERPRISES, snapshot.enterprise_ids, snapshot.columns, snapshot.known, specs,
             snapshot.as_of)  # fmt: skip


def _overlay(subject: ExtractSubject, ids: np.ndarray, columns: dict[str, np.ndarray],
             known: dict[str, np.ndarray], specs: list[FactSpec],
             as_of: date | None) -> None:  # fmt: skip
    """The corrections of these facts for the subject's rows in `ids` (ascending) written
    over the extract's values, known from then on: one query for all of them."""
    if not len(ids):
        return
    found = corrections.latest_of_all(specs, as_of or timezone.localdate(), subject.code)
    for (subject_id, name), correction in found.items():
        begin = int(np.searchsorted(ids, subject_id, side="left"))
        end = int(np.searchsorted(ids, subject_id, side="right"))
        if begin == end:
            continue
        value = _from_sql(subject.catalogue[name], [correction.value])
        column = columns[name]
        if value.dtype.kind == "U" and value.dtype.itemsize > column.dtype.itemsize:
            column = columns[name] = column.astype(value.dtype)  # a longer text: not cut
        column[begin:end] = value[0]
        flags = known[name] = known[name].copy()
        flags[begin:end] = True


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
    if spec.type is FactType.TEXT:
        return np.array(["" if v is None else v for v in values], dtype=str)
    return np.array(values, dtype="<U32")
