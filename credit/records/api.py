"""Credit records over REST: /api/v1/credit/records/, scoped like the pages (members:
their enterprises; officials: their area; auditors: everything)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from enterprises.selectors import enterprises_visible_to
from qinqing.api.idempotency import idempotent
from qinqing.scoping import is_acting_official

from ..filters import RecordFilter
from ..limits import TEXT_MAX, TITLE_MAX
from .models import OFFICIAL_KINDS, CreditRecord, Severity, TaxGrade
from .selectors import records_visible_to
from .services import add_record
from .titles import record_title


class CreditRecordSerializer(serializers.ModelSerializer):
    uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    department = serializers.CharField(source="department.code", read_only=True)
    commitment = serializers.IntegerField(source="commitment_id", read_only=True,
                                          allow_null=True)  # fmt: skip
    # Blank on every record that is not a tax grade: the schema must allow "".
    tax_grade = serializers.ChoiceField(choices=TaxGrade.choices, allow_blank=True, read_only=True)
    # In words, in the caller's language: a commitment's record stores only a reference.
    title = serializers.SerializerMethodField()

    class Meta:
        model = CreditRecord
        fields = ["id", "uscc", "enterprise_name", "kind", "severity", "tax_grade", "department",
                  "title", "detail", "legal_basis", "reference", "occurred_on",
                  "publicity_months", "public_until", "expires_on", "status", "commitment",
                  "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_title(self, record: CreditRecord) -> str:
        return record_title(record)


class RecordCreateSerializer(serializers.Serializer):
    uscc = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in OFFICIAL_KINDS])
    severity = serializers.ChoiceField(choices=Severity.choices)
    title = serializers.CharField(max_length=TITLE_MAX)
    detail = serializers.CharField(max_length=TEXT_MAX, required=False, default="",
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
        return records_visible_to(self.request.user).select_related("commitment__notice")

    @extend_schema(request=RecordCreateSerializer, responses={201: CreditRecordSerializer})
    @idempotent()
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not is_acting_official(request.user):
            raise exceptions.PermissionDenied(_("Only department officials add credit records."))
        serializer = RecordCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        enterprise = enterprises_visible_to(request.user).filter(
            uscc=data.pop("uscc").strip().upper()).first()  # fmt: skip
        if enterprise is None:
            raise exceptions.NotFound(_("No enterprise with this code is within your access."))
        record = add_record(enterprise=enterprise, actor=request.user, **data)
        return Response(CreditRecordSerializer(record).data, status=status.HTTP_201_CREATED)
