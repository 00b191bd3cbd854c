"""The rows a chunk task carries, as plain JSON values (tasks are queued by name, their
arguments serialised): each qualifying row's facts, kept with its claim as its
explanation, and a person's payment row (the account of their social security card).
Shared by the publish-time batch run (subsidies/batch.py) and the re-evaluations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from datahub.catalogue import CATALOGUE, PERSON_CATALOGUE, FactType
from datahub.columns import json_values

# What a person's batch claim carries besides the rules' facts: the account of their social
# security card (paid to), and since when their employer insures them (the roster shows it).
PERSON_PAYMENT_FACTS = ["person.bank.name", "person.bank.account", "person.hrss.insured_since"]


def person_rows(snapshot, person_ids: np.ndarray) -> list[list]:
    """[person id, bank name, bank account, insured since (ISO date or None)] for each of
    `person_ids`, in their order, from a person snapshot (whatever order its rows are in)."""
    order = np.argsort(snapshot.person_ids, kind="stable")
    where = order[np.searchsorted(snapshot.person_ids, person_ids, sorter=order)] if len(
        snapshot.person_ids) else np.zeros(0, dtype=np.int64)  # fmt: skip
    return person_rows_at(snapshot, where, person_ids)


def person_rows_at(snapshot, rows: np.ndarray, person_ids: np.ndarray | None = None) -> list[list]:
    """person_rows() for the snapshot's own rows `rows` (a batch's qualifying rows of the
    snapshot it was decided from, which carries PERSON_PAYMENT_FACTS too)."""
    rows = np.asarray(rows, dtype=np.int64)
    columns = {}
    for name in PERSON_PAYMENT_FACTS:
        spec = PERSON_CATALOGUE[name]
        values, known = snapshot.columns[name][rows], snapshot.known[name][rows]
        if spec.type is FactType.DATE:
            known = known & (values >= 0)  # "none" (not insured: no start date) is -1
        columns[name] = _where_known(spec, values, known)
    names, accounts = columns["person.bank.name"], columns["person.bank.account"]
    since = columns["person.hrss.insured_since"]
    if person_ids is None:
        person_ids = np.asarray(snapshot.person_ids)[rows]
    return [[int(pk), str(names[index] or ""), str(accounts[index] or ""), since[index]]
            for index, pk in enumerate(person_ids.tolist())]  # fmt: skip


def facts_by_row(snapshot, names: Iterable[str], rows: np.ndarray) -> list[dict[str, Any]]:
    """Each qualifying enterprise's facts as JSON, kept with its claim (its explanation)."""
    columns = {}
    for name in names:
        values = snapshot.columns[name][rows]
        known = snapshot.known[name][rows]
        spec = CATALOGUE.get(name) or PERSON_CATALOGUE[name]
        columns[name] = _where_known(spec, values, known)
    return [{name: column[index] for name, column in columns.items()}
            for index in range(len(rows))]  # fmt: skip


def _where_known(spec, values: np.ndarray, known: np.ndarray) -> list:
    """The column's JSON values (datahub.columns.json_values), None where not known."""
    return [
        value if is_known else None
        for value, is_known in zip(json_values(spec, values), known.tolist(), strict=True)
    ]
