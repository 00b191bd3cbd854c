"""Dual-random inspections: the draw is reproducible and auditable, strata and ratios are
respected, conflicts of interest excluded, recusals take the next in the ranking, and a
campaign is drawn once only."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import timezone

from credit import draw as algorithm
from credit import inspections
from credit.grading import scoring_model_in_force
from credit.models import (
    CampaignStatus,
    CreditGrade,
    CreditRecord,
    InspectionDraw,
    InspectionSelection,
    InspectorRelation,
    RecordKind,
)
from credit.services import CreditRefused, IllegalTransition
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
    return inspections.create_campaign(
        actor=manager,
        title="2026 食品安全双随机抽查",
        items=["食品经营许可", "进货查验"],
        ratios=ratios or {"A": "5", "B": "20", "C": "50", "D": "100"},
        inspectors=pool,
        **extra,
    )


def published(manager, pool, **extra):
    campaign = campaign_for(manager, pool, **extra)
    return inspections.publish_campaign(campaign.pk, actor=manager)


def test_publishing_fixes_the_snapshot_and_its_hash(population, manager, pool):
    campaign = published(manager, pool)
    assert campaign.status == CampaignStatus.PUBLISHED
    assert campaign.algorithm == algorithm.ALGORITHM and campaign.population == 40
    data, snapshot = inspections.stored_snapshot(campaign)
    assert algorithm.snapshot_hash(data) == campaign.snapshot_sha256
    assert len(snapshot.enterprises) == 40 and len(snapshot.inspectors) == 6


def test_stratified_ratios_are_respected(population, manager, pool):
    campaign = published(manager, pool)
    drawn = inspections.run_draw(campaign.pk, actor=manager, public_value="3012.45")
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
    related_to = population[0]  # a Binjiang enterprise of grade A
    InspectorRelation.objects.create(inspector=pool[4], enterprise=related_to, relation="亲属")
    campaign = published(manager, pool, ratios={"A": "100", "B": "100", "C": "100", "D": "100"})
    drawn = inspections.run_draw(campaign.pk, actor=manager, public_value="42")
    assert drawn.selections.count() == 40
    for selection in drawn.selections.select_related("enterprise"):
        inspectors = [a.inspector for a in selection.assignments.all()]
        assert len(inspectors) == 2
        assert all(i.district_id != selection.enterprise.district_id for i in inspectors)
        if selection.enterprise == related_to:
            assert pool[4] not in inspectors


def test_recusal_takes_the_next_in_the_ranking(population, manager, pool):
    campaign = published(manager, pool)
    drawn = inspections.run_draw(campaign.pk, actor=manager, public_value="7")
    selection = drawn.selections.select_related("enterprise").first()
    _data, snapshot = inspections.stored_snapshot(campaign)
    ranking = algorithm.eligible_ranking(
        bytes.fromhex(drawn.seed),
        selection.enterprise.uscc,
        selection.enterprise.district.code,
        snapshot,
    )
    first = selection.assignments.get(position=1)
    assert [a.inspector.username for a in selection.assignments.all()] == ranking[:2]
    replacement = inspections.recuse(first.pk, actor=first.inspector, reason="曾在该企业任职")
    assert replacement.inspector.username == ranking[2]
    assert replacement.position == 3
    assert inspections.verify(campaign).ok
    with pytest.raises(IllegalTransition):
        inspections.recuse(first.pk, actor=manager, reason="again")


def test_a_drawn_campaign_is_never_drawn_again(population, manager, pool):
    campaign = published(manager, pool)
    inspections.run_draw(campaign.pk, actor=manager, public_value="1")
    with pytest.raises(IllegalTransition, match="never repeated"):
        inspections.run_draw(campaign.pk, actor=manager, public_value="2")
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
        inspections.run_draw(campaign.pk, actor=manager, public_value="1")
    inspections.publish_campaign(campaign.pk, actor=manager)
    with pytest.raises(CreditRefused):
        inspections.run_draw(campaign.pk, actor=manager, public_value="  ")
    with pytest.raises(PermissionDenied):
        inspections.run_draw(
            campaign.pk, actor=OfficialFactory(department=department("taxation")), public_value="1"
        )


@pytest.mark.parametrize(
    "ratios", [{"A": "-1"}, {"B": "100.5"}, {"C": "abc"}, {"E": "5"}, {"D": "NaN"}, ["5"]]
)
def test_ratios_outside_0_to_100_are_refused(manager, pool, ratios):
    with pytest.raises(CreditRefused) as refused:
        inspections.create_campaign(
            actor=manager, title="t", items=["x"], ratios=ratios, inspectors=pool
        )
    assert "ratios" in refused.value.message_dict


def test_fewer_eligible_inspectors_than_needed_are_refused(population, manager, pool):
    with pytest.raises(CreditRefused, match="each enterprise needs"):
        campaign_for(manager, pool[:1])
    with pytest.raises(CreditRefused, match="At least two"):
        campaign_for(manager, pool, inspectors_per_enterprise=1)
    # Three Xihu inspectors: Xihu's enterprises have none without a conflict.
    xihu_only = [*pool[:2], OfficialFactory(district=district("xihu"))]
    campaign = campaign_for(manager, xihu_only)
    with pytest.raises(CreditRefused, match="Fewer eligible inspectors"):
        inspections.publish_campaign(campaign.pk, actor=manager)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_verify_command_agrees_and_detects_tampering(population, manager, pool):
    campaign = published(manager, pool)
    inspections.run_draw(campaign.pk, actor=manager, public_value="3012.45")
    out = StringIO()
    call_command("verify_draw", str(campaign.pk), stdout=out)
    assert "verified" in out.getvalue()
    selection = InspectionSelection.objects.filter(draw__campaign=campaign).first()
    outsider = next(
        e for e in population if not InspectionSelection.objects.filter(enterprise=e).exists()
    )
    selection.enterprise = outsider
    selection.save()
    assert not inspections.verify(campaign).ok
    with pytest.raises(CommandError):
        call_command("verify_draw", str(campaign.pk), stdout=StringIO())


def test_results_become_records_and_count_against_the_limit(population, manager, pool):
    campaign = published(manager, pool)
    drawn = inspections.run_draw(campaign.pk, actor=manager, public_value="9")
    first, second = list(drawn.selections.all()[:2])
    progress = inspections.progress(campaign)
    assert progress.selected == 18 and progress.outstanding == 18  # 1 + 2 + 5 + 10, as above
    assert progress.due > timezone.now() and not progress.overdue
    inspector = first.assignments.first().inspector
    inspections.record_result(
        first.pk, actor=inspector, violation=True, findings="未索证索票", severity="general"
    )
    inspections.record_result(second.pk, actor=manager, violation=False, findings="未发现问题")
    first.refresh_from_db()
    assert first.published_at is not None and first.record.kind == RecordKind.INSPECTION_VIOLATION
    assert (
        CreditRecord.objects.filter(
            enterprise=second.enterprise, kind=RecordKind.INSPECTION_VIOLATION
        ).count()
        == 0
    )
    assert inspections.progress(campaign).outstanding == progress.selected - 2
    with pytest.raises(IllegalTransition):
        inspections.record_result(first.pk, actor=manager, violation=False, findings="again")
    stranger = OfficialFactory(department=department("taxation"))
    third = drawn.selections.filter(result="pending").first()
    with pytest.raises(PermissionDenied):
        inspections.record_result(third.pk, actor=stranger, violation=False, findings="x")
