"""What a worker process does once it has loaded everything it will use: a Celery worker
when ready (qinqing/celery.py's worker_ready receiver), a web worker once its application
is made (qinqing/wsgi.py, asgi.py).

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

Web workers settle too, once their application is made and every view imported
(qinqing/wsgi.py, settle_web). The instant path through HTTP (bench-claims) did not move
by more than its runs vary when they did (server CPU per claim 41-61 ms, 44-49 before),
but the dashboards did: a web worker holds about 260,000 objects after booting, a full
collection walked them all in 115-150 ms, and one came every dozen requests or so,
because each page leaves reference cycles only a full collection frees. That was the
dashboards' p95 of about 200 ms against a p50 of 10-30 ms (bench/dashboards.py, with the
collector's pauses counted, 2026-12-07)."""

import gc

YOUNG_COLLECTION_AFTER = 50_000


def settle(young_collection_after: int | None = YOUNG_COLLECTION_AFTER) -> None:
    """Freeze what exists now and (unless None) collect young objects less often (see the
    module)."""
    gc.collect()
    gc.freeze()
    if young_collection_after is not None:
        _young, older, oldest = gc.get_threshold()
        gc.set_threshold(young_collection_after, older, oldest)


def settle_web() -> None:
    """A web worker once its application is made: the URLconf and every view it names
    imported first (they would be on the first requests), then settle()."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the property imports every view module)
    # Python's own thresholds kept: a page's objects live for one request, and with the
    # workers' 50,000 a middle-generation collection walked up to half a million of them
    # (pauses of 95-183 ms in bench/dashboards.py, 2026-12-07).
    settle(young_collection_after=None)
