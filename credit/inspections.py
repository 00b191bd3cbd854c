"""Dual-random inspection campaigns: define, publish (population snapshot and its hash),
draw (once), recusals, results (published, and a credit record for a violation), and
re-verification of a draw. The arithmetic of the draw is in credit/draw.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from departments.models import District
from enterprises.models import Enterprise
from qinqing.audit.services import record_event
from qinqing.workhours.clock import TimeLimit, add_working_time

from . import draw as algorithm
from .grading import scoring_model_in_force
from .models import (
    DEFAULT_RATIOS,
    MIN_INSPECTORS_PER_ENTERPRISE,
    RESULT_PUBLICATION_DAYS,
    AssignmentStatus,
    CampaignStatus,
    CreditGrade,
    InspectionCampaign,
    InspectionDraw,
    InspectionSelection,
    InspectorAssignment,
    InspectorRelation,
    PopulationSnapshot,
    RecordKind,
    ResultStatus,
    Severity,
)
from .scoring import grade_for
from .services import CreditRefused, IllegalTransition, _add_record, _lock_enterprise

PUBLICATION_LIMIT = TimeLimit(RESULT_PUBLICATION_DAYS, "days")
PUBLIC_VALUE_MAX = 200


# --- Who may -----------------------------------------------------------------------------


def campaigns_visible_to(user: Any) -> QuerySet[InspectionCampaign]:
    campaigns = InspectionCampaign.objects.select_related("department")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return campaigns.none()
    if user.sees_everything:
        return campaigns.all()
    if user.is_official:
        return campaigns.filter(department_id=user.department_id)
    return campaigns.none()


def selections_visible_to(user: Any) -> QuerySet[InspectionSelection]:
    """Officials: their department's campaigns' selections, and those they are assigned
    to; members: their enterprises'; auditors: all."""
    selections = InspectionSelection.objects.select_related("draw__campaign", "enterprise")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return selections.none()
    if user.sees_everything:
        return selections.all()
    if user.is_official:
        return selections.filter(
            Q(draw__campaign__department_id=user.department_id) | Q(assignments__inspector=user)
        ).distinct()
    if user.is_enterprise_member:
        return selections.filter(enterprise__memberships__user=user)
    return selections.none()


def may_manage(user: Any, campaign: InspectionCampaign) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_official
        and user.department_id == campaign.department_id
    )


def _require_manager(user: Any, campaign: InspectionCampaign) -> None:
    if not may_manage(user, campaign):
        raise PermissionDenied(_("Only officials of the campaign's department may do this."))


# --- Defining ----------------------------------------------------------------------------


