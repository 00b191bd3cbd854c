"""Entitlement that follows a person's facts (issues #22 and #26): when the person
extracts, a person's answer, a correction or a new registration change what the hub holds
about some persons — or an employer's facts change — exactly the persons reached are
evaluated again under the open person versions reading a changed fact, through the batch
run's own chunks: the newly qualifying paid (or offered) once per policy and period, an
offer that no longer holds withdrawn and the person told."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
from django.core.cache import cache
from django.db import connection

from accounts.models import Role
from datahub import providers
from datahub.extracts import subjects
from datahub.extracts.persons import read_person_snapshot
from datahub.extracts.refresh import refresh_extract, refresh_person_extract
from datahub.fetching.pipeline import fetch_person_facts
from datahub.providers import register_person_provider
from enterprises.persons.services import link_login, register_person
from policies.models import DeliveryMode, Policy
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.publication import approve, submit_for_approval
from qinqing.notifications.models import Notification
from qinqing.registry import Registry
from qinqing.resident_ids import make_resident_id
from sandbox.treasury.models import TreasuryRecord
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
from tests.factories import EnterpriseFactory, OfficialFactory, UserFactory, department, member_of

from ..policies.test_person_policies import person_version_fields
from ..subsidies.test_reevaluation import staff_of

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date.today()
EPOCH = date(1970, 1, 1)
STAFF = "hrss.insured_employees"
HOME = "person.housing.owns_home"
MONTHS = "person.hrss.months_paid"
# A person qualifies with 6 months paid and no home in the city, if their employer insures
# at least 10 staff (an employer's fact) and is not black-listed.
CRITERIA = {"all": [
    {"id": "months", "label": {"zh": "参保满6个月", "en": "Insured 6 months"}, "clause": "§2",
     "fact": MONTHS, "op": "ge", "value": 6},
    {"id": "no-home", "label": {"zh": "在本市无房", "en": "Owns no home"}, "clause": "§2",
     "fact": HOME, "op": "is_false"},
    {"id": "employer", "label": {"zh": "单位参保满10人", "en": "Employer insures 10"},
     "clause": "§3", "fact": STAFF, "op": "ge", "value": 10},
]}  # fmt: skip


class Departments:
    """The person departments answering from a table the test changes — one answer and one
    bulk extract per interface, so single answers and the extracts agree — and the
    enterprise extracts' insured staff by enterprise id."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rows: dict[str, dict] = {}  # identity number -> uscc, months, owns
        self.staff: dict[int, int] = {}
        registry = Registry("person provider")
        monkeypatch.setattr(providers, "PERSON_PROVIDERS", registry)
        monkeypatch.setattr(subjects, "PERSON_PROVIDERS", registry)
        for interface in ("hrss.person_insurance", "hrss.talent_catalogue",
                          "hrss.social_security_card", "housing.person_property"):  # fmt: skip
            register_person_provider(interface, self.answer, self.extract)

    def row(self, number: str) -> dict:
        return self.rows.get(number, {"uscc": "", "months": 0, "owns": False})

    def values(self, number: str, as_of: date) -> dict:
        row = self.row(number)
        insured = bool(row["uscc"])
        since = as_of - timedelta(days=31 * row["months"]) if insured else None
        return {
            "person.hrss.insured": insured, "person.hrss.employer_uscc": row["uscc"],
            "person.hrss.insured_since": since, MONTHS: row["months"] if insured else 0,
            "person.hrss.age": 30, "person.talent.level": "none",
            "person.bank.account": f"622202{number[-13:]}", "person.bank.name": "工商银行",
            HOME: row["owns"], "person.housing.provident_fund": False,
            "person.housing.provident_fund_monthly": 0,
        }  # fmt: skip

    def answer(self, number: str, wire_fields: list[str], as_of: date) -> dict:
        specs = {spec.wire_field: spec for spec in providers.PERSON_CATALOGUE.values()}
        values = self.values(number, as_of)
        out = {}
        for field in wire_fields:
            value = values[specs[field].name]
            if isinstance(value, bool):
                value = "是" if value else "否"
            elif isinstance(value, date):
                value = value.isoformat()
            elif value is None:
                value = ""
            out[field] = value
        return out

    def extract(self, numbers: list[str], names: list[str], as_of: date) -> dict:
        rows = [self.values(number, as_of) for number in numbers]
        out = {}
        for name in names:
            column = [row[name] for row in rows]
            if name == "person.hrss.insured_since":
                out[name] = np.array([(v - EPOCH).days if v else -1 for v in column], np.int64)
            elif isinstance(column[0] if column else 0, bool):
                out[name] = np.array(column, dtype=bool)
            elif isinstance(column[0] if column else 0, int):
                out[name] = np.array(column, dtype=np.int64)
            else:
                out[name] = np.array(column, dtype="<U32")
        return out


