"""Credit repair over REST: /api/v1/credit/repairs/, scoped like the pages (the
enterprise's members and the record's department)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from qinqing.api.idempotency import idempotent

from ..limits import TEXT_MAX
from ..records.selectors import records_visible_to
from . import selectors, services
from .models import RepairApplication


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
        return selectors.repairs_visible_to(self.request.user)

    @extend_schema(request=RepairCreateSerializer, responses={201: RepairSerializer})
    @idempotent()
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = RepairCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not records_visible_to(request.user).filter(pk=data["record"]).exists():
            raise exceptions.NotFound(_("No such record within your access."))
        application = services.apply_for_repair(
            data["record"], actor=request.user, evidence=data["evidence"]
        )
        return Response(
            RepairSerializer(self.get_queryset().get(pk=application.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def _decide(self, request: Request, approve: bool) -> Response:
        application = self.get_object()
        serializer = RepairDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.decide_repair(
            application.pk,
            actor=request.user,
            approve=approve,
            reason=serializer.validated_data["reason"],
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
