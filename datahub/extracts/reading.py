"""Reading the enterprises' extracts as numpy columns (Snapshot, read_snapshot): every row
in one packed statement on PostgreSQL, or the rows asked for; the values corrected on a
dispute written over the extract's."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from django.db import connection
from django.utils import timezone

from qinqing.errors import Conflict
from qinqing.packed import binary_row

from .. import corrections
from ..catalogue import CATALOGUE, FactSpec, FactType
from ..columns import python_value
from .subjects import (
    EMPTY_DTYPES,
    ENTERPRISES,
    ExtractSubject,
    column_name,
    latest_refreshes,
    select_by_ids,
)
from .tables import from_sql


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
    ids, columns, known, latest = read_columns(ENTERPRISES, specs, enterprise_ids)
    snapshot = Snapshot(
        enterprise_ids=ids,
        columns=columns,
        refreshed_at={code: refresh.finished_at for code, refresh in latest.items()},
        known=known,
        as_of=min((refresh.as_of for refresh in latest.values()), default=None),
    )
    overlay_corrections(ENTERPRISES, snapshot.enterprise_ids, snapshot.columns, snapshot.known,
                        specs, snapshot.as_of)  # fmt: skip
    return snapshot


def read_columns(subject: ExtractSubject, specs: list[FactSpec],
                 subset_ids: Iterable[int] | None,
                 id_range: tuple[int, int] | None = None):  # fmt: skip
    """The columns of these facts from the latest extracts of `subject`: (ids ascending,
    columns, known, the refreshes read). Every row in the extracts, or the rows of
    `subset_ids` (those missing from an extract unknown for its facts), or every row whose
    key is in `id_range` (low included, high not: a part of a batch read in parts)."""
    subset = None if subset_ids is None else sorted({int(pk) for pk in subset_ids})
    by_department: dict[str, list[FactSpec]] = {}
    for spec in specs:
        by_department.setdefault(spec.department, []).append(spec)
    latest = latest_refreshes(subject, by_department)
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
            found = copied_columns(table, subject.key, wanted, id_range)
        if found is None:
            found = selected_columns(table, subject.key, wanted, subset, id_range)
        per_department.append((wanted, *found))
    # The usual case (every extract made from the same register): the keys are the
    # extracts' own, already ascending and distinct, and each column is used in place,
    # without sorting millions of keys again or copying a column.
    in_place = bool(subset is None and per_department
                    and _same_distinct_keys([ids for _, ids, _ in per_department]))  # fmt: skip
    if subset is not None:
        all_ids = np.array(subset, dtype=np.int64)
    elif in_place:
        all_ids = per_department[0][1]
    else:
        all_ids = (np.unique(np.concatenate([ids for _, ids, _ in per_department]))
                   if per_department else np.array([], dtype=np.int64))  # fmt: skip
    columns: dict[str, np.ndarray] = {}
    known: dict[str, np.ndarray] = {}
    everyone = np.ones(len(all_ids), dtype=bool) if in_place else None
    for wanted, ids, found in per_department:
        if in_place:
            for spec in wanted:
                columns[spec.name] = found[spec.name]
                known[spec.name] = everyone
            continue
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


def _same_distinct_keys(keys: list[np.ndarray]) -> bool:
    """Whether every extract has the same keys, strictly ascending (so each once)."""
    first = keys[0]
    return bool((first[1:] > first[:-1]).all()) and all(
        np.array_equal(other, first) for other in keys[1:])  # fmt: skip


Columns = tuple[np.ndarray, dict[str, np.ndarray]]  # the keys and one column per fact


def selected_columns(table: str, key: str, wanted: list[FactSpec], subset: list[int] | None,
                     id_range: tuple[int, int] | None = None) -> Columns:  # fmt: skip
    """The extract's rows (all, those of `subset`, or those in `id_range`) through the
    driver, row by row."""
    quote = connection.ops.quote_name
    selected = ", ".join(quote(column_name(spec.name)) for spec in wanted)
    select = f"SELECT {key}, {selected} FROM {quote(table)}"  # noqa: S608
    rows = select_by_ids(select, subset, key=key, id_range=id_range)
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    return ids, {spec.name: from_sql(spec, [row[index] for row in rows])
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


def copied_columns(table: str, key: str, wanted: list[FactSpec],
                   id_range: tuple[int, int] | None = None) -> Columns | None:  # fmt: skip
    """The whole extract (or the rows whose key is in `id_range`) in one statement
    (PostgreSQL); None when it cannot be read so (a NULL, or a line break inside a text):
    the caller then fetches rows."""
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
    # Table and column names come from the catalogue, never from a request. Fetched in
    # binary (qinqing.packed): the packed strings arrive as they are, not as hex text.
    select = f"SELECT {', '.join(expressions)} FROM {quote(table)}"  # noqa: S608
    if id_range is None:
        row = binary_row(select)
    else:
        row = binary_row(f"{select} WHERE {key} >= %s AND {key} < %s", id_range)
    count = int(row[1])
    if not count:
        return np.array([], dtype=np.int64), {
            spec.name: np.array([], dtype=EMPTY_DTYPES.get(spec.type, str)
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


def overlay_corrections(subject: ExtractSubject, ids: np.ndarray,
                        columns: dict[str, np.ndarray], known: dict[str, np.ndarray],
                        specs: list[FactSpec], as_of: date | None) -> None:  # fmt: skip
    """Values corrected on a dispute win over the extract's (datahub.corrections): the
    corrections of these facts for the subject's rows in `ids` (ascending) written
    over the extract's values, known from then on: one query for all of them."""
    if not len(ids):
        return
    found = corrections.latest_of_all(specs, as_of or timezone.localdate(), subject.code)
    for (subject_id, name), correction in found.items():
        begin = int(np.searchsorted(ids, subject_id, side="left"))
        end = int(np.searchsorted(ids, subject_id, side="right"))
        if begin == end:
            continue
        value = from_sql(subject.catalogue[name], [correction.value])
        column = columns[name]
        if value.dtype.kind == "U" and value.dtype.itemsize > column.dtype.itemsize:
            column = columns[name] = column.astype(value.dtype)  # a longer text: not cut
        column[begin:end] = value[0]
        flags = known[name] = known[name].copy()
        flags[begin:end] = True
