"""Fact disputes over REST: enterprises raise, read and withdraw disputes about their facts,
a private person (signed in as themself) about facts about themself; officials of the
fact's department decide. Every action is a service call; what you may not see is a 404."""

from __future__ import annotations

import django_filters
from django.db.models import F
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request as HttpRequest
from rest_framework.response import Response

from datahub.catalogue import CATALOGUE
from departments.models import Department
from enterprises.persons.selectors import person_of
from enterprises.selectors import enterprises_visible_to
from policies.selectors import describe_claim
from qinqing import errors
from qinqing.api.attachments import AttachmentUploadSerializer, StoredAttachmentSerializer
from qinqing.api.fields import GuardedSlugRelatedField
from qinqing.api.filters import CreatedBetweenFilterSet
from qinqing.api.idempotency import idempotent
from qinqing.api.parsers import FormParser, MultiPartParser
from qinqing.api.privacy import MasksPersonalData
from qinqing.guard import MAX_ID
from qinqing.workhours.case_services import read_clock

from . import selectors, services
from .models import Dispute, DisputeAttachment, DisputeStatus, Origin


class DisputeAttachmentSerializer(StoredAttachmentSerializer):
    class Meta(StoredAttachmentSerializer.Meta):
        model = DisputeAttachment


class StepSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    what = serializers.CharField()
    detail = serializers.CharField()


class DisputeSerializer(MasksPersonalData, serializers.ModelSerializer):
    personal_data_fields = ("statement", "reason")
    enterprise = serializers.CharField(source="enterprise.uscc", read_only=True, allow_null=True)
    subject = serializers.SerializerMethodField(
        help_text="Whom the fact describes: enterprise (`enterprise` is its USCC) or person "
        "(a private person disputing a fact about themself; no identity number is given)."
    )
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)
    policy = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    fact_label = serializers.SerializerMethodField()
    remaining_seconds = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    attachments = DisputeAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "id", "reference", "subject", "enterprise", "district", "department", "fact",
            "fact_label", "period", "origin", "claim_id", "policy", "held_value", "claimed_value",
            "statement", "status", "deadline", "remaining_seconds", "warned_at", "escalated_at",
            "decided_at", "reason", "corrected_value", "withdrawn_at", "created_at",
            "timeline", "attachments",
        ]  # fmt: skip
        read_only_fields = fields

    def get_subject(self, dispute: Dispute) -> str:
        return "person" if dispute.person_id is not None else "enterprise"

    def get_fact_label(self, dispute: Dispute) -> str:
        return selectors.fact_label(dispute)

    def get_remaining_seconds(self, dispute: Dispute) -> int | None:
        if dispute.status != DisputeStatus.RAISED:
            return None
        return read_clock(dispute).remaining_seconds

    @extend_schema_field(StepSerializer(many=True))
    def get_timeline(self, dispute: Dispute) -> list[dict]:
        return StepSerializer(selectors.timeline(dispute), many=True).data


class DisputeRaiseSerializer(serializers.Serializer):
    enterprise = serializers.CharField(
        max_length=18, required=False, allow_blank=True,
        help_text="The enterprise's USCC: required of an enterprise's member; left out by a "
        "private person, whose dispute is about themself.",
    )  # fmt: skip
    fact = serializers.CharField(
        max_length=80,
        help_text="The catalogue's name of the fact (a person's fact for a person, e.g. "
        "person.housing.owns_home).",
    )  # fmt: skip
    claimed_value = serializers.CharField(
        allow_blank=True, max_length=services.VALUE_MAX * 10,
        help_text="What the value should be, as the fact's type is written.",
    )  # fmt: skip
    statement = serializers.CharField(allow_blank=True, max_length=services.TEXT_MAX * 10)
    origin = serializers.ChoiceField(choices=Origin.choices, default=Origin.DATA_LOG)
    claim = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID,
        help_text="The claim the fact was read for (from its explanation).",
    )  # fmt: skip
    department = GuardedSlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=False, allow_null=True,
        help_text="The department you believe holds the fact; refused if it does not.",
    )  # fmt: skip


class DisputeDecideSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[("confirm", "confirm"), ("correct", "correct")])
    value = serializers.CharField(
        required=False, allow_blank=True, max_length=services.VALUE_MAX * 10,
        help_text="The corrected value (outcome correct), as the fact's type is written.",
    )  # fmt: skip
    reason = serializers.CharField(allow_blank=True, max_length=services.TEXT_MAX * 10)


