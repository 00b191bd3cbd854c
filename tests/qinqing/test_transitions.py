"""The one transition mechanism (qinqing.transitions), on a real model (claims): the table
checked before anything is written, audit rows and outbox events in the caller's
transaction, and set-based moves whose from-states are in the WHERE clause, with values of
each row's own written together with the status."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F

from qinqing.audit.models import AuditEvent
from qinqing.errors import IllegalTransition
from qinqing.events.models import OutboxEvent
from qinqing.transitions import Transitions, move, move_many
from subsidies.models import Claim, ClaimStatus
from tests.factories import EnterpriseFactory
from tests.subsidies.test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)
S = ClaimStatus


def claims(of_policy, *statuses: str) -> list[Claim]:
    return [
        Claim.objects.create(
            enterprise=EnterpriseFactory(),
            policy=of_policy,
            period="2026",
            version=of_policy.versions.get(),
            status=status,
            amount=Decimal("5000.00"),
        )
        for status in statuses
    ]


def actions(claim: Claim) -> list[str]:
    return list(AuditEvent.objects.filter(object_type="subsidies.claim", object_id=str(claim.pk))
                .order_by("pk").values_list("action", flat=True))  # fmt: skip


def test_a_table_names_only_its_own_states():
    with pytest.raises(ValueError, match="undeclared"):
        Transitions({"a": {"b"}}, action="x")
    table = Transitions({"a": {"b"}, "b": {"c"}, "c": set()}, action="x")
    assert table.sources("c") == {"b"} and table.sources("c", via=("b",)) == {"a"}
    assert table.sources("a") == frozenset()


def test_move_checks_the_table_before_writing_anything(policy):  # noqa: F811
    (claim,) = claims(policy, S.PAID)
    with transaction.atomic(), pytest.raises(IllegalTransition):
        move(Claim.objects.select_for_update().get(pk=claim.pk), S.PAYING)
    assert Claim.objects.get(pk=claim.pk).status == S.PAID and actions(claim) == []


def test_move_writes_the_row_its_audit_trail_and_its_outbox_event(policy):  # noqa: F811
    (claim,) = claims(policy, S.CHECKING)
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        move(locked, S.PAYING, via=(S.ELIGIBLE,), checks=F("checks") + 1)
    claim.refresh_from_db()
    assert claim.status == S.PAYING and claim.checks == 1
    assert actions(claim) == ["claim.eligible", "claim.paying"]
    with transaction.atomic():
        move(Claim.objects.select_for_update().get(pk=claim.pk), S.PAID)
    (event,) = OutboxEvent.objects.filter(subject=f"claim:{claim.pk}")
    assert event.event_type == "claim.paid" and event.payload["amount"] == "5000.00"


def test_a_rolled_back_move_leaves_no_trail_and_no_event(policy):  # noqa: F811
    (claim,) = claims(policy, S.PAYING)
    with pytest.raises(RuntimeError), transaction.atomic():
        move_many(Claim, [claim.pk], S.PAID)
        raise RuntimeError
    assert Claim.objects.get(pk=claim.pk).status == S.PAYING
    assert actions(claim) == [] and not OutboxEvent.objects.exists()


def test_move_many_skips_rows_moved_meanwhile(policy):  # noqa: F811
    paying, also_paying, paid_meanwhile = claims(policy, S.PAYING, S.PAYING, S.PAID)
    ids = [paying.pk, also_paying.pk, paid_meanwhile.pk]
    with transaction.atomic():
        moved = move_many(Claim, ids, S.PAID, labels={paying.pk: "first"})
    assert sorted(moved) == sorted([paying.pk, also_paying.pk])
    assert actions(paid_meanwhile) == []
    assert OutboxEvent.objects.filter(event_type="claim.paid").count() == 2
    first = AuditEvent.objects.get(object_type="subsidies.claim", object_id=str(paying.pk))
    assert (first.object_label, first.before, first.after) == (
        "first", {"status": "paying"}, {"status": "paid"})  # fmt: skip
    with transaction.atomic(), pytest.raises(IllegalTransition):
        move_many(Claim, ids, S.OFFERED)  # nothing ever becomes "offered"


def test_move_many_writes_each_rows_own_values_with_the_status(policy):  # noqa: F811
    one, two = claims(policy, S.CHECKING, S.CHECKING)
    rows = {
        one.pk: {"decision": {"status": "eligible", "n": 1}, "amount": Decimal("1.50")},
        two.pk: {"decision": {"status": "eligible", "n": 2}, "amount": Decimal("2.25")},
    }
    with transaction.atomic():
        moved = move_many(Claim, [one.pk, two.pk], S.IN_REVIEW, rows=rows, checks=3)
    assert sorted(moved) == sorted([one.pk, two.pk])
    for claim in (one, two):
        claim.refresh_from_db()
        assert (claim.status, claim.checks) == (S.IN_REVIEW, 3)
        assert claim.decision == rows[claim.pk]["decision"]
        assert claim.amount == rows[claim.pk]["amount"]


def test_move_many_asks_for_a_transaction_and_constant_common_values(policy):  # noqa: F811
    (claim,) = claims(policy, S.PAYING)
    with pytest.raises(RuntimeError, match="transaction"):
        move_many(Claim, [claim.pk], S.PAID)
    with transaction.atomic(), pytest.raises(ValueError):
        move_many(Claim, [claim.pk], S.PAID, rows={claim.pk: {"amount": 1}},
                  checks=F("checks") + 1)  # fmt: skip


def test_move_many_from_several_states_audits_the_state_each_row_left(policy):  # noqa: F811
    """Several from-states: each row's trail names the state it was in when locked, and a
    row in a state the table does not allow is neither moved nor audited."""
    submitted, waiting, paid = claims(policy, S.SUBMITTED, S.AWAITING_DATA, S.PAID)
    ids = [submitted.pk, waiting.pk, paid.pk]
    with transaction.atomic():
        rows = {pk: {"checks": n} for n, pk in enumerate(ids, start=1)}
        moved = move_many(Claim, ids, S.CHECKING, rows=rows)
    assert sorted(moved) == sorted([submitted.pk, waiting.pk])
    trail = AuditEvent.objects.filter(object_type="subsidies.claim", action="claim.checking")
    befores = {event.object_id: event.before for event in trail}
    assert befores == {str(submitted.pk): {"status": S.SUBMITTED},
                       str(waiting.pk): {"status": S.AWAITING_DATA}}  # fmt: skip
    assert [Claim.objects.get(pk=pk).checks for pk in ids] == [1, 2, 0]
    assert Claim.objects.get(pk=paid.pk).status == S.PAID and actions(paid) == []


def test_move_many_through_a_step_audits_every_step_of_every_row(policy):  # noqa: F811
    """Without per-row values the rows share their pictures (made once per from-state):
    each row's trail still names the state it left, every step, and its own label."""
    checking, submitted = claims(policy, S.CHECKING, S.SUBMITTED)
    with transaction.atomic():
        moved = move_many(Claim, [checking.pk, submitted.pk], S.PAYING, via=(S.ELIGIBLE,),
                          labels={submitted.pk: "the submitted one"})  # fmt: skip
    assert sorted(moved) == sorted([checking.pk, submitted.pk])
    for claim, left, label in ((checking, S.CHECKING, f"claim {checking.pk}"),
                               (submitted, S.SUBMITTED, "the submitted one")):  # fmt: skip
        trail = AuditEvent.objects.filter(object_type="subsidies.claim",
                                          object_id=str(claim.pk)).order_by("pk")  # fmt: skip
        assert [(e.action, e.object_label, e.before, e.after) for e in trail] == [
            ("claim.eligible", label, {"status": left}, {"status": "eligible"}),
            ("claim.paying", label, {"status": "eligible"}, {"status": "paying"}),
        ]
        assert Claim.objects.get(pk=claim.pk).status == S.PAYING


