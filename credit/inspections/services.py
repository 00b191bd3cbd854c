"""Dual-random inspection campaigns: define, publish (population snapshot and its hash),
draw (once), recusals, results (published, and a credit record for a violation), and
re-verification of a draw. The arithmetic of the draw is in credit/inspections/draw.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from departments.models import District
from qinqing.audit.services import record_event
from qinqing.errors import IllegalTransition
from qinqing.scoping import is_acting_official
from qinqing.transitions import move
from qinqing.workhours.clock import TimeLimit, add_working_time

from ..errors import CreditNotAllowed, CreditRefused, refused
from ..records.models import RecordKind, Severity
from ..records.services import add_record_locked, lock_enterprise
from . import draw as algorithm
from .models import (
    DEFAULT_RATIOS,
    MIN_INSPECTORS_PER_ENTERPRISE,
    RATIO_BANDS,
    RESULT_PUBLICATION_DAYS,
    AssignmentStatus,
    CampaignStatus,
    InspectionCampaign,
    InspectionDraw,
    InspectionSelection,
    InspectorAssignment,
    PopulationSnapshot,
    ResultStatus,
)
from .permissions import may_manage, require_manager
from .publication import publish_files
from .randomness import clean_randomness, clean_reveals
from .selection_writer import selection_writer
from .selectors import InspectorRow, current_inspector_ids
from .snapshots import collector_paused, pack_ids, read_population, stored_snapshot

PUBLICATION_LIMIT = TimeLimit(RESULT_PUBLICATION_DAYS, "days")


PUBLIC_VALUE_MAX = 200


def band_problems(ratios: dict[str, str]) -> dict[str, str]:
    """{"ratios": why} when a grade's ratio lies outside its published band."""
    for grade, (low, high) in RATIO_BANDS.items():
        value = Decimal(str(ratios.get(grade, DEFAULT_RATIOS[grade])))
        if not Decimal(low) <= value <= Decimal(high):
            return {
                "ratios": _(
                    "The sampling ratio for grade %(grade)s must lie between %(low)s %% and "
                    "%(high)s %% (the published band); %(value)s %% is outside it."
                )
                % {"grade": grade, "low": low, "high": high, "value": value}
            }
    return {}


