import pytest

from qinqing.celery import app as celery_app


@pytest.fixture(autouse=True)
def _tasks_in_process(request, monkeypatch):
    """These tests follow a claim step by step in this process. With a broker configured a
    worker would take the tasks instead (tests marked `worker` do exactly that)."""
    if request.node.get_closest_marker("worker") is None:
        monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