def drop_extracts() -> None:
    """An earlier test's extract tables (derived data, outside the flush): their rows would
    differ from these, and every difference is a change."""
    with connection.cursor() as cursor:
        for code in ("hrss", "market", "ndrc"):
            cursor.execute(f"DROP TABLE IF EXISTS {subjects.ENTERPRISES.table(code)}")
        for code in ("hrss", "housing"):
            cursor.execute(f"DROP TABLE IF EXISTS {subjects.PERSONS.table(code)}")


@pytest.fixture
def departments(reference_data, monkeypatch):
    cache.clear()  # an earlier test's enterprise had the same USCC: not this one's facts
    drop_extracts()
    found = Departments(monkeypatch)
    with staff_of(monkeypatch, found.staff):
        yield found


def refresh_enterprises() -> None:
    for code in ("hrss", "market", "ndrc"):
        refresh_extract(code, purpose="test", as_of=TODAY)


def refresh_persons(*codes: str) -> None:
    for code in codes or ("hrss", "housing"):
        refresh_person_extract(code, purpose="test", as_of=TODAY)


def person(departments: Departments, serial: int, employer, *, months=12, owns=False,
           login=False):  # fmt: skip
    """A registered person the departments show insured by `employer`."""
    number = make_resident_id("330106", date(1994, 1, 1) + timedelta(days=serial), serial)
    departments.rows[number] = {"uscc": employer.uscc if employer else "", "months": months,
                                "owns": owns}  # fmt: skip
    registered = register_person(number=number, name=f"员工{serial}")
    if login:
        user = UserFactory(role=Role.PERSON, display_name=registered.name)
        link_login(person=registered, user=user)
        registered.refresh_from_db()
    registered.number = number
    return registered


def publish_for_persons(mode: str, code: str = "rent-follows", criteria: dict | None = None):
    """A published version paying persons (its batch run over the person extracts done)."""
    author = OfficialFactory(department=department("hrss"), district=None)
    approver = OfficialFactory(department=department("hrss"), district=None)
    policy = Policy.objects.create(
        code=code, department=department("hrss"), title_zh="员工租房补贴",
        title_en="Employee rent subsidy", summary_zh="-", summary_en="-", legal_basis_zh="-",
        benefit_type="rent_subsidy", delivery_mode=mode,
    )  # fmt: skip
    version = create_draft(policy=policy, actor=author, **person_version_fields(
        criteria=criteria or CRITERIA, parameters={}))  # fmt: skip
    generate_boundary_cases(version)
    version = approve(submit_for_approval(version, actor=author), actor=approver)
    assert BatchRun.objects.get(version=version).status == BatchRun.Status.DONE
    return version


def claimed(version, status: str = ClaimStatus.PAID) -> list[int]:
    return sorted(Claim.objects.filter(version=version, status=status)
                  .values_list("person_id", flat=True))  # fmt: skip


@pytest.fixture
def town(departments):
    """Two employers in business: `big` insures 20, `small` 5; four persons at `big` (only
    the first qualifies now), two at `small` (both would, but their employer is too small),
    one not insured."""
    big, small = EnterpriseFactory(), EnterpriseFactory()
    member = member_of(big)
    departments.staff.update({big.pk: 20, small.pk: 5})
    people = SimpleNamespace(
        qualifies=person(departments, 1, big, login=True),
        owns_home=person(departments, 2, big, owns=True, login=True),
        too_new=person(departments, 3, big, months=3),
        stays_out=person(departments, 4, big, owns=True),
        small_a=person(departments, 5, small),
        small_b=person(departments, 6, small),
        uninsured=person(departments, 7, None),
    )
    refresh_enterprises()
    refresh_persons()
    return SimpleNamespace(big=big, small=small, people=people, member=member)