def clean_ratios(raw: Any) -> dict[str, str]:
    """{"A": "5", ...} per cent, each between 0 and 100, at most two decimals; missing
    grades take the defaults."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise CreditRefused({"ratios": _("Give a sampling ratio for each grade A, B, C, D.")})
    unknown = set(raw) - set(algorithm.GRADES)
    if unknown:
        raise CreditRefused({"ratios": _("Ratios are per grade A, B, C and D.")})
    ratios = {}
    for grade in algorithm.GRADES:
        value = raw.get(grade, DEFAULT_RATIOS[grade])
        try:
            number = Decimal(str(value).strip().rstrip("%"))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
            raise CreditRefused(
                {
                    "ratios": _(
                        "The sampling ratio for grade %(grade)s must be between 0 and 100 %%."
                    )
                    % {"grade": grade}
                }
            )
        ratios[grade] = str(number.quantize(Decimal("0.01")))
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
    if not (getattr(actor, "is_authenticated", False) and actor.is_official):
        raise PermissionDenied(_("Only department officials define inspection campaigns."))
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
    if any(not user.is_official or not user.is_active for user in pool):
        errors["inspectors"] = _("The inspector pool is made of active officials.")
    try:
        cleaned = clean_ratios(ratios)
    except CreditRefused as error:
        errors.update({k: " ".join(v) for k, v in error.message_dict.items()})
    if not errors and len(pool) < inspectors_per_enterprise:
        errors["inspectors"] = _(
            "The pool has %(pool)d inspectors; each enterprise needs %(need)d."
        ) % {"pool": len(pool), "need": inspectors_per_enterprise}
    if errors:
        raise CreditRefused(errors)
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


# --- Publishing: the snapshot ------------------------------------------------------------


def population(campaign: InspectionCampaign) -> QuerySet[Enterprise]:
    enterprises = Enterprise.objects.filter(status="active")
    district_ids = list(campaign.districts.values_list("pk", flat=True))
    if district_ids:
        enterprises = enterprises.filter(district_id__in=district_ids)
    if campaign.industries:
        enterprises = enterprises.filter(industry_section__in=campaign.industries)
    return enterprises


def build_snapshot(campaign: InspectionCampaign) -> algorithm.Snapshot:
    """From the database, with values_list (no model instances): a million rows in
    seconds. Enterprises without a stored grade hold the model's base grade."""
    model = scoring_model_in_force()
    base = grade_for(model.base_score, model.thresholds)
    codes = dict(District.objects.values_list("pk", "code"))
    graded = dict(
        CreditGrade.objects.filter(enterprise__in=population(campaign))
        .values_list("enterprise_id", "grade")
        .iterator(chunk_size=50_000)
    )
    rows = population(campaign).values_list("pk", "uscc", "district_id")
    enterprises = sorted(
        (uscc, graded.get(pk, base), codes.get(district, "-"))
        for pk, uscc, district in rows.iterator(chunk_size=50_000)
    )
    pool = list(campaign.inspectors.values_list("username", "district__code"))
    inspectors = sorted((name, district or "-") for name, district in pool)
    relations = set(
        InspectorRelation.objects.filter(
            inspector__in=campaign.inspectors.all(),
            enterprise__in=population(campaign),
        ).values_list("inspector__username", "enterprise__uscc")
    )
    ratios = {grade: Decimal(value) for grade, value in campaign.ratios.items()}
    return algorithm.Snapshot(
        campaign.pk, ratios, campaign.inspectors_per_enterprise, enterprises, inspectors, relations
    )


def publish_campaign(campaign_id: int, *, actor: Any) -> InspectionCampaign:
    """Fix the population and publish its hash and the algorithm version, before the draw."""
    with transaction.atomic():
        campaign = _locked_campaign(campaign_id)
        _require_manager(actor, campaign)
        if campaign.status != CampaignStatus.DRAFT:
            raise IllegalTransition(_("This campaign is already published."))
        snapshot = build_snapshot(campaign)
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
        PopulationSnapshot.objects.create(campaign=campaign, data=algorithm.compress(data))
        campaign.status, campaign.algorithm = CampaignStatus.PUBLISHED, algorithm.ALGORITHM
        campaign.snapshot_sha256, campaign.population = digest, len(snapshot.enterprises)
        campaign.published_at = timezone.now()
        campaign.save()
        record_event(
            actor=actor,
            action="credit.campaign_published",
            obj=campaign,
            before={"status": CampaignStatus.DRAFT},
            after={
                "status": campaign.status,
                "snapshot_sha256": digest,
                "algorithm": algorithm.ALGORITHM,
                "population": campaign.population,
            },
        )
    return campaign


def stored_snapshot(campaign: InspectionCampaign) -> tuple[bytes, algorithm.Snapshot]:
    data = algorithm.decompress(PopulationSnapshot.objects.get(campaign=campaign).data)
    return data, algorithm.parse_snapshot(data)


# --- The draw -----------------------------------------------------------------------------