class DisputeFilter(CreatedBetweenFilterSet):
    status = django_filters.ChoiceFilter(choices=DisputeStatus.choices)
    fact = django_filters.CharFilter()
    department__code = django_filters.CharFilter()

    class Meta:
        model = Dispute
        fields = ["status", "fact", "department__code", "since", "until"]


class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Fact disputes. Enterprise members see their enterprises' disputes, a person their
    own, officials their department's (and district's), auditors all; ordered by time
    left."""

    scope_resource = "disputes"
    serializer_class = DisputeSerializer
    filterset_class = DisputeFilter
    ordering_fields = ["deadline", "created_at", "status"]
    ordering = [F("deadline").asc(nulls_last=True), "id"]

    def get_queryset(self):
        return selectors.by_time_left(
            selectors.disputes_for(self.request.user).prefetch_related("pauses", "attachments")
        )

    def _answer(self, dispute_id: int, code: int = 200) -> Response:
        # With the request, so that personal data in the texts is masked as in the lists.
        dispute = self.get_queryset().get(pk=dispute_id)
        return Response(self.get_serializer(dispute).data, status=code)

    @extend_schema(request=DisputeRaiseSerializer, responses={201: DisputeSerializer})
    @idempotent()
    def create(self, request: HttpRequest) -> Response:
        """Dispute one fact the hub holds for one of your enterprises (`enterprise`: its
        USCC), or, signed in as a private person, one fact a department holds about
        yourself (no `enterprise`); it goes to the department that owns the fact."""
        data = DisputeRaiseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        person = person_of(request.user)  # None unless an active person's own login
        enterprise = None
        if person is not None:
            if given.get("enterprise"):
                raise errors.Invalid(
                    _("A private person disputes facts about themself, not an enterprise's."),
                    fields={"enterprise": [_("Leave this out.")]},
                )  # fmt: skip
        else:
            uscc = (given.get("enterprise") or "").strip().upper()
            if not uscc:
                raise errors.Invalid(fields={"enterprise": [_("This field is required.")]})
            enterprise = enterprises_visible_to(request.user).filter(uscc=uscc).first()
            if enterprise is None or not request.user.is_enterprise_member:
                raise errors.NotFound(_("None of your enterprises has this USCC."))
        claim = None
        if given.get("claim"):
            claim = describe_claim(request.user, given["claim"])  # the caller's own claims
            if claim is None and person is not None:
                raise errors.NotFound(_("No claim of that number among your claims."))
            if claim is None:
                raise errors.NotFound(_("No claim of that number among your enterprise's claims."))
        if enterprise is not None and given["fact"] not in CATALOGUE:
            services.fact_spec(given["fact"])  # the catalogue's refusal, naming the field
        created = services.raise_dispute(
            actor=request.user, enterprise=enterprise, person=person, fact=given["fact"],
            claimed_value=given["claimed_value"], statement=given["statement"],
            origin=Origin.CLAIM if claim else given["origin"], claim=claim,
            department=given.get("department"),
        )  # fmt: skip
        return self._answer(created.pk, status.HTTP_201_CREATED)

    @extend_schema(request=DisputeDecideSerializer, responses={200: DisputeSerializer})
    @idempotent()
    @action(detail=True, methods=["post"])
    def decide(self, request: HttpRequest, pk: str | None = None) -> Response:
        """Official of the fact's department: confirm the fact, or correct it (the new
        value becomes the hub's answer for the enterprise)."""
        dispute = self.get_object()  # another department's dispute is a 404, whatever the body
        data = DisputeDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        if given["outcome"] == "correct":
            services.correct(dispute.pk, actor=request.user, value=given.get("value", ""),
                             reason=given["reason"])  # fmt: skip
        else:
            services.confirm(dispute.pk, actor=request.user, reason=given["reason"])
        return self._answer(dispute.pk)

    @extend_schema(request=None, responses={200: DisputeSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: HttpRequest, pk: str | None = None) -> Response:
        """The side that raised it (the enterprise's members, or the person): withdraw a
        dispute not yet decided."""
        dispute = self.get_object()
        services.withdraw(dispute.pk, actor=request.user)
        return self._answer(dispute.pk)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={200: DisputeSerializer},
    )
    @idempotent()
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request: HttpRequest, pk: str | None = None) -> Response:
        """The side that raised it: attach evidence to a dispute not yet decided (PDF, PNG,
        JPEG, .docx, .xlsx; at most 10 MB each and 5 per dispute), field `files`, repeated."""
        dispute = self.get_object()
        services.add_attachments(dispute.pk, actor=request.user,
                                 files=request.FILES.getlist("files"))  # fmt: skip
        return self._answer(dispute.pk)
