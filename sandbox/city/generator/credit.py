"""Credit: grades for every enterprise, and one inspection campaign drawn through the
services (so its draw verifies)."""

from __future__ import annotations

import random
from datetime import timedelta
from hashlib import sha256

import numpy as np
from django.db import models
from django.utils import timezone

from accounts.models import Role, User
from credit.grades.models import CreditGrade
from credit.grades.selectors import scoring_model_in_force
from credit.inspections import services as inspections
from credit.inspections.models import InspectionSelection, ResultStatus
from departments.models import District
from enterprises.models import Enterprise

from .city import CityData, weighted_choice
from .rows import CHUNK, from_epoch, write_rows

GRADE_SHARES = {"A": 0.15, "B": 0.55, "C": 0.20, "D": 0.10}
GRADE_SCORES = {"A": (90, 100), "B": (70, 89), "C": (50, 69), "D": (20, 49)}


def write_credit_grades(city: CityData) -> int:
    """A grade for every enterprise that has none (15 / 55 / 20 / 10 %)."""
    model = scoring_model_in_force()
    ids = np.array(
        list(
            Enterprise.objects.filter(credit_grade__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
            .iterator(CHUNK)
        ),
        dtype=np.int64,
    )
    rng = city.rng("grades")
    grades = weighted_choice(rng, GRADE_SHARES, len(ids))
    u = rng.random(len(ids))
    # Held for up to two years: a grade A held for twelve months is what the red list asks.
    held_days = rng.integers(1, 730, len(ids))
    now = from_epoch(city.end.timestamp() - 3600)
    rows = (
        (
            int(pk),
            grade,
            int(GRADE_SCORES[grade][0] + f * (GRADE_SCORES[grade][1] - GRADE_SCORES[grade][0])),
            model.pk,
            (city.as_of - timedelta(days=held)).isoformat(),
            now,
        )
        for pk, grade, f, held in zip(
            ids.tolist(), grades.tolist(), u.tolist(), held_days.tolist(), strict=True
        )
    )
    return write_rows(
        CreditGrade,
        ["enterprise", "grade", "score", "model", "grade_since", "computed_at"],
        rows,
    )


def draw_inspections(city: CityData) -> int:
    """One campaign of the market regulator, drawn through the services (so the draw
    verifies), scoped to enough districts for about `selections` enterprises; results
    recorded for the older half of the selections."""
    target = city.volumes.selections
    if not target or "market" not in city.departments:
        return 0
    ratios = {"A": "1", "B": "5", "C": "21", "D": "61"}
    expected_share = 0.15 * 0.01 + 0.55 * 0.05 + 0.20 * 0.21 + 0.10 * 0.61
    districts, industries = _inspection_scope(target / expected_share)
    g = city.generation
    market = city.departments["market"]
    manager = User.objects.create(
        username=f"cd{g}-inspections",
        role=Role.OFFICIAL,
        department_id=market,
        display_name="市场监管局双随机专员",
    )
    pool = User.objects.filter(pk__in=city.officials.get("market", [])).order_by("pk")
    campaign = inspections.create_campaign(
        actor=manager,
        title=f"{city.as_of.year} 年度市场主体双随机抽查（生成数据 {g}）",
        items=["营业执照与登记事项一致", "年度报告公示信息真实", "经营场所与登记一致"],
        ratios=ratios,
        district_codes=districts,
        industries=industries,
        inspectors=list(pool),
    )
    # The generated city's parties commit to secrets derived from its seed and reveal them
    # at once; the public value stands for a lottery's numbers (a named event, as a real
    # campaign names one), drawn from the seed too.
    secrets = {
        party: sha256(f"{city.seed}:{g}:{party}".encode()).hexdigest()[:32]
        for party in ("department", "supervisor")
    }
    numbers = random.Random(f"{city.seed}:{g}:lottery")
    reds = " ".join(f"{n:02d}" for n in sorted(numbers.sample(range(1, 34), 6)))
    issue = f"{city.as_of.year}{140 + g:03d}"
    inspections.publish_campaign(
        campaign.pk,
        actor=manager,
        public_event=f"福利彩票双色球第 {issue} 期开奖号码（生成数据）",
        public_event_on=timezone.localdate(),
        commitments={
            party: sha256(secret.encode()).hexdigest() for party, secret in secrets.items()
        },
    )
    drawn = inspections.run_draw(
        campaign.pk,
        actor=manager,
        public_value=f"{reds} + {numbers.randint(1, 16):02d}",
        reveals=secrets,
    )
    selections = list(
        InspectionSelection.objects.filter(draw=drawn).order_by("pk").values_list("pk", flat=True)
    )
    rng = random.Random(f"{city.seed}:{g}:inspections")
    done = [pk for pk in selections if rng.random() < 0.55]
    violations = {pk for pk in done if rng.random() < 0.12}
    clean = [pk for pk in done if pk not in violations]
    published = timezone.now()
    for chunk_start in range(0, len(clean), 5000):
        InspectionSelection.objects.filter(pk__in=clean[chunk_start : chunk_start + 5000]).update(
            result=ResultStatus.CLEAN,
            findings="未发现违法违规行为",
            published_at=published,
            recorded_by=manager,
        )
    # Violations through the service (a credit record each): a handful are enough to
    # show; the rest recorded like the clean ones, without a record.
    through_service = sorted(violations)[:50]
    for pk in through_service:
        inspections.record_result(
            pk,
            actor=manager,
            violation=True,
            severity="minor",
            findings="年度报告公示信息与实际不符",
        )
    rest = sorted(violations)[50:]
    for chunk_start in range(0, len(rest), 5000):
        InspectionSelection.objects.filter(pk__in=rest[chunk_start : chunk_start + 5000]).update(
            result=ResultStatus.VIOLATION,
            findings="经营场所与登记不一致",
            severity="minor",
            published_at=published,
            recorded_by=manager,
        )
    city.summary.counts["inspection_selections"] = len(selections)
    city.summary.counts["inspection_results"] = len(done)
    return len(selections)


def _inspection_scope(population: float) -> tuple[list[str], list[str]]:
    """The districts (in their order) and industry sections whose register comes closest
    to `population` enterprises; empty lists mean the whole city, every industry."""
    counts: dict[tuple[int, str], int] = {
        (district, section): n
        for district, section, n in Enterprise.objects.filter(status="active")
        .values("district_id", "industry_section")
        .annotate(n=models.Count("pk"))
        .values_list("district_id", "industry_section", "n")
    }
    by_section: dict[str, int] = {}
    for (_district, section), n in counts.items():
        by_section[section] = by_section.get(section, 0) + n
    sections = sorted(by_section, key=lambda code: -by_section[code])
    districts = [
        d for d in District.objects.order_by("sort_order", "code").values_list("pk", "code")
    ]
    best: tuple[float, list[str], list[str]] = (float("inf"), [], [])
    for k in range(1, len(districts) + 1):
        chosen = districts[:k]
        for j in range(1, len(sections) + 1):
            wanted = set(sections[:j])
            size = sum(counts.get((pk, code), 0) for pk, _c in chosen for code in wanted)
            if size and abs(size - population) < best[0]:
                every_district = k == len(districts)
                every_section = j == len(sections)
                best = (
                    abs(size - population),
                    [] if every_district else [code for _pk, code in chosen],
                    [] if every_section else sorted(wanted),
                )
    return best[1], best[2]
