"""CPU time per process from /proc (utime + stime), for the benchmarks that say what each
tier of the server costs: counted before and after a measured window, per process, with a
sampler in between so that a process that exits inside the window (a PostgreSQL backend
closed, a worker thread's connection dropped) still counts for what it used.

Nothing here imports Django."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float | None:
    """Seconds of CPU used so far by this process (all its threads), None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def children_of(pid: int) -> list[int]:
    """Every descendant of `pid` (gunicorn's workers, a prefork pool), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(Path(entry, "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def pids_named(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


class Window:
    """CPU used by groups of processes between start() and stop().

    `groups` maps a tier's name to a function returning its pids now (called at the start,
    at each sample and at the end, so processes born inside the window are counted from
    their birth). Each pid's CPU is the last value seen minus its value at the start (0 for
    a pid born later)."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]], every: float = 0.25) -> None:
        self.groups, self.every = groups, every
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _look(self, *, starting: bool = False) -> None:
        for tier, pids in self.groups.items():
            for pid in pids():
                used = cpu_of(pid)
                if used is None:
                    continue
                if starting:
                    self.first[(tier, pid)] = used
                self.last[(tier, pid)] = used

    def start(self) -> None:
        self._look(starting=True)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._look()

    def stop(self) -> dict[str, float]:
        """Seconds of CPU per tier over the window."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._look()
        used = {tier: 0.0 for tier in self.groups}
        for (tier, pid), last in self.last.items():
            used[tier] += last - self.first.get((tier, pid), 0.0)
        return used
