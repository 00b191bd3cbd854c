"""Approvals over REST: applications (the applicant's side) and items (the departments'
side), every action a service call. Scoped like the pages: what you may not see is a 404;
a service's refusal answers in the one error shape (qinqing.api.exceptions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from enterprises.selectors import enterprises_visible_to
from qinqing.api.filters import CreatedBetweenFilterSet
from qinqing.api.idempotency import idempotent
from qinqing.api.schema import NO_RECEIPT_YET
from qinqing.signing import receipt_document

from . import selectors
from .models import Application, ApplicationStatus, Item, ServicePackage
from .receipts import payload as receipt_payload
from .serializers import (
    AnswersSerializer,
    ApplicationSerializer,
    AssignSerializer,
    CommitSerializer,
    ItemSerializer,
    PauseSerializer,
    PermitCheckSerializer,
    StartSerializer,
    SubmitSerializer,
    TextSerializer,
    VerifySerializer,
)
from .services import decisions
from .services.applications import (
    save_answers,
    start_application,
    submit_application,
    withdraw_application,
)
from .services.commitments import approve_on_commitment, verify_commitment

_ITEMS = Prefetch("items", queryset=Item.objects.select_related("item_type", "department"))


class ApplicationFilter(CreatedBetweenFilterSet):
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices)
    package = django_filters.CharFilter(field_name="package__code")

    class Meta:
        model = Application
        fields = ["status", "package", "since", "until"]


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Applications on a package's single sheet. Applicants create drafts, save answers,
    submit (optionally approving on commitment) and withdraw; officials and auditors read
    the applications their items belong to."""

    scope_resource = "approvals"

    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    ordering_fields = ["created_at", "submitted_at", "decided_at", "status"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.applications_for(self.request.user).prefetch_related(_ITEMS)

    def _applicant_only(self, request: Request) -> None:
        if not request.user.is_enterprise_member:
            raise exceptions.PermissionDenied(_("Applications are made by enterprise users."))

    def _answer(self, application: Application, code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=application.pk)
        return Response(ApplicationSerializer(fresh).data, status=code)

    @extend_schema(request=StartSerializer, responses={201: ApplicationSerializer})
    @idempotent()
    def create(self, request: Request) -> Response:
        """Start a prefilled draft: a project for one of your enterprises (uscc), or the
        establishment of a new one (no uscc)."""
        self._applicant_only(request)
        data = StartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        package = ServicePackage.objects.filter(code=data.validated_data["package"]).first()
        if package is None:
            raise exceptions.NotFound(_("No such service package."))
        enterprise = None
        if data.validated_data.get("uscc"):
            enterprise = (
                enterprises_visible_to(request.user)
                .filter(uscc=data.validated_data["uscc"].strip().upper())
                .first()
            )
            if enterprise is None:
                raise exceptions.NotFound(_("No enterprise with this code is within your access."))
        application = start_application(package=package, actor=request.user, enterprise=enterprise)
        return self._answer(application, status.HTTP_201_CREATED)

    @extend_schema(request=AnswersSerializer, responses={200: ApplicationSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Save some or all answers of a draft; `disputes` says a prefilled answer is wrong."""
        application = self.get_object()
        data = AnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        save_answers(
            application.pk,
            actor=request.user,
            answers=data.validated_data["answers"],
            disputes=data.validated_data["disputes"],
        )
        return self._answer(application)

    @extend_schema(request=SubmitSerializer, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        data = SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submit_application(
            application.pk,
            actor=request.user,
            on_commitment=data.validated_data["on_commitment"],
        )
        return self._answer(application)

    @extend_schema(request=CommitSerializer, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str | None = None) -> Response:
        """Approve open items on a signed credit commitment (all that allow it, or those
        named)."""
        application = self.get_object()
        data = CommitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        approve_on_commitment(
            application.pk, actor=request.user, item_ids=data.validated_data.get("item_ids")
        )
        return self._answer(application)

    @extend_schema(request=None, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        withdraw_application(application.pk, actor=request.user)
        return self._answer(application)


class ItemViewSet(viewsets.ReadOnlyModelViewSet):
    """Items: officials see their department's (and district's); applicants their own.
    `ordering=deadline` gives the queue by time left."""

    scope_resource = "approvals"

    serializer_class = ItemSerializer
    filterset_fields = ["status", "department__code", "district__code"]
    ordering_fields = ["deadline", "started_at", "decided_at", "status"]
    ordering = ["deadline", "id"]

    def get_queryset(self):
        return (
            selectors.items_for(self.request.user)
            .select_related(
                "application", "item_type", "department", "district", "assigned_to", "permit"
            )
            .prefetch_related("pauses", "messages__author")
            .order_by("deadline", "pk")
        )

    @extend_schema(
        request=None,
        responses={
            200: dict,
            409: NO_RECEIPT_YET,
        },
    )
    @action(detail=True, methods=["get"])
    def receipt(self, request: Request, pk: str | None = None) -> Response:
        """The item's signed decision receipt: a compact JWS (EdDSA, JCS payload) checked
        against /.well-known/jwks.json, and its payload readable. 409 before the decision."""
        payload = receipt_payload(self.get_object())
        return Response(receipt_document(payload))

    def _act(self, call: Callable[[Item], Any]) -> Response:
        item = self.get_object()
        call(item)
        return Response(ItemSerializer(self.get_queryset().get(pk=item.pk)).data)

    def _text(self, request: Request) -> str:
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data["text"]

    @extend_schema(request=TextSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        note = self._text(request)
        return self._act(
            lambda item: decisions.approve_item(item.pk, actor=request.user, note=note)
        )

    @extend_schema(request=TextSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """`text`: the reasons, shown to the applicant."""
        reasons = self._text(request)
        return self._act(
            lambda item: decisions.reject_item(item.pk, actor=request.user, reasons=reasons)
        )

    @extend_schema(request=TextSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"], url_path="request-supplement")
    def request_supplement(self, request: Request, pk: str | None = None) -> Response:
        """Ask the applicant for more; the item's clock pauses until they answer."""
        message = self._text(request)
        return self._act(
            lambda item: decisions.request_supplement(item.pk, actor=request.user, message=message)
        )

    @extend_schema(request=TextSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"], url_path="answer-supplement")
    def answer_supplement(self, request: Request, pk: str | None = None) -> Response:
        message = self._text(request)
        return self._act(
            lambda item: decisions.answer_supplement(item.pk, actor=request.user, message=message)
        )

    @extend_schema(request=TextSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def resubmit(self, request: Request, pk: str | None = None) -> Response:
        message = self._text(request)
        return self._act(
            lambda item: decisions.resubmit_item(item.pk, actor=request.user, message=message)
        )

    @extend_schema(request=PauseSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"], url_path="pause-clock")
    def pause_clock(self, request: Request, pk: str | None = None) -> Response:
        """A hearing or an expert review: the time does not count against the limit."""
        data = PauseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(
            lambda item: decisions.pause_clock(
                item.pk,
                actor=request.user,
                reason=data.validated_data["reason"],
                note=data.validated_data["text"],
            )
        )

    @extend_schema(request=None, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"], url_path="resume-clock")
    def resume_clock(self, request: Request, pk: str | None = None) -> Response:
        return self._act(lambda item: decisions.resume_clock(item.pk, actor=request.user))

    @extend_schema(request=AssignSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Assign to an official of the item's department by username (empty: unassign)."""
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignee = None
        if data.validated_data["username"]:
            assignee = User.objects.filter(username=data.validated_data["username"]).first()
            if assignee is None:
                raise exceptions.ValidationError({"username": [_("No such user.")]})
        return self._act(
            lambda item: decisions.assign_item(item.pk, actor=request.user, assignee=assignee)
        )

    @extend_schema(request=VerifySerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """The check after an approval on commitment: a failure breaches the commitment and
        revokes the approval."""
        self.get_object()  # an item the caller may not act on is a 404 before its input
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(
            lambda item: verify_commitment(
                item.pk,
                actor=request.user,
                passed=data.validated_data["passed"],
                note=data.validated_data["note"],
            )
        )


class PermitVerifyView(APIView):
    """Anyone may check a permit by its verification code (no personal data)."""

    scope_resource = "any"

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH)],
        responses={200: PermitCheckSerializer},
    )
    def get(self, request: Request, code: str) -> Response:
        permit = selectors.permit_by_code(code)
        if permit is None:
            raise exceptions.NotFound(_("No permit has this verification code."))
        application = permit.item.application
        holder = application.enterprise.name if application.enterprise else application.title
        return Response(
            PermitCheckSerializer(
                {
                    "number": permit.number,
                    "item": permit.item.item_type.name,
                    "department": permit.item.department.name,
                    "holder": holder,
                    "issued_at": permit.issued_at,
                    "valid": permit.valid,
                    "revoked_at": permit.revoked_at,
                }
            ).data
        )
