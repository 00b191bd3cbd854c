"""Keys checked by set (qinqing/foreign_keys.py): a claim, a disbursement or a ledger leg
naming a row that does not exist is refused however it is written (the ORM, the bulk
writer, COPY, an UPDATE), a named row cannot be deleted, and a claim written while its
person is being deleted cannot slip between the two checks."""

import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models import ProtectedError

from enterprises.models import Person
from enterprises.persons.services import register_person
from qinqing import foreign_keys
from qinqing.bulk import copy_rows, insert_values
from subsidies.models import Claim, ClaimStatus, Disbursement, LedgerEntry
from tests.factories import EnterpriseFactory
from tests.persons.conftest import NUMBER, OTHER_NUMBER

pytestmark = pytest.mark.django_db(transaction=True)
MISSING = 2_000_000_001


@pytest.fixture
def named(apply_policy):
    """A person, and a claim for them; a second person no row names."""
    version = apply_policy.versions.get()
    person = register_person(number=NUMBER, name="陈小青")
    claim = Claim.objects.create(enterprise=EnterpriseFactory(), person=person,
                                 policy=apply_policy, version=version, period="2026")  # fmt: skip
    return claim, register_person(number=OTHER_NUMBER, name="林大山")


def _claim_row(claim: Claim, **changed) -> dict:
    row = {"enterprise_id": claim.enterprise_id, "person_id": claim.person_id,
           "policy_id": claim.policy_id, "version_id": claim.version_id, "period": "2027",
           "status": ClaimStatus.SUBMITTED, "checks": 0, "origin": "batch"}  # fmt: skip
    return row | changed


def _rows(claim: Claim) -> dict[str, tuple[type, dict]]:
    """For each declared key, a row of its table naming a row that does not exist."""
    return {
        "subsidies_claim.enterprise_id": (Claim, _claim_row(claim, enterprise_id=MISSING)),
        "subsidies_claim.person_id": (Claim, _claim_row(claim, person_id=MISSING)),
        "subsidies_claim.policy_id": (Claim, _claim_row(claim, policy_id=MISSING)),
        "subsidies_claim.version_id": (Claim, _claim_row(claim, version_id=MISSING)),
        "subsidies_disbursement.claim_id": (Disbursement, {
            "claim_id": MISSING, "idempotency_key": "qinqing-claim-missing",
            "amount": Decimal("10.00"), "bank_name": "杭州银行", "bank_account": "6222",
            "status": "pending", "attempts": 0}),
        "subsidies_ledgerentry.claim_id": (LedgerEntry, {
            "transaction": "pay-missing", "account": "person:1", "debit": Decimal("0.00"),
            "credit": Decimal("10.00"), "claim_id": MISSING}),
    }  # fmt: skip


def test_every_declared_key_has_its_triggers_in_the_database():
    """The migrations list their keys as plain values: none may be forgotten."""
    declared = foreign_keys.declared_references()
    assert {f"{key.table}.{key.column}" for key in declared} == {
        "subsidies_claim.enterprise_id", "subsidies_claim.person_id", "subsidies_claim.policy_id",
        "subsidies_claim.version_id", "subsidies_disbursement.claim_id",
        "subsidies_ledgerentry.claim_id",
    }  # fmt: skip
    assert foreign_keys.installed_stems() == {key.stem for key in declared}


@pytest.mark.parametrize("writer", ["orm", "insert_values", "copy_rows"])
def test_a_row_naming_nothing_is_refused_by_every_writer(named, writer):
    claim, _other = named
    for key, (model, row) in _rows(claim).items():
        before = model.objects.count()
        with pytest.raises(IntegrityError) as refused, transaction.atomic():
            if writer == "orm":
                model.objects.create(**row)
            elif writer == "insert_values":
                insert_values(model, list(row), [tuple(row.values())])
            else:
                fields = [model._meta.get_field(name.removesuffix("_id")) for name in row]
                copy_rows(model._meta.db_table, [field.column for field in fields],
                          [tuple(row.values())])  # fmt: skip
        assert model.objects.count() == before, key
        if connection.vendor == "postgresql":
            assert str(MISSING) in str(refused.value), key


def test_an_update_that_changes_a_key_is_checked_and_one_that_does_not_is_free(named):
    claim, other = named
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(person_id=MISSING)
    Claim.objects.filter(pk=claim.pk).update(person_id=other.pk, status=ClaimStatus.ELIGIBLE)
    claim.refresh_from_db()
    assert (claim.person_id, claim.status) == (other.pk, ClaimStatus.ELIGIBLE)


