"""The persons' per-row refresh on PostgreSQL, for real: it waits for a full refresh of the
same department's person extract (the persons' advisory lock), and the register keeps one
index on the keyed hash — unique, without the LIKE (varchar_pattern_ops) index Django adds
for a unique CharField, which nothing used."""

import threading
import time
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from datahub.extracts.persons import persons_insured_by, read_person_snapshot
from datahub.extracts.refresh import lock_extract, refresh_person_extract, refresh_rows
from datahub.extracts.subjects import EMPLOYER_FACT, PERSONS, column_name
from departments.models import Department
from enterprises.models import EnterpriseStatus
from enterprises.persons.models import Person
from enterprises.persons.services import register_many
from qinqing.resident_ids import make_resident_id
from tests.factories import EnterpriseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
AS_OF = date.today()


def number(serial: int) -> str:
    return make_resident_id("330106", date(1991, 5, 6), serial)


def test_the_keyed_hash_has_one_unique_index_and_no_like_index(reference_data):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'enterprises_person' "
                       "AND indexdef LIKE '%%(id_hash%%'")  # fmt: skip
        found = [row[0] for row in cursor.fetchall()]
    assert len(found) == 1 and "UNIQUE" in found[0] and "pattern_ops" not in found[0]
    register_many([(number(1), "甲")])
    digest = Person.objects.get().id_hash
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(id_hash=digest, id_sealed=b"x", id_masked="x", name="乙",
                              birth_year=1991)  # fmt: skip


def test_a_persons_rows_wait_for_a_full_refresh_of_the_same_department(reference_data):
    employer = EnterpriseFactory(status=EnterpriseStatus.ACTIVE)
    register_many([(number(serial), f"某{serial}") for serial in range(1, 11)])
    refresh_person_extract("hrss", purpose="test", as_of=AS_OF)
    register_many([(number(99), "新来的")])
    newcomer = Person.objects.get(name="新来的")
    hrss = Department.objects.get(code="hrss").pk
    held, release, finished = threading.Event(), threading.Event(), []

    def full_refresh_in_progress():
        try:
            with transaction.atomic():
                lock_extract(hrss, PERSONS)  # what refresh_person_extract holds meanwhile
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def one_row():
        try:
            refresh_rows([newcomer.pk], subject=PERSONS, as_of=AS_OF)
            finished.append(time.monotonic())
        finally:
            connection.close()

    holder = threading.Thread(target=full_refresh_in_progress)
    holder.start()
    assert held.wait(10)
    waiter = threading.Thread(target=one_row)
    waiter.start()
    waiter.join(0.5)
    assert not finished  # waiting for the full refresh's lock
    released = time.monotonic()
    release.set()
    holder.join(10)
    waiter.join(10)
    assert finished and finished[0] >= released
    snapshot = read_person_snapshot(["person.hrss.months_paid"], person_ids=[newcomer.pk])
    assert snapshot.known["person.hrss.months_paid"][0]
    # One scan with = ANY on PostgreSQL finds whom an employer's change reaches.
    insured = read_person_snapshot(["person.hrss.employer_uscc"])
    expected = sorted(insured.person_ids[insured.employer_ids == employer.pk].tolist())
    assert persons_insured_by([employer.pk]) == expected


def test_the_employer_column_is_indexed_and_persons_insured_by_can_use_it(reference_data):
    """persons_insured_by filters the person extract on the employer's USCC (`= ANY`): the
    column is indexed when the extract is built, and an extract built before the index
    existed gets it at its next full refresh."""
    employer = EnterpriseFactory(status=EnterpriseStatus.ACTIVE)
    register_many([(number(serial), f"某{serial}") for serial in range(1, 31)])
    refresh_person_extract("hrss", purpose="test", as_of=AS_OF)
    table, column = PERSONS.table("hrss"), column_name(EMPLOYER_FACT)
    index = f"{table}_{column}"

    def indexes() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
            return [row[0] for row in cursor.fetchall()]

    assert index in indexes()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX "{index}"')  # as an extract built before the index
    refresh_person_extract("hrss", purpose="test", as_of=AS_OF)  # merged, not rebuilt
    assert index in indexes()
    # The statement persons_insured_by runs, with its parameter as the driver sends it:
    # the index serves it (the planner told to prefer it over a scan of so few rows).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f'EXPLAIN SELECT person_id FROM "{table}" WHERE "{column}" = ANY(%s)',  # noqa: S608
                       [[employer.uscc]])  # fmt: skip
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan
