"""The append-only logs partitioned by month on PostgreSQL (issue #25, qinqing/partitions.py):
rows land in their month, months are created ahead and dropped past retention, the audit
trail stays append-only on every partition. SQLite keeps plain tables."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from datahub.filters import DataCallFilter
from datahub.models import DataCall
from qinqing import partitions
from qinqing.events.models import OutboxEvent
from tests.factories import department


def where(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"select tableoid::regclass::text from {table} where id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def data_call(started_at: dt.datetime) -> DataCall:
    return DataCall.objects.create(
        department=department("hrss"), interface="insured", purpose="test", transport="sim",
        started_at=started_at, latency_ms=1.0, outcome="ok",
    )  # fmt: skip


def audit_row(occurred_at: dt.datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into audit_auditevent (occurred_at, actor_label, action, object_type,"
            " object_id, object_label, request_id) values (%s, '', 'test', 't', '1', '', '')"
            " returning id",
            [occurred_at],
        )
        return cursor.fetchone()[0]


def at(year: int, month: int, day: int = 15) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=dt.UTC)


def test_on_sqlite_maintaining_partitions_does_nothing(db):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert partitions.maintain() == {"created": [], "dropped": []}


@pytest.mark.parametrize("table", list(partitions.MONTHLY_TABLES))
@pytest.mark.postgres
@pytest.mark.django_db
def test_each_log_is_partitioned_by_month_with_its_time_in_the_key(table):
    key = partitions.MONTHLY_TABLES[table]
    with connection.cursor() as cursor:
        assert partitions.is_partitioned(cursor, table)
        cursor.execute(
            "select pg_get_partkeydef(%s::regclass), pg_get_constraintdef(oid) from pg_constraint"
            " where conrelid = %s::regclass and contype = 'p'",
            [table, table],
        )
        partkey, primary = cursor.fetchone()
        names = partitions.existing_partitions(cursor, table)
    assert partkey == f"RANGE ({key})" and primary == f"PRIMARY KEY (id, {key})"
    this_month = partitions.month_start(timezone.now().date())
    assert partitions.partition_name(table, partitions.add_months(this_month, 2)) in names
    assert f"{table}_default" in names


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_land_in_their_month_and_a_late_month_takes_its_rows_out_of_default(reference_data):
    this_month = partitions.month_start(timezone.now().date())
    now = dt.datetime.combine(this_month, dt.time(8), tzinfo=dt.UTC)
    current = data_call(now)
    assert where("datahub_datacall", current.pk) == partitions.partition_name(
        "datahub_datacall", this_month
    )
    old_call, old_audit = data_call(at(2019, 3)), audit_row(at(2019, 3))
    assert where("datahub_datacall", old_call.pk) == "datahub_datacall_default"
    assert where("audit_auditevent", old_audit) == "audit_auditevent_default"
    created = partitions.maintain(today=dt.date(2019, 3, 2))["created"]
    assert "datahub_datacall_p201903" in created and "audit_auditevent_p201903" in created
    assert where("datahub_datacall", old_call.pk) == "datahub_datacall_p201903"
    assert where("audit_auditevent", old_audit) == "audit_auditevent_p201903"
    assert DataCall.objects.filter(started_at__year=2019).count() == 1
    assert partitions.maintain(today=dt.date(2019, 3, 2))["created"] == []  # idempotent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_audit_trail_refuses_updates_and_deletes_on_every_partition():
    rows = [audit_row(at(2018, 5)), audit_row(timezone.now())]
    partitions.maintain(today=dt.date(2018, 5, 1))  # the first row moves to its own month
    with connection.cursor() as cursor:
        for table in partitions.existing_partitions(cursor, "audit_auditevent"):
            cursor.execute(
                "select count(*) from pg_trigger where tgrelid = %s::regclass"
                " and tgname = 'audit_event_no_update' and tgenabled = 'O'",
                [table],
            )
            assert cursor.fetchone()[0] == 1, table
    for pk in rows:
        for statement in ("update audit_auditevent set action = 'forged' where id = %s",
                          "delete from audit_auditevent where id = %s"):  # fmt: skip
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement, [pk])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_retention_drops_whole_months_but_never_the_audit_trail_unless_configured(
    reference_data, settings
):
    today = dt.date(2021, 6, 10)
    for month in (1, 2, 3):
        partitions.maintain(today=dt.date(2021, month, 1))
        data_call(at(2021, month))
        audit_row(at(2021, month))
    OutboxEvent.objects.create(event_type="test", occurred_at=at(2021, 1))  # not dispatched
    # Three months before June kept (March to May) besides June itself.
    settings.PARTITION_RETENTION_MONTHS = {"datahub_datacall": 3, "events_outboxevent": 3}
    dropped = partitions.maintain(today=today)["dropped"]
    assert "datahub_datacall_p202101" in dropped and "datahub_datacall_p202102" in dropped
    assert "datahub_datacall_p202103" not in dropped
    assert not [name for name in dropped if name.startswith("audit_")]
    assert "events_outboxevent_p202101" not in dropped  # an event still to dispatch
    assert DataCall.objects.filter(started_at__year=2021).count() == 1
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from audit_auditevent where occurred_at < '2021-04-01'")
        assert cursor.fetchone()[0] == 3
        assert "datahub_datacall_default" in partitions.existing_partitions(
            cursor, "datahub_datacall"
        )


@pytest.mark.django_db
def test_the_call_logs_day_filter_keeps_local_days_and_prunes_months(reference_data):
    tz = timezone.get_current_timezone()
    day = dt.date(2026, 3, 1)
    first_minute = data_call(dt.datetime(2026, 3, 1, 0, 0, 30, tzinfo=tz))
    last_minute = data_call(dt.datetime(2026, 2, 28, 23, 59, 30, tzinfo=tz))
    since = DataCallFilter({"since": day.isoformat()}, queryset=DataCall.objects.all()).qs
    until = DataCallFilter({"until": "2026-02-28"}, queryset=DataCall.objects.all()).qs
    assert list(since) == [first_minute] and list(until) == [last_minute]
    if connection.vendor == "postgresql":
        plan = DataCallFilter(
            {"since": "2026-03-01", "until": "2026-03-31"}, queryset=DataCall.objects.all()
        ).qs.explain()
        assert "datahub_datacall_p202603" in plan or "datahub_datacall_default" in plan
        assert "datahub_datacall_p202602" not in plan