def test_a_person_extract_change_pays_exactly_the_affected_persons_once(town, departments):
    people = town.people
    version = publish_for_persons(DeliveryMode.AUTOMATIC)
    assert claimed(version) == [people.qualifies.pk]
    departments.rows[people.owns_home.number]["owns"] = False  # sold their home
    departments.rows[people.too_new.number]["months"] = 7  # insured long enough now
    refresh_persons("housing")
    change = Reevaluation.objects.get()
    # Exactly the person whose housing row differs, and the fact that did.
    assert change.cause == "extract" and change.person_ids == [people.owns_home.pk]
    assert change.enterprise_ids == [] and change.facts == [HOME]
    assert change.finished_at is not None
    refresh_persons("hrss")
    second = Reevaluation.objects.exclude(pk=change.pk).get()
    assert second.person_ids == [people.too_new.pk] and MONTHS in second.facts
    expected = sorted([people.qualifies.pk, people.owns_home.pk, people.too_new.pk])
    assert claimed(version) == expected
    run = ReevaluationRun.objects.get(reevaluation=change, version=version)
    assert (run.evaluated, run.qualified, run.withdrawn) == (1, 1, 0)
    paid = Claim.objects.get(version=version, person=people.owns_home)
    assert paid.enterprise == town.big and paid.disbursement.bank_account.startswith("622202")
    assert paid.decision["reevaluation"] == change.pk
    # The person is told, never the employer's members.
    told = Notification.objects.filter(kind=NotificationKind.CLAIM_PAID)
    assert told.filter(recipient=people.owns_home.user).count() == 1
    assert not Notification.objects.filter(recipient=town.member).exists()
    # The same change again (a redelivery, a duplicate signal): nothing more is paid.
    Reevaluation.objects.filter(pk=change.pk).update(finished_at=None)
    ReevaluationRun.objects.filter(pk=run.pk).update(evaluated_at=None)
    reevaluate(change.pk)
    refresh_persons()  # nothing differs: no change at all
    assert Reevaluation.objects.count() == 2
    assert TreasuryRecord.objects.count() == 3 == Disbursement.objects.count()
    assert Claim.objects.filter(version=version).count() == 3


def test_an_employers_fact_change_reaches_its_persons(town, departments):
    people = town.people
    version = publish_for_persons(DeliveryMode.AUTOMATIC)
    assert claimed(version) == [people.qualifies.pk]
    departments.staff[town.small.pk] = 15  # the small employer now insures 15
    refresh_extract("hrss", purpose="test", as_of=TODAY)
    change = Reevaluation.objects.get()
    assert change.enterprise_ids == [town.small.pk] and change.person_ids == []
    # Its two insured persons, and no one else, were evaluated and paid.
    run = ReevaluationRun.objects.get(reevaluation=change, version=version)
    assert (run.evaluated, run.qualified) == (2, 2)
    assert claimed(version) == sorted([people.qualifies.pk, people.small_a.pk, people.small_b.pk])
    paid = Claim.objects.get(version=version, person=people.small_a)
    assert paid.enterprise == town.small
    assert TreasuryRecord.objects.count() == 3


