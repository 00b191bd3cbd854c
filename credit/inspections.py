"""Dual-random inspection campaigns: define, publish (population snapshot and its hash),
draw (once), recusals, results (published, and a credit record for a violation), and
re-verification of a draw. The arithmetic of the draw is in credit/draw.py."""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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
            Q(draw__campaign__department_id=user.department_id) | Q(inspectors__includes=user.pk)
        )
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
    """The snapshot alone (see `read_population`)."""
    return read_population(campaign)[0]


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
    with _collector_paused():
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
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while a million rows become tuples (they
    hold no cycles; its full passes over them cost more than building them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _pack_ids(ids: list[int]) -> bytes:
    import numpy as np

    return algorithm.compress(np.asarray(ids, dtype="<i8").tobytes())


def _unpack_ids(data: bytes) -> list[int]:
    import numpy as np

    return np.frombuffer(algorithm.decompress(data), dtype="<i8").tolist()


def publish_campaign(campaign_id: int, *, actor: Any) -> InspectionCampaign:
    """Fix the population and publish its hash and the algorithm version, before the draw."""
    with transaction.atomic():
        campaign = _locked_campaign(campaign_id)
        _require_manager(actor, campaign)
        if campaign.status != CampaignStatus.DRAFT:
            raise IllegalTransition(_("This campaign is already published."))
        with _collector_paused():
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
            campaign=campaign, data=algorithm.compress(data), enterprise_ids=_pack_ids(ids)
        )
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
    data = algorithm.decompress(
        PopulationSnapshot.objects.values_list("data", flat=True).get(campaign=campaign)
    )
    with _collector_paused():
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
        seed = algorithm.make_seed(campaign.pk, campaign.snapshot_sha256, public_value)
        now = timezone.now()
        try:
            with transaction.atomic():
                drawn = InspectionDraw.objects.create(
                    campaign=campaign,
                    public_value=public_value,
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
        with _collector_paused(), _selection_writer(drawn, snapshot) as write:
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
        drawn.save(update_fields=["strata"])
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
                "seed": drawn.seed,
                "strata": drawn.strata,
                "selected": selected,
            },
        )
    return drawn


SelectionWriter = Callable[[list[tuple[str, str, int, list[str]]], list[int]], None]


