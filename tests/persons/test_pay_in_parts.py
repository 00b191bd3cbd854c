"""A persons' run reads and decides its persons in parts (subsidies.batch._start_persons,
policies.evaluation.evaluate_persons_in_parts): the same persons paid, each once, as when
everyone is read at once; and the run is neither decided nor done while parts remain."""

import itertools
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from datahub.extracts.persons import person_id_ranges, read_employers, read_person_snapshot
from policies import evaluation
from subsidies import batch
from subsidies.models import BatchChunk, BatchRun, Claim, ClaimStatus

pytestmark = pytest.mark.django_db(transaction=True)

POLICY = "employee-rent-2026"
FACTS = ["person.hrss.months_paid", "person.bank.account", "person.hrss.insured_since"]
EMPLOYER_FACTS = ["hrss.insured_employees"]


def quiet(name: str, **options) -> None:
    call_command(name, stdout=StringIO(), stderr=StringIO(), **options)


@pytest.fixture
def city(reference_data):
    quiet("seed_demo", enterprises=40)
    quiet("seed_demo_persons", persons=150)
    quiet("refresh_extracts", purpose="test")


def test_a_run_read_in_parts_pays_whom_one_read_of_everyone_qualifies(city, monkeypatch):
    monkeypatch.setattr(batch, "PERSONS_PER_PART", 40)  # four parts or more
    monkeypatch.setattr(batch, "CHUNK", 7)  # several chunks a part, one cut mid-part
    parts = []
    real = evaluation.evaluate_all_persons

    def counted(*args, **kwargs):
        decision = real(*args, **kwargs)
        parts.append(kwargs.get("part"))
        return decision

    monkeypatch.setattr(evaluation, "evaluate_all_persons", counted)
    quiet("seed_demo_policies")
    run = BatchRun.objects.get(version__policy__code=POLICY)
    assert len(parts) >= 4 and all(part is not None for part in parts)
    assert run.status == BatchRun.Status.DONE and run.decided_at is not None

    everyone = real(run.version)  # everyone at once, as the run would have read them
    qualifying = everyone.eligible & (everyone.employer_ids >= 0)
    expected = set(everyone.person_ids[qualifying].tolist())
    paid = Claim.objects.filter(version=run.version, status=ClaimStatus.PAID)
    assert expected and set(paid.values_list("person_id", flat=True)) == expected
    assert paid.count() == len(expected) == run.qualified  # each once
    assert run.enterprises == len(everyone.person_ids)  # every person evaluated, once
    numbers = sorted(BatchChunk.objects.filter(run=run).values_list("number", flat=True))
    assert numbers == list(range(run.chunks)) and run.chunks_done == run.chunks
    # Each claim's employer is the one everyone's read found for that person.
    employer_of = dict(zip(everyone.person_ids.tolist(), everyone.employer_ids.tolist(),
                           strict=True))  # fmt: skip
    for person_id, enterprise_id in paid.values_list("person_id", "enterprise_id"):
        assert enterprise_id == employer_of[person_id]


def test_the_run_is_not_finished_while_parts_remain(city, monkeypatch, client):
    """The tests' tasks run as they are queued: the first part's chunks are all decided
    and paid before the second part is read, so a run counted only by its chunks would
    be "done" with most of its persons not yet decided. Its page says it is still
    finding who qualifies, in both languages."""
    monkeypatch.setattr(batch, "PERSONS_PER_PART", 40)
    client.force_login(User.objects.get(username="housing_city"))
    seen, pages = [], []
    real = evaluation.evaluate_persons_in_parts

    def watched(version, persons_per_part, also_read=()):
        for number, decision in enumerate(real(version, persons_per_part, also_read)):
            if number:
                run = BatchRun.objects.get(version=version)
                seen.append((run.status, run.decided_at, run.chunks_done, run.chunks))
                if number == 1:
                    pages.extend(_page(client, run, language) for language in ("en", "zh-hans"))
            yield decision

    monkeypatch.setattr(evaluation, "evaluate_persons_in_parts", watched)
    quiet("seed_demo_policies")
    assert seen and seen[0][2] >= 1  # the first part's chunks were decided before part 2
    for status, decided_at, _done, _chunks in seen:
        assert status == BatchRun.Status.RUNNING and decided_at is None
    english, chinese = pages
    assert "Still finding who qualifies" in english and "All decided at" not in english
    assert "仍在查找符合条件的人员" in chinese
    run = BatchRun.objects.get(version__policy__code=POLICY)
    assert run.status == BatchRun.Status.DONE and run.decided_at is not None
    assert "Still finding who qualifies" not in _page(client, run, "en")


def _page(client, run, language: str) -> str:
    with translation.override(language):
        response = client.get(reverse("subsidies:batch_run", args=[run.pk]),
                              HTTP_ACCEPT_LANGUAGE=language)  # fmt: skip
    assert response.status_code == 200
    return response.content.decode()


def test_reading_a_range_of_persons_reads_those_of_everyone(city):
    everyone = read_person_snapshot(FACTS, EMPLOYER_FACTS)
    ranges = person_id_ranges(FACTS, 33)
    assert len(ranges) >= 4
    assert ranges[0][0] == everyone.person_ids.min() and ranges[-1][1] > everyone.person_ids.max()
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))  # no gap
    employers = read_employers(EMPLOYER_FACTS)
    pieces = [read_person_snapshot(FACTS, EMPLOYER_FACTS, id_range=id_range,
                                   employers=employers) for id_range in ranges]  # fmt: skip
    assert np.array_equal(np.concatenate([p.person_ids for p in pieces]), everyone.person_ids)
    assert np.array_equal(np.concatenate([p.employer_ids for p in pieces]), everyone.employer_ids)
    for name in [*FACTS, *EMPLOYER_FACTS]:
        assert np.array_equal(np.concatenate([p.columns[name] for p in pieces]),
                              everyone.columns[name]), name  # fmt: skip
        assert np.array_equal(np.concatenate([p.known[name] for p in pieces]),
                              everyone.known[name]), name  # fmt: skip
    with pytest.raises(ValueError):
        read_person_snapshot(FACTS, [], id_range=ranges[0], employers=employers)


def test_a_run_of_persons_who_fit_in_one_part_reads_them_at_once(city, monkeypatch):
    parts = []
    real = evaluation.evaluate_all_persons

    def counted(*args, **kwargs):
        parts.append(kwargs.get("part"))
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluation, "evaluate_all_persons", counted)
    quiet("seed_demo_policies")
    assert parts == [None]
    assert BatchRun.objects.get(version__policy__code=POLICY).status == BatchRun.Status.DONE
