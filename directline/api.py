"""Requests over REST: enterprises raise, supply information, rate and refuse
publication; officials ask, transfer, answer and publish. Every action is a service call;
what you may not see is a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.db.models import F
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request as HttpRequest
from rest_framework.response import Response

from departments.models import Department
from enterprises.selectors import enterprises_visible_to
from qinqing.api.attachments import AttachmentUploadSerializer, StoredAttachmentSerializer
from qinqing.api.fields import GuardedSlugRelatedField
from qinqing.api.filters import CreatedBetweenFilterSet
from qinqing.api.idempotency import idempotent
from qinqing.api.privacy import MasksPersonalData
from qinqing.guard import MAX_ID
from qinqing.workhours.case_services import read_clock
from qinqing.workhours.serializers import CaseMessageSerializer

from . import selectors
from .models import (
    Category,
    Rating,
    Request,
    RequestAttachment,
    RequestHop,
    RequestMessage,
    RequestStatus,
)
from .services import department_side, enterprise_side, publication, raising
from .services.refusals import SUBJECT_MAX, TEXT_MAX


class RequestMessageSerializer(CaseMessageSerializer):
    class Meta(CaseMessageSerializer.Meta):
        model = RequestMessage


class RequestHopSerializer(serializers.ModelSerializer):
    # None on the first hop (the routing rule's choice: the request came from no department).
    from_department = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    to_department = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RequestHop
        fields = ["from_department", "to_department", "reason", "created_at"]


class RequestAttachmentSerializer(StoredAttachmentSerializer):
    class Meta(StoredAttachmentSerializer.Meta):
        model = RequestAttachment


class RequestSerializer(MasksPersonalData, serializers.ModelSerializer):
    personal_data_fields = ("description", "answer", "messages", "rating_comment")
    enterprise = serializers.CharField(source="enterprise.uscc", read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)
    policy = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The policy it is about."
    )
    assignee = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The official of the department working it (null: the department).",
    )
    remaining_seconds = serializers.SerializerMethodField()
    published = serializers.SerializerMethodField()
    messages = RequestMessageSerializer(many=True, read_only=True)
    hops = RequestHopSerializer(many=True, read_only=True)
    attachments = RequestAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Request
        fields = [
            "id",
            "reference",
            "enterprise",
            "category",
            "subject",
            "description",
            "district",
            "status",
            "department",
            "policy",
            "assignee",
            "deadline",
            "remaining_seconds",
            "warned_at",
            "escalated_at",
            "answer",
            "answered_at",
            "rating",
            "rating_comment",
            "rated_at",
            "reopened_at",
            "publication_refused",
            "published",
            "created_at",
            "messages",
            "hops",
            "attachments",
        ]

    def get_remaining_seconds(self, request: Request) -> int | None:
        if request.status not in ("open", "info_requested", "reopened"):
            return None
        return read_clock(request).remaining_seconds

    def get_published(self, request: Request) -> bool:
        return hasattr(request, "publication")


class RequestRaiseSerializer(serializers.Serializer):
    enterprise = serializers.CharField(help_text="The enterprise's USCC.")
    category = GuardedSlugRelatedField(slug_field="code", queryset=Category.objects.all())
    subject = serializers.CharField(allow_blank=True, max_length=SUBJECT_MAX * 10)
    description = serializers.CharField(allow_blank=True, max_length=TEXT_MAX * 10)
    policy = GuardedSlugRelatedField(
        slug_field="code",
        queryset=raising.nameable_policies(),
        required=False,
        allow_null=True,
        help_text="The code of the published policy it is about: routed to its department.",
    )


class RequestTextSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=TEXT_MAX * 10)


class RequestTransferSerializer(serializers.Serializer):
    department = GuardedSlugRelatedField(
        slug_field="code",
        queryset=Department.objects.all(),
        required=False,
        help_text="Where to; may be left out when a policy is named (its department).",
    )
    policy = GuardedSlugRelatedField(
        slug_field="code",
        queryset=raising.nameable_policies(),
        required=False,
        help_text="The published policy the request is about: recorded on it.",
    )
    reason = serializers.CharField(allow_blank=True, max_length=TEXT_MAX * 10)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("department") and not attrs.get("policy"):
            raise serializers.ValidationError(
                {"department": [_("Choose a department, or the policy the request is about.")]}
            )
        return attrs


class RequestAssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="The id of a colleague of the department covering the district.",
    )


class RequestRateSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    comment = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=TEXT_MAX * 10
    )


class RequestFilter(CreatedBetweenFilterSet):
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
    category__code = django_filters.CharFilter()
    department__code = django_filters.CharFilter()
    district__code = django_filters.CharFilter()

    class Meta:
        model = Request
        fields = ["status", "category__code", "department__code", "district__code", "since",
                  "until"]  # fmt: skip


class RequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Requests to the government. Enterprise members see their enterprises' requests,
    officials their department's (and district's), auditors all. Ordered by deadline
    (time left) for officials' queues."""

    scope_resource = "requests"

    serializer_class = RequestSerializer
    filterset_class = RequestFilter
    ordering_fields = ["deadline", "created_at", "answered_at", "status"]
    # Time left first; requests without a deadline (closed) last, on every database.
    ordering = [F("deadline").asc(nulls_last=True), "id"]

    def get_queryset(self):
        return (
            selectors.requests_for(self.request.user)
            .prefetch_related(
                "messages", "attachments", "hops__from_department", "hops__to_department", "pauses"
            )
            .order_by(F("deadline").asc(nulls_last=True), "pk")
        )

    def _answer(self, request_id: int, code: int = 200) -> Response:
        # After a transfer the official may no longer see the request: they still get
        # the outcome of what they just did.
        fresh = self.get_queryset().filter(pk=request_id).first() or Request.objects.get(
            pk=request_id
        )
        return Response(RequestSerializer(fresh).data, status=code)

    def _act(self, call: Callable[[Request], Any]) -> Response:
        obj = self.get_object()
        call(obj)
        return self._answer(obj.pk)

    def _text(self, request: HttpRequest) -> str:
        data = RequestTextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data["text"]

    @extend_schema(request=RequestRaiseSerializer, responses={201: RequestSerializer})
    @idempotent()
    def create(self, request: HttpRequest) -> Response:
        """Raise a request for one of your enterprises; it is routed to a department."""
        data = RequestRaiseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = (
            enterprises_visible_to(request.user)
            .filter(uscc=data.validated_data["enterprise"].upper())
            .first()
        )
        if enterprise is None or not request.user.is_enterprise_member:
            raise exceptions.PermissionDenied(_("Raise requests for your own enterprises only."))
        created = raising.raise_request(
            actor=request.user,
            enterprise=enterprise,
            category=data.validated_data["category"],
            subject=data.validated_data["subject"],
            description=data.validated_data["description"],
            policy=data.validated_data.get("policy"),
        )
        return self._answer(created.pk, status.HTTP_201_CREATED)

    @extend_schema(request=RequestTextSerializer, responses={200: RequestSerializer})
    @action(detail=True, methods=["post"], url_path="ask")
    def ask(self, request: HttpRequest, pk: str | None = None) -> Response:
        """Official: ask the enterprise for more information (the clock pauses); on an open
        or a reopened request."""
        text = self._text(request)
        return self._act(
            lambda r: department_side.ask_for_information(r.pk, actor=request.user, message=text)
        )

    @extend_schema(request=RequestTextSerializer, responses={200: RequestSerializer})
    @action(detail=True, methods=["post"])
    def supply(self, request: HttpRequest, pk: str | None = None) -> Response:
        """Enterprise: supply the information asked for (the clock resumes)."""
        text = self._text(request)
        return self._act(
            lambda r: department_side.supply_information(r.pk, actor=request.user, message=text)
        )

    @extend_schema(request=RequestTransferSerializer, responses={200: RequestSerializer})
    @action(detail=True, methods=["post"])
    def transfer(self, request: HttpRequest, pk: str | None = None) -> Response:
        """Official: transfer (forward) to another department, with the reason; naming the
        policy it is about sends it to the policy's department."""
        data = RequestTransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(
            lambda r: department_side.transfer(
                r.pk,
                actor=request.user,
                department=data.validated_data.get("department"),
                policy=data.validated_data.get("policy"),
                reason=data.validated_data["reason"],
            )
        )

    @extend_schema(request=RequestAssignSerializer, responses={200: RequestSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request: HttpRequest, pk: str | None = None) -> Response:
        """Official: assign the request to a colleague of the department (or take it);
        audited, the colleague is notified."""
        data = RequestAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(
            lambda r: department_side.assign(
                r.pk,
                actor=request.user,
                assignee=selectors.colleagues_for(r)
                .filter(pk=data.validated_data["assignee"])
                .first(),
            )
        )

    @extend_schema(request=RequestTextSerializer, responses={200: RequestSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request: HttpRequest, pk: str | None = None) -> Response:
        """Official: answer the request."""
        text = self._text(request)
        return self._act(lambda r: department_side.answer(r.pk, actor=request.user, text=text))

    @extend_schema(request=RequestRateSerializer, responses={200: RequestSerializer})
    @action(detail=True, methods=["post"])
    def rate(self, request: HttpRequest, pk: str | None = None) -> Response:
        """Enterprise: rate the answer; unsatisfied reopens it once to the supervisor."""
        data = RequestRateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(
            lambda r: enterprise_side.rate(
                r.pk,
                actor=request.user,
                rating=data.validated_data["rating"],
                comment=data.validated_data["comment"],
            )
        )

    @extend_schema(request=None, responses={200: RequestSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: HttpRequest, pk: str | None = None) -> Response:
        """Official: publish the answer, anonymised, as a public question and answer."""
        return self._act(lambda r: publication.publish(r.pk, actor=request.user))

    @extend_schema(request=None, responses={200: RequestSerializer})
    @action(detail=True, methods=["post"], url_path="refuse-publication")
    def refuse_publication(self, request: HttpRequest, pk: str | None = None) -> Response:
        """Enterprise: refuse publication of this request."""
        return self._act(lambda r: enterprise_side.refuse_publication(r.pk, actor=request.user))

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={200: RequestSerializer},
    )
    @idempotent()
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request: HttpRequest, pk: str | None = None) -> Response:
        """Enterprise: attach files (PDF, PNG, JPEG, .docx, .xlsx; at most 10 MB each and 5
        per request), field `files`, repeated."""
        files = request.FILES.getlist("files")
        return self._act(lambda r: raising.add_attachments(r.pk, actor=request.user, files=files))
