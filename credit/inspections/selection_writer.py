"""Writing a draw's selections, one stratum at a time: bulk_create, or on PostgreSQL COPY
from a second thread while the next stratum is computed."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from accounts.models import User
from enterprises.models import Enterprise

from . import draw as algorithm
from .models import (
    InspectionDraw,
    InspectionSelection,
    PopulationSnapshot,
    ResultStatus,
)
from .snapshots import unpack_ids

SelectionWriter = Callable[[list[tuple[str, str, int, list[str]]], list[int]], None]


@contextmanager
def selection_writer(
    drawn: InspectionDraw, snapshot: algorithm.Snapshot
) -> Iterator[SelectionWriter]:
    """write(selections, positions) for one stratum at a time: a row per selected
    enterprise, its inspectors (user ids) on the row. On PostgreSQL a second thread writes
    each stratum with COPY, its foreign keys checked at the end of it (not at commit),
    while this one computes the next: the database works on the other core meanwhile."""
    usernames = [name for name, _district in snapshot.inspectors]
    users = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
    enterprise_ids = _enterprise_ids_of(drawn, snapshot)
    if connection.vendor != "postgresql":

        def create(selections: list, positions: list[int]) -> None:
            InspectionSelection.objects.bulk_create(
                [
                    InspectionSelection(
                        draw=drawn,
                        enterprise_id=enterprise_id,
                        grade=grade,
                        rank=rank,
                        inspectors=[users[name] for name in picked],
                    )
                    for enterprise_id, (_uscc, grade, rank, picked) in zip(
                        enterprise_ids(selections, positions), selections, strict=True
                    )
                ],
                batch_size=2000,
            )

        yield create
        return
    texts = {name: str(pk) for name, pk in users.items()}
    head, pending = f"{drawn.pk}\t", ResultStatus.PENDING.value

    def copy_lines(selections: list, positions: list[int]) -> None:
        # Nothing here needs COPY's escaping: integers, a grade letter of the algorithm's,
        # a JSON list of integers, a status code and empty texts. In the order of the
        # enterprises' ids: the foreign-key checks then walk the register's index in order.
        lines = sorted(
            (
                enterprise_id,
                f"{head}{enterprise_id}\t{grade}\t{rank}\t"
                f"[{', '.join([texts[name] for name in picked])}]\t{pending}\t\t\n",
            )
            for enterprise_id, (_uscc, grade, rank, picked) in zip(
                enterprise_ids(selections, positions), selections, strict=True
            )
        )
        if lines:
            writer.put("".join([line for _id, line in lines]))

    quote = connection.ops.quote_name
    meta = InspectionSelection._meta
    columns = [
        "draw",
        "enterprise",
        "grade",
        "rank",
        "inspectors",
        "result",
        "findings",
        "severity",
    ]
    names = ", ".join(quote(meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    writer = _CopyThread(connection.connection, f"COPY {quote(meta.db_table)} ({names}) FROM STDIN")
    writer.start()
    try:
        yield copy_lines
    finally:
        writer.put(None)
        writer.join()
        if writer.error is None:  # else the transaction has failed: nothing more to say
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    if writer.error is not None:
        with connection.wrap_database_errors:
            raise writer.error


class _CopyThread(threading.Thread):
    """COPYs each text it is given, in order, on the given (raw) connection, in the open
    transaction; the first error stops it and is kept for the caller to raise. The caller
    makes no query meanwhile."""

    def __init__(self, raw_connection: Any, statement: str) -> None:
        super().__init__(name="draw-copy", daemon=True)
        self.raw, self.statement = raw_connection, statement
        self.texts: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.error: BaseException | None = None

    def put(self, text: str | None) -> None:
        self.texts.put(text)

    def run(self) -> None:
        while (text := self.texts.get()) is not None:
            if self.error is not None:
                continue
            try:
                with self.raw.cursor() as cursor, cursor.copy(self.statement) as copy:
                    copy.write(text)
            except BaseException as error:  # handed to the caller, raised there
                self.error = error


def _enterprise_ids_of(
    drawn: InspectionDraw, snapshot: algorithm.Snapshot
) -> Callable[[list, list[int]], list[int]]:
    """ids(selections, positions): the selected enterprises' ids, from the ids kept with
    the snapshot at publication; for a snapshot published before they were kept, by USCC
    from the register, all read here (no query is made while the selections are written)."""
    packed = PopulationSnapshot.objects.values_list("enterprise_ids", flat=True).get(
        campaign_id=drawn.campaign_id
    )
    ids = unpack_ids(packed) if packed else []
    if len(ids) != len(snapshot.enterprises):
        usccs = [uscc for uscc, _grade, _district in snapshot.enterprises]
        found: dict[str, int] = {}
        for start in range(0, len(usccs), 10_000):
            chunk = usccs[start : start + 10_000]
            found.update(Enterprise.objects.filter(uscc__in=chunk).values_list("uscc", "pk"))
        ids = [found[uscc] for uscc in usccs]
    return lambda _selections, positions: [ids[index] for index in positions]
