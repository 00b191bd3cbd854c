"""Persons' extracts read with their employers' enterprise facts (PersonSnapshot,
read_person_snapshot), and the persons an employer insures (persons_insured_by)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from django.db import connection

from enterprises.models import Enterprise

from .. import corrections
from ..catalogue import CATALOGUE, PERSON_CATALOGUE, FactType, person_specs_for, specs_for
from ..columns import python_value
from ..models import Subject
from .reading import Snapshot, overlay_corrections, read_columns, read_snapshot
from .subjects import EMPLOYER_FACT, PERSONS, column_name, latest_refreshes


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


@dataclass(frozen=True)
class Employers:
    """The employers' side of a persons' read, read once for a batch that reads its
    persons in parts (read_employers): the register's enterprise id by USCC, and their
    enterprise facts (None when none were asked)."""

    by_uscc: dict[str, int]
    facts: Snapshot | None
    fact_names: tuple[str, ...]


def read_employers(employer_fact_names: Iterable[str] = ()) -> Employers:
    """The whole register's USCCs and these enterprise facts of every enterprise, for
    read_person_snapshot(employers=...)."""
    names = tuple(dict.fromkeys(employer_fact_names))
    return Employers(by_uscc=dict(_register_usccs()),
                     facts=read_snapshot(names) if specs_for(list(names)) else None,
                     fact_names=names)  # fmt: skip


def person_id_ranges(person_fact_names: Iterable[str], size: int) -> list[tuple[int, int]] | None:
    """The persons' ids in the extracts these facts come from, cut into ranges of `size`
    ids each ((low, high): low included, high not), ascending; None when an extract is
    missing (read_person_snapshot then says which). One range when they fit in one."""
    specs = person_specs_for([*person_fact_names, EMPLOYER_FACT])
    departments = sorted({spec.department for spec in specs})
    latest = latest_refreshes(PERSONS, departments)
    if set(latest) != set(departments):
        return None
    quote = connection.ops.quote_name
    low, high = None, None
    with connection.cursor() as cursor:
        for department in departments:
            # The table and key come from the catalogue, never from a request.
            cursor.execute(f"SELECT min({PERSONS.key}), max({PERSONS.key}) "  # noqa: S608
                           f"FROM {quote(PERSONS.table(department))}")  # fmt: skip
            first, last = cursor.fetchone()
            if first is None:
                continue
            low = first if low is None else min(low, first)
            high = last if high is None else max(high, last)
    if low is None:
        return [(0, 1)]  # no rows: one (empty) part, read as any other
    return [(begin, min(begin + size, high + 1)) for begin in range(low, high + 1, size)]


def read_person_snapshot(
    person_fact_names: Iterable[str],
    employer_fact_names: Iterable[str] = (),
    person_ids: Iterable[int] | None = None,
    *,
    id_range: tuple[int, int] | None = None,
    employers: Employers | None = None,
) -> PersonSnapshot:
    """The latest person extracts' columns for these person facts, with the employer's
    enterprise facts (the latest enterprise extracts, corrections overlaid) on each
    person's row; for every person in the extracts, for `person_ids` only, or for those
    whose id is in `id_range` (low included, high not). `employers`: the employers' side
    read once already (read_employers, with these facts), for a read in parts. Raises
    SnapshotMissing when an extract was never made."""
    person_names = list(dict.fromkeys(person_fact_names))
    employer_names = list(dict.fromkeys(employer_fact_names))
    if employers is not None and tuple(employer_names) != employers.fact_names:
        raise ValueError("read_person_snapshot: the employers were read for other facts")
    person_specs = person_specs_for([*person_names, EMPLOYER_FACT])
    employer_specs = specs_for(employer_names)
    ids, columns, known, latest = read_columns(PERSONS, person_specs, person_ids, id_range)
    as_of = [refresh.as_of for refresh in latest.values()]
    # Before the employer is looked up: a corrected employer is the one that counts.
    overlay_corrections(PERSONS, ids, columns, known, person_specs, min(as_of, default=None))
    usccs = columns[EMPLOYER_FACT] if EMPLOYER_FACT in person_names else columns.pop(
        EMPLOYER_FACT)  # fmt: skip
    insured_known = known[EMPLOYER_FACT] if EMPLOYER_FACT in person_names else known.pop(
        EMPLOYER_FACT)  # fmt: skip
    # For some persons (a re-evaluation), only their employers are looked up and read.
    register = None if employers is None else employers.by_uscc
    employer_ids = _employers_of(usccs, insured_known, some=person_ids is not None,
                                 register=register)  # fmt: skip
    refreshed_at = {f"person:{code}": refresh.finished_at for code, refresh in latest.items()}
    if employer_specs:
        employer_facts = employers.facts if employers is not None else read_snapshot(
            employer_names, None if person_ids is None else
            np.unique(employer_ids[employer_ids >= 0]).tolist())  # fmt: skip
        rows = np.searchsorted(employer_facts.enterprise_ids, employer_ids)
        rows = np.minimum(rows, max(len(employer_facts.enterprise_ids) - 1, 0))
        found = (employer_ids >= 0) & (len(employer_facts.enterprise_ids) > 0)
        if len(employer_facts.enterprise_ids):
            found &= employer_facts.enterprise_ids[rows] == employer_ids
        for spec in employer_specs:
            source = employer_facts.columns[spec.name]
            column = np.zeros(len(ids), dtype=source.dtype)
            if len(source):
                column[found] = source[rows[found]]
            columns[spec.name] = column
            known[spec.name] = found & (employer_facts.known[spec.name][rows] if len(source)
                                        else found)  # fmt: skip
        as_of += [employer_facts.as_of] if employer_facts.as_of else []
        refreshed_at.update(employer_facts.refreshed_at)
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
    refresh = latest_refreshes(PERSONS, [spec.department]).get(spec.department)
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


def _register_usccs() -> list[tuple[str, int]]:
    """Every enterprise of the register: (USCC, id)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT uscc, id FROM enterprises_enterprise ORDER BY uscc")
        return cursor.fetchall()


def _employers_of(usccs: np.ndarray, known: np.ndarray, *, some: bool = False,
                  register: dict[str, int] | None = None) -> np.ndarray:  # fmt: skip
    """The register's enterprise id for each USCC (-1 for none, unknown or not found):
    the whole register read at once, or (`some`: a few persons) those USCCs only, or the
    `register` read before (USCC → id)."""
    if register is None:
        if some:
            wanted = sorted({str(uscc) for uscc in usccs[known].tolist() if uscc})
            rows = list(Enterprise.objects.filter(uscc__in=wanted).values_list("uscc", "id"))
        else:
            rows = _register_usccs()
        # A dict, not a sorted search over millions of strings (and the database's
        # collation never matters).
        register = dict(rows)
    if not register or not len(usccs):
        return np.full(len(usccs), -1, dtype=np.int64)
    out = np.fromiter((register.get(uscc, -1) for uscc in usccs.tolist()), dtype=np.int64,
                      count=len(usccs))  # fmt: skip
    out[~np.asarray(known, dtype=bool)] = -1
    return out
