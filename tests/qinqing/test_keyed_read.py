"""qinqing.bulk.KeyedRead: a read by keys built once per process gives what its queryset
gives, for any keys, converted alike, and refuses what the queryset would refuse."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from enterprises.models import Enterprise
from qinqing.bulk import KeyedRead, any_of
from qinqing.events.models import OutboxEvent
from qinqing.events.services import Event, emit_many
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def test_a_keyed_read_gives_what_its_queryset_gives_for_any_keys():
    def build(keys):
        return (Enterprise.objects.filter(any_of("pk", keys)).order_by("pk")
                .values_list("pk", "uscc", "name", "district_id", "created_at"))  # fmt: skip

    read = KeyedRead(build)
    enterprises = EnterpriseFactory.create_batch(3)
    keys = [e.pk for e in enterprises]
    for asked in (keys[:1], keys, keys[1:], [*keys, 10**12], []):
        assert read.rows(asked) == list(build(asked))


def test_values_are_converted_as_the_queryset_converts_them():
    """A JSON column comes back decoded, as values_list gives it."""
    emit_many([Event("claim.paid", {"claim": 7, "amount": "1.00"})])
    event = OutboxEvent.objects.get()
    read = KeyedRead(lambda keys: OutboxEvent.objects.filter(any_of("pk", keys))
                     .values_list("pk", "payload"))  # fmt: skip
    assert read.rows([event.pk]) == [(event.pk, {"claim": 7, "amount": "1.00"})]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_built_once_and_locking_only_inside_a_transaction(reference_data):
    read = KeyedRead(lambda keys: Enterprise.objects.select_for_update()
                     .filter(any_of("pk", keys)).values_list("pk"))  # fmt: skip
    first, second = EnterpriseFactory.create_batch(2)
    with pytest.raises(transaction.TransactionManagementError):
        read.rows([first.pk])
    with transaction.atomic():
        assert read.rows([first.pk]) == [(first.pk,)]
        with CaptureQueriesContext(connection) as again:
            assert read.rows([second.pk]) == [(second.pk,)]
    assert "FOR UPDATE" in again.captured_queries[0]["sql"]


def test_model_instances_come_with_their_related_ones_as_the_queryset_makes_them():
    def build(keys):
        return (Enterprise.objects.select_related("district").defer("name")
                .filter(any_of("pk", keys)).order_by("pk"))  # fmt: skip

    read = KeyedRead(build)
    enterprises = EnterpriseFactory.create_batch(2)
    for asked in ([enterprises[1].pk], [e.pk for e in enterprises]):
        made, expected = read.objects(asked), list(build(asked))
        assert [e.pk for e in made] == [e.pk for e in expected]
        for got, want in zip(made, expected, strict=True):
            assert got.get_deferred_fields() == want.get_deferred_fields() == {"name"}
            assert (got.uscc, got.district.code) == (want.uscc, want.district.code)
            assert got._state.adding is False and got._state.db == want._state.db
