"""The shared bulk writers as plain values (issue #24): the audit trail (record_rows,
record_events), the outbox (emit_many) and notifications (notify_many) go through
insert_values without a model object per row, below and above the COPY threshold, and
what lands is what the ORM path wrote: JSON intact, one time stamp, ids from the
sequence, the trail still append-only on every partition; `any_of` filters by an array."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy as _

from qinqing.audit.models import AuditEvent
from qinqing.audit.services import record_events, record_rows
from qinqing.bulk import RawJson, any_of, insert_values
from qinqing.events.models import OutboxEvent
from qinqing.events.services import Event, emit_many
from qinqing.notifications import services as notifications
from qinqing.notifications.models import Notification
from subsidies.models import Claim
from subsidies.notification_kinds import NotificationKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SIZES = [3, 250]  # below and above insert_values' COPY threshold (100 rows)


@pytest.mark.parametrize("count", SIZES)
def test_record_rows_writes_plain_values(count):
    user = UserFactory()
    written = record_rows(actor=user, model=Claim, events=[
        ("claim.paid", pk, f"第 {pk} 号" + "长" * 400, {"status": "paying"},
         {"status": "paid", "amount": "1.00"} if pk % 2 else None)
        for pk in range(1, count + 1)
    ])  # fmt: skip
    assert written == count
    rows = list(AuditEvent.objects.filter(action="claim.paid").order_by("id"))
    assert [row.object_id for row in rows] == [str(pk) for pk in range(1, count + 1)]
    first, second = rows[0], rows[1]
    assert (first.actor_id, first.actor_label) == (user.pk, user.get_username())
    assert first.object_type == "subsidies.claim" and len(first.object_label) == 300
    assert first.before == {"status": "paying"}
    assert first.after == {"status": "paid", "amount": "1.00"}
    assert second.after is None  # SQL NULL, not the JSON null
    assert AuditEvent.objects.filter(action="claim.paid", after__isnull=True).count() == count // 2
    assert all(row.occurred_at is not None for row in rows)


@pytest.mark.parametrize("count", SIZES)
def test_record_rows_keeps_each_picture_as_given_when_many_share_one(count):
    """Pictures shared by many rows are encoded once: equal-looking values of another
    type (1, True, 1.0) or scale (Decimal 1.0 and 1.00, kept as their text) still land as
    given, and a nested one too."""
    pictures = [
        {"n": 1},
        {"n": True},
        {"n": 1.0},
        {"n": [1, {"x": None}]},
        {"n": "1"},
        {"n": Decimal("1.0")},
        {"n": Decimal("1.00")},
    ]
    record_rows(actor=None, model=Claim, events=[
        ("claim.checked", pk, f"claim {pk}", None, pictures[pk % len(pictures)])
        for pk in range(count)
    ])  # fmt: skip
    rows = AuditEvent.objects.filter(action="claim.checked").order_by("id")
    kept = [(row.after, type(row.after["n"])) for row in rows]
    expected = [json.loads(json.dumps(picture, cls=DjangoJSONEncoder)) for picture in pictures]
    assert kept == [(expected[pk % len(pictures)], type(expected[pk % len(pictures)]["n"]))
                    for pk in range(count)]  # fmt: skip


@pytest.mark.parametrize("count", SIZES)
def test_record_events_names_each_object_and_the_system_actor(count):
    users = UserFactory.create_batch(2)
    record_events(actor=None, events=(
        ("user.checked", users[index % 2], None, {"when": dt.date(2026, 1, 2), "n": index})
        for index in range(count)
    ))  # fmt: skip
    rows = AuditEvent.objects.filter(action="user.checked")
    assert rows.count() == count
    row = rows.get(after__n=1)
    assert row.actor_id is None and row.actor_label == "system"
    assert (row.object_type, row.object_id) == ("accounts.user", str(users[1].pk))
    assert row.object_label == str(users[1]) and row.after == {"when": "2026-01-02", "n": 1}


@pytest.mark.postgres
def test_rows_written_in_bulk_stay_append_only_in_their_partition():
    record_rows(actor=None, model=Claim, events=[
        ("claim.paid", pk, f"claim {pk}", None, {"status": "paid"}) for pk in range(200)
    ])  # fmt: skip
    one = AuditEvent.objects.filter(action="claim.paid").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM audit_auditevent WHERE id = %s",
                       [one.pk])  # fmt: skip
        (partition,) = cursor.fetchone()
    assert partition.startswith("audit_auditevent_")  # a month's partition, or DEFAULT
    for statement in ("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s",
                      "DELETE FROM audit_auditevent WHERE id = %s"):  # fmt: skip
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [one.pk])
    assert AuditEvent.objects.get(pk=one.pk).action == "claim.paid"


@pytest.mark.parametrize("count", SIZES)
@pytest.mark.usefixtures("outbox_listened")
def test_emit_many_writes_the_json_partners_get(count, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        written = emit_many(
            Event("claim.paid", {"claim": n, "amount": Decimal("1234.50"),
                                 "day": dt.date(2026, 3, 1), "word": _("Policies")},
                  subject="长" * 150, enterprise_id=n, district_id=7)
            for n in range(count)
        )  # fmt: skip
    assert written == count
    assert len(callbacks) == 1  # consumers told once per transaction
    rows = list(OutboxEvent.objects.order_by("id"))
    assert [row.enterprise_id for row in rows] == list(range(count))
    row = rows[-1]
    assert row.payload == {"claim": count - 1, "amount": "1234.50", "day": "2026-03-01",
                           "word": "Policies"}  # fmt: skip
    assert len(row.subject) == 100 and row.district_id == 7 and row.department_id is None
    assert row.dispatched_at is None and len({r.occurred_at for r in rows}) == 1


def test_an_unknown_event_type_writes_nothing_of_the_lot():
    with pytest.raises(ValueError, match="unknown event type"):
        emit_many([Event("claim.paid", {"n": 1})] * 150 + [Event("no.such", {})])
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize("count", SIZES)
def test_notify_many_writes_rows_and_returns_them_as_a_query(count):
    users = UserFactory.create_batch(count)
    with CaptureQueriesContext(connection) as queries:
        made = notifications.notify_many(NotificationKind.CLAIM_PAID, [
            notifications.Delivery(user.pk, _("Policies"), "正文", f"/claims/{user.pk}/")
            for user in users
        ])  # fmt: skip
    # Preferences, then the insert (ids reserved + COPY on PostgreSQL): nothing per person.
    assert len(queries) <= 3 + (0 if connection.vendor == "postgresql" else count // 50)
    assert made.count() == count == Notification.objects.count()
    row = made.get(recipient=users[-1])
    assert (row.title, row.title_en, row.body, row.body_en) == ("政策", "Policies", "正文", "")
    assert row.link == f"/claims/{users[-1].pk}/" and row.in_app and row.created_at


def test_insert_values_takes_json_text_as_it_is():
    rows = [("t.raw", "x.y", str(n), RawJson(f'{{"n": {n}, "s": "免申"}}')) for n in range(120)]
    insert_values(AuditEvent, ("action", "object_type", "object_id", "after"), rows, keys=False)
    insert_values(AuditEvent, ("action", "object_type", "object_id", "after"), rows[:2])
    assert AuditEvent.objects.filter(action="t.raw").count() == 122
    assert AuditEvent.objects.filter(action="t.raw", object_id="7").first().after == {
        "n": 7, "s": "免申"}  # fmt: skip


def test_any_of_filters_by_one_array_on_postgresql():
    users = UserFactory.create_batch(3)
    wanted = [users[0].pk, users[2].pk, 10**9]
    model: type[Model] = type(users[0])
    with CaptureQueriesContext(connection) as queries:
        found = sorted(model.objects.filter(any_of("pk", wanted)).values_list("pk", flat=True))
    assert found == [users[0].pk, users[2].pk]
    if connection.vendor == "postgresql":
        assert "= ANY(" in queries[0]["sql"] and " IN (" not in queries[0]["sql"]
    assert not model.objects.filter(any_of("pk", [])).exists()
    assert model.objects.exclude(any_of("pk", [])).count() == model.objects.count()
    # The ids the rows got depend on what ran before on this database: the big list holds
    # them beside ids no row can have, never a range that assumes where the sequence stands.
    size = 5000 if connection.vendor == "postgresql" else 500
    big = [user.pk for user in users] + list(range(10**9, 10**9 + size - 3))
    assert model.objects.filter(any_of("pk", big)).count() == 3


@pytest.mark.parametrize("count", SIZES)
def test_json_and_stamps_written_as_text_come_back_as_given(count):
    """Above the threshold insert_values hands COPY JSON and aware datetimes as text (its
    own encoding, not the driver's): the same values land as below it."""
    shanghai = dt.timezone(dt.timedelta(hours=8))
    base = dt.datetime(2026, 12, 7, 12, 30, 15, 123456, tzinfo=shanghai)
    shared = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    awkward = {"名": "免申即享", "tab": "a\tb", "line": "a\nb", "slash": "a\\b", "n": [1, 2.5],
               "nested": {"none": None, "yes": True}}  # fmt: skip
    rows = [(f"t.text{count}", {**awkward, "row": n}, str(n),
             base + dt.timedelta(microseconds=n) if n % 2 else shared,
             None if n % 3 else shared)
            for n in range(count)]  # fmt: skip
    insert_values(OutboxEvent, ("event_type", "payload", "subject", "occurred_at",
                                "dispatched_at"), rows, keys=False)  # fmt: skip
    written = {int(event.subject): event for event in
               OutboxEvent.objects.filter(event_type=f"t.text{count}")}  # fmt: skip
    assert len(written) == count
    for n, row in enumerate(rows):
        assert written[n].payload == row[1]
        assert (written[n].occurred_at, written[n].dispatched_at) == row[3:]


def _membership_naming(enterprise_id: int) -> None:
    """A membership row naming this enterprise id (the ORM writes it; the database checks
    the key when its constraints are checked)."""
    from enterprises.models import EnterpriseMembership, MemberRole

    EnterpriseMembership.objects.create(enterprise_id=enterprise_id, user=UserFactory(),
                                        role=MemberRole.LEGAL_REPRESENTATIVE)  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_check_foreign_keys_now_fails_a_dangling_key_before_the_commit():
    """A batch chunk checks its foreign keys before it takes the budget's row lock: a
    row naming an enterprise that does not exist fails there, not at the commit, and
    the rows written before are rolled back with it."""
    from enterprises.models import EnterpriseMembership
    from qinqing.foreign_keys import check_foreign_keys_now

    reached = []
    with pytest.raises(DatabaseError), transaction.atomic():
        _membership_naming(2_000_000_001)
        check_foreign_keys_now()
        reached.append("after the check")
    assert reached == [] and not EnterpriseMembership.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_check_foreign_keys_now_defers_the_later_checks_again(reference_data):
    """After the check, keys are again checked at the commit: a row written before the
    row it names, in the same transaction, is accepted (as Django's writes expect)."""
    from enterprises.models import EnterpriseMembership
    from qinqing.foreign_keys import check_foreign_keys_now
    from tests.factories import EnterpriseFactory

    with transaction.atomic():
        check_foreign_keys_now()
        _membership_naming(2_000_000_002)
        EnterpriseFactory(pk=2_000_000_002)
    assert EnterpriseMembership.objects.filter(enterprise_id=2_000_000_002).count() == 1