def run_draw(campaign_id: int, *, actor: Any, public_value: str) -> InspectionDraw:
    """The one draw of a published campaign: seed from the published hash and the public
    value, strata ranked, inspectors assigned; recorded and audited. A second draw is
    refused (state check, and the one-to-one constraint behind it)."""
    public_value = (public_value or "").strip()
    if not public_value:
        raise CreditRefused({"public_value": _("Enter the public value fixed for the draw.")})
    if len(public_value) > PUBLIC_VALUE_MAX:
        raise CreditRefused(
            {"public_value": _("At most %(n)d characters.") % {"n": PUBLIC_VALUE_MAX}}
        )
    with transaction.atomic():
        campaign = _locked_campaign(campaign_id)
        _require_manager(actor, campaign)
        if (
            campaign.status == CampaignStatus.DRAWN
            or InspectionDraw.objects.filter(campaign=campaign).exists()
        ):
            raise IllegalTransition(_("This campaign has been drawn; a draw is never repeated."))
        if campaign.status != CampaignStatus.PUBLISHED:
            raise IllegalTransition(
                _("Publish the campaign (and its population hash) before the draw.")
            )
        data, snapshot = stored_snapshot(campaign)
        if algorithm.snapshot_hash(data) != campaign.snapshot_sha256:
            raise CreditRefused(_("The stored snapshot does not match the published hash."))
        result = algorithm.compute_draw(snapshot, campaign.snapshot_sha256, public_value)
        for uscc, _grade, _rank, names in result.selections:
            if len(names) < snapshot.per_enterprise:
                raise CreditRefused(
                    _("Fewer eligible inspectors than needed for %(uscc)s.") % {"uscc": uscc}
                )
        now = timezone.now()
        try:
            with transaction.atomic():
                drawn = InspectionDraw.objects.create(
                    campaign=campaign,
                    public_value=public_value,
                    seed=result.seed,
                    algorithm=algorithm.ALGORITHM,
                    strata=result.strata,
                    drawn_at=now,
                    drawn_by=actor,
                    results_due=add_working_time(now, PUBLICATION_LIMIT.seconds),
                )
        except IntegrityError:
            raise IllegalTransition(
                _("This campaign has been drawn; a draw is never repeated.")
            ) from None
        _store_selections(drawn, result)
        campaign.status = CampaignStatus.DRAWN
        campaign.save(update_fields=["status"])
        record_event(
            actor=actor,
            action="credit.campaign_drawn",
            obj=campaign,
            before={"status": CampaignStatus.PUBLISHED},
            after={
                "status": campaign.status,
                "public_value": public_value,
                "seed": result.seed,
                "strata": result.strata,
                "selected": len(result.selections),
            },
        )
    return drawn


