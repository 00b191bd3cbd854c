"""Bench-only, loaded by a process started with this folder on PYTHONPATH (the bulk
benchmarks' worker processes, with BENCH_GC_STATS=1), or imported (bench/trace_batch.py):
how many garbage collections of each generation the process ran and how long they took
(`collected`), written at exit to $BENCH_GC_STATS_DIR/gc-<pid>.json when that is set.
Never on the product's path."""

import atexit
import gc
import json
import os
import time

collected: dict[int, list[float]] = {}
_started = [0.0]


def _garbage(phase: str, info: dict) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        entry = collected.setdefault(info["generation"], [0, 0.0])
        entry[0] += 1
        entry[1] += time.perf_counter() - _started[0]


def _write() -> None:
    folder = os.environ.get("BENCH_GC_STATS_DIR")
    if folder:
        with open(os.path.join(folder, f"gc-{os.getpid()}.json"), "w") as out:
            json.dump({str(gen): entry for gen, entry in collected.items()}, out)


gc.callbacks.append(_garbage)
atexit.register(_write)