def test_move_many_audits_each_rows_own_values_and_the_actor(policy, official_city):  # noqa: F811
    """A row's own audited values (a payment's reference) end its last step's after
    picture, the same whoever writes the trail (on PostgreSQL the UPDATE's own statement,
    elsewhere Python); values the model does not audit stay out; the actor is named."""
    from django.utils import timezone

    from subsidies.models import Disbursement, DisbursementStatus
    from tests.subsidies.conftest import paying_claim

    first, second = (paying_claim(policy, treasury_paid=False) for _ in range(2))
    payments = {claim.pk: Disbursement.objects.get(claim=claim).pk for claim in (first, second)}
    rows = {pk: {"reference": f"HZT{n}"} for n, pk in enumerate(payments.values())}
    with transaction.atomic():
        moved = move_many(Disbursement, list(payments.values()), DisbursementStatus.CONFIRMED,
                          actor=official_city, rows=rows, confirmed_at=timezone.now(),
                          labels={payments[first.pk]: "first payment"})  # fmt: skip
    assert sorted(moved) == sorted(payments.values())
    trail = {event.object_id: event for event in AuditEvent.objects.filter(
        object_type="subsidies.disbursement", action="disbursement.confirmed")}  # fmt: skip
    assert set(trail) == {str(pk) for pk in payments.values()}
    for n, pk in enumerate(payments.values()):
        event = trail[str(pk)]
        assert event.before == {"status": "sent"}
        assert event.after == {"status": "confirmed", "reference": f"HZT{n}"}
        assert (event.actor_id, event.actor_label) == (official_city.pk, official_city.username)
    assert trail[str(payments[first.pk])].object_label == "first payment"
    assert trail[str(payments[second.pk])].object_label == f"disbursement {payments[second.pk]}"
