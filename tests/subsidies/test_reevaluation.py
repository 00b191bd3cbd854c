"""Entitlement that follows the facts (issue #22): when a department's facts about some
enterprises change, exactly those enterprises are evaluated again under the open
automatic and confirm policies; the newly qualifying are paid (or offered) once, offers
that no longer hold are withdrawn with the reason."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import timedelta

import numpy as np
import pytest
from django.db import connection
from django.utils.html import escape

from datahub.adapters import InterfaceResponse
from datahub.catalogue import CATALOGUE
from datahub.extracts.refresh import refresh_extract
from datahub.extracts.subjects import table_name
from datahub.signals import facts_changed
from enterprises.models import Enterprise
from policies.models import DeliveryMode, Policy
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.publication import approve, submit_for_approval
from qinqing.notifications.models import Notification
from sandbox.departments.adapter import SimulatedAdapter
from sandbox.treasury.models import TreasuryRecord
from subsidies import batch
from subsidies.claims import submit_claim
from subsidies.models import (
    BatchRun,
    Claim,
    ClaimStatus,
    Disbursement,
    Reevaluation,
    ReevaluationRun,
)
from subsidies.notification_kinds import NotificationKind
from subsidies.reevaluation import reevaluate
from tests.factories import EnterpriseFactory, department, member_of

from ..policies.conftest import TODAY
from ..policies.test_lifecycle import SIMPLE_CRITERIA, version_fields
from .test_claims import officials_pair  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)
STAFF = "hrss.insured_employees"
ACTIVE = "market.registration_status"


@contextmanager
def staff_of(patches: pytest.MonkeyPatch, numbers: dict[int, int]):
    """The simulated Human Resources department reports these insured staff numbers (by
    enterprise id) in its extracts and in its answers about one enterprise alike; every
    other enterprise has 0: the facts the test changes. Every enterprise is registered
    active. (The answer matters too: a person's claim asks about the employer live, and
    the simulation's own figure, drawn from the enterprise's USCC, is 0 for one in 25.)"""
    original = SimulatedAdapter.extract
    original_prepare, original_fetch = SimulatedAdapter.prepare, SimulatedAdapter.fetch
    staff_wire = CATALOGUE[STAFF].wire_field
    by_uscc: dict[str, int] = {}

    def prepare(self):
        # In the caller's thread (fetch runs in the hub's pool): the USCCs read here.
        by_uscc.clear()
        by_uscc.update((uscc, numbers[pk]) for pk, uscc in Enterprise.objects.filter(
            pk__in=list(numbers)).values_list("pk", "uscc"))  # fmt: skip
        original_prepare(self)

    def fetch(self, request):
        response = original_fetch(self, request)
        if staff_wire in response.payload:
            payload = {**response.payload, staff_wire: str(by_uscc.get(request.uscc, 0))}
            response = InterfaceResponse(payload=payload, raw=json.dumps(
                payload, ensure_ascii=False, sort_keys=True).encode())  # fmt: skip
        return response

    def extract(self, request):
        columns = original(self, request)
        if STAFF in columns:
            column = np.zeros(len(request.enterprise_ids), dtype=np.int64)
            for index, pk in enumerate(request.enterprise_ids.tolist()):
                column[index] = numbers.get(pk, 0)
            columns[STAFF] = column
        if ACTIVE in columns:  # every enterprise in business: only the staff decide
            columns[ACTIVE] = np.full(len(request.enterprise_ids), "active", dtype="<U32")
        return columns

    patches.setattr(SimulatedAdapter, "extract", extract)
    patches.setattr(SimulatedAdapter, "prepare", prepare)
    patches.setattr(SimulatedAdapter, "fetch", fetch)
    yield


def publish(mode: str, officials, code: str = "follow", criteria: dict | None = None) -> object:
    """A published Human Resources policy for enterprises with at least 10 insured staff."""
    author, approver = officials
    policy = Policy.objects.create(
        code=code, department=department("hrss"), title_zh="随数而变", title_en="Follows the facts",
        summary_zh="-", summary_en="-", legal_basis_zh="-", benefit_type="employment_subsidy",
        delivery_mode=mode)  # fmt: skip
    criteria = criteria or {
        "all": [{**SIMPLE_CRITERIA["all"][0], "value": 10}, SIMPLE_CRITERIA["all"][1]]
    }
    version = create_draft(
        policy=policy, actor=author,
        **version_fields(valid_from=TODAY - timedelta(days=1), criteria=criteria, parameters={}),
    )  # fmt: skip
    generate_boundary_cases(version)
    return approve(submit_for_approval(version, actor=author), actor=approver)


def refresh(*departments: str) -> None:
    """The named extracts refreshed; with none named, the first extracts (an earlier
    test's tables are dropped: their rows would differ from these)."""
    if not departments:
        with connection.cursor() as cursor:
            for code in ("hrss", "market"):
                cursor.execute(f"DROP TABLE IF EXISTS {table_name(code)}")
    for code in departments or ("hrss", "market"):
        refresh_extract(code, purpose="test", as_of=TODAY)


def paid_to(version) -> list[int]:
    return sorted(Claim.objects.filter(version=version, status=ClaimStatus.PAID)
                  .values_list("enterprise_id", flat=True))  # fmt: skip


def test_a_fact_change_pays_exactly_the_affected_enterprises_once(officials_pair):  # noqa: F811
    enterprises = EnterpriseFactory.create_batch(8)
    ids = [e.pk for e in enterprises]
    for enterprise in enterprises:
        member_of(enterprise)
    with pytest.MonkeyPatch.context() as patches, staff_of(patches, {ids[0]: 20}):
        refresh()
        version = publish(DeliveryMode.AUTOMATIC, officials_pair)
        assert paid_to(version) == [ids[0]]
    numbers = {ids[0]: 20, ids[1]: 12, ids[2]: 30, ids[3]: 4}
    with pytest.MonkeyPatch.context() as patches, staff_of(patches, numbers):
        refresh("hrss")
        change = Reevaluation.objects.get()
        # Exactly the rows that differ: enterprises 1, 2 and 3 (3 changed, still too few).
        assert change.cause == "extract" and change.enterprise_ids == sorted(ids[1:4])
        assert change.facts == [STAFF] and change.finished_at is not None
        assert paid_to(version) == sorted([ids[0], ids[1], ids[2]])
        assert TreasuryRecord.objects.count() == 3
        run = ReevaluationRun.objects.get(reevaluation=change, version=version)
        assert (run.evaluated, run.qualified, run.withdrawn) == (3, 2, 0)
        told = Notification.objects.filter(kind=NotificationKind.CLAIM_PAID)
        assert told.count() == 3  # the batch run's one, and one each for the newly paid
        # The same change again (a redelivery): nothing more is paid.
        reevaluate(change.pk)
        Reevaluation.objects.filter(pk=change.pk).update(finished_at=None)
        ReevaluationRun.objects.filter(pk=run.pk).update(evaluated_at=None)
        reevaluate(change.pk)
        facts_changed.send(sender=None, enterprise_ids=ids[1:4], facts=[STAFF], cause="answer")
        assert TreasuryRecord.objects.count() == 3
        assert Disbursement.objects.count() == 3
        assert Claim.objects.filter(version=version).count() == 3


def test_an_extract_refresh_that_changes_nothing_sends_nothing(officials_pair):  # noqa: F811
    EnterpriseFactory.create_batch(4)
    heard = []

    def listen(sender, **kwargs):
        heard.append(kwargs)

    facts_changed.connect(listen, dispatch_uid="test.listen")
    try:
        refresh()
        refresh()  # the same facts again
    finally:
        facts_changed.disconnect(dispatch_uid="test.listen")
    assert heard == []  # the first extract has nothing to differ from, the second no change
    assert not Reevaluation.objects.exists()


def test_an_offer_is_withdrawn_when_its_facts_stop_holding(client, officials_pair):  # noqa: F811
    enterprises = EnterpriseFactory.create_batch(4)
    ids = [e.pk for e in enterprises]
    with pytest.MonkeyPatch.context() as patches, staff_of(patches, {ids[0]: 15, ids[1]: 15}):
        refresh()
        version = publish(DeliveryMode.CONFIRM, officials_pair)
    offers = Claim.objects.filter(version=version)
    assert sorted(offers.values_list("enterprise_id", flat=True)) == ids[:2]
    member = member_of(enterprises[0])
    with pytest.MonkeyPatch.context() as patches, staff_of(patches, {ids[0]: 3, ids[1]: 15}):
        refresh("hrss")
    gone = Claim.objects.get(version=version, enterprise_id=ids[0])
    kept = Claim.objects.get(version=version, enterprise_id=ids[1])
    assert gone.status == ClaimStatus.WITHDRAWN and kept.status == ClaimStatus.OFFERED
    assert ReevaluationRun.objects.get(version=version).withdrawn == 1
    told = Notification.objects.get(kind=NotificationKind.CLAIM_OFFER_WITHDRAWN)
    assert told.recipient_id == member.pk
    assert not TreasuryRecord.objects.exists()
    client.force_login(member)
    page = client.get(f"/claims/{gone.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This offer was withdrawn." in page
    assert "no longer meets the conditions" in page
    chinese = client.get(f"/claims/{gone.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert escape(gone.decision["withdrawn"]["zh-hans"]) in chinese


def test_a_claim_made_by_hand_wins(officials_pair):  # noqa: F811
    enterprises = EnterpriseFactory.create_batch(3)
    ids = [e.pk for e in enterprises]
    with pytest.MonkeyPatch.context() as patches, staff_of(patches, {}):
        refresh()
        version = publish(DeliveryMode.AUTOMATIC, officials_pair)
        assert paid_to(version) == []
        claim, _made = submit_claim(enterprise=enterprises[0], policy=version.policy,
                             actor=member_of(enterprises[0]))  # fmt: skip
    with pytest.MonkeyPatch.context() as patches, staff_of(patches, {ids[0]: 40, ids[1]: 40}):
        refresh("hrss")
    claims = Claim.objects.filter(version=version)
    assert claims.count() == 2
    assert claims.get(enterprise_id=ids[0]).pk == claim.pk  # the person's claim stands
    assert claims.get(enterprise_id=ids[1]).status == ClaimStatus.PAID


def test_a_new_enterprise_is_told_once_and_paid(officials_pair):  # noqa: F811
    from approvals.services.registration import register_enterprise  # noqa: F401 - layer check

    EnterpriseFactory.create_batch(3)
    with pytest.MonkeyPatch.context() as patches:
        numbers: dict[int, int] = {}
        with staff_of(patches, numbers):
            refresh()
            version = publish(DeliveryMode.AUTOMATIC, officials_pair)
            assert paid_to(version) == []
            newcomer = EnterpriseFactory()
            member = member_of(newcomer)
            numbers[newcomer.pk] = 25  # the department already knows its staff
            from enterprises.signals import enterprise_registered

            enterprise_registered.send(sender=None, enterprise_id=newcomer.pk)
            change = Reevaluation.objects.get()
            assert change.cause == "registered" and change.enterprise_ids == [newcomer.pk]
            assert paid_to(version) == [newcomer.pk]
            enterprise_registered.send(sender=None, enterprise_id=newcomer.pk)  # again
    assert paid_to(version) == [newcomer.pk]
    assert TreasuryRecord.objects.count() == 1
    told = Notification.objects.filter(recipient=member, kind=NotificationKind.CLAIM_PAID)
    assert told.count() == 1


def test_registering_an_enterprise_sends_the_signal(officials_pair):  # noqa: F811
    from enterprises.services import register_enterprise
    from tests.factories import UserFactory

    sent = []

    def listen(sender, enterprise_id, **kwargs):
        sent.append(enterprise_id)

    from enterprises.signals import enterprise_registered

    enterprise_registered.connect(listen, dispatch_uid="test.registered")
    try:
        template = EnterpriseFactory.build()
        founder = UserFactory()
        enterprise = register_enterprise(
            uscc=template.uscc, name="新企业", district=EnterpriseFactory().district,
            industry_division="65", registered_capital=100000, legal_representative="张三",
            founder=founder, actor=founder,
        )  # fmt: skip
    finally:
        enterprise_registered.disconnect(dispatch_uid="test.registered")
    assert sent == [enterprise.pk]


def test_a_credit_list_move_reevaluates(officials_pair):  # noqa: F811
    """A serious penalty black-lists an enterprise (credit's list rules): its offer under a
    policy for enterprises not black-listed is withdrawn, without any extract refresh."""
    from credit.records.services import add_record
    from tests.factories import OfficialFactory

    enterprises = EnterpriseFactory.create_batch(2)
    ids = [e.pk for e in enterprises]
    with pytest.MonkeyPatch.context() as patches, staff_of(patches, {pk: 30 for pk in ids}):
        refresh()
        refresh_extract("ndrc", purpose="test", as_of=TODAY)
        clean = {"id": "clean", "label": SIMPLE_CRITERIA["all"][0]["label"], "clause": "§5",
                 "fact": "credit.black_list", "op": "is_false"}  # fmt: skip
        criteria = {"all": [{**SIMPLE_CRITERIA["all"][0], "value": 10}, clean]}
        version = publish(DeliveryMode.CONFIRM, officials_pair, criteria=criteria)
        assert sorted(Claim.objects.filter(version=version).values_list(
            "enterprise_id", flat=True)) == ids  # fmt: skip
        market = OfficialFactory(department=department("market"), district=None)
        add_record(enterprise=enterprises[0], kind="administrative_penalty", severity="serious",
                   title="无证经营", occurred_on=TODAY, actor=market)  # fmt: skip
    change = Reevaluation.objects.get(cause="credit")
    assert change.enterprise_ids == [ids[0]]
    offers = dict(Claim.objects.filter(version=version).values_list("enterprise_id", "status"))
    assert offers == {ids[0]: ClaimStatus.WITHDRAWN, ids[1]: ClaimStatus.OFFERED}


def test_a_change_while_the_batch_run_pays_waits_and_is_not_lost(officials_pair):  # noqa: F811
    """The publish-time run decided on the old facts and is still paying when the facts
    change: the re-evaluation waits for it, then pays the newly qualifying; nobody twice."""
    enterprises = EnterpriseFactory.create_batch(6)
    ids = [e.pk for e in enterprises]
    held: list[tuple] = []
    real_queue = batch.queue

    def hold_chunks(name, *args):
        if name == batch.DECIDE_TASK:
            held.append(args)  # the run's chunks wait in the queue
            return True
        return real_queue(name, *args)

    with pytest.MonkeyPatch.context() as patches:
        patches.setattr(batch, "queue", hold_chunks)
        with staff_of(patches, {ids[0]: 20, ids[1]: 20}):
            refresh()
            version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    run = BatchRun.objects.get(version=version)
    assert run.status == BatchRun.Status.RUNNING and held and not Claim.objects.exists()
    with (
        pytest.MonkeyPatch.context() as patches,
        staff_of(patches, {ids[0]: 20, ids[1]: 20, ids[2]: 20, ids[3]: 20}),
    ):
        refresh("hrss")
    waiting = ReevaluationRun.objects.get(version=version)
    assert waiting.waiting and not Claim.objects.exists()  # waits for the run
    for args in held:  # the run's chunks are delivered now, on the old facts
        batch.decide_chunk(*args)
    assert BatchRun.objects.get(pk=run.pk).status == BatchRun.Status.DONE
    waiting.refresh_from_db()
    assert not waiting.waiting and waiting.finished_at is not None
    assert paid_to(version) == sorted(ids[:4])
    assert TreasuryRecord.objects.count() == 4 and Disbursement.objects.count() == 4
    assert Reevaluation.objects.get().finished_at is not None


def test_the_batch_run_page_shows_the_reevaluations(client, officials_pair):  # noqa: F811
    enterprises = EnterpriseFactory.create_batch(3)
    with pytest.MonkeyPatch.context() as patches, staff_of(patches, {}):
        refresh()
        version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    with pytest.MonkeyPatch.context() as patches, staff_of(patches, {enterprises[0].pk: 11}):
        refresh("hrss")
    run = BatchRun.objects.get(version=version)
    client.force_login(officials_pair[0])
    page = client.get(f"/claims/batches/{run.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Re-evaluations" in text and "A department&#x27;s bulk extract changed" in text
    assert "Enterprises evaluated" in text and "Persons evaluated" not in text


def test_an_answer_that_differs_from_the_last_one_is_a_change(officials_pair):  # noqa: F811
    """A single answer (a claim's check, the calculator) differing from the last answer
    for the same fact and period sends the signal; the same answer again sends nothing."""
    from django.core.cache import cache
    from django.utils import timezone

    from datahub.catalogue import CATALOGUE
    from datahub.fetching.caching import cache_key
    from datahub.fetching.pipeline import fetch_facts
    from sandbox.departments import behaviour

    enterprise = EnterpriseFactory()
    heard: list[dict] = []

    def listen(sender, **kwargs):
        heard.append(kwargs)

    facts_changed.connect(listen, dispatch_uid="test.answers")
    try:
        first = fetch_facts(enterprise, [STAFF], purpose="test")[STAFF].value
        cache.delete(cache_key(enterprise.uscc, CATALOGUE[STAFF], timezone.localdate()))
        fetch_facts(enterprise, [STAFF], purpose="test")  # the same answer again
        assert heard == []
        real_answer = behaviour.answer

        def other_answer(**kwargs):
            payload = real_answer(**kwargs)
            field = CATALOGUE[STAFF].wire_field
            if field in payload:
                payload[field] = int(payload[field]) + 7
            return payload

        with pytest.MonkeyPatch.context() as patches:
            patches.setattr(behaviour, "answer", other_answer)
            cache.delete(cache_key(enterprise.uscc, CATALOGUE[STAFF], timezone.localdate()))
            second = fetch_facts(enterprise, [STAFF], purpose="test")[STAFF].value
    finally:
        facts_changed.disconnect(dispatch_uid="test.answers")
    assert second == first + 7
    assert heard == [{"signal": facts_changed, "enterprise_ids": [enterprise.pk],
                      "facts": [STAFF], "cause": "answer"}]  # fmt: skip
    assert Reevaluation.objects.get().cause == "answer"


def test_the_policy_push_reaches_a_newly_fitting_enterprise_once(officials_pair):  # noqa: F811
    """An apply-mode version pushed at publication (nobody fitted then): an enterprise it
    newly fits is told once, however often its facts are signalled."""
    from directline.models import PolicyPush
    from enterprises.signals import enterprise_registered
    from policies.notification_kinds import POLICY_FITS

    EnterpriseFactory.create_batch(2)
    with pytest.MonkeyPatch.context() as patches:
        numbers: dict[int, int] = {}
        with staff_of(patches, numbers):
            refresh()
            version = publish(DeliveryMode.APPLY, officials_pair, code="pushed")
            assert PolicyPush.objects.get(version=version).enterprises == 0
            newcomer = EnterpriseFactory()
            member = member_of(newcomer)
            numbers[newcomer.pk] = 25
            enterprise_registered.send(sender=None, enterprise_id=newcomer.pk)
            facts_changed.send(sender=None, enterprise_ids=[newcomer.pk], facts=[STAFF],
                               cause="answer")  # fmt: skip
    told = Notification.objects.filter(recipient=member, kind=POLICY_FITS)
    assert told.count() == 1 and told.get().link == "/policies/pushed/"
    assert PolicyPush.objects.get(version=version).enterprises == 1
    assert not Claim.objects.exists()  # apply mode: told, not paid


def test_the_sweep_queues_a_change_whose_task_was_lost(officials_pair):  # noqa: F811
    """The receiver's row is the work owed: a change whose task never ran (the broker was
    down) is queued again by the owed-work sweep, and then done."""
    from django.utils import timezone

    from subsidies.reevaluation import on_facts_changed
    from subsidies.sweeps import queue_owed_work

    enterprise = EnterpriseFactory()
    with pytest.MonkeyPatch.context() as patches:
        patches.setattr("subsidies.reevaluation.queue_on_commit", lambda *args: False)
        on_facts_changed(enterprise_ids=[enterprise.pk], facts=[STAFF], cause="answer")
    change = Reevaluation.objects.get()
    assert change.started_at is None
    later = timezone.now() + timedelta(minutes=2)
    assert queue_owed_work(later)["reevaluations"] == 1
    change.refresh_from_db()
    assert change.started_at is not None and change.finished_at is not None