def clean_ratios(raw: Any) -> dict[str, str]:
    """{"A": "5", ...} per cent, each between 0 and 100, at most two decimals; missing
    grades take the defaults."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise refused({"ratios": _("Give a sampling ratio for each grade A, B, C, D.")})
    unknown = set(raw) - set(algorithm.GRADES)
    if unknown:
        raise refused({"ratios": _("Ratios are per grade A, B, C and D.")})
    ratios = {}
    for grade in algorithm.GRADES:
        value = raw.get(grade, DEFAULT_RATIOS[grade])
        try:
            number = Decimal(str(value).strip().rstrip("%"))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
            raise refused(
                {
                    "ratios": _(
                        "The sampling ratio for grade %(grade)s must be between 0 and 100 %%."
                    )
                    % {"grade": grade}
                }
            )
        ratios[grade] = str(number.quantize(Decimal("0.01")))
    problems = band_problems(ratios)
    if problems:
        raise refused(problems)
    return ratios


def create_campaign(
    *,
    actor: Any,
    title: str,
    items: list[str],
    ratios: Any = None,
    district_codes: list[str] | None = None,
    industries: list[str] | None = None,
    inspectors: list[User] | None = None,
    inspectors_per_enterprise: int = MIN_INSPECTORS_PER_ENTERPRISE,
) -> InspectionCampaign:
    if not is_acting_official(actor):
        raise CreditNotAllowed(_("Only department officials define inspection campaigns."))
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = _("Give the campaign a title.")
    items = [item.strip()[:200] for item in (items or []) if item and item.strip()]
    if not items:
        errors["items"] = _("Name at least one inspection item.")
    if (
        not isinstance(inspectors_per_enterprise, int)
        or inspectors_per_enterprise < MIN_INSPECTORS_PER_ENTERPRISE
    ):
        errors["inspectors_per_enterprise"] = _("At least two inspectors inspect each enterprise.")
    districts = list(District.objects.filter(code__in=district_codes or []))
    if len(districts) != len(set(district_codes or [])):
        errors["districts"] = _("Unknown district.")
    industries = sorted({code.strip().upper() for code in industries or [] if code.strip()})
    if any(len(code) != 1 or not code.isalpha() for code in industries):
        errors["industries"] = _("Industries are GB/T 4754 section letters (A to T).")
    pool = list(inspectors or [])
    if not all(map(is_acting_official, pool)):
        errors["inspectors"] = _("The inspector pool is made of active officials.")
    try:
        cleaned = clean_ratios(ratios)
    except CreditRefused as error:
        errors.update({k: " ".join(v) for k, v in error.fields.items()})
    if not errors and len(pool) < inspectors_per_enterprise:
        errors["inspectors"] = _(
            "The pool has %(pool)d inspectors; each enterprise needs %(need)d."
        ) % {"pool": len(pool), "need": inspectors_per_enterprise}
    if errors:
        raise refused(errors)
    with transaction.atomic():
        campaign = InspectionCampaign.objects.create(
            title=title.strip()[:200],
            department_id=actor.department_id,
            items=items,
            industries=industries,
            ratios=cleaned,
            inspectors_per_enterprise=inspectors_per_enterprise,
            created_by=actor,
        )
        campaign.districts.set(districts)
        campaign.inspectors.set(pool)
        record_event(
            actor=actor,
            action="credit.campaign_created",
            obj=campaign,
            after={"title": campaign.title, "ratios": cleaned, "items": items},
        )
    return campaign


def _locked_campaign(campaign_id: int) -> InspectionCampaign:
    try:
        return InspectionCampaign.objects.select_for_update().get(pk=campaign_id)
    except (InspectionCampaign.DoesNotExist, ValueError, TypeError):
        raise CreditRefused(_("No such campaign.")) from None


def publish_campaign(
    campaign_id: int,
    *,
    actor: Any,
    public_event: str = "",
    public_event_on: date | None = None,
    commitments: dict[str, str] | None = None,
) -> InspectionCampaign:
    """Fix the population and publish its hash, the algorithm version and the randomness
    (the named public event and the parties' commitments), before the draw."""
    event, event_on, committed = clean_randomness(
        public_event, public_event_on, commitments, today=timezone.localdate()
    )
    with transaction.atomic():
        campaign = _locked_campaign(campaign_id)
        require_manager(actor, campaign)
        if campaign.status != CampaignStatus.DRAFT:
            raise IllegalTransition(_("This campaign is already published."))
        problems = band_problems(campaign.ratios)
        if problems:
            raise refused(problems)
        with collector_paused():
            snapshot, ids = read_population(campaign)
        if not snapshot.enterprises:
            raise CreditRefused(_("No enterprise is within the campaign's scope."))
        enough, short = algorithm.eligible_counts_ok(snapshot)
        if not enough:
            raise CreditRefused(
                _(
                    "Fewer eligible inspectors than needed: enterprise %(uscc)s would have fewer "
                    "than %(need)d inspectors without a conflict of interest. Widen the pool."
                )
                % {"uscc": short, "need": snapshot.per_enterprise}
            )
        data = snapshot.encode()
        digest = algorithm.snapshot_hash(data)
        PopulationSnapshot.objects.create(
            campaign=campaign, data=algorithm.compress(data), enterprise_ids=pack_ids(ids)
        )
        sizes = dict.fromkeys(algorithm.GRADES, 0)
        for _uscc, grade, _district in snapshot.enterprises:
            sizes[grade] = sizes.get(grade, 0) + 1
        move(
            campaign,
            CampaignStatus.PUBLISHED,
            actor=actor,
            algorithm=algorithm.SEED_ALGORITHM,
            snapshot_sha256=digest,
            population=len(snapshot.enterprises),
            published_at=timezone.now(),
            public_event=event,
            public_event_on=event_on,
            commitments=committed,
            strata_sizes=sizes,
        )
    return campaign


def run_draw(
    campaign_id: int,
    *,
    actor: Any,
    public_value: str,
    reveals: dict[str, str] | None = None,
    today: date | None = None,
) -> InspectionDraw:
    """The one draw of a published campaign: seed from the published hash, the public
    event's value and the parties' reveals, strata ranked, inspectors assigned, the files
    published; recorded and audited. Refused before the public event's date and for a
    reveal that does not match its commitment. A second draw is refused (state check, and
    the one-to-one constraint behind it)."""
    public_value = (public_value or "").strip()
    if not public_value:
        raise refused({"public_value": _("Enter the public value fixed for the draw.")})
    if len(public_value) > PUBLIC_VALUE_MAX:
        raise refused({"public_value": _("At most %(n)d characters.") % {"n": PUBLIC_VALUE_MAX}})
    with transaction.atomic():
        campaign = _locked_campaign(campaign_id)
        require_manager(actor, campaign)
        if (
            campaign.status == CampaignStatus.DRAWN
            or InspectionDraw.objects.filter(campaign=campaign).exists()
        ):
            raise IllegalTransition(_("This campaign has been drawn; a draw is never repeated."))
        if campaign.status != CampaignStatus.PUBLISHED:
            raise IllegalTransition(
                _("Publish the campaign (and its population hash) before the draw.")
            )
        today = today or timezone.localdate()
        if campaign.public_event_on and today < campaign.public_event_on:
            raise CreditRefused(
                _(
                    "The draw waits for its public event (%(event)s) on %(day)s: its value is "
                    "not known before then. Come back on or after that day."
                )
                % {"event": campaign.public_event, "day": campaign.public_event_on.isoformat()}
            )
        revealed = clean_reveals(campaign, reveals)
        data, snapshot = stored_snapshot(campaign)
        if algorithm.snapshot_hash(data) != campaign.snapshot_sha256:
            raise CreditRefused(_("The stored snapshot does not match the published hash."))
        seed = algorithm.make_seed(
            campaign.pk,
            campaign.snapshot_sha256,
            algorithm.seed_input(public_value, campaign.commitments, revealed),
        )
        now = timezone.now()
        try:
            with transaction.atomic():
                drawn = InspectionDraw.objects.create(
                    campaign=campaign,
                    public_value=public_value,
                    reveals=revealed,
                    seed=seed.hex(),
                    algorithm=algorithm.ALGORITHM,
                    strata={},  # below, once drawn
                    drawn_at=now,
                    drawn_by=actor,
                    results_due=add_working_time(now, PUBLICATION_LIMIT.seconds),
                )
        except IntegrityError:
            raise IllegalTransition(
                _("This campaign has been drawn; a draw is never repeated.")
            ) from None
        selected = 0
        chosen: dict[str, list[str]] = {}
        with collector_paused(), selection_writer(drawn, snapshot) as write:
            for grade, stratum, selections, positions in algorithm.draw_strata(snapshot, seed):
                drawn.strata[grade] = stratum
                for uscc, _grade, _rank, names in selections:
                    if len(names) < snapshot.per_enterprise:
                        raise CreditRefused(
                            _("Fewer eligible inspectors than needed for %(uscc)s.")
                            % {"uscc": uscc}
                        )
                write(selections, positions)
                selected += len(selections)
                chosen[grade] = [uscc for uscc, _grade, _rank, _names in selections]
        drawn.save(update_fields=["strata"])
        with collector_paused():
            publish_files(campaign, drawn, snapshot, seed, chosen)
        move(campaign, CampaignStatus.DRAWN, actor=actor)
        record_event(
            actor=actor,
            action="credit.draw_made",
            obj=drawn,
            after={
                "public_value": public_value,
                "reveals": revealed,
                "seed": drawn.seed,
                "strata": drawn.strata,
                "selected": selected,
            },
        )
    return drawn


def recuse(selection_id: int, inspector_id: int, *, actor: Any, reason: str) -> InspectorRow:
    """An inspector steps aside (or their department sets them aside): the next eligible
    inspector in the enterprise's ranking takes the place. The recusal is recorded as an
    InspectorAssignment row; the replacement joins the selection's `inspectors`."""
    if not (reason or "").strip():
        raise refused({"reason": _("Say why the inspector recuses.")})
    with transaction.atomic():
        # Two recusals on one enterprise at once: one after the other (positions, the next
        # inspector in the ranking).
        try:
            selection = (
                InspectionSelection.objects.select_for_update(of=("self",))
                .select_related("draw__campaign", "enterprise")
                .get(pk=selection_id)
            )
        except (InspectionSelection.DoesNotExist, ValueError, TypeError):
            raise CreditRefused(_("No such inspected enterprise.")) from None
        campaign = selection.draw.campaign
        if inspector_id not in selection.inspectors:
            raise CreditRefused(_("Not an inspector of this enterprise."))
        if not (may_manage(actor, campaign) or inspector_id == getattr(actor, "pk", None)):
            raise CreditNotAllowed(
                _("Only the inspector or the campaign's department may do this.")
            )
        if inspector_id not in current_inspector_ids(selection):
            raise IllegalTransition(_("This inspector has already recused."))
        if selection.result != ResultStatus.PENDING:
            raise IllegalTransition(_("The result is already recorded."))
        _data, snapshot = stored_snapshot(campaign)
        seed = bytes.fromhex(selection.draw.seed)
        ranking = algorithm.eligible_ranking(
            seed,
            selection.enterprise.uscc,
            _district_of(snapshot, selection.enterprise.uscc),
            snapshot,
        )
        names = dict(User.objects.filter(pk__in=selection.inspectors).values_list("pk", "username"))
        taken = {names.get(pk) for pk in selection.inspectors}
        following = [name for name in ranking if name not in taken]
        if not following:
            raise CreditRefused(
                _(
                    "No further eligible inspector in the ranking: the pool is "
                    "exhausted for this enterprise."
                )
            )
        reason = reason.strip()[:300]
        InspectorAssignment.objects.create(
            selection=selection,
            inspector_id=inspector_id,
            position=selection.inspectors.index(inspector_id) + 1,
            status=AssignmentStatus.RECUSED,
            recusal_reason=reason,
        )
        replacement = User.objects.get(username=following[0])
        selection.inspectors = [*selection.inspectors, replacement.pk]
        selection.save(update_fields=["inspectors"])
        record_event(
            actor=actor,
            action="credit.inspector_recused",
            obj=selection,
            before={"inspector": names.get(inspector_id)},
            after={"inspector": following[0], "reason": reason},
        )
    return InspectorRow(len(selection.inspectors), replacement.pk, replacement, False, "")


def _district_of(snapshot: algorithm.Snapshot, uscc: str) -> str:
    for row_uscc, _grade, district in snapshot.enterprises:
        if row_uscc == uscc:
            return district
    return "-"


def record_result(
    selection_id: int,
    *,
    actor: Any,
    violation: bool,
    findings: str,
    severity: str = Severity.GENERAL,
    today: date | None = None,
) -> InspectionSelection:
    """The inspection's result, published at once; a violation becomes a credit record of
    the campaign's department (the grade and lists follow)."""
    findings = (findings or "").strip()
    if not findings:
        raise refused({"findings": _("Describe what the inspection found.")})
    if violation and severity not in Severity.values:
        raise refused({"severity": _("Choose minor, general or serious.")})
    with transaction.atomic():
        try:
            selection = (
                InspectionSelection.objects.select_for_update(of=("self",))
                .select_related("draw__campaign__department", "enterprise")
                .get(pk=selection_id)
            )
        except (InspectionSelection.DoesNotExist, ValueError, TypeError):
            raise CreditRefused(_("No such inspected enterprise.")) from None
        campaign = selection.draw.campaign
        assigned = getattr(actor, "pk", None) in current_inspector_ids(selection)
        if not (assigned or may_manage(actor, campaign)):
            raise CreditNotAllowed(
                _("Only an assigned inspector or the campaign's department may record the result.")
            )
        if selection.result != ResultStatus.PENDING:
            raise IllegalTransition(_("The result is already recorded and published."))
        record = None
        if violation:
            enterprise = lock_enterprise(selection.enterprise_id)
            record = add_record_locked(
                enterprise=enterprise,
                kind=RecordKind.INSPECTION_VIOLATION,
                severity=severity,
                department=campaign.department,
                title=_("Dual-random inspection: %(campaign)s") % {"campaign": campaign.title},
                detail=findings,
                occurred_on=today or timezone.localdate(),
                actor=actor,
                reference=f"campaign:{campaign.pk}",
                today=today,
            )
        move(
            selection,
            ResultStatus.VIOLATION if violation else ResultStatus.CLEAN,
            actor=actor,
            findings=findings[:2000],
            severity=severity if violation else "",
            published_at=timezone.now(),
            recorded_by=actor,
            record=record,
        )
    return selection
