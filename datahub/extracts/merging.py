"""Bringing an extract table to new rows: staged, compared in one statement, and only the
rows that are new or differ written (or the table built whole and swapped in when its facts
changed); the rows and facts that changed, a corrected fact's change left out."""

from datetime import date

import numpy as np
from django.db import connection

from .. import corrections
from ..catalogue import FactSpec
from .reading import copied_columns
from .subjects import ENTERPRISES, ExtractSubject, column_name
from .tables import as_text, column_definitions, fill_table, index_columns, table_layout


def apply_extract(subject: ExtractSubject, department: str, specs: list[FactSpec],
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
    with connection.cursor() as cursor:
        layout = table_layout(cursor, live)
        wanted = [subject.key, *(column_name(spec.name) for spec in specs)]
        if layout != wanted:
            if not whole:  # rows of an extract that is not (yet) built with these facts
                return [], []
            return _replace_table(subject, department, specs, _as_text_columns(ids, columns,
                                  specs), layout is not None)  # fmt: skip
        gone: list[int] = []
        differing = _differing_rows(subject, live, specs, ids, columns) if whole else None
        if differing is not None:  # only the rows that differ are staged and merged
            positions, gone = differing
            ids, columns = ids[positions], {spec.name: np.asarray(columns[spec.name])[positions]
                                            for spec in specs}  # fmt: skip
        changes: list[tuple] = []
        if len(ids):
            stage = _stage(cursor, subject, live, specs, _as_text_columns(ids, columns, specs))
            changes = _merge(cursor, subject.key, live, stage, specs,
                             whole=whole and differing is None)  # fmt: skip
            cursor.execute(f"DROP TABLE {connection.ops.quote_name(stage)}")
        if gone:
            changes += _delete_rows(cursor, subject.key, live, gone, len(specs))
        if whole:  # an extract built before its indexes were: given them now
            index_columns(cursor, subject, live, specs)
    return _without_corrected(changes, specs, as_of, subject)


def _as_text_columns(ids: np.ndarray, columns: dict[str, np.ndarray],
                     specs: list[FactSpec]) -> list[np.ndarray]:  # fmt: skip
    return [ids.astype(str)] + [as_text(spec, columns[spec.name]) for spec in specs]


def _differing_rows(subject: ExtractSubject, live: str, specs: list[FactSpec],
                    ids: np.ndarray, columns: dict[str, np.ndarray],
                    ) -> tuple[np.ndarray, list[int]] | None:  # fmt: skip
    """A whole extract compared with the one in the table, in memory: the positions (in
    `ids`) of the rows that are new or differ in a fact, and the keys of the rows gone.
    The old extract is read in one statement (reading.copied_columns) and compared column
    by column in the hub's units, so only the rows that differ are formatted, staged and
    merged (the join in _merge confirms each). None when the old extract cannot be read
    so (a NULL, a line break in a text) or a column is not of the old one's kind: then
    everything is staged and compared in SQL."""
    if connection.vendor != "postgresql":
        return None
    old = copied_columns(live, subject.key, specs)
    if old is None:
        return None
    old_ids, old_columns = old
    if len(ids) > 1 and (ids[1:] <= ids[:-1]).any():
        return None  # not ascending and unique: compared in SQL
    _common, new_at, old_at = np.intersect1d(ids, old_ids, assume_unique=True,
                                             return_indices=True)  # fmt: skip
    differs = np.zeros(len(new_at), dtype=bool)
    for spec in specs:
        new_column, old_column = np.asarray(columns[spec.name]), old_columns[spec.name]
        if new_column.dtype.kind != old_column.dtype.kind or len(new_column) != len(ids):
            return None
        differs |= new_column[new_at] != old_column[old_at]
    added = np.ones(len(ids), dtype=bool)
    added[new_at] = False
    kept = np.zeros(len(old_ids), dtype=bool)
    kept[old_at] = True
    positions = np.sort(np.concatenate([np.flatnonzero(added), new_at[differs]]))
    return positions, old_ids[~kept].tolist()


def _delete_rows(cursor, key: str, live: str, gone: list[int], facts: int) -> list[tuple]:
    """The rows of subjects gone from the register removed: (key, True, all True) each."""
    quote = connection.ops.quote_name
    # Table and key names come from the catalogue, never from a request.
    cursor.execute(f"DELETE FROM {quote(live)} WHERE {key} = ANY(%s) RETURNING {key}", [gone])  # noqa: S608
    everything = (True,) * facts
    return [(pk, True, *everything) for (pk,) in cursor.fetchall()]


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
        definitions = f"{subject.key} bigint, {column_definitions(specs)}"
        cursor.execute(f"CREATE TEMPORARY TABLE {quote(stage)} ({definitions})")
    fill_table(cursor, subject.key, stage, specs, text_columns)
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
        definitions = column_definitions(specs)
        cursor.execute(f"CREATE TABLE {quote(fresh)} ({key} bigint PRIMARY KEY, {definitions})")
        fill_table(cursor, key, fresh, specs, text_columns)
        changes = _changed_rows(cursor, key, live, fresh, specs) if existed else ([], [])
        cursor.execute(f"DROP TABLE IF EXISTS {quote(live)}")
        cursor.execute(f"ALTER TABLE {quote(fresh)} RENAME TO {quote(live)}")
        # Indexed once filled, under the extract's own name (the old one's index went with it).
        index_columns(cursor, subject, live, specs)
    return changes


def _changed_rows(cursor, key: str, live: str, fresh: str,
                  specs: list[FactSpec]) -> tuple[list[int], list[str]]:  # fmt: skip
    """Rows of `fresh` that are new or differ from `live` in a fact both extracts carry,
    and rows of `live` gone from `fresh`: two set-based statements (a join on the key and
    an anti-join)."""
    old_columns = set(table_layout(cursor, live) or ())
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
