"""Claims over REST. POST takes an Idempotency-Key: the same key and body replay the first
answer; the same key with another body is refused (422)."""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from enterprises.selectors import enterprises_visible_to
from policies.models import Policy
from qinqing.masking import mask_digits

from .filters import ClaimFilter
from .models import Claim, Disbursement, IdempotentRequest
from .selectors import claims_visible_to, disbursements_visible_to
from .services import (
    REVIEW_NOTE_MAX,
    ClaimConflict,
    ClaimRefused,
    ReviewNotAllowed,
    approve_claim,
    reject_claim,
    submit_claim,
)


class ClaimSerializer(serializers.ModelSerializer):
    uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    policy = serializers.CharField(source="policy.code", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    payment_reference = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = ["id", "uscc", "policy", "version", "period", "status", "amount", "decision",
                  "review_note", "reviewed_at", "created_at", "updated_at",
                  "payment_reference"]  # fmt: skip
        read_only_fields = fields

    def get_payment_reference(self, claim: Claim) -> str:
        disbursement = getattr(claim, "disbursement", None)
        return disbursement.reference if disbursement else ""


class ClaimRequestSerializer(serializers.Serializer):
    policy = serializers.SlugField(max_length=60)
    uscc = serializers.CharField(max_length=40)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REVIEW_NOTE_MAX)


class ClaimConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class DisbursementSerializer(serializers.ModelSerializer):
    claim = serializers.IntegerField(source="claim_id", read_only=True)
    bank_account = serializers.SerializerMethodField()

    class Meta:
        model = Disbursement
        fields = ["id", "claim", "idempotency_key", "amount", "status", "reference",
                  "attempts", "last_error", "bank_name", "bank_account", "created_at",
                  "confirmed_at"]  # fmt: skip
        read_only_fields = fields

    def get_bank_account(self, disbursement: Disbursement) -> str:
        return mask_digits(disbursement.bank_account)


class ClaimViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    scope_resource = "claims"
    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter

    def get_queryset(self):
        return claims_visible_to(self.request.user).select_related("disbursement")

    @extend_schema(
        request=ClaimRequestSerializer, responses={201: ClaimSerializer, 200: ClaimSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     description="Replays the first answer for the same body")],
    )  # fmt: skip
    def create(self, request: Request, *args, **kwargs) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()[:200]
        body_hash = hashlib.sha256(
            json.dumps(request.data, sort_keys=True, default=str).encode()
        ).hexdigest()
        if key:
            earlier = IdempotentRequest.objects.filter(user=request.user, key=key).first()
            if earlier is not None:
                if earlier.body_hash != body_hash:
                    return Response({"detail": _("This Idempotency-Key was used with another "
                                                 "request body.")}, status=422)  # fmt: skip
                return Response(earlier.response, status=earlier.status_code)
        serializer = ClaimRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enterprise = (
            enterprises_visible_to(request.user)
            .filter(uscc=serializer.validated_data["uscc"].upper())
            .first()
        )
        if enterprise is None:
            raise exceptions.NotFound(_("No enterprise with this code is within your access."))
        policy = Policy.objects.filter(code=serializer.validated_data["policy"]).first()
        if policy is None:
            raise exceptions.NotFound(_("No such policy."))
        try:
            claim, created = submit_claim(enterprise=enterprise, policy=policy, actor=request.user)
        except ClaimRefused as error:
            raise exceptions.ValidationError({"detail": [str(error)]}) from error
        claim.refresh_from_db()
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        data = ClaimSerializer(claim).data
        if key:
            try:
                with transaction.atomic():
                    IdempotentRequest.objects.create(
                        user=request.user, key=key, body_hash=body_hash, status_code=code,
                        response=json.loads(json.dumps(data, default=str)),
                    )  # fmt: skip
            except IntegrityError:
                pass  # a concurrent request with the same key stored it first
        return Response(data, status=code)

    @extend_schema(request=None, responses={200: ClaimSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """An official approves an apply-mode claim in review: it is paid."""
        return self._review(request, lambda claim: approve_claim(claim.pk, actor=request.user))

    @extend_schema(request=RejectSerializer, responses={200: ClaimSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """An official rejects an apply-mode claim in review; the reason is shown to the
        enterprise."""
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        return self._review(
            request, lambda claim: reject_claim(claim.pk, actor=request.user, reason=reason)
        )

    def _review(self, request: Request, decide) -> Response:
        """Enterprise users: 403; claims outside the official's scope: 404; a claim not in
        review (or a revoked enterprise): 409."""
        if not request.user.is_official:
            raise exceptions.PermissionDenied(_("Only officials review claims."))
        claim = self.get_object()
        try:
            claim = decide(claim)
        except ReviewNotAllowed as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except ClaimConflict as error:
            raise ClaimConflictError(str(error)) from error
        except ClaimRefused as error:
            raise exceptions.ValidationError({"detail": [str(error)]}) from error
        claim.refresh_from_db()
        return Response(ClaimSerializer(claim).data)


class DisbursementViewSet(viewsets.ReadOnlyModelViewSet):
    """Payments for officials (their department's policies) and auditors."""

    scope_resource = "disbursements"

    serializer_class = DisbursementSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        return disbursements_visible_to(self.request.user)
