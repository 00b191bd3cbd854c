"""A worker's database connection that broke under it is replaced before the next task.

The fault run (bench/faults.py) found workers whose connection had been terminated while a
statement ran outside a transaction: Django keeps such a connection (a worker is not a
request: nothing closes it), and every later task on it failed with "the connection is
lost" — claims left unchecked, payments unsent, for as long as the worker lived."""

import psycopg
import pytest
from celery.signals import task_postrun
from django.contrib.sessions.models import Session
from django.db import DatabaseError, OperationalError, connection, transaction

from qinqing.tasks import ping

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _terminate_this_connection() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _task_finished() -> None:
    """What Celery sends after each task in a worker (a request that is not eager)."""
    task_postrun.send(sender=ping, task_id="t", task=ping, args=(), kwargs={}, retval=None,
                      state="FAILURE")  # fmt: skip


def test_the_task_after_a_connection_broke_finds_the_database_again():
    _terminate_this_connection()
    with pytest.raises(OperationalError):
        Session.objects.count()  # a task's read outside a transaction meets the break
    with pytest.raises(OperationalError), transaction.atomic():
        Session.objects.count()  # left as it is, the connection stays broken for good
    _task_finished()
    with transaction.atomic():
        assert Session.objects.count() == 0


def test_a_connection_that_still_answers_is_kept_after_an_error():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM no_such_table")
    _task_finished()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone() == (pid,)
