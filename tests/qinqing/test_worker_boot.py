"""What a Celery worker does once booted (qinqing/celery.py)."""

import gc

from celery.signals import worker_ready

from qinqing.boot import YOUNG_COLLECTION_AFTER


def test_a_booted_worker_keeps_its_boot_objects_out_of_the_collectors_walks():
    """Without it every full collection in a batch worker walked all of Django again (a
    third of the workers' CPU at 1,000,000 persons)."""
    threshold = gc.get_threshold()
    frozen = gc.get_freeze_count()
    try:
        worker_ready.send(sender=None)
        assert gc.get_freeze_count() > frozen
        assert gc.get_threshold()[0] == YOUNG_COLLECTION_AFTER
        assert gc.get_threshold()[1:] == threshold[1:]
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