def test_the_batch_run_page_counts_the_persons_evaluated(town, departments, client):
    version = publish_for_persons(DeliveryMode.AUTOMATIC)
    departments.staff[town.small.pk] = 15  # the small employer now insures 15
    refresh_extract("hrss", purpose="test", as_of=TODAY)
    run = BatchRun.objects.get(version=version)
    client.force_login(OfficialFactory(department=department("hrss"), district=None))
    page = client.get(f"/claims/batches/{run.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200 and "Re-evaluations" in text
    assert "Persons evaluated" in text and "persons evaluated" in text
    assert "nterprises evaluated" not in text


def test_an_offer_is_withdrawn_when_the_persons_facts_stop_holding(town, departments):
    people = town.people
    version = publish_for_persons(DeliveryMode.CONFIRM)
    offer = Claim.objects.get(version=version)
    assert offer.person == people.qualifies and offer.status == ClaimStatus.OFFERED
    departments.rows[people.qualifies.number]["owns"] = True  # bought a home
    refresh_persons("housing")
    offer.refresh_from_db()
    assert offer.status == ClaimStatus.WITHDRAWN
    reason = offer.decision["withdrawn"]
    assert "data about the person or their employer changed" in reason["en"] and reason["zh-hans"]
    run = ReevaluationRun.objects.get(version=version)
    assert run.withdrawn == 1
    told = Notification.objects.filter(kind=NotificationKind.CLAIM_OFFER_WITHDRAWN)
    assert [n.recipient_id for n in told] == [people.qualifies.user_id]
    assert not Notification.objects.filter(recipient=town.member).exists()
    assert not Disbursement.objects.exists()
    # A withdrawn offer is not offered again while the person still does not qualify; once
    # they qualify again the period's claim (withdrawn) stands: one claim per period.
    departments.rows[people.qualifies.number]["owns"] = False
    refresh_persons("housing")
    assert Claim.objects.filter(version=version, person=people.qualifies).count() == 1


def test_an_employers_change_withdraws_its_persons_offers(town, departments):
    people = town.people
    version = publish_for_persons(DeliveryMode.CONFIRM)
    departments.staff[town.big.pk] = 4  # the employer now insures too few
    refresh_extract("hrss", purpose="test", as_of=TODAY)
    offer = Claim.objects.get(version=version, person=people.qualifies)
    assert offer.status == ClaimStatus.WITHDRAWN
    assert "their employer" in offer.decision["withdrawn"]["en"]
    assert not Notification.objects.filter(recipient=town.member).exists()


def test_a_new_person_registered_is_evaluated_and_paid_once(town, departments):
    version = publish_for_persons(DeliveryMode.AUTOMATIC)
    before = set(claimed(version))
    newcomer = person(departments, 8, town.big, login=True)
    change = Reevaluation.objects.get(cause="registered")
    assert change.person_ids == [newcomer.pk] and change.enterprise_ids == []
    assert set(claimed(version)) == before | {newcomer.pk}
    # Registering the same number again is the same person: nothing more.
    register_person(number=newcomer.number, name=newcomer.name)
    assert Claim.objects.filter(version=version, person=newcomer).count() == 1
    assert TreasuryRecord.objects.count() == len(before) + 1


def test_an_ineligible_person_claim_is_decided_again_when_their_fact_changes(town, departments):
    people = town.people
    version = publish_for_persons(DeliveryMode.AUTOMATIC)
    claim = Claim.objects.create(
        enterprise=town.big, person=people.owns_home, policy=version.policy, version=version,
        period=f"{TODAY:%Y-%m}", status=ClaimStatus.INELIGIBLE, origin="person",
    )  # fmt: skip
    departments.rows[people.owns_home.number]["owns"] = False
    refresh_persons("housing")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert Claim.objects.filter(version=version, person=people.owns_home).count() == 1


def test_an_answer_that_differs_from_the_last_one_reevaluates_the_person(town, departments):
    people = town.people
    version = publish_for_persons(DeliveryMode.AUTOMATIC)
    fetch_person_facts(people.owns_home, [HOME], purpose="test: the person's page")
    fetch_person_facts(people.owns_home, [HOME], purpose="test: the same answer again")
    assert not Reevaluation.objects.exists()
    departments.rows[people.owns_home.number]["owns"] = False
    fetch_person_facts(people.owns_home, [HOME], purpose="test: a different answer")
    change = Reevaluation.objects.get()
    assert change.cause == "answer" and change.person_ids == [people.owns_home.pk]
    assert change.enterprise_ids == [] and HOME in change.facts
    # The person's extract rows caught up, and the person was paid once.
    assert read_person_snapshot([HOME]).value(people.owns_home.pk, HOME) is False
    assert claimed(version) == sorted([people.qualifies.pk, people.owns_home.pk])
