"""Whom an extract describes: the enterprises' extracts and the persons' (ExtractSubject),
which facts each department's extract carries, how the register is read and how a
department's columns are asked for; the tables' and columns' names, and the latest refresh
of each extract."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from django.db import connection

from enterprises.persons.models import Person
from enterprises.persons.protection import unseal_many
from qinqing.packed import read_columns

from ..adapters import ExtractRequest, bulk_adapter_for
from ..catalogue import CATALOGUE, PERSON_CATALOGUE, FactSpec, FactType
from ..models import SnapshotRefresh, Subject
from ..providers import PERSON_PROVIDERS, local_provider

# An empty column's type, per fact type (text when not listed).
EMPTY_DTYPES = {FactType.BOOLEAN: bool, FactType.INTEGER: np.int64, FactType.MONEY: np.int64,
                FactType.DECIMAL: np.int64, FactType.DATE: np.int64}  # fmt: skip
# The person fact naming the enterprise that insures the person: read to align persons
# with their employers, and searched for the persons an employer insures.
EMPLOYER_FACT = "person.hrss.employer_uscc"


def column_name(fact: str) -> str:
    return fact.replace(".", "__")


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
    register: Callable[[list[int] | None], tuple[np.ndarray, Sequence]]
    # (department, specs, ids, register, as_of) -> one column per fact aligned with ids.
    columns: Callable[..., dict[str, np.ndarray]]
    # Facts whose columns are searched by value (an index on each, where the table has it).
    indexed: tuple[str, ...] = ()

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


def extract_columns(department: str, specs: list[FactSpec], ids: np.ndarray,
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


def _enterprise_register(enterprise_ids: list[int] | None) -> tuple[np.ndarray, Sequence[tuple]]:
    """Enterprises' ids and register entries (adapters.RegisterEntry's order), ascending:
    those named in one pass; every enterprise's ids at once and their entries only when
    the department's adapter reads them (LazyRegister): a department that answers by id,
    or an extract already in hand, costs no million-row read of the register."""
    if enterprise_ids is None:
        ids = _all_enterprise_ids()
        return ids, LazyRegister(lambda: _entries_of(ids))
    rows = select_by_ids(_REGISTER_SQL, enterprise_ids)
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    return ids, [_entry(row) for row in rows]


def _entry(row: tuple) -> tuple:
    return (row[1], row[2], row[3], as_date(row[4]), row[5], row[6])


def _all_enterprise_ids() -> np.ndarray:
    """Every enterprise's id, ascending: on PostgreSQL packed by the server
    (qinqing.packed, no Python object per row)."""
    if connection.vendor == "postgresql":
        found = read_columns("SELECT id::int8 FROM enterprises_enterprise", [], [("id", "int8")])
        return np.sort(found["id"].astype(np.int64))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM enterprises_enterprise ORDER BY id")
        return np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)


def _entries_of(ids: np.ndarray) -> list[tuple]:
    """The register entries of `ids` (ascending), aligned with them. An enterprise
    registered after the ids were read is left out; one gone meanwhile stops the
    refresh (its transaction rolls back; the next refresh reads both again)."""
    rows = select_by_ids(_REGISTER_SQL, None)
    found = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    if len(found) == len(ids) and np.array_equal(found, ids):
        return [_entry(row) for row in rows]
    positions = np.searchsorted(found, ids)
    inside = positions < len(found)
    if not inside.all() or not np.array_equal(found[positions], ids):
        raise ValueError("an enterprise left the register while its extract was read")
    return [_entry(rows[position]) for position in positions.tolist()]


class LazyRegister(Sequence):
    """Register entries read on first use (len, index or iteration), then kept."""

    def __init__(self, load: Callable[[], list[tuple]]) -> None:
        self._load = load
        self._rows: list[tuple] | None = None

    def _loaded(self) -> list[tuple]:
        if self._rows is None:
            self._rows = self._load()
        return self._rows

    def __len__(self) -> int:
        return len(self._loaded())

    def __getitem__(self, index):  # type: ignore[override]
        return self._loaded()[index]

    def __iter__(self):
        return iter(self._loaded())


def select_by_ids(select: str, ids: list[int] | None, key: str = "id",
                  id_range: tuple[int, int] | None = None) -> list[tuple]:  # fmt: skip
    """`select` (no WHERE) for every row, for the rows whose `key` is in `ids` (in pieces
    of 500), or (`ids` None) for those whose `key` is in `id_range` (low included, high
    not), ordered by `key`."""
    with connection.cursor() as cursor:
        if ids is None:
            if id_range is None:
                cursor.execute(f"{select} ORDER BY {key}")
            else:
                cursor.execute(f"{select} WHERE {key} >= %s AND {key} < %s ORDER BY {key}",
                               list(id_range))  # fmt: skip
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
    rows = select_by_ids(f"SELECT id, id_hash, id_sealed FROM {table}", person_ids)  # noqa: S608
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    return ids, unseal_many([row[2] for row in rows], [row[1] for row in rows])


def _person_columns(department: str, specs: list[FactSpec], ids: np.ndarray,
                    numbers: list[str], as_of: date) -> dict[str, np.ndarray]:  # fmt: skip
    """Each person provider's extract asked once for all its facts (providers sharing one
    extract function, as a department's interfaces usually do, asked once together)."""
    if not len(ids):  # nobody registered yet: an empty extract, no department asked
        return {spec.name: np.array([], dtype=EMPTY_DTYPES.get(spec.type, str)) for spec in specs}
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
    # Looked up when called: benchmarks time or replace the module's extract_columns.
    columns=lambda *args: extract_columns(*args),
)  # fmt: skip
PERSONS = ExtractSubject(
    code=Subject.PERSON, catalogue=PERSON_CATALOGUE, key="person_id",
    prefix="datahub_person_extract_", lock_class=0x44480002, facts=_person_facts,
    register=_person_register, columns=_person_columns, indexed=(EMPLOYER_FACT,),
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


def load_register() -> tuple[np.ndarray, Sequence[tuple]]:
    """Every enterprise's id and register entry (adapters.RegisterEntry's order); the
    entries read in one pass when first used."""
    return _enterprise_register(None)


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def latest_refreshes(subject: ExtractSubject, departments: Iterable[str] | None = None,
                     ) -> dict[str, SnapshotRefresh]:  # fmt: skip
    """The latest finished refresh of each department's extract of this subject."""
    done = SnapshotRefresh.objects.filter(status=SnapshotRefresh.Status.DONE,
                                          subject=subject.code)  # fmt: skip
    if departments is not None:
        done = done.filter(department__code__in=list(departments))
    return {refresh.department.code: refresh
            for refresh in done.select_related("department").order_by("started_at")}  # fmt: skip
