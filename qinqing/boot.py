"""What a Celery worker does once it is ready and has loaded everything it will use
(qinqing/celery.py's worker_ready receiver).

Python's garbage collector walks, in each full collection, every container object of the
process. In a worker that is all of Django, every app and the translation catalogues,
again and again, although none of it is ever garbage: full collections were a third of
the batch workers' CPU at 1,000,000 persons (12.3 s of 37.2 s; bench/persons.py with
BENCH_GC_STATS=1). `settle()` moves what booting made out of the collector's walks
(gc.freeze), and starts a young collection after YOUNG_COLLECTION_AFTER objects made
rather than Python's 700: a batch chunk holds tens of thousands of rows for a moment,
which the default kept moving into the older generations, each move another walk. What a
task drops is still freed at once by reference counting; only cycles wait for a
collection.

Web workers do not settle: with them settling too (after importing every view), the
instant path through HTTP (bench-claims) moved by less than its runs vary, against the
code before either (server CPU per claim 41-61 ms, 44-49 before, three runs each in
turns), so they were left as they were."""

import gc

YOUNG_COLLECTION_AFTER = 50_000


def settle() -> None:
    """Freeze what exists now and collect young objects less often (see the module)."""
    gc.collect()
    gc.freeze()
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_AFTER, older, oldest)
