"""bulk_insert: COPY on PostgreSQL, bulk_create elsewhere; objects come back with their
ids, JSON and money intact, and a duplicate unique value is an IntegrityError."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from qinqing.audit.models import AuditEvent
from qinqing.bulk import bulk_insert
from sandbox.treasury.models import TreasuryRecord

pytestmark = pytest.mark.django_db


def events(n: int) -> list[AuditEvent]:
    return [AuditEvent(action="test.bulk", object_type="x.y", object_id=str(i),
                       object_label=f"行 {i}", after={"n": i, "text": "免申即享"})
            for i in range(n)]  # fmt: skip


@pytest.mark.parametrize("count", [3, 250])  # below and above the COPY threshold
def test_rows_come_back_with_their_ids_and_values(count):
    made = bulk_insert(events(count))
    assert all(row.pk is not None for row in made)
    stored = {row.pk: row for row in AuditEvent.objects.filter(action="test.bulk")}
    assert set(stored) == {row.pk for row in made}
    sample = stored[made[-1].pk]
    assert sample.after == {"n": count - 1, "text": "免申即享"}
    assert sample.object_label == f"行 {count - 1}" and sample.occurred_at is not None


def test_money_is_exact_and_a_duplicate_is_refused():
    rows = [TreasuryRecord(key=f"k{i}", amount=Decimal("0.10") * i, account="6222", reference="r")
            for i in range(150)]  # fmt: skip
    bulk_insert(rows)
    assert TreasuryRecord.objects.get(key="k149").amount == Decimal("14.90")
    again = [TreasuryRecord(key=f"k{i}", amount=Decimal("1.00"), account="6222", reference="r")
             for i in range(140, 260)]  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(again)
    assert TreasuryRecord.objects.count() == 150