def test_a_named_row_cannot_be_deleted_and_an_unnamed_one_can(named):
    claim, other = named
    with pytest.raises(ProtectedError):
        claim.person.delete()
    if connection.vendor == "postgresql":  # past the ORM: the database refuses too
        for table, pk in (("enterprises_person", claim.person_id),
                          ("policies_policyversion", claim.version_id),
                          ("enterprises_enterprise", claim.enterprise_id)):  # fmt: skip
            with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])  # noqa: S608
        # Nor can a named row's own key change under the rows that name it.
        refused = pytest.raises(IntegrityError, match="set-checked key")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE enterprises_person SET id = %s WHERE id = %s",
                           [MISSING, claim.person_id])  # fmt: skip
    assert Person.objects.filter(pk=claim.person_id).exists()
    Person.objects.filter(pk=other.pk).delete()
    assert not Person.objects.filter(pk=other.pk).exists()


class _Held(threading.Thread):
    """Runs `work` in a transaction of its own connection, holds the transaction open
    until `release` is set, then runs `then` in it and commits; `error` is what the
    transaction raised."""

    def __init__(self, work, *, then=None, isolation: str = ""):
        super().__init__(daemon=True)
        self.work, self.then, self.isolation = work, then, isolation
        self.worked, self.release = threading.Event(), threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            with transaction.atomic():
                if self.isolation:
                    with connection.cursor() as cursor:
                        cursor.execute(f"SET TRANSACTION ISOLATION LEVEL {self.isolation}")
                self.work()
                self.worked.set()
                self.release.wait(20)
                if self.then:
                    self.then()
        except BaseException as error:  # handed to the test
            self.error = error
        finally:
            self.worked.set()
            connections.close_all()


def _in_turn(first, second) -> tuple[BaseException | None, BaseException | None]:
    """`first` runs and holds its transaction open; `second`, started then, must still be
    blocked on its lock a moment later, and goes on once `first` commits. Returns what
    each raised."""
    held, blocked = _Held(first), _Held(second)
    held.start()
    assert held.worked.wait(20)
    blocked.start()
    assert not blocked.worked.wait(1.0) and blocked.is_alive()
    held.release.set()
    blocked.release.set()
    held.join(20), blocked.join(20)
    return held.error, blocked.error


@pytest.mark.postgres
def test_a_claim_written_while_its_person_is_deleted_is_refused_in_either_order(named):
    claim, other = named
    make = lambda: Claim.objects.create(**_claim_row(claim, person_id=other.pk))  # noqa: E731
    remove = lambda: Person.objects.filter(pk=other.pk).delete()  # noqa: E731

    # The claim first: the deletion waits for it, then sees it and is refused.
    written, deleted = _in_turn(make, remove)
    assert written is None and isinstance(deleted, IntegrityError)
    assert Claim.objects.filter(person=other).count() == 1

    # The deletion first: the claim waits for it, then finds the person gone.
    Claim.objects.filter(person=other).delete()
    deleted, written = _in_turn(remove, make)
    assert deleted is None and isinstance(written, IntegrityError)
    assert not Person.objects.filter(pk=other.pk).exists()
    assert not Claim.objects.filter(person_id=other.pk).exists()


@pytest.mark.postgres
def test_repeatable_read_cannot_name_a_row_deleted_since_its_snapshot(named):
    """Its snapshot still shows the person: the check locks what it names and fails."""
    claim, other = named
    reader = _Held(
        lambda: list(Person.objects.all()),
        isolation="REPEATABLE READ",
        then=lambda: Claim.objects.create(**_claim_row(claim, person_id=other.pk)),
    )
    reader.start()
    assert reader.worked.wait(20)
    Person.objects.filter(pk=other.pk).delete()
    reader.release.set()
    reader.join(20)
    assert isinstance(reader.error, DatabaseError)
    assert not Claim.objects.filter(person_id=other.pk).exists()


@pytest.mark.postgres
def test_repeatable_read_cannot_delete_rows_a_key_may_name():
    """Its snapshot could miss a claim committed while it waited for the lock."""
    person = register_person(number=OTHER_NUMBER, name="林大山")
    with pytest.raises(DatabaseError, match="READ COMMITTED"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        Person.objects.filter(pk=person.pk).delete()
    assert Person.objects.filter(pk=person.pk).exists()