def _insert_rows(model: Any, columns: list[str], rows: list[tuple]) -> list[int]:
    """Plain tuples into `model`'s table, returning their new ids in order: COPY on
    PostgreSQL (no model instances: a draw writes hundreds of thousands of rows), bulk_create
    elsewhere."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        made = model.objects.bulk_create(
            [
                model(
                    **{
                        model._meta.get_field(name).attname: value
                        for name, value in zip(columns, row, strict=True)
                    }
                )
                for row in rows
            ],
            batch_size=2000,
        )
        return [obj.pk for obj in made]
    meta = model._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = sorted(pk for (pk,) in cursor.fetchall())
        names = ", ".join(quote(meta.get_field(name).column) for name in ["id", *columns])
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy,
        ):
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *row))
    return ids


def _store_selections(drawn: InspectionDraw, result: algorithm.DrawResult) -> None:
    usccs = [row[0] for row in result.selections]
    ids: dict[str, int] = {}
    if len(usccs) > 20_000:  # one pass over the population beats long IN lists
        ids.update(population(drawn.campaign).values_list("uscc", "pk").iterator(50_000))
    else:
        ids.update(Enterprise.objects.filter(uscc__in=usccs).values_list("uscc", "pk"))
    names = {name for row in result.selections for name in row[3]}
    users = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    selection_ids = _insert_rows(
        InspectionSelection,
        ["draw", "enterprise", "grade", "rank", "result", "findings", "severity"],
        [
            (drawn.pk, ids[uscc], grade, rank, ResultStatus.PENDING, "", "")
            for uscc, grade, rank, _names in result.selections
        ],
    )
    _insert_rows(
        InspectorAssignment,
        ["selection", "inspector", "position", "status", "recusal_reason"],
        [
            (selection_id, users[name], position, AssignmentStatus.ASSIGNED, "")
            for selection_id, row in zip(selection_ids, result.selections, strict=True)
            for position, name in enumerate(row[3], start=1)
        ],
    )


def recuse(assignment_id: int, *, actor: Any, reason: str) -> InspectorAssignment:
    """An inspector steps aside (or their department sets them aside): the next eligible
    inspector in the enterprise's ranking takes the place."""
    if not (reason or "").strip():
        raise CreditRefused({"reason": _("Say why the inspector recuses.")})
    with transaction.atomic():
        try:
            assignment = (
                InspectorAssignment.objects.select_for_update()
                .select_related("selection__draw__campaign", "selection__enterprise", "inspector")
                .get(pk=assignment_id)
            )
        except (InspectorAssignment.DoesNotExist, ValueError, TypeError):
            raise CreditRefused(_("No such assignment.")) from None
        # Two recusals on one enterprise at once: one after the other (positions, the next
        # inspector in the ranking).
        locked = InspectionSelection.objects.select_for_update().filter(pk=assignment.selection_id)
        list(locked.values_list("pk", flat=True))
        selection = assignment.selection
        campaign = selection.draw.campaign
        if not (
            may_manage(actor, campaign) or assignment.inspector_id == getattr(actor, "pk", None)
        ):
            raise PermissionDenied(
                _("Only the inspector or the campaign's department may do this.")
            )
        if assignment.status != AssignmentStatus.ASSIGNED:
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
        taken = set(selection.assignments.values_list("inspector__username", flat=True))
        following = [name for name in ranking if name not in taken]
        if not following:
            raise CreditRefused(
                _(
                    "No further eligible inspector in the ranking: the pool is "
                    "exhausted for this enterprise."
                )
            )
        assignment.status = AssignmentStatus.RECUSED
        assignment.recusal_reason = reason.strip()[:300]
        assignment.save(update_fields=["status", "recusal_reason"])
        position = selection.assignments.count() + 1
        replacement = InspectorAssignment.objects.create(
            selection=selection,
            inspector=User.objects.get(username=following[0]),
            position=position,
        )
        record_event(
            actor=actor,
            action="credit.inspector_recused",
            obj=selection,
            before={"inspector": assignment.inspector.username},
            after={"inspector": following[0], "reason": assignment.recusal_reason},
        )
    return replacement


def _district_of(snapshot: algorithm.Snapshot, uscc: str) -> str:
    for row_uscc, _grade, district in snapshot.enterprises:
        if row_uscc == uscc:
            return district
    return "-"


