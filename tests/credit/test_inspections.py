"""Dual-random inspections: the draw is reproducible and auditable, strata and ratios are
respected, conflicts of interest excluded, recusals take the next in the ranking, and a
campaign is drawn once only."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from credit.errors import CreditRefused
from credit.grades.models import CreditGrade
from credit.grades.selectors import scoring_model_in_force
from credit.inspections import draw as algorithm
from credit.inspections.models import (
    CampaignStatus,
    InspectionDraw,
    InspectionSelection,
    InspectorRelation,
)
from credit.inspections.selectors import (
    attach_inspectors,
    current_inspector_ids,
    progress,
    selections_visible_to,
)
from credit.inspections.services import (
    create_campaign,
    record_result,
    recuse,
)
from credit.inspections.snapshots import pack_ids, stored_snapshot
from credit.inspections.verification import verify
from credit.records.models import CreditRecord, RecordKind
from qinqing.errors import IllegalTransition
from tests.credit.draws import publish_campaign, run_draw
from tests.factories import EnterpriseFactory, OfficialFactory, department, district

pytestmark = pytest.mark.django_db


def grade(enterprise, letter):
    CreditGrade.objects.create(
        enterprise=enterprise,
        grade=letter,
        score=80,
        model=scoring_model_in_force(),
        grade_since=timezone.localdate(),
        computed_at=timezone.now(),
    )


@pytest.fixture
def population():
    """40 enterprises: 10 of each grade, half in Xihu, half in Binjiang."""
    made = []
    for index in range(40):
        enterprise = EnterpriseFactory(district=district("xihu" if index % 2 else "binjiang"))
        grade(enterprise, "ABCD"[index % 4])
        made.append(enterprise)
    return made


@pytest.fixture
def manager():
    return OfficialFactory(department=department("market"), district=None)


@pytest.fixture
def pool():
    """Two inspectors based in Xihu, two in Binjiang, two city-wide."""
    return [
        OfficialFactory(district=district("xihu")),
        OfficialFactory(district=district("xihu")),
        OfficialFactory(district=district("binjiang")),
        OfficialFactory(district=district("binjiang")),
        OfficialFactory(district=None),
        OfficialFactory(district=None),
    ]


def campaign_for(manager, pool, ratios=None, **extra):
    return create_campaign(
        actor=manager,
        title="2026 食品安全双随机抽查",
        items=["食品经营许可", "进货查验"],
        ratios=ratios or {"A": "5", "B": "20", "C": "50", "D": "100"},
        inspectors=pool,
        **extra,
    )


def published(manager, pool, **extra):
    campaign = campaign_for(manager, pool, **extra)
    return publish_campaign(campaign.pk, actor=manager)


def test_publishing_fixes_the_snapshot_and_its_hash(population, manager, pool):
    campaign = published(manager, pool)
    assert campaign.status == CampaignStatus.PUBLISHED
    assert campaign.algorithm == algorithm.SEED_ALGORITHM and campaign.population == 40
    data, snapshot = stored_snapshot(campaign)
    assert algorithm.snapshot_hash(data) == campaign.snapshot_sha256
    assert len(snapshot.enterprises) == 40 and len(snapshot.inspectors) == 6


def test_stratified_ratios_are_respected(population, manager, pool):
    campaign = published(manager, pool)
    drawn = run_draw(campaign.pk, actor=manager, public_value="3012.45")
    by_grade = {}
    for selection in drawn.selections.all():
        by_grade[selection.grade] = by_grade.get(selection.grade, 0) + 1
    # ceil(5 % of 10) = 1, ceil(20 % of 10) = 2, ceil(50 % of 10) = 5, 100 % of 10 = 10
    assert by_grade == {"A": 1, "B": 2, "C": 5, "D": 10}
    assert drawn.strata["C"] == {"population": 10, "ratio": "50.00", "k": 5}
    assert algorithm.quota(Decimal("0"), 10) == 0 and algorithm.quota(Decimal("0.01"), 1) == 1


def test_the_same_inputs_give_the_same_draw_and_any_change_another():
    snapshot = algorithm.Snapshot(
        1,
        {"A": Decimal(10), "B": Decimal(10), "C": Decimal(50), "D": Decimal(100)},
        2,
        sorted((f"91330106MA{n:08d}", "ABCD"[n % 4], "xihu") for n in range(400)),
        [(f"inspector{n}", "binjiang") for n in range(5)],
    )
    digest = algorithm.snapshot_hash(snapshot.encode())
    first = algorithm.compute_draw(snapshot, digest, "3012.45")
    again = algorithm.compute_draw(snapshot, digest, "3012.45")
    assert first == again
    other_value = algorithm.compute_draw(snapshot, digest, "3012.46")
    assert other_value.seed != first.seed
    assert [row[0] for row in other_value.selections] != [row[0] for row in first.selections]
    changed = algorithm.Snapshot(
        snapshot.campaign_id, snapshot.ratios, 2, snapshot.enterprises[1:], snapshot.inspectors
    )
    changed_digest = algorithm.snapshot_hash(changed.encode())
    assert changed_digest != digest
    other_snapshot = algorithm.compute_draw(changed, changed_digest, "3012.45")
    assert other_snapshot.seed != first.seed
    assert [row[0] for row in other_snapshot.selections] != [row[0] for row in first.selections]


def test_ranking_is_hmac_of_the_uscc_under_the_seed():
    seed = algorithm.make_seed(7, "ab" * 32, "x")
    usccs = [f"U{n}" for n in range(50)]
    import hashlib
    import hmac

    expected = sorted(usccs, key=lambda u: hmac.new(seed, u.encode(), hashlib.sha256).digest())
    assert [u for _k, u in algorithm.draw_stratum(seed, usccs, 3)] == expected[:3]
    assert [u for _k, u in algorithm.draw_stratum(seed, usccs, 50)] == expected
    assert algorithm.hmac_sha256_many(seed, [b"U1"]) == [hmac.new(seed, b"U1", "sha256").digest()]


def test_conflicts_of_interest_are_excluded(population, manager, pool):
    related_to = population[3]  # a Xihu enterprise of grade D (all of grade D are drawn)
    InspectorRelation.objects.create(inspector=pool[4], enterprise=related_to, relation="亲属")
    campaign = published(manager, pool, ratios={"A": "5", "B": "20", "C": "60", "D": "100"})
    drawn = run_draw(campaign.pk, actor=manager, public_value="42")
    assert drawn.selections.count() == 1 + 2 + 6 + 10
    for selection in drawn.selections.select_related("enterprise"):
        inspectors = list(User.objects.filter(pk__in=selection.inspectors))
        assert len(inspectors) == 2
        assert all(i.district_id != selection.enterprise.district_id for i in inspectors)
        if selection.enterprise == related_to:
            assert pool[4] not in inspectors


def test_recusal_takes_the_next_in_the_ranking(population, manager, pool):
    campaign = published(manager, pool)
    drawn = run_draw(campaign.pk, actor=manager, public_value="7")
    selection = drawn.selections.select_related("enterprise").first()
    _data, snapshot = stored_snapshot(campaign)
    ranking = algorithm.eligible_ranking(
        bytes.fromhex(drawn.seed),
        selection.enterprise.uscc,
        selection.enterprise.district.code,
        snapshot,
    )
    usernames = dict(User.objects.values_list("pk", "username"))
    assert [usernames[pk] for pk in selection.inspectors] == ranking[:2]
    first = User.objects.get(pk=selection.inspectors[0])
    replacement = recuse(selection.pk, first.pk, actor=first, reason="曾在该企业任职")
    assert replacement.inspector.username == ranking[2]
    assert replacement.position == 3
    selection.refresh_from_db()
    [row] = attach_inspectors([selection])
    assert [(r.username, r.status, r.recusal_reason) for r in row.inspector_rows] == [
        (ranking[0], "recused", "曾在该企业任职"),
        (ranking[1], "assigned", ""),
        (ranking[2], "assigned", ""),
    ]
    assert current_inspector_ids(selection) == selection.inspectors[1:]
    assert verify(campaign).ok
    with pytest.raises(IllegalTransition):
        recuse(selection.pk, first.pk, actor=manager, reason="again")
    # The replacement is an assigned inspector: they may record the result.
    record_result(selection.pk, actor=replacement.inspector, violation=False, findings="未发现问题")


def test_verify_draw_replays_recusals_and_catches_a_wrong_replacement(population, manager, pool):
    campaign = published(manager, pool)
    drawn = run_draw(campaign.pk, actor=manager, public_value="3012.45")
    selection = drawn.selections.select_related("enterprise").order_by("grade", "rank").last()
    _data, snapshot = stored_snapshot(campaign)
    ranking = algorithm.eligible_ranking(
        bytes.fromhex(drawn.seed),
        selection.enterprise.uscc,
        selection.enterprise.district.code,
        snapshot,
    )
    # Two recusals in a row: the second inspector, then the first replacement.
    second = recuse(selection.pk, selection.inspectors[1], actor=manager, reason="亲属关系")
    third = recuse(selection.pk, second.inspector_id, actor=manager, reason="回避")
    assert [second.inspector.username, third.inspector.username] == ranking[2:4]
    selection.refresh_from_db()
    assert len(selection.inspectors) == 4 and selection.assignments.count() == 2
    out = StringIO()
    call_command("verify_draw", str(campaign.pk), stdout=out)
    assert "verified" in out.getvalue()
    # Someone off the ranking put in as the replacement: the check fails.
    outsider = next(user for user in pool if user.username not in ranking[:4])
    selection.inspectors = [*selection.inspectors[:3], outsider.pk]
    selection.save(update_fields=["inspectors"])
    found = verify(campaign)
    assert not found.ok and selection.enterprise.uscc in " ".join(map(str, found.problems))
    with pytest.raises(CommandError):
        call_command("verify_draw", str(campaign.pk), stdout=StringIO())


def test_an_inspector_sees_the_enterprises_they_inspect(population, manager, pool):
    inspector = OfficialFactory(department=department("taxation"), district=None)
    campaign = published(manager, [*pool[:4], inspector])
    drawn = run_draw(campaign.pk, actor=manager, public_value="5")
    theirs = {s.pk for s in drawn.selections.all() if inspector.pk in s.inspectors}
    assert theirs
    visible = selections_visible_to(inspector)
    assert {s.pk for s in visible} == theirs
    selection = visible.first()
    recuse(selection.pk, inspector.pk, actor=inspector, reason="回避")
    # Having recused, they still see it (and its result later), as before.
    assert set(selections_visible_to(inspector).values_list("pk", flat=True)) == theirs


def test_the_k_lowest_keys_are_found_exactly_with_ties_on_the_prefix():
    """The partial selection looks only at the keys' first 8 bytes; keys sharing them (and
    a repeated key, ordered by USCC) still come out as a full sort gives them."""
    import random

    rng = random.Random(3)
    prefixes = [bytes(rng.randrange(256) for _ in range(8)) for _ in range(20)]
    keys = [rng.choice(prefixes) + bytes(rng.randrange(256) for _ in range(24)) for _ in range(300)]
    keys += [keys[7], keys[7]]
    usccs = [f"U{n:04d}" for n in range(len(keys))]
    usccs[-2:] = ["U0000", "A0000"]
    full = sorted(zip(keys, usccs, strict=True))
    for k in (1, 2, 15, 16, 17, 150, 301, 302, 400):
        chosen = algorithm.lowest(keys, usccs, k)
        assert [(keys[i], usccs[i]) for i in chosen] == full[:k]


def test_a_drawn_campaign_is_never_drawn_again(population, manager, pool):
    campaign = published(manager, pool)
    run_draw(campaign.pk, actor=manager, public_value="1")
    with pytest.raises(IllegalTransition, match="never repeated"):
        run_draw(campaign.pk, actor=manager, public_value="2")
    assert InspectionDraw.objects.filter(campaign=campaign).count() == 1
    # Even bypassing the state check, the database holds one draw per campaign.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        InspectionDraw.objects.create(
            campaign=campaign,
            public_value="3",
            seed="0" * 64,
            algorithm="x",
            drawn_at=timezone.now(),
            results_due=timezone.now(),
        )


def test_the_draw_needs_a_published_campaign_and_a_public_value(population, manager, pool):
    campaign = campaign_for(manager, pool)
    with pytest.raises(IllegalTransition):
        run_draw(campaign.pk, actor=manager, public_value="1")
    publish_campaign(campaign.pk, actor=manager)
    with pytest.raises(CreditRefused):
        run_draw(campaign.pk, actor=manager, public_value="  ")
    with pytest.raises(PermissionDenied):
        run_draw(
            campaign.pk, actor=OfficialFactory(department=department("taxation")), public_value="1"
        )


@pytest.mark.parametrize(
    "ratios", [{"A": "-1"}, {"B": "100.5"}, {"C": "abc"}, {"E": "5"}, {"D": "NaN"}, ["5"]]
)
def test_ratios_outside_0_to_100_are_refused(manager, pool, ratios):
    with pytest.raises(CreditRefused) as refused:
        create_campaign(actor=manager, title="t", items=["x"], ratios=ratios, inspectors=pool)
    assert "ratios" in refused.value.fields


def test_fewer_eligible_inspectors_than_needed_are_refused(population, manager, pool):
    with pytest.raises(CreditRefused, match="each enterprise needs"):
        campaign_for(manager, pool[:1])
    with pytest.raises(CreditRefused, match="At least two"):
        campaign_for(manager, pool, inspectors_per_enterprise=1)
    # Three Xihu inspectors: Xihu's enterprises have none without a conflict.
    xihu_only = [*pool[:2], OfficialFactory(district=district("xihu"))]
    campaign = campaign_for(manager, xihu_only)
    with pytest.raises(CreditRefused, match="Fewer eligible inspectors"):
        publish_campaign(campaign.pk, actor=manager)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_verify_command_agrees_and_detects_tampering(population, manager, pool):
    campaign = published(manager, pool)
    run_draw(campaign.pk, actor=manager, public_value="3012.45")
    out = StringIO()
    call_command("verify_draw", str(campaign.pk), stdout=out)
    assert "verified" in out.getvalue()
    selection = InspectionSelection.objects.filter(draw__campaign=campaign).first()
    outsider = next(
        e for e in population if not InspectionSelection.objects.filter(enterprise=e).exists()
    )
    selection.enterprise = outsider
    selection.save()
    assert not verify(campaign).ok
    with pytest.raises(CommandError):
        call_command("verify_draw", str(campaign.pk), stdout=StringIO())


def test_results_become_records_and_count_against_the_limit(population, manager, pool):
    campaign = published(manager, pool)
    drawn = run_draw(campaign.pk, actor=manager, public_value="9")
    first, second = list(drawn.selections.all()[:2])
    state = progress(campaign)
    assert state.selected == 18 and state.outstanding == 18  # 1 + 2 + 5 + 10, as above
    assert state.due > timezone.now() and not state.overdue
    inspector = User.objects.get(pk=first.inspectors[0])
    record_result(
        first.pk, actor=inspector, violation=True, findings="未索证索票", severity="general"
    )
    record_result(second.pk, actor=manager, violation=False, findings="未发现问题")
    first.refresh_from_db()
    assert first.published_at is not None and first.record.kind == RecordKind.INSPECTION_VIOLATION
    assert (
        CreditRecord.objects.filter(
            enterprise=second.enterprise, kind=RecordKind.INSPECTION_VIOLATION
        ).count()
        == 0
    )
    assert progress(campaign).outstanding == state.selected - 2
    with pytest.raises(IllegalTransition):
        record_result(first.pk, actor=manager, violation=False, findings="again")
    stranger = OfficialFactory(department=department("taxation"))
    third = drawn.selections.filter(result="pending").first()
    with pytest.raises(PermissionDenied):
        record_result(third.pk, actor=stranger, violation=False, findings="x")


def test_migration_0004_folds_assignment_rows_into_the_selection(population, manager, pool):
    """A draw recorded before 0004 (one assignment row per inspector, a recusal among them)
    keeps its inspectors, in order, and keeps verifying; the reverse writes the rows back."""
    import importlib

    from django.apps import apps

    from credit.inspections.models import AssignmentStatus, InspectorAssignment

    migration = importlib.import_module("credit.migrations.0004_selection_inspectors")
    campaign = published(manager, pool)
    drawn = run_draw(campaign.pk, actor=manager, public_value="old")
    lists = dict(drawn.selections.values_list("pk", "inspectors"))
    selection = drawn.selections.select_related("enterprise__district").order_by("pk").first()
    _data, snapshot = stored_snapshot(campaign)
    ranking = algorithm.eligible_ranking(
        bytes.fromhex(drawn.seed),
        selection.enterprise.uscc,
        selection.enterprise.district.code,
        snapshot,
    )
    third = User.objects.get(username=ranking[2]).pk
    lists[selection.pk] = [*lists[selection.pk], third]
    # As the old code left a draw: a row per inspector and none on the selection; the
    # first inspector of one enterprise recused, the third in its ranking taking over.
    drawn.selections.update(inspectors=[])
    InspectorAssignment.objects.bulk_create(
        InspectorAssignment(
            selection_id=selection_id,
            inspector_id=inspector_id,
            position=position,
            status=(
                AssignmentStatus.RECUSED
                if (selection_id, position) == (selection.pk, 1)
                else AssignmentStatus.ASSIGNED
            ),
        )
        for selection_id, ids in lists.items()
        for position, inspector_id in enumerate(ids, start=1)
    )
    migration.fold_assignments(apps, None)
    assert dict(drawn.selections.values_list("pk", "inspectors")) == lists
    assert list(InspectorAssignment.objects.values_list("selection_id", "position")) == [
        (selection.pk, 1)
    ]
    assert verify(campaign).ok
    migration.unfold_assignments(apps, None)
    assert InspectorAssignment.objects.count() == sum(len(ids) for ids in lists.values())
    assert list(
        selection.assignments.order_by("position").values_list("inspector_id", "status")
    ) == [(lists[selection.pk][0], "recused"), (lists[selection.pk][1], "assigned"),
          (third, "assigned")]  # fmt: skip


def test_a_campaign_published_before_ids_were_kept_still_draws(population, manager, pool):
    """Snapshots stored before 0004 have no enterprise ids beside them: the draw finds the
    enterprises by USCC, and the selections are still the drawn ones (verify compares the
    recorded enterprises' USCCs with the recomputed draw)."""
    from credit.inspections.models import PopulationSnapshot

    campaign = published(manager, pool)
    PopulationSnapshot.objects.filter(campaign=campaign).update(enterprise_ids=b"")
    drawn = run_draw(campaign.pk, actor=manager, public_value="older")
    assert drawn.selections.count() == 18
    assert verify(campaign).ok


def test_a_failed_write_leaves_no_draw(population, manager, pool):
    """On PostgreSQL the selections are written by a second thread while the draw goes on:
    an error there (here an enterprise id that does not exist) still fails the whole draw,
    with nothing stored."""
    from django.db import DatabaseError, connection, transaction

    from credit.inspections.models import PopulationSnapshot

    if connection.vendor != "postgresql":
        pytest.skip("the writing thread is PostgreSQL's")
    campaign = published(manager, pool)
    snapshot = PopulationSnapshot.objects.get(campaign=campaign)
    snapshot.enterprise_ids = pack_ids([10**12 + n for n in range(40)])
    snapshot.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        run_draw(campaign.pk, actor=manager, public_value="x")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
    assert not InspectionDraw.objects.filter(campaign=campaign).exists()
    assert not InspectionSelection.objects.filter(draw__campaign=campaign).exists()
