"""Tasks whose arguments are plain JSON values (a batch chunk's 2,000 rows of facts and
accounts) are sent as JSON text written by orjson (qinqing.celery.PLAIN_JSON,
qinqing.jsontext): the worker reads back exactly what was queued, and a value that plain
JSON cannot carry is refused when the task is queued, never changed on the way."""

import json
from datetime import date
from decimal import Decimal

import pytest
from kombu.exceptions import EncodeError
from kombu.serialization import dumps, loads, prepare_accept_content

from qinqing import jsontext
from qinqing.celery import PLAIN_JSON, app
from qinqing.queueing import queue
from subsidies.batch import DECIDE_TASK
from subsidies.reevaluation_runs import DECIDE_TASK as REEVALUATION_DECIDE_TASK

CHUNK_ARGS = [
    7, 3, [101, 102], [80000, 120050],
    [{"enterprise.size": "小型", "tax.paid": "1234.50", "hrss.staff": 12, "since": "2019-03-01",
      "black_listed": False, "unknown": None}] * 2,
    "2026-12-07",
    [[41, "杭州银行", "6222020200112233445", "2022-01-08"], [42, "工商银行", "", None]],
]  # fmt: skip


def sent_and_read(value):
    content_type, encoding, body = dumps(value, serializer=PLAIN_JSON)
    # The worker accepts what the app's accept_content names, as Celery prepares it.
    return loads(
        body, content_type, encoding, accept=prepare_accept_content(app.conf.accept_content)
    )


def test_the_batch_chunk_tasks_are_sent_as_plain_json_and_the_workers_accept_it():
    app.loader.import_default_modules()
    for name in (DECIDE_TASK, REEVALUATION_DECIDE_TASK):
        assert app.tasks[name].serializer == PLAIN_JSON
    assert PLAIN_JSON in app.conf.accept_content


def test_a_chunks_arguments_arrive_as_they_were_queued():
    assert sent_and_read(CHUNK_ARGS) == CHUNK_ARGS


@pytest.mark.parametrize("value", [Decimal("1.50"), date(2026, 1, 1), {1, 2}])
def test_a_value_plain_json_cannot_carry_is_refused_when_queued(value):
    with pytest.raises(EncodeError):
        dumps([1, value], serializer=PLAIN_JSON)


def test_reading_falls_back_where_orjson_refuses():
    big = 2**70
    assert jsontext.loads(jsontext.plain([big])) == [big]
    assert jsontext.loads('"\\ud800"') == json.loads('"\\ud800"')
    with pytest.raises(ValueError):
        jsontext.loads("{not json")


def test_queueing_a_chunk_with_a_value_plain_json_cannot_carry_fails_loudly(settings):
    """Not logged and skipped as an unreachable broker would be (the chunk would never be
    decided): raised, in the eager mode of the tests as on the way to a worker."""
    with pytest.raises(EncodeError):
        queue(DECIDE_TASK, 1, 0, [1], [100], [{"tax.paid": Decimal("1.00")}], "2026-12-07")
