"""What a worker process does once booted: a Celery worker (qinqing/celery.py) and a web
worker (qinqing/wsgi.py), qinqing/boot.py."""

import gc
import json
import os
import subprocess
import sys

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


def test_a_web_worker_keeps_its_boot_objects_and_every_view_out_of_the_collectors_walks():
    """Without it a full collection in a web worker walked Django's ~260,000 boot objects
    (115-150 ms) every dozen requests or so: the dashboards' p95 of about 200 ms. A fresh
    interpreter, as gunicorn starts a worker (the application module imported)."""
    probe = ("import gc, json, sys; young = gc.get_threshold(); import qinqing.wsgi; "
             "print(json.dumps([gc.get_freeze_count(), gc.get_count()[2], "
             "'dashboards.views' in sys.modules, gc.get_threshold() == young]))")  # fmt: skip
    env = {**os.environ}  # the tests' settings, as pytest-django set them
    assert env.get("DJANGO_SETTINGS_MODULE")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, check=True, timeout=120)  # fmt: skip
    frozen, oldest_pending, views_imported, thresholds_kept = json.loads(
        done.stdout.strip().splitlines()[-1]
    )
    assert frozen > 100_000 and oldest_pending == 0
    assert views_imported  # the views' own objects frozen too, not made on the first requests
    assert thresholds_kept  # a page's objects live one request: Python's thresholds suit
