"""Re-verifying a draw: recomputed from the stored snapshot and the public value, and
compared with what was recorded."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Max
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import User

from . import draw as algorithm
from .models import (
    AssignmentStatus,
    InspectionCampaign,
    InspectionDraw,
    InspectorAssignment,
)
from .snapshots import collector_paused, stored_snapshot


@dataclass
class Verification:
    ok: bool
    problems: list[str]
    snapshot_sha256: str
    seed: str
    strata: dict[str, dict]
    selected: int


def verify_published(campaign: InspectionCampaign) -> Verification:
    """`verify()` for the public page and the API: anyone may ask, and a full recompute
    over a city's enterprises takes seconds, so the answer is kept for an hour per draw
    state (a recusal changes the assignments) and language. `manage.py verify_draw`
    always recomputes."""
    stamp = InspectorAssignment.objects.filter(selection__draw__campaign=campaign).aggregate(
        rows=Count("pk"), last=Max("pk")
    )
    key = f"credit:verify:{campaign.pk}:{stamp['rows']}:{stamp['last']}:{get_language()}"
    return cache.get_or_set(key, lambda: verify(campaign), timeout=3600)


def verify(campaign: InspectionCampaign) -> Verification:
    """Recompute the draw from the stored snapshot and the public value and compare it
    with what was recorded: the hash, the seed, the strata, every selection and its
    inspectors (recusals replayed: each replacement is the next in the ranking, and every
    recusal is of an inspector the selection lists)."""
    campaign = InspectionCampaign.objects.get(pk=campaign.pk)
    drawn = InspectionDraw.objects.filter(campaign=campaign).first()
    if drawn is None:
        return Verification(False, [_("This campaign has not been drawn.")], "", "", {}, 0)
    data, snapshot = stored_snapshot(campaign)
    digest = algorithm.snapshot_hash(data)
    problems = []
    if digest != campaign.snapshot_sha256:
        problems.append(_("The snapshot's hash differs from the published one."))
    recorded: dict[str, tuple[str, int]] = {}
    assigned: dict[str, list[int]] = {}
    rows = drawn.selections.order_by().values_list(
        "enterprise__uscc", "grade", "rank", "inspectors"
    )
    with collector_paused():
        for uscc, grade, rank, inspectors in rows.iterator(chunk_size=50_000):
            recorded[uscc] = (grade, rank)
            assigned[uscc] = inspectors
    names = dict(
        User.objects.filter(pk__in={pk for ids in assigned.values() for pk in ids}).values_list(
            "pk", "username"
        )
    )
    recusals = InspectorAssignment.objects.filter(selection__draw=drawn).values_list(
        "selection__enterprise__uscc", "inspector_id", "position", "status"
    )
    misplaced, recused = [], {}
    for uscc, inspector_id, position, status in recusals:
        recused[uscc] = recused.get(uscc, 0) + 1
        if status != AssignmentStatus.RECUSED or assigned.get(uscc, [])[
            position - 1 : position
        ] != [inspector_id]:
            misplaced.append(uscc)
    spare = max((len(ids) for ids in assigned.values()), default=0) - snapshot.per_enterprise
    result = algorithm.compute_draw(
        snapshot,
        campaign.snapshot_sha256,
        algorithm.seed_input(drawn.public_value, campaign.commitments, drawn.reveals),
        spare=max(spare, 0),
    )
    if result.seed != drawn.seed:
        problems.append(_("The seed differs."))
    if result.strata != drawn.strata:
        problems.append(_("The strata differ."))
    expected = {uscc: (grade, rank) for uscc, grade, rank, _names in result.selections}
    if recorded != expected:
        missing = len(set(expected) - set(recorded))
        extra = len(set(recorded) - set(expected))
        problems.append(
            _("The selected enterprises differ (%(missing)d missing, %(extra)d not drawn).")
            % {"missing": missing, "extra": extra}
        )
    else:
        for uscc, _grade, _rank, ranked in result.selections:
            have = [names.get(pk) for pk in assigned.get(uscc, [])]
            if (
                have != ranked[: len(have)]
                or len(have) - recused.get(uscc, 0) != snapshot.per_enterprise
            ):
                misplaced.insert(0, uscc)
                break
    if misplaced:
        problems.append(_("The inspectors of %(uscc)s differ.") % {"uscc": misplaced[0]})
    return Verification(
        not problems, problems, digest, result.seed, result.strata, len(result.selections)
    )
