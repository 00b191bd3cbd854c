"""Commitments over REST: /api/v1/credit/commitments/ (members: their enterprises';
officials: those their department verifies; auditors: all), and the verifying
department's steps."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ..filters import CommitmentFilter
from ..limits import TEXT_MAX
from ..records.models import Severity
from . import services
from .models import Commitment
from .selectors import commitments_visible_to


class CommitmentSerializer(serializers.ModelSerializer):
    uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    notice = serializers.CharField(source="notice.code", read_only=True)
    notice_version = serializers.IntegerField(source="notice.version", read_only=True)
    accepted_by = serializers.CharField(source="accepted_by.__str__", read_only=True)
    department = serializers.CharField(source="department.code", read_only=True)
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = Commitment
        fields = ["id", "uscc", "notice", "notice_version", "text_sha256", "accepted_by",
                  "accepted_at", "subject_kind", "subject_ref", "verify_what", "verify_by",
                  "department", "status", "decided_at", "decided_by", "reason",
                  "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_decided_by(self, commitment: Commitment) -> str:
        return str(commitment.decided_by) if commitment.decided_by_id else ""


class DecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_MAX, required=False, default="",
                                   allow_blank=True)  # fmt: skip
    severity = serializers.ChoiceField(choices=Severity.choices, required=False,
                                       default=Severity.GENERAL)  # fmt: skip


class CommitmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Commitments: members see their enterprises'; officials those their department
    verifies; auditors all. The verifying department's officials start verification,
    fulfil, breach and penalise; the enterprise (or the department) withdraws before the
    outcome. A step the commitment's state does not allow answers 409."""

    scope_resource = "credit"

    serializer_class = CommitmentSerializer
    filterset_class = CommitmentFilter
    ordering_fields = ["accepted_at", "verify_by", "status", "created_at"]
    ordering = ["-accepted_at", "-id"]

    def get_queryset(self):
        return commitments_visible_to(self.request.user).select_related("decided_by")

    def _decide(self, request: Request, step) -> Response:
        if request.user.sees_everything and not request.user.is_official:
            raise exceptions.PermissionDenied(_("Auditors and administrators only read."))
        commitment = self.get_object()
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        moved = step(commitment.pk, **serializer.validated_data)
        moved = self.get_queryset().get(pk=moved.pk)
        return Response(CommitmentSerializer(moved).data)

    @extend_schema(request=None, responses={200: CommitmentSerializer})
    @action(detail=True, methods=["post"], url_path="start-verification")
    def start_verification(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, lambda pk, **_data: services.start_verification(
            pk, actor=request.user))  # fmt: skip

    @extend_schema(request=DecisionSerializer, responses={200: CommitmentSerializer})
    @action(detail=True, methods=["post"])
    def fulfil(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, lambda pk, reason, **_data: services.fulfil_commitment(
            pk, actor=request.user, note=reason))  # fmt: skip

    @extend_schema(request=DecisionSerializer, responses={200: CommitmentSerializer})
    @action(detail=True, methods=["post"])
    def breach(self, request: Request, pk: str | None = None) -> Response:
        """Creates a "commitment breached" record, recomputes the grade and applies the
        list rules; other apps' consequences (an approval revoked) happen in the same
        transaction."""
        return self._decide(request, lambda pk, reason, severity: services.breach_commitment(
            pk, actor=request.user, reason=reason, severity=severity))  # fmt: skip

    @extend_schema(request=DecisionSerializer, responses={200: CommitmentSerializer})
    @action(detail=True, methods=["post"])
    def penalise(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, lambda pk, reason, severity: services.penalise_commitment(
            pk, actor=request.user, reason=reason, severity=severity))  # fmt: skip

    @extend_schema(request=DecisionSerializer, responses={200: CommitmentSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, lambda pk, reason, **_data: services.withdraw_commitment(
            pk, actor=request.user, reason=reason))  # fmt: skip
