"""Recovery orders over REST (scoped like the pages; partner clients need the recovery
scopes). POSTs take an Idempotency-Key (qinqing/api/idempotency.py): the same key and body
replay the first answer."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from qinqing.api.idempotency import idempotent
from qinqing.guard import MAX_ID
from qinqing.scoping import is_acting_official, is_member

from .models import RecoveryCollection, RecoveryOffset, RecoveryOrder
from .selectors import orders_visible_to
from .services import REASON_MAX, appeal, raise_by_official, request_repayment, waive


class RecoveryOffsetSerializer(serializers.ModelSerializer):
    paid_out = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = RecoveryOffset
        fields = ["claim", "subsidy", "amount", "paid_out", "created_at"]
        read_only_fields = fields


class RecoveryCollectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RecoveryCollection
        fields = ["attempt", "key", "amount", "status", "reference", "created_at",
                  "confirmed_at"]  # fmt: skip
        read_only_fields = fields


class RecoveryOrderSerializer(serializers.ModelSerializer):
    uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    policy = serializers.CharField(source="claim.policy.code", read_only=True)
    outstanding = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    offsets = RecoveryOffsetSerializer(many=True, read_only=True)
    collections = RecoveryCollectionSerializer(many=True, read_only=True)
    appeal = serializers.CharField(
        source="appeal.reference", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = RecoveryOrder
        fields = ["id", "uscc", "claim", "policy", "grounds", "reason", "amount", "recovered",
                  "outstanding", "status", "waive_reason", "appeal", "offsets", "collections",
                  "created_at", "updated_at", "settled_at"]  # fmt: skip
        read_only_fields = fields


class RecoveryRaiseSerializer(serializers.Serializer):
    claim = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0,
                                      required=False, allow_null=True)  # fmt: skip
    reason = serializers.CharField(max_length=REASON_MAX)


class RecoveryReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX)


class RecoveryAppealSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=REASON_MAX)


class RecoveryOrderViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Recovery orders of undue payments: the enterprise's own, or those of the official's
    department (district); auditors read them all."""

    scope_resource = "recovery"
    serializer_class = RecoveryOrderSerializer
    ordering_fields = ["created_at", "amount", "status"]
    ordering = ["-created_at", "-id"]
    filterset_fields = ["status", "grounds"]

    def get_queryset(self):
        return orders_visible_to(self.request.user).prefetch_related("offsets", "collections")

    def _answer(self, order: RecoveryOrder, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=order.pk)
        return Response(RecoveryOrderSerializer(fresh).data, status=code)

    @extend_schema(request=RecoveryRaiseSerializer, responses={201: RecoveryOrderSerializer})
    @idempotent()
    def create(self, request: Request, *args, **kwargs) -> Response:
        """An official raises an order for a paid claim of the department's policies, with
        the reason the enterprise reads (the amount defaults to the whole payment)."""
        if not is_acting_official(request.user):
            raise exceptions.PermissionDenied(_("Only officials raise recovery orders."))
        data = RecoveryRaiseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = raise_by_official(data.validated_data["claim"], actor=request.user,
                                  amount=data.validated_data.get("amount"),
                                  reason=data.validated_data["reason"])  # fmt: skip
        return self._answer(order, status.HTTP_201_CREATED)

    @extend_schema(request=RecoveryReasonSerializer, responses={200: RecoveryOrderSerializer})
    @action(detail=True, methods=["post"])
    def waive(self, request: Request, pk: str | None = None) -> Response:
        """An official waives what is still owed, with a reason."""
        order = self.get_object()
        if not is_acting_official(request.user):
            raise exceptions.PermissionDenied(_("Only officials waive recovery orders."))
        data = RecoveryReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(waive(order.pk, actor=request.user,
                                  reason=data.validated_data["reason"]))  # fmt: skip

    @extend_schema(request=None, responses={200: RecoveryOrderSerializer})
    @idempotent()
    @action(detail=True, methods=["post"])
    def repay(self, request: Request, pk: str | None = None) -> Response:
        """A member of the enterprise repays what is outstanding through the treasury (one
        collection per attempt, each with its own key: never collected twice)."""
        order = self.get_object()
        if not is_member(request.user, order.enterprise_id):
            raise exceptions.PermissionDenied(_("Only the enterprise's own members may repay."))
        request_repayment(order.pk, actor=request.user)
        return self._answer(order)

    @extend_schema(request=RecoveryAppealSerializer, responses={200: RecoveryOrderSerializer})
    @idempotent()
    @action(detail=True, methods=["post"])
    def appeal(self, request: Request, pk: str | None = None) -> Response:
        """A member appeals through the direct line: the order is paused until answered."""
        order = self.get_object()
        if not is_member(request.user, order.enterprise_id):
            raise exceptions.PermissionDenied(_("Only the enterprise's own members may appeal."))
        data = RecoveryAppealSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(appeal(order.pk, actor=request.user,
                                   text=data.validated_data["text"]))  # fmt: skip