# --- Results ------------------------------------------------------------------------------


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
        raise CreditRefused({"findings": _("Describe what the inspection found.")})
    if violation and severity not in Severity.values:
        raise CreditRefused({"severity": _("Choose minor, general or serious.")})
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
        assigned = selection.assignments.filter(
            inspector_id=getattr(actor, "pk", None), status=AssignmentStatus.ASSIGNED
        ).exists()
        if not (assigned or may_manage(actor, campaign)):
            raise PermissionDenied(
                _("Only an assigned inspector or the campaign's department may record the result.")
            )
        if selection.result != ResultStatus.PENDING:
            raise IllegalTransition(_("The result is already recorded and published."))
        selection.result = ResultStatus.VIOLATION if violation else ResultStatus.CLEAN
        selection.findings = findings[:2000]
        selection.severity = severity if violation else ""
        selection.published_at = timezone.now()
        selection.recorded_by = actor
        if violation:
            enterprise = _lock_enterprise(selection.enterprise_id)
            selection.record = _add_record(
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
        selection.save()
        record_event(
            actor=actor,
            action="credit.inspection_result",
            obj=selection,
            before={"result": ResultStatus.PENDING},
            after={"result": selection.result, "severity": selection.severity},
        )
    return selection


@dataclass
class Progress:
    selected: int
    published: int
    outstanding: int
    due: Any
    overdue: bool


def progress(campaign: InspectionCampaign) -> Progress | None:
    drawn = InspectionDraw.objects.filter(campaign=campaign).first()
    if drawn is None:
        return None
    selections = drawn.selections.all()
    total = selections.count()
    outstanding = selections.filter(result=ResultStatus.PENDING).count()
    return Progress(
        total,
        total - outstanding,
        outstanding,
        drawn.results_due,
        outstanding > 0 and timezone.now() > drawn.results_due,
    )


# --- Verification -------------------------------------------------------------------------


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
    from django.core.cache import cache
    from django.db.models import Count, Max
    from django.utils.translation import get_language

    stamp = InspectorAssignment.objects.filter(selection__draw__campaign=campaign).aggregate(
        rows=Count("pk"), last=Max("pk"), recused=Count("pk", filter=~Q(recusal_reason=""))
    )
    key = (f"credit:verify:{campaign.pk}:{stamp['rows']}:{stamp['last']}:{stamp['recused']}:"
           f"{get_language()}")  # fmt: skip
    return cache.get_or_set(key, lambda: verify(campaign), timeout=3600)


def verify(campaign: InspectionCampaign) -> Verification:
    """Recompute the draw from the stored snapshot and the public value and compare it
    with what was recorded: the hash, the seed, the strata, every selection and every
    inspector assignment (recusals replayed: assignments follow the ranking)."""
    campaign = InspectionCampaign.objects.get(pk=campaign.pk)
    drawn = InspectionDraw.objects.filter(campaign=campaign).first()
    if drawn is None:
        return Verification(False, [_("This campaign has not been drawn.")], "", "", {}, 0)
    data, snapshot = stored_snapshot(campaign)
    digest = algorithm.snapshot_hash(data)
    problems = []
    if digest != campaign.snapshot_sha256:
        problems.append(_("The snapshot's hash differs from the published one."))
    assigned: dict[str, list[str]] = {}
    rows = (
        InspectorAssignment.objects.filter(selection__draw=drawn)
        .order_by("selection_id", "position")
        .values_list("selection__enterprise__uscc", "inspector__username")
    )
    for uscc, name in rows.iterator(chunk_size=50_000):
        assigned.setdefault(uscc, []).append(name)
    spare = max((len(names) for names in assigned.values()), default=0) - snapshot.per_enterprise
    result = algorithm.compute_draw(
        snapshot, campaign.snapshot_sha256, drawn.public_value, spare=max(spare, 0)
    )
    if result.seed != drawn.seed:
        problems.append(_("The seed differs."))
    if result.strata != drawn.strata:
        problems.append(_("The strata differ."))
    recorded = {
        uscc: (grade, rank)
        for uscc, grade, rank in drawn.selections.values_list(
            "enterprise__uscc", "grade", "rank"
        ).iterator(chunk_size=50_000)
    }
    expected = {uscc: (grade, rank) for uscc, grade, rank, _names in result.selections}
    if recorded != expected:
        missing = len(set(expected) - set(recorded))
        extra = len(set(recorded) - set(expected))
        problems.append(
            _("The selected enterprises differ (%(missing)d missing, %(extra)d not drawn).")
            % {"missing": missing, "extra": extra}
        )
    else:
        for uscc, _grade, _rank, names in result.selections:
            have = assigned.get(uscc, [])
            if have != names[: len(have)] or len(have) < snapshot.per_enterprise:
                problems.append(_("The inspectors of %(uscc)s differ.") % {"uscc": uscc})
                break
    return Verification(
        not problems, problems, digest, result.seed, result.strata, len(result.selections)
    )
