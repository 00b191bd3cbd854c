"""Publishing a campaign fixes its population: the snapshot (see credit/inspections/draw.py),
read from the register in one pass, kept compressed with its enterprises' ids."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import numpy as np
from django.db.models import QuerySet

from departments.models import District
from enterprises.models import Enterprise

from ..grades.scoring import grade_for
from ..grades.selectors import scoring_model_in_force
from . import draw as algorithm
from .models import (
    InspectionCampaign,
    InspectorRelation,
    PopulationSnapshot,
)


def population(campaign: InspectionCampaign) -> QuerySet[Enterprise]:
    enterprises = Enterprise.objects.filter(status="active")
    district_ids = list(campaign.districts.values_list("pk", flat=True))
    if district_ids:
        enterprises = enterprises.filter(district_id__in=district_ids)
    if campaign.industries:
        enterprises = enterprises.filter(industry_section__in=campaign.industries)
    return enterprises


def read_population(campaign: InspectionCampaign) -> tuple[algorithm.Snapshot, list[int]]:
    """The snapshot, and its enterprises' ids in the same order (kept beside it, so that
    the draw need not read the register again). From the database with values_list (no
    model instances): a million rows in seconds. Enterprises without a stored grade hold
    the model's base grade."""
    model = scoring_model_in_force()
    base = grade_for(model.base_score, model.thresholds)
    codes = dict(District.objects.values_list("pk", "code"))
    # One pass, the grade joined (none stored: the base grade).
    rows = (
        population(campaign)
        .order_by()  # sorted here, by USCC: the register's own order (by name) is a disk sort
        .values_list("uscc", "pk", "district_id", "credit_grade__grade")
    )
    with collector_paused():
        found = sorted(rows.iterator(chunk_size=50_000))
        enterprises = [
            (uscc, base if grade is None else grade, codes.get(district, "-"))
            for uscc, _pk, district, grade in found
        ]
        ids = [pk for _uscc, pk, _district, _grade in found]
        del found
    pool = list(campaign.inspectors.values_list("username", "district__code"))
    inspectors = sorted((name, district or "-") for name, district in pool)
    relations = set(
        InspectorRelation.objects.filter(
            inspector__in=campaign.inspectors.all(),
            enterprise__in=population(campaign),
        ).values_list("inspector__username", "enterprise__uscc")
    )
    ratios = {grade: Decimal(value) for grade, value in campaign.ratios.items()}
    snapshot = algorithm.Snapshot(
        campaign.pk, ratios, campaign.inspectors_per_enterprise, enterprises, inspectors, relations
    )
    return snapshot, ids


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while a million rows become tuples (they
    hold no cycles; its full passes over them cost more than building them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def pack_ids(ids: list[int]) -> bytes:
    return algorithm.compress(np.asarray(ids, dtype="<i8").tobytes())


def unpack_ids(data: bytes) -> list[int]:
    return np.frombuffer(algorithm.decompress(data), dtype="<i8").tolist()


def stored_snapshot(campaign: InspectionCampaign) -> tuple[bytes, algorithm.Snapshot]:
    data = algorithm.decompress(
        PopulationSnapshot.objects.values_list("data", flat=True).get(campaign=campaign)
    )
    with collector_paused():
        return data, algorithm.parse_snapshot(data)
