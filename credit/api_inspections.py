"""Dual-random inspections and credit repair over REST: /api/v1/credit/campaigns/,
/inspections/ and /repairs/, scoped like the pages (campaigns: officials of the department
and auditors; inspections: also the assigned inspectors and the enterprise's members;
repairs: the enterprise's members and the record's department)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from qinqing.api.idempotency import idempotent

from . import inspections, repair
from .api import ConflictError
from .models import (
    InspectionCampaign,
    InspectionSelection,
    RepairApplication,
    ResultStatus,
    Severity,
)
from .services import TEXT_MAX, CreditRefused, IllegalTransition


def _call(step):
    """Run a service step; its refusals as 400 (409 for a state that forbids it), its
    permission refusals as 403."""
    try:
        return step()
    except DjangoPermissionDenied as error:
        raise exceptions.PermissionDenied(str(error)) from error
    except IllegalTransition as error:
        raise ConflictError(" ".join(error.messages)) from error
    except CreditRefused as error:
        detail = (
            error.message_dict
            if hasattr(error, "error_dict")
            else {"detail": " ".join(error.messages)}
        )
        raise exceptions.ValidationError(detail) from error


class CampaignSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", read_only=True)
    districts = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    inspectors = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    draw = serializers.SerializerMethodField()

    class Meta:
        model = InspectionCampaign
        fields = [
            "id",
            "title",
            "department",
            "items",
            "districts",
            "industries",
            "ratios",
            "inspectors_per_enterprise",
            "inspectors",
            "status",
            "algorithm",
            "snapshot_sha256",
            "population",
            "published_at",
            "created_at",
            "draw",
        ]
        read_only_fields = fields

    def get_draw(self, campaign: InspectionCampaign) -> dict | None:
        drawn = getattr(campaign, "draw", None) if campaign.status == "drawn" else None
        if drawn is None:
            return None
        progress = inspections.progress(campaign)
        return {
            "public_value": drawn.public_value,
            "seed": drawn.seed,
            "algorithm": drawn.algorithm,
            "strata": drawn.strata,
            "drawn_at": drawn.drawn_at.isoformat(),
            "results_due": drawn.results_due.isoformat(),
            "selected": progress.selected,
            "outstanding": progress.outstanding,
            "overdue": progress.overdue,
        }


class CampaignCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    items = serializers.ListField(child=serializers.CharField(max_length=200), max_length=50)
    districts = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=50
    )
    industries = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, default=list, max_length=30
    )
    ratios = serializers.DictField(
        child=serializers.CharField(max_length=10), required=False, default=dict
    )
    inspectors = serializers.ListField(child=serializers.CharField(max_length=150), max_length=500)
    inspectors_per_enterprise = serializers.IntegerField(required=False, default=2)


class VerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.CharField())
    snapshot_sha256 = serializers.CharField()
    seed = serializers.CharField()
    strata = serializers.DictField(child=serializers.DictField())
    selected = serializers.IntegerField()


class DrawRequestSerializer(serializers.Serializer):
    public_value = serializers.CharField(max_length=inspections.PUBLIC_VALUE_MAX)


class CampaignViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Campaigns of the official's department (auditors: all). POST creates one (ratios per
    grade in per cent, 0–100); `publish` fixes the population and publishes its SHA-256;
    `draw` (once only: a second answers 409) takes the public value; `verify` recomputes
    the draw."""

    scope_resource = "credit"

    serializer_class = CampaignSerializer
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "published_at", "title"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return (
            inspections.campaigns_visible_to(self.request.user)
            .prefetch_related("districts", "inspectors")
            .select_related("draw")
        )

    @extend_schema(request=CampaignCreateSerializer, responses={201: CampaignSerializer})
    @idempotent()
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not request.user.is_official:
            raise exceptions.PermissionDenied(
                _("Only department officials define inspection campaigns.")
            )
        serializer = CampaignCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        pool = list(User.objects.filter(username__in=data["inspectors"]))
        if len(pool) != len(set(data["inspectors"])):
            raise exceptions.ValidationError({"inspectors": [_("Unknown username in the pool.")]})
        campaign = _call(
            lambda: inspections.create_campaign(
                actor=request.user,
                title=data["title"],
                items=data["items"],
                district_codes=data["districts"],
                industries=data["industries"],
                ratios=data["ratios"],
                inspectors=pool,
                inspectors_per_enterprise=data["inspectors_per_enterprise"],
            )
        )
        return Response(
            CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        campaign = self.get_object()
        _call(lambda: inspections.publish_campaign(campaign.pk, actor=request.user))
        return Response(CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(request=DrawRequestSerializer, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def draw(self, request: Request, pk: str | None = None) -> Response:
        campaign = self.get_object()
        serializer = DrawRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _call(
            lambda: inspections.run_draw(
                campaign.pk,
                actor=request.user,
                public_value=serializer.validated_data["public_value"],
            )
        )
        return Response(CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(responses={200: VerificationSerializer})
    @action(detail=True, methods=["get"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        found = inspections.verify_published(self.get_object())
        return Response(
            {
                "ok": found.ok,
                "problems": [str(p) for p in found.problems],
                "snapshot_sha256": found.snapshot_sha256,
                "seed": found.seed,
                "strata": found.strata,
                "selected": found.selected,
            }
        )


class SelectionListSerializer(serializers.ListSerializer):
    def to_representation(self, data: Any) -> list:
        """The page's inspectors looked up at once, not per selection."""
        items = data.all() if hasattr(data, "all") else data
        return super().to_representation(inspections.attach_inspectors(items))


class SelectionSerializer(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="draw.campaign_id", read_only=True)
    uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    inspectors = serializers.SerializerMethodField()

    class Meta:
        model = InspectionSelection
        fields = [
            "id",
            "campaign",
            "uscc",
            "enterprise_name",
            "grade",
            "rank",
            "inspectors",
            "result",
            "findings",
            "severity",
            "published_at",
        ]
        read_only_fields = fields
        list_serializer_class = SelectionListSerializer

    def get_inspectors(self, selection: InspectionSelection) -> list[dict]:
        if not hasattr(selection, "inspector_rows"):
            inspections.attach_inspectors([selection])
        return [
            {
                "username": row.username,
                "position": row.position,
                "status": row.status,
                "recusal_reason": row.recusal_reason,
            }
            for row in selection.inspector_rows
        ]


class ResultSerializer(serializers.Serializer):
    violation = serializers.BooleanField()
    findings = serializers.CharField(max_length=TEXT_MAX)
    severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, default=Severity.GENERAL
    )


class RecusalSerializer(serializers.Serializer):
    inspector = serializers.CharField(max_length=150)
    reason = serializers.CharField(max_length=300)


class SelectionFilter(django_filters.FilterSet):
    result = django_filters.ChoiceFilter(choices=ResultStatus.choices)
    campaign = django_filters.NumberFilter(field_name="draw__campaign")
    grade = django_filters.CharFilter()

    class Meta:
        model = InspectionSelection
        fields = ["result", "campaign", "grade"]


class InspectionViewSet(viewsets.ReadOnlyModelViewSet):
    """Inspected enterprises: the department's officials, the assigned inspectors, the
    enterprise's members (its own), auditors. `result` records and publishes the result (a
    violation becomes a credit record); `recuse` sets an inspector aside, the next in the
    ranking taking the place."""

    scope_resource = "credit"

    serializer_class = SelectionSerializer
    filterset_class = SelectionFilter
    ordering_fields = ["id", "grade", "rank", "published_at"]
    ordering = ["id"]

    def get_queryset(self):
        return inspections.selections_visible_to(self.request.user).order_by("id")

    @extend_schema(request=ResultSerializer, responses={200: SelectionSerializer})
    @action(detail=True, methods=["post"])
    def result(self, request: Request, pk: str | None = None) -> Response:
        selection = self.get_object()
        serializer = ResultSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _call(
            lambda: inspections.record_result(
                selection.pk, actor=request.user, **serializer.validated_data
            )
        )
        return Response(SelectionSerializer(self.get_queryset().get(pk=selection.pk)).data)

    @extend_schema(request=RecusalSerializer, responses={200: SelectionSerializer})
    @action(detail=True, methods=["post"])
    def recuse(self, request: Request, pk: str | None = None) -> Response:
        selection = self.get_object()
        serializer = RecusalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        inspector = User.objects.filter(
            pk__in=selection.inspectors, username=serializer.validated_data["inspector"]
        ).first()
        if inspector is None:
            raise exceptions.ValidationError(
                {"inspector": [_("Not an inspector of this enterprise.")]}
            )
        _call(
            lambda: inspections.recuse(
                selection.pk,
                inspector.pk,
                actor=request.user,
                reason=serializer.validated_data["reason"],
            )
        )
        return Response(SelectionSerializer(self.get_queryset().get(pk=selection.pk)).data)


class RepairSerializer(serializers.ModelSerializer):
    uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    department = serializers.CharField(source="record.department.code", read_only=True)
    applicant = serializers.CharField(source="applicant.__str__", read_only=True)

    class Meta:
        model = RepairApplication
        fields = [
            "id",
            "record",
            "uscc",
            "department",
            "applicant",
            "evidence",
            "commitment",
            "status",
            "decided_at",
            "reason",
            "created_at",
        ]
        read_only_fields = fields


class RepairCreateSerializer(serializers.Serializer):
    record = serializers.IntegerField(min_value=1)
    evidence = serializers.CharField(max_length=TEXT_MAX)


class RepairDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=TEXT_MAX, required=False, default="", allow_blank=True
    )


class RepairViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Repair applications. A member applies on one of its enterprise's records (refused
    before the record's minimum period); officials of the record's department `approve` or
    `reject` (a reason needed)."""

    scope_resource = "credit"

    serializer_class = RepairSerializer
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "decided_at", "status"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return repair.repairs_visible_to(self.request.user)

    @extend_schema(request=RepairCreateSerializer, responses={201: RepairSerializer})
    @idempotent()
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = RepairCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        from .selectors import records_visible_to

        if not records_visible_to(request.user).filter(pk=data["record"]).exists():
            raise exceptions.NotFound(_("No such record within your access."))
        application = _call(
            lambda: repair.apply_for_repair(
                data["record"], actor=request.user, evidence=data["evidence"]
            )
        )
        return Response(
            RepairSerializer(self.get_queryset().get(pk=application.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def _decide(self, request: Request, approve: bool) -> Response:
        application = self.get_object()
        serializer = RepairDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _call(
            lambda: repair.decide_repair(
                application.pk,
                actor=request.user,
                approve=approve,
                reason=serializer.validated_data["reason"],
            )
        )
        return Response(RepairSerializer(self.get_queryset().get(pk=application.pk)).data)

    @extend_schema(request=RepairDecisionSerializer, responses={200: RepairSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, True)

    @extend_schema(request=RepairDecisionSerializer, responses={200: RepairSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, False)
