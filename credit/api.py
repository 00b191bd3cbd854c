"""Credit over REST: /api/v1/credit/records/, /grades/ and /commitments/, each scoped like
the pages (members: their enterprises; officials: their area, and for commitments those
their department verifies; auditors: everything)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from enterprises.models import Enterprise
from enterprises.selectors import enterprises_visible_to
from qinqing.api.idempotency import idempotent

from . import services
from .filters import CommitmentFilter, RecordFilter
from .grading import scoring_model_in_force
from .models import OFFICIAL_KINDS, Commitment, CreditRecord, Grade, ListKind, Severity, TaxGrade
from .scoring import grade_for
from .selectors import commitments_visible_to, entries_in_effect, explanation, records_visible_to
from .selectors import standing as standing_of


class CreditRecordSerializer(serializers.ModelSerializer):
    uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    department = serializers.CharField(source="department.code", read_only=True)
    commitment = serializers.IntegerField(source="commitment_id", read_only=True,
                                          allow_null=True)  # fmt: skip
    # Blank on every record that is not a tax grade: the schema must allow "".
    tax_grade = serializers.ChoiceField(choices=TaxGrade.choices, allow_blank=True, read_only=True)

    class Meta:
        model = CreditRecord
        fields = ["id", "uscc", "enterprise_name", "kind", "severity", "tax_grade", "department",
                  "title", "detail", "legal_basis", "reference", "occurred_on",
                  "publicity_months", "public_until", "expires_on", "status", "commitment",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class RecordCreateSerializer(serializers.Serializer):
    uscc = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in OFFICIAL_KINDS])
    severity = serializers.ChoiceField(choices=Severity.choices)
    title = serializers.CharField(max_length=services.TITLE_MAX)
    detail = serializers.CharField(max_length=services.TEXT_MAX, required=False, default="",
                                   allow_blank=True)  # fmt: skip
    legal_basis = serializers.CharField(max_length=300, required=False, default="",
                                        allow_blank=True)  # fmt: skip
    reference = serializers.CharField(max_length=100, required=False, default="",
                                      allow_blank=True)  # fmt: skip
    occurred_on = serializers.DateField()
    publicity_months = serializers.IntegerField(required=False, allow_null=True, default=None,
                                                min_value=0, max_value=36)  # fmt: skip


class CreditRecordViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Credit records. Officials add one for their own department (penalties, inspection
    findings, rewards, court judgments, arrears) about an enterprise in their area: the
    grade is recomputed and the list rules applied in the same transaction."""

    scope_resource = "credit"

    serializer_class = CreditRecordSerializer
    filterset_class = RecordFilter
    ordering_fields = ["occurred_on", "created_at", "severity", "kind"]
    ordering = ["-occurred_on", "-id"]

    def get_queryset(self):
        return records_visible_to(self.request.user).select_related("commitment")

    @extend_schema(request=RecordCreateSerializer, responses={201: CreditRecordSerializer})
    @idempotent()
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not request.user.is_official:
            raise exceptions.PermissionDenied(_("Only department officials add credit records."))
        serializer = RecordCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        enterprise = enterprises_visible_to(request.user).filter(
            uscc=data.pop("uscc").strip().upper()).first()  # fmt: skip
        if enterprise is None:
            raise exceptions.NotFound(_("No enterprise with this code is within your access."))
        record = services.add_record(enterprise=enterprise, actor=request.user, **data)
        return Response(CreditRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class GradeSerializer(serializers.ModelSerializer):
    """An enterprise's grade: stored, or the model's base grade without records."""

    grade = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()
    model_version = serializers.SerializerMethodField()
    grade_since = serializers.SerializerMethodField()
    computed_at = serializers.SerializerMethodField()
    red_list = serializers.SerializerMethodField()
    black_list = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = ["uscc", "name", "grade", "score", "model_version", "grade_since",
                  "computed_at", "red_list", "black_list"]  # fmt: skip
        read_only_fields = fields

    def _stored(self, enterprise: Enterprise):
        return getattr(enterprise, "credit_grade", None)

    def get_grade(self, enterprise: Enterprise) -> str:
        stored = self._stored(enterprise)
        return stored.grade if stored else self.context["default"][0]

    def get_score(self, enterprise: Enterprise) -> int:
        stored = self._stored(enterprise)
        return stored.score if stored else self.context["default"][1]

    def get_model_version(self, enterprise: Enterprise) -> int:
        stored = self._stored(enterprise)
        return stored.model.version if stored else self.context["default"][2]

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_grade_since(self, enterprise: Enterprise):
        stored = self._stored(enterprise)
        return stored.grade_since if stored else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_computed_at(self, enterprise: Enterprise):
        stored = self._stored(enterprise)
        return stored.computed_at if stored else None

    def get_red_list(self, enterprise: Enterprise) -> bool:
        return any(entry.list_kind == ListKind.RED for entry in enterprise.entries_now)

    def get_black_list(self, enterprise: Enterprise) -> bool:
        return any(entry.list_kind == ListKind.BLACK for entry in enterprise.entries_now)


class GradeDetailSerializer(GradeSerializer):
    explanation = serializers.SerializerMethodField()

    class Meta(GradeSerializer.Meta):
        fields = [*GradeSerializer.Meta.fields, "explanation"]
        read_only_fields = fields

    @extend_schema_field(serializers.JSONField())
    def get_explanation(self, enterprise: Enterprise) -> dict:
        """{"model", "base", "score", "grade", "records": [{"record", "kind", "severity",
        "tax_grade", "title", "occurred_on", "points"}]}: which records moved the score."""
        return explanation(enterprise, standing_of(enterprise))


class GradeFilter(django_filters.FilterSet):
    """`grade`: the stored grade (an enterprise without records has none stored)."""

    district = django_filters.CharFilter(field_name="district__code")
    grade = django_filters.ChoiceFilter(field_name="credit_grade__grade", choices=Grade.choices)

    class Meta:
        model = Enterprise
        fields = ["district", "grade"]


class CreditGradeViewSet(viewsets.ReadOnlyModelViewSet):
    """Grades of the enterprises in scope, by USCC; the detail explains the grade."""

    scope_resource = "credit"

    lookup_field = "uscc"
    lookup_value_regex = "[^/.]+"
    filterset_class = GradeFilter
    ordering_fields = ["uscc", "name", "credit_grade__score"]
    ordering = ["uscc"]

    def get_queryset(self):
        return (
            enterprises_visible_to(self.request.user)
            .select_related("credit_grade__model")
            .prefetch_related(Prefetch("credit_list_entries", queryset=entries_in_effect(),
                                       to_attr="entries_now"))
            .order_by("uscc")
        )  # fmt: skip

    def get_object(self) -> Enterprise:
        self.kwargs[self.lookup_field] = self.kwargs[self.lookup_field].upper()
        return super().get_object()

    def get_serializer_class(self):
        return GradeDetailSerializer if self.action == "retrieve" else GradeSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        model = scoring_model_in_force()
        context["default"] = (grade_for(model.base_score, model.thresholds), model.base_score,
                              model.version)  # fmt: skip
        return context


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
    reason = serializers.CharField(max_length=services.TEXT_MAX, required=False, default="",
                                   allow_blank=True)  # fmt: skip
    severity = serializers.ChoiceField(choices=Severity.choices, required=False,
                                       default=Severity.GENERAL)  # fmt: skip


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


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
        try:
            moved = step(commitment.pk, **serializer.validated_data)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except services.IllegalTransition as error:
            raise ConflictError(" ".join(error.messages)) from error
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
