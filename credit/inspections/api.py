"""Dual-random inspections over REST: /api/v1/credit/campaigns/ and /inspections/, scoped
like the pages (campaigns: officials of the department and auditors; inspections: also
the assigned inspectors and the enterprise's members)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from qinqing.api.idempotency import idempotent
from qinqing.scoping import is_acting_official

from ..limits import TEXT_MAX
from ..records.models import Severity
from . import selectors, services, verification
from .models import InspectionCampaign, InspectionSelection, ResultStatus


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
            "public_event",
            "public_event_on",
            "commitments",
            "strata_sizes",
            "created_at",
            "draw",
        ]
        read_only_fields = fields

    def get_draw(self, campaign: InspectionCampaign) -> dict | None:
        drawn = getattr(campaign, "draw", None) if campaign.status == "drawn" else None
        if drawn is None:
            return None
        progress = selectors.progress(campaign)
        return {
            "public_value": drawn.public_value,
            "reveals": drawn.reveals,
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
    public_value = serializers.CharField(max_length=services.PUBLIC_VALUE_MAX)
    reveals = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True), required=False,
        help_text="Each party's secret (department, supervisor); a party left out did not "
        "reveal and the published fallback stands in.",
    )  # fmt: skip


class PublishRequestSerializer(serializers.Serializer):
    public_event = serializers.CharField(max_length=200)
    public_event_on = serializers.DateField()
    commitments = serializers.DictField(
        child=serializers.CharField(max_length=64),
        help_text="SHA-256 (hex) of each party's secret: department, supervisor.",
    )


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
            selectors.campaigns_visible_to(self.request.user)
            .prefetch_related("districts", "inspectors")
            .select_related("draw")
        )

    @extend_schema(request=CampaignCreateSerializer, responses={201: CampaignSerializer})
    @idempotent()
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not is_acting_official(request.user):
            raise exceptions.PermissionDenied(
                _("Only department officials define inspection campaigns.")
            )
        serializer = CampaignCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        pool = list(User.objects.filter(username__in=data["inspectors"]))
        if len(pool) != len(set(data["inspectors"])):
            raise exceptions.ValidationError({"inspectors": [_("Unknown username in the pool.")]})
        campaign = services.create_campaign(
            actor=request.user,
            title=data["title"],
            items=data["items"],
            district_codes=data["districts"],
            industries=data["industries"],
            ratios=data["ratios"],
            inspectors=pool,
            inspectors_per_enterprise=data["inspectors_per_enterprise"],
        )
        return Response(
            CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=PublishRequestSerializer, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        campaign = self.get_object()
        serializer = PublishRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.publish_campaign(campaign.pk, actor=request.user, **serializer.validated_data)
        return Response(CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(request=DrawRequestSerializer, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def draw(self, request: Request, pk: str | None = None) -> Response:
        campaign = self.get_object()
        serializer = DrawRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.run_draw(
            campaign.pk,
            actor=request.user,
            public_value=serializer.validated_data["public_value"],
            reveals=serializer.validated_data.get("reveals") or {},
        )
        return Response(CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(responses={200: VerificationSerializer})
    @action(detail=True, methods=["get"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        found = verification.verify_published(self.get_object())
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
        return super().to_representation(selectors.attach_inspectors(items))


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
            selectors.attach_inspectors([selection])
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
        return selectors.selections_visible_to(self.request.user).order_by("id")

    @extend_schema(request=ResultSerializer, responses={200: SelectionSerializer})
    @action(detail=True, methods=["post"])
    def result(self, request: Request, pk: str | None = None) -> Response:
        selection = self.get_object()
        serializer = ResultSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.record_result(selection.pk, actor=request.user, **serializer.validated_data)
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
        services.recuse(
            selection.pk,
            inspector.pk,
            actor=request.user,
            reason=serializer.validated_data["reason"],
        )
        return Response(SelectionSerializer(self.get_queryset().get(pk=selection.pk)).data)
