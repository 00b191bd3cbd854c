"""Money for persons (issue #26): a version paying persons pays each qualifying employee
once, to the account of their social security card, with a ledger account per person;
the payment file names them masked and never by identity number; a lost answer for one
person settles that person alone; the employer never hears of, nor sees, the claims.

The person evaluation and person extracts belong to other parts (policies.evaluation,
datahub.extracts): here they are stood in for by a small "world" of department answers,
so these tests say what the money side does with whatever they decide."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pytest

from accounts.models import Role
from datahub.fetching.facts import Fact, FactSet
from enterprises.models import EnterpriseStatus
from enterprises.persons.services import link_login, register_person
from policies.evaluation import Decision
from policies.models import Beneficiary, DeliveryMode, Policy, PolicyVersion
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.publication import approve, submit_for_approval
from qinqing.notifications.models import Notification
from qinqing.resident_ids import make_resident_id
from sandbox.treasury.models import TreasuryRecord
from sandbox.treasury.simulation import SimulatedTreasury
from subsidies import batch
from subsidies.chunk_rows import person_rows
from subsidies.claims import submit_claim
from subsidies.errors import ClaimRefused
from subsidies.gateway import GATEWAYS
from subsidies.models import (
    BatchRun,
    Claim,
    ClaimStatus,
    Disbursement,
    DisbursementStatus,
    LedgerEntry,
    person_account,
)
from subsidies.reconciliation import reconcile
from subsidies.selectors import claims_of_person, claims_visible_to
from tests.factories import EnterpriseFactory, OfficialFactory, UserFactory, department, member_of

from ..policies.conftest import TODAY
from ..policies.test_lifecycle import SIMPLE_CRITERIA, version_fields

pytestmark = pytest.mark.django_db(transaction=True)

EPOCH = date(1970, 1, 1)
AMOUNT_FEN = 80_000  # ¥800.00 a person


class World:
    """What the departments say of each person: their employer, their card's account,
    and whether the (stood-in) evaluation finds them qualifying."""

    def __init__(self) -> None:
        self.people: dict[int, dict] = {}
        self.reads: list[tuple[int, str]] = []  # (person, purpose) of every hub read

    def add(self, person, employer, *, qualifies=True, account=None, since=None):
        self.people[person.pk] = {
            "employer": employer, "qualifies": qualifies,
            "account": account if account is not None else f"62220200{person.pk:011d}",
            "since": since or TODAY - timedelta(days=400),
        }  # fmt: skip
        return person

    # --- datahub.providers.fetch_person_facts ------------------------------------------
    def fetch(self, person, names, *, purpose, requested_by=None, as_of=None):
        assert purpose.strip(), "every read of a person's data names its purpose"
        self.reads.append((person.pk, purpose))
        row = self.people.get(person.pk)
        values = {
            "person.hrss.insured": row is not None and row["employer"] is not None,
            "person.hrss.employer_uscc": row["employer"].uscc if row and row["employer"] else None,
            "person.hrss.insured_since": row["since"] if row else None,
            "person.bank.account": row["account"] if row else None,
            "person.bank.name": "中国工商银行杭州分行" if row else None,
        }
        return FactSet(facts={name: Fact(name, values.get(name), True)
                              for name in names})  # fmt: skip

    # --- policies.evaluation.evaluate_all_persons --------------------------------------
    def evaluate_all(self, version, rules_on=None, person_ids=None, also_read=()):
        ids = sorted(self.people)
        employers = [self.people[pk]["employer"] for pk in ids]
        # The snapshot decided from, row for row (the rules' own facts stood in as unknown).
        snapshot = self.snapshot(also_read, person_ids=ids, in_order=True)
        for name in version.rules.fact_names:
            snapshot.columns.setdefault(name, np.zeros(len(ids), dtype=np.int64))
            snapshot.known.setdefault(name, np.zeros(len(ids), dtype=bool))
        return SimpleNamespace(
            person_ids=np.array(ids, dtype=np.int64),
            employer_ids=np.array([e.pk if e else -1 for e in employers], dtype=np.int64),
            eligible=np.array([self.people[pk]["qualifies"] for pk in ids], dtype=bool),
            amount_fen=np.full(len(ids), AMOUNT_FEN, dtype=np.int64), as_of=None,
            snapshot=snapshot,
        )  # fmt: skip

    # --- datahub.extracts.persons.read_person_snapshot ---------------------------------
    def snapshot(self, person_fact_names, employer_fact_names=(), person_ids=None,
                 in_order=False, *, id_range=None, employers=None):  # fmt: skip
        assert id_range is None and employers is None  # one read of everyone, never parts
        ids = [int(pk) for pk in (person_ids if person_ids is not None else sorted(self.people))]
        if not in_order:
            ids = list(reversed(ids))  # the snapshot's own order: realigned by the reader
        rows = [self.people[pk] for pk in ids]
        columns = {
            "person.bank.account": np.array([r["account"] for r in rows], dtype=object),
            "person.bank.name": np.array(["中国工商银行杭州分行"] * len(rows), dtype=object),
            "person.hrss.insured_since": np.array([(r["since"] - EPOCH).days for r in rows],
                                                  dtype=np.int64),
        }  # fmt: skip
        return SimpleNamespace(
            person_ids=np.array(ids, dtype=np.int64), columns=columns,
            known={name: np.ones(len(ids), dtype=bool) for name in columns}, as_of=None,
        )  # fmt: skip

    # --- policies.evaluation.evaluate_for_person ---------------------------------------
    def evaluate_one(self, version, person, *, purpose, requested_by=None):
        self.reads.append((person.pk, purpose))
        row = self.people.get(person.pk)
        if row is None or not row["qualifies"]:
            return Decision(version, "ineligible", None, None, None)
        return Decision(version, "eligible", Decimal(AMOUNT_FEN) / 100, None, None)


@pytest.fixture
def world(monkeypatch):
    world = World()
    monkeypatch.setattr("policies.evaluation.evaluate_all_persons", world.evaluate_all,
                        raising=False)  # fmt: skip
    monkeypatch.setattr("policies.evaluation.evaluate_for_person", world.evaluate_one,
                        raising=False)  # fmt: skip
    monkeypatch.setattr("datahub.extracts.persons.read_person_snapshot", world.snapshot,
                        raising=False)  # fmt: skip
    for module in ("subsidies.payments", "subsidies.claims", "subsidies.roster"):
        monkeypatch.setattr(f"{module}.fetch_person_facts", world.fetch)
    # The forecast before publication reads the real extracts: not what these tests are
    # about (tests/policies/test_person_policies.py is).
    monkeypatch.setattr("policies.services.publication.publication_problems", lambda version: [])
    return world


def person(number_seq: int, name: str, *, login: bool = False):
    number = make_resident_id("330106", date(1995, 1, 1) + timedelta(days=number_seq), number_seq)
    registered = register_person(number=number, name=name)
    if login:
        link_login(person=registered, user=UserFactory(role=Role.PERSON, display_name=name))
        registered.refresh_from_db()
    return registered, number


def person_version(mode: str, code: str = "rent-subsidy") -> PolicyVersion:
    """A published version paying persons in `mode` (its batch run, if any, has run)."""
    from datahub.extracts.refresh import refresh_extract

    for code_ in ("hrss", "market"):
        refresh_extract(code_, purpose="test", as_of=TODAY)
    author = OfficialFactory(department=department("hrss"), district=None)
    approver = OfficialFactory(department=department("hrss"), district=None)
    policy = Policy.objects.create(
        code=code, department=department("hrss"), title_zh="员工租房补贴",
        title_en="Employee rent subsidy", summary_zh="-", summary_en="-", legal_basis_zh="-",
        benefit_type="employment_subsidy", delivery_mode=mode)  # fmt: skip
    version = create_draft(policy=policy, actor=author, **version_fields(
        valid_from=TODAY - timedelta(days=1), criteria=SIMPLE_CRITERIA))  # fmt: skip
    PolicyVersion.objects.filter(pk=version.pk).update(beneficiary=Beneficiary.PERSON)
    version.refresh_from_db()
    generate_boundary_cases(version)
    return approve(submit_for_approval(version, actor=author), actor=approver)


@pytest.fixture
def staff(reference_data, world):
    """Two employers; four persons at the first (three qualify), one at the second, one
    qualifying person whose employer is revoked, one not insured anywhere."""
    first, second = EnterpriseFactory(), EnterpriseFactory()
    revoked = EnterpriseFactory(status=EnterpriseStatus.REVOKED)
    people = {}
    for seq, (name, employer, qualifies) in enumerate([
        ("陈小青", first, True), ("林大山", first, True), ("王五", first, True),
        ("赵六", first, False), ("钱七", second, True), ("孙八", revoked, True),
        ("周九", None, True),
    ], start=1):  # fmt: skip
        registered, number = person(seq, name)
        world.add(registered, employer, qualifies=qualifies)
        people[name] = (registered, number)
    return SimpleNamespace(first=first, second=second, revoked=revoked, people=people)


def qualifying(staff) -> set[int]:
    return {staff.people[name][0].pk for name in ("陈小青", "林大山", "王五", "钱七")}


def test_an_automatic_person_policy_pays_each_qualifying_person_to_their_card(staff, world):
    member = member_of(staff.first)
    version = person_version(DeliveryMode.AUTOMATIC)
    run = BatchRun.objects.get(version=version)
    assert run.status == BatchRun.Status.DONE
    claims = Claim.objects.filter(version=version)
    assert set(claims.values_list("person_id", flat=True)) == qualifying(staff)
    assert set(claims.values_list("status", flat=True)) == {ClaimStatus.PAID}
    chen = claims.get(person=staff.people["陈小青"][0])
    assert chen.enterprise == staff.first and chen.amount == Decimal("800.00")
    # Paid to the card's account; the ledger's leg is the person's, by the register's key.
    assert chen.disbursement.bank_account == world.people[chen.person_id]["account"]
    legs = dict(LedgerEntry.objects.filter(claim=chen).values_list("account", "credit"))
    assert legs[person_account(chen.person_id)] == Decimal("800.00")
    assert not LedgerEntry.objects.filter(account__startswith="enterprise:").exists()
    # The payment file lists persons masked, never by identity number or full name.
    records = TreasuryRecord.objects.filter(key__in=Disbursement.objects.filter(
        claim__version=version).values("idempotency_key"))  # fmt: skip
    assert records.count() == 4
    assert set(records.values_list("payee", flat=True)) == {"陈**", "林**", "王*", "钱*"}
    file_text = repr(list(records.values()))
    for _name, (_person, number) in staff.people.items():
        assert number not in file_text
    assert "陈小青" not in file_text
    # The employer's member neither sees the persons' claims nor hears of them; each
    # person hears of their own payment.
    assert not claims_visible_to(member).filter(person__isnull=False).exists()
    assert not Notification.objects.filter(recipient=member).exists()


def test_a_chunk_delivered_twice_or_a_run_started_again_pays_nobody_twice(staff, world):
    version = person_version(DeliveryMode.AUTOMATIC)
    run = BatchRun.objects.get(version=version)
    paid = TreasuryRecord.objects.count()
    decision = world.evaluate_all(version)
    rows = np.flatnonzero(decision.eligible & (decision.employer_ids >= 0))
    persons = person_rows(world.snapshot([], person_ids=decision.person_ids[rows]),
                          decision.person_ids[rows])  # fmt: skip
    made = batch.decide_chunk(run.pk, 0, decision.employer_ids[rows].tolist(),
                              decision.amount_fen[rows].tolist(), [], TODAY.isoformat(),
                              persons)  # fmt: skip
    assert made == 0
    BatchRun.objects.filter(pk=run.pk).update(status=BatchRun.Status.RUNNING)  # "crashed"
    batch.start(version.pk)
    assert Claim.objects.filter(version=version).count() == 4
    assert TreasuryRecord.objects.count() == paid
    assert LedgerEntry.objects.count() == 2 * paid


def test_a_person_insured_by_two_enterprises_is_paid_once(staff, world, monkeypatch):
    chen = staff.people["陈小青"][0]
    evaluate = world.evaluate_all

    def twice(version, rules_on=None, person_ids=None, also_read=()):
        """The extracts show 陈小青 insured by both employers in the period."""
        decision = evaluate(version, also_read=also_read)
        at = int(np.flatnonzero(decision.person_ids == chen.pk)[0])
        snapshot = decision.snapshot
        snapshot.person_ids = np.append(snapshot.person_ids, chen.pk)
        for table in (snapshot.columns, snapshot.known):
            for name, column in table.items():
                table[name] = np.append(column, column[at : at + 1])
        return SimpleNamespace(
            person_ids=np.append(decision.person_ids, chen.pk),
            employer_ids=np.append(decision.employer_ids, staff.second.pk),
            eligible=np.append(decision.eligible, True),
            amount_fen=np.append(decision.amount_fen, decision.amount_fen[at]), as_of=None,
            snapshot=snapshot,
        )  # fmt: skip

    monkeypatch.setattr("policies.evaluation.evaluate_all_persons", twice)
    version = person_version(DeliveryMode.AUTOMATIC)
    assert Claim.objects.filter(version=version, person=chen).count() == 1
    assert LedgerEntry.objects.filter(account=person_account(chen.pk)).count() == 1


def test_the_batch_leaves_a_person_who_claimed_first_with_their_own_claim(staff, world):
    """Personal route first (employer: the first enterprise), the batch after (which
    would name another): one claim, one payment."""
    chen, _number = staff.people["陈小青"]
    link_login(person=chen, user=UserFactory(role=Role.PERSON))
    chen.refresh_from_db()
    version = person_version(DeliveryMode.APPLY)  # no batch: the person claims
    claim, created = submit_claim(person=chen, policy=version.policy, actor=chen.user)
    assert created
    # The same version made automatic and run: the person already holds the claim.
    Policy.objects.filter(pk=version.policy_id).update(delivery_mode=DeliveryMode.AUTOMATIC)
    world.people[chen.pk]["employer"] = staff.second
    batch.start(version.pk)
    assert Claim.objects.filter(version=version, person=chen).get().pk == claim.pk
    assert Claim.objects.filter(version=version).count() == 4


def test_a_person_claims_themselves_and_is_paid_through_the_one_pipeline(staff, world):
    chen, _number = staff.people["陈小青"]
    zhao, _n = staff.people["赵六"]
    for someone in (chen, zhao):
        link_login(person=someone, user=UserFactory(role=Role.PERSON))
        someone.refresh_from_db()
    version = person_version(DeliveryMode.APPLY, code="talent-rent")
    Policy.objects.filter(pk=version.policy_id).update(delivery_mode=DeliveryMode.AUTOMATIC)
    version.policy.refresh_from_db()
    claim, created = submit_claim(person=chen, policy=version.policy, actor=chen.user)
    claim.refresh_from_db()
    assert created and claim.status == ClaimStatus.PAID and claim.origin == "person"
    assert claim.enterprise == staff.first
    assert claim.disbursement.bank_account == world.people[chen.pk]["account"]
    assert LedgerEntry.objects.filter(account=person_account(chen.pk), claim=claim).exists()
    # The person hears of their payment; the employer's members do not.
    told = Notification.objects.get(recipient=chen.user)
    assert "800.00" in told.title and "陈小青" in told.body
    assert not Notification.objects.exclude(recipient__in=[chen.user, zhao.user]).exists()
    again, created = submit_claim(person=chen, policy=version.policy, actor=chen.user)
    assert (again.pk, created) == (claim.pk, False)
    # Not qualifying: decided, never paid.
    theirs, _created = submit_claim(person=zhao, policy=version.policy, actor=zhao.user)
    theirs.refresh_from_db()
    assert theirs.status == ClaimStatus.INELIGIBLE
    # Nobody claims for someone else; a person sees their own claims only.
    with pytest.raises(ClaimRefused):
        submit_claim(person=chen, policy=version.policy, actor=zhao.user)
    assert list(claims_of_person(chen.user)) == [claim]
    assert list(claims_of_person(zhao.user)) == [theirs]
    assert not claims_of_person(member_of(staff.first)).exists()
    # Every read of their data named its purpose.
    assert all(purpose for _pk, purpose in world.reads)


def test_an_enterprise_cannot_claim_a_policy_that_pays_persons(staff, world):
    version = person_version(DeliveryMode.APPLY)
    member = member_of(staff.first)
    with pytest.raises(ClaimRefused):
        submit_claim(enterprise=staff.first, policy=version.policy, actor=member)


class LosesOneAnswer(SimulatedTreasury):
    """Pays the whole file, but the answer about one key never arrives."""

    lost: str = ""

    def pay_many(self, orders, *, single=False):
        results = super().pay_many(orders, single=single)
        LosesOneAnswer.lost = LosesOneAnswer.lost or orders[0].key
        return [r for r in results if r.key != LosesOneAnswer.lost]


def test_a_lost_treasury_answer_for_one_person_settles_that_person_alone(staff, world, settings):
    GATEWAYS.register("loses-one", LosesOneAnswer, replace=True)
    settings.TREASURY_TRANSPORT = "loses-one"
    LosesOneAnswer.lost = ""
    version = person_version(DeliveryMode.AUTOMATIC)
    claims = Claim.objects.filter(version=version)
    lost = Disbursement.objects.get(idempotency_key=LosesOneAnswer.lost)
    assert lost.status == DisbursementStatus.SENT
    assert lost.claim.status == ClaimStatus.PAYING
    assert claims.filter(status=ClaimStatus.PAID).count() == 3  # the others are not held up
    assert not LedgerEntry.objects.filter(claim=lost.claim).exists()
    run = reconcile()
    lost.refresh_from_db()
    assert run.settled == 1 and run.problems == []
    assert lost.status == DisbursementStatus.CONFIRMED
    assert claims.filter(status=ClaimStatus.PAID).count() == 4
    assert TreasuryRecord.objects.filter(key=lost.idempotency_key).count() == 1
    legs = LedgerEntry.objects.filter(claim=lost.claim)
    assert set(legs.values_list("account", flat=True)) == {
        f"budget:{version.policy.code}:v{version.number}",
        person_account(lost.claim.person_id),
    }


def test_no_recovery_order_makes_the_employer_owe_an_employees_own_payment(staff, world):
    """A recovery order's debtor is the claim's enterprise (its offsets, repayment and
    appeal): raised on a person's payment it would make the employer owe money it never
    received. Every path refuses or passes over a person's paid claim."""
    from rest_framework.test import APIClient

    from credit.commitments.models import SubjectKind
    from recovery.models import RecoveryOrder
    from recovery.rechecks import check_paid_claims
    from recovery.services import raise_for_breach, raise_for_ineligible_claim
    from tests.factories import CommitmentFactory

    version = person_version(DeliveryMode.AUTOMATIC)
    chen = Claim.objects.get(version=version, person=staff.people["陈小青"][0])
    assert chen.status == ClaimStatus.PAID and chen.enterprise == staff.first
    official = OfficialFactory(department=department("hrss"), district=None)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(official)
    answer = api.post("/api/v1/recovery-orders/", {"claim": chen.pk, "reason": "重复发放"},
                      format="json")  # fmt: skip
    assert answer.status_code == 409, answer.content
    assert "went to an employee in person" in answer.json()["detail"]
    in_chinese = api.post("/api/v1/recovery-orders/", {"claim": chen.pk, "reason": "重复发放"},
                          format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")  # fmt: skip
    assert "直接发给了员工本人" in in_chinese.json()["detail"]
    assert raise_for_ineligible_claim(chen, "a corrected fact") is None
    assert check_paid_claims([staff.first.pk], []) == []
    commitment = CommitmentFactory(enterprise=staff.first, subject_kind=SubjectKind.SUBSIDY_CLAIM,
                                   subject_ref=f"subsidies.claim:{chen.pk}")  # fmt: skip
    assert raise_for_breach(commitment) == []
    assert not RecoveryOrder.objects.exists()
