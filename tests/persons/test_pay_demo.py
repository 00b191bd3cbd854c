"""The demo city's employee rent subsidy (issue #26), end to end with the real person
extracts and evaluation: residents registered, the policy published and run, and the
demo person sees a paid rent subsidy in their own account."""

from io import StringIO

import pytest
from django.core.management import call_command

from datahub.extracts.persons import read_person_snapshot
from enterprises.persons.models import Person
from sandbox.treasury.models import TreasuryRecord
from subsidies.models import BatchRun, Claim, ClaimStatus, LedgerEntry, person_account
from subsidies.selectors import claims_of_person

pytestmark = pytest.mark.django_db(transaction=True)


def quiet(name: str, **options) -> None:
    call_command(name, stdout=StringIO(), stderr=StringIO(), **options)


def test_the_demo_person_is_paid_the_rent_subsidy_without_applying(reference_data):
    quiet("seed_demo", enterprises=60)
    quiet("seed_demo_persons", persons=120)
    quiet("refresh_extracts", purpose="test")
    quiet("seed_demo_policies")
    run = BatchRun.objects.get(version__policy__code="employee-rent-2026")
    assert run.status == BatchRun.Status.DONE and run.qualified > 1
    person = Person.objects.get(user__username="person")
    mine = list(claims_of_person(person.user))
    assert [(c.policy.code, c.status) for c in mine] == [("employee-rent-2026", ClaimStatus.PAID)]
    claim = mine[0]
    assert claim.amount in (500, 1000) and claim.enterprise.memberships.exists()
    # Its reasons, criterion by criterion, re-derived from the facts the run kept.
    explained = {row["id"] for row in claim.explanation}
    assert {"insured", "six-months", "no-home"} <= explained
    assert LedgerEntry.objects.filter(claim=claim, account=person_account(person.pk)).exists()
    record = TreasuryRecord.objects.get(key=claim.disbursement.idempotency_key)
    assert record.payee.startswith(person.name[0]) and "*" in record.payee
    assert record.account == claim.disbursement.bank_account != ""
    # Everyone paid once; nobody's identity number in the payment file.
    paid = Claim.objects.filter(version=run.version, status=ClaimStatus.PAID)
    assert paid.count() == run.qualified
    assert paid.values("person").distinct().count() == paid.count()
    numbers = {p.identity_number() for p in Person.objects.all()}
    assert not numbers & set(TreasuryRecord.objects.values_list("payee", flat=True))
    # Each person paid to their own card's account, as the extract has it (the run reads
    # the accounts in the evaluation's pass and cuts them into chunks: a row out of step
    # would pay one person's money into another's account).
    cards = read_person_snapshot(["person.bank.account"])
    for person_id, account in paid.values_list("person_id", "disbursement__bank_account"):
        assert account == cards.value(person_id, "person.bank.account") != ""
