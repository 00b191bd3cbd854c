"""The outbox: an event is written in the transaction of the change it reports and rolls
back with it; each event type comes from its service, batch paths included."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import transaction

from approvals.services.decisions import approve_item, reject_item
from credit.records.services import add_record
from qinqing.events.models import OutboxEvent
from qinqing.events.services import Event, emit, emit_many
from qinqing.events.signals import events_emitted
from subsidies.models import ClaimStatus, Disbursement
from subsidies.payments import confirm_many
from subsidies.pipeline import check
from tests.approvals.conftest import (  # noqa: F401 - fixtures
    applicant,
    officials_for,
    project_package,
    submitted_project,
)
from tests.factories import department
from tests.subsidies.conftest import paying_claim
from tests.subsidies.test_claims import officials_pair, policy  # noqa: F401 - fixtures


def events(event_type: str | None = None) -> list[OutboxEvent]:
    rows = OutboxEvent.objects.order_by("id")
    return list(rows.filter(event_type=event_type) if event_type else rows)


class TestOutbox:
    pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_listened")]

    def test_an_event_rolls_back_with_its_transaction(self):
        with pytest.raises(RuntimeError), transaction.atomic():
            emit("claim.paid", {"claim": 1})
            raise RuntimeError("the state change failed after the event was written")
        assert events() == []
        emit("claim.paid", {"claim": 2, "amount": Decimal("12.50"), "on": date(2026, 1, 2)})
        (row,) = events()
        assert row.payload == {"claim": 2, "amount": "12.50", "on": "2026-01-02"}
        assert row.dispatched_at is None

    def test_unknown_types_are_refused(self):
        with pytest.raises(ValueError):
            emit("claim.teleported", {})

    def test_consumers_hear_once_per_commit_never_on_rollback(
        self, django_capture_on_commit_callbacks
    ):
        heard = []

        def listener(**kwargs):
            heard.append(kwargs["sender"])

        events_emitted.connect(listener)
        try:
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                emit("claim.paid", {"claim": 1})
                emit_many([Event("claim.paid", {"claim": n}) for n in (2, 3)])
            assert len(callbacks) == 1 and heard == [OutboxEvent]
            with (
                pytest.raises(RuntimeError),
                django_capture_on_commit_callbacks(execute=True),
                transaction.atomic(),
            ):
                emit("claim.paid", {"claim": 4})
                raise RuntimeError
            assert heard == [OutboxEvent]
        finally:
            events_emitted.disconnect(listener)
        assert len(events("claim.paid")) == 3


@pytest.mark.django_db
def test_an_event_nobody_listens_for_is_written_handled_and_announced_to_nobody(
    django_capture_on_commit_callbacks, member
):
    """No active subscription wants it: the outbox keeps it, already handled, and no
    dispatch is started for it (a batch run's events cost no dispatch when nobody
    listens). Once a subscription wants the type, the next event waits to be handed out."""
    from integrations.models import WebhookSubscription

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        emit("claim.paid", {"claim": 1})
        emit_many([Event("claim.paid", {"claim": n}) for n in (2, 3)])
    assert callbacks == []
    assert all(row.dispatched_at is not None for row in events("claim.paid"))
    WebhookSubscription.objects.create(owner=member, name="hook", sealed_secret="-",
                                       url="https://partner.example/hook",
                                       event_types=["claim.paid"])  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        emit_many([Event("claim.paid", {"claim": 4}), Event("claim.ineligible", {"claim": 5})])
    assert len(callbacks) == 1
    assert events("claim.paid")[-1].dispatched_at is None
    assert events("claim.ineligible")[-1].dispatched_at is not None


@pytest.mark.django_db
def test_the_consumers_are_asked_once_a_second_and_again_when_subscriptions_change(
    member, monkeypatch
):
    """Which types are wanted is a query of the subscriptions: asked once per process and
    WANTED_SECONDS, not once per event (issue #24). A subscription made here is heard of
    by the next event; one made by another process (no signal here) within the second."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from integrations.models import WebhookSubscription
    from integrations.subscribing import delete_subscription
    from qinqing.events import registry

    clock = [1000.0]
    monkeypatch.setattr(registry.time, "monotonic", lambda: clock[0])
    with CaptureQueriesContext(connection) as asked:
        for n in range(3):
            emit_many([Event("claim.paid", {"claim": n})])
    assert sum("integrations_webhooksubscription" in q["sql"] for q in asked) == 1
    assert all(row.dispatched_at is not None for row in events("claim.paid"))

    hook = WebhookSubscription.objects.create(owner=member, name="hook", sealed_secret="-",
                                              url="https://partner.example/hook",
                                              event_types=["claim.paid"])  # fmt: skip
    emit_many([Event("claim.paid", {"claim": 10})])
    assert events("claim.paid")[-1].dispatched_at is None  # this process: at once

    # Another process widens it (no signal reaches this one): heard within the second.
    WebhookSubscription.objects.filter(pk=hook.pk).update(
        event_types=["claim.paid", "claim.ineligible"]
    )
    emit_many([Event("claim.ineligible", {"claim": 11})])
    clock[0] += registry.WANTED_SECONDS
    emit_many([Event("claim.ineligible", {"claim": 12})])
    assert [row.dispatched_at is None for row in events("claim.ineligible")] == [False, True]

    delete_subscription(hook.pk, actor=None)
    emit_many([Event("claim.paid", {"claim": 13})])
    assert events("claim.paid")[-1].dispatched_at is not None


def test_a_move_that_emits_nothing_asks_no_consumer(monkeypatch):
    """No event, no question: the outbox asks which types are wanted only to write one."""
    from qinqing.events import services

    monkeypatch.setattr(services, "wanted_types", lambda: pytest.fail("asked for nothing"))
    assert emit_many([]) == 0


@pytest.mark.django_db(transaction=True)
class TestClaims:
    def test_a_paid_claim_emits_and_a_failed_transaction_leaves_no_event(self, policy):  # noqa: F811
        claim = paying_claim(policy, treasury_paid=False)
        disbursement = Disbursement.objects.get(claim=claim)
        with pytest.raises(RuntimeError), transaction.atomic():
            confirm_many({disbursement.pk: "HZT0001"})
            raise RuntimeError("something after the payment was booked failed")
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.PAYING and events() == []
        confirm_many({disbursement.pk: "HZT0001"})
        (event,) = events("claim.paid")
        enterprise = claim.enterprise
        assert event.subject == f"claim:{claim.pk}"
        assert (event.enterprise_id, event.department_id, event.district_id) == (
            enterprise.pk, policy.department_id, enterprise.district_id)  # fmt: skip
        assert event.payload == {
            "claim": claim.pk, "status": "paid", "policy": policy.code, "policy_version": 1,
            "period": claim.period, "amount": "5000.00",
            "enterprise": {"uscc": enterprise.uscc, "name": enterprise.name},
        }  # fmt: skip
        assert enterprise.bank_account not in str(event.payload)

    def test_an_ineligible_claim_emits(self, policy):  # noqa: F811
        claim = paying_claim(policy, treasury_paid=False)
        type(claim).objects.filter(pk=claim.pk).update(status=ClaimStatus.CHECKING)
        decision = SimpleNamespace(status="ineligible", facts=None, amount=None,
                                   explanation=lambda: [])  # fmt: skip
        with mock.patch("subsidies.pipeline.evaluate_many", return_value=[decision]):
            assert check(claim.pk).status == ClaimStatus.INELIGIBLE
        (event,) = events("claim.ineligible")
        assert event.payload["claim"] == claim.pk and event.payload["amount"] == "5000.00"

    def test_a_batch_run_emits_one_event_per_claim_paid(self, officials_pair):  # noqa: F811
        from policies.models import DeliveryMode
        from subsidies.models import BatchRun, Claim
        from tests.subsidies.test_batch import publish

        version = publish(DeliveryMode.AUTOMATIC, officials_pair)
        run = BatchRun.objects.get(version=version)
        paid = set(Claim.objects.filter(version=version, status=ClaimStatus.PAID)
                   .values_list("pk", flat=True))  # fmt: skip
        assert len(paid) == run.qualified > 0
        emitted = {event.payload["claim"] for event in events("claim.paid")}
        assert emitted == paid


class TestApprovalsAndCredit:
    pytestmark = pytest.mark.django_db

    def test_decisions_and_permits_are_emitted_per_item(self, applicant, project_package):  # noqa: F811
        _user, enterprise = applicant
        application = submitted_project(applicant, project_package)
        filing = application.items.get(item_type__code="project-filing")
        planning = application.items.get(item_type__code="planning-permit")
        approve_item(filing.pk, actor=officials_for("ndrc"))
        reject_item(planning.pk, actor=officials_for("planning"), reasons="容积率超标")
        decided = {e.payload["item"]: e for e in events("approval.decided")}
        assert decided[filing.pk].payload["outcome"] == "approved"
        assert decided[planning.pk].payload["outcome"] == "rejected"
        assert decided[planning.pk].payload["reasons"] == "容积率超标"
        assert decided[filing.pk].payload["application"] == application.reference
        assert decided[filing.pk].payload["department"] == "ndrc"
        assert (decided[filing.pk].department_id, decided[filing.pk].enterprise_id) == (
            department("ndrc").pk, enterprise.pk)  # fmt: skip
        (permit,) = events("permit.issued")
        assert permit.payload["permit"] == filing.permit.number
        assert permit.payload["item"] == filing.pk

    def test_approval_on_commitment_emits_each_item(self, applicant, project_package):  # noqa: F811
        application = submitted_project(applicant, project_package, on_commitment=True)
        outcomes = [e.payload["outcome"] for e in events("approval.decided")]
        assert outcomes == ["approved_on_commitment"] * application.items.count()
        assert len(events("permit.issued")) == application.items.count()

    def test_a_credit_record_emits_its_public_fields_only(self, enterprise):
        official = officials_for("market")
        record = add_record(
            enterprise=enterprise, kind="administrative_penalty", severity="general",
            title="未按规定公示年度报告", detail="内部说明：联系人 13800138000", actor=official,
            occurred_on=date.today(),
        )  # fmt: skip
        (event,) = events("credit.record_added")
        assert event.payload["record"] == record.pk and event.payload["department"] == "market"
        assert "detail" not in event.payload and "13800138000" not in str(event.payload)
        assert event.department_id == department("market").pk