@contextmanager
def _selection_writer(
    drawn: InspectionDraw, snapshot: algorithm.Snapshot
) -> Iterator[SelectionWriter]:
    """write(selections, positions) for one stratum at a time: a row per selected
    enterprise, its inspectors (user ids) on the row. On PostgreSQL a second thread writes
    each stratum with COPY, its foreign keys checked at the end of it (not at commit),
    while this one computes the next: the database works on the other core meanwhile."""
    usernames = [name for name, _district in snapshot.inspectors]
    users = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
    enterprise_ids = _enterprise_ids_of(drawn, snapshot)
    if connection.vendor != "postgresql":

        def create(selections: list, positions: list[int]) -> None:
            InspectionSelection.objects.bulk_create(
                [
                    InspectionSelection(
                        draw=drawn,
                        enterprise_id=enterprise_id,
                        grade=grade,
                        rank=rank,
                        inspectors=[users[name] for name in picked],
                    )
                    for enterprise_id, (_uscc, grade, rank, picked) in zip(
                        enterprise_ids(selections, positions), selections, strict=True
                    )
                ],
                batch_size=2000,
            )

        yield create
        return
    texts = {name: str(pk) for name, pk in users.items()}
    head, pending = f"{drawn.pk}\t", ResultStatus.PENDING.value

    def copy_lines(selections: list, positions: list[int]) -> None:
        # Nothing here needs COPY's escaping: integers, a grade letter of the algorithm's,
        # a JSON list of integers, a status code and empty texts. In the order of the
        # enterprises' ids: the foreign-key checks then walk the register's index in order.
        lines = sorted(
            (
                enterprise_id,
                f"{head}{enterprise_id}\t{grade}\t{rank}\t"
                f"[{', '.join([texts[name] for name in picked])}]\t{pending}\t\t\n",
            )
            for enterprise_id, (_uscc, grade, rank, picked) in zip(
                enterprise_ids(selections, positions), selections, strict=True
            )
        )
        if lines:
            writer.put("".join([line for _id, line in lines]))

    quote = connection.ops.quote_name
    meta = InspectionSelection._meta
    columns = [
        "draw",
        "enterprise",
        "grade",
        "rank",
        "inspectors",
        "result",
        "findings",
        "severity",
    ]
    names = ", ".join(quote(meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    writer = _CopyThread(connection.connection, f"COPY {quote(meta.db_table)} ({names}) FROM STDIN")
    writer.start()
    try:
        yield copy_lines
    finally:
        writer.put(None)
        writer.join()
        if writer.error is None:  # else the transaction has failed: nothing more to say
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    if writer.error is not None:
        with connection.wrap_database_errors:
            raise writer.error


class _CopyThread(threading.Thread):
    """COPYs each text it is given, in order, on the given (raw) connection, in the open
    transaction; the first error stops it and is kept for the caller to raise. The caller
    makes no query meanwhile."""

    def __init__(self, raw_connection: Any, statement: str) -> None:
        super().__init__(name="draw-copy", daemon=True)
        self.raw, self.statement = raw_connection, statement
        self.texts: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.error: BaseException | None = None

    def put(self, text: str | None) -> None:
        self.texts.put(text)

    def run(self) -> None:
        while (text := self.texts.get()) is not None:
            if self.error is not None:
                continue
            try:
                with self.raw.cursor() as cursor, cursor.copy(self.statement) as copy:
                    copy.write(text)
            except BaseException as error:  # handed to the caller, raised there
                self.error = error


def _enterprise_ids_of(
    drawn: InspectionDraw, snapshot: algorithm.Snapshot
) -> Callable[[list, list[int]], list[int]]:
    """ids(selections, positions): the selected enterprises' ids, from the ids kept with
    the snapshot at publication; for a snapshot published before they were kept, by USCC
    from the register, all read here (no query is made while the selections are written)."""
    packed = PopulationSnapshot.objects.values_list("enterprise_ids", flat=True).get(
        campaign_id=drawn.campaign_id
    )
    ids = _unpack_ids(packed) if packed else []
    if len(ids) != len(snapshot.enterprises):
        usccs = [uscc for uscc, _grade, _district in snapshot.enterprises]
        found: dict[str, int] = {}
        for start in range(0, len(usccs), 10_000):
            chunk = usccs[start : start + 10_000]
            found.update(Enterprise.objects.filter(uscc__in=chunk).values_list("uscc", "pk"))
        ids = [found[uscc] for uscc in usccs]
    return lambda _selections, positions: [ids[index] for index in positions]


@dataclass
class InspectorRow:
    """One of a selection's inspectors, for pages and the API."""

    position: int
    inspector_id: int
    inspector: User | None
    recused: bool
    recusal_reason: str

    @property
    def username(self) -> str:
        return self.inspector.username if self.inspector else f"#{self.inspector_id}"

    @property
    def status(self) -> str:
        return AssignmentStatus.RECUSED if self.recused else AssignmentStatus.ASSIGNED

    def get_status_display(self) -> str:
        return str(AssignmentStatus(self.status).label)


def attach_inspectors(selections: Iterable[InspectionSelection]) -> list[InspectionSelection]:
    """Each selection with `inspector_rows` (its inspectors in order of position, with
    their recusals): two queries for a page, whatever its length."""
    selections = list(selections)
    users = User.objects.in_bulk({pk for s in selections for pk in s.inspectors})
    recusals = {
        (selection_id, inspector_id): reason
        for selection_id, inspector_id, reason in InspectorAssignment.objects.filter(
            selection__in=[s.pk for s in selections], status=AssignmentStatus.RECUSED
        ).values_list("selection_id", "inspector_id", "recusal_reason")
    }
    for s in selections:
        s.inspector_rows = [
            InspectorRow(
                position,
                pk,
                users.get(pk),
                (s.pk, pk) in recusals,
                recusals.get((s.pk, pk), ""),
            )
            for position, pk in enumerate(s.inspectors, start=1)
        ]
    return selections


def current_inspector_ids(selection: InspectionSelection) -> list[int]:
    """The selection's inspectors who have not recused, in order."""
    recused = set(
        selection.assignments.filter(status=AssignmentStatus.RECUSED).values_list(
            "inspector_id", flat=True
        )
    )
    return [pk for pk in selection.inspectors if pk not in recused]


def recuse(selection_id: int, inspector_id: int, *, actor: Any, reason: str) -> InspectorRow:
    """An inspector steps aside (or their department sets them aside): the next eligible
    inspector in the enterprise's ranking takes the place. The recusal is recorded as an
    InspectorAssignment row; the replacement joins the selection's `inspectors`."""
    if not (reason or "").strip():
        raise CreditRefused({"reason": _("Say why the inspector recuses.")})
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
            raise PermissionDenied(
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
        assigned = getattr(actor, "pk", None) in current_inspector_ids(selection)
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
    with _collector_paused():
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
        snapshot, campaign.snapshot_sha256, drawn.public_value, spare=max(spare, 0)
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
