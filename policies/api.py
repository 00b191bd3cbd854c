"""REST: the public catalog, versions, evaluation for an enterprise (with near-miss
advice), "tell me when I qualify", and the officials' drafting and publication actions."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from enterprises.models import Enterprise
from enterprises.selectors import enterprises_visible_to
from qinqing.api.idempotency import idempotent
from qinqing.scoping import sees_everything

from .advice import advise
from .evaluation import evaluate_for_enterprise
from .filters import PolicyFilter
from .models import Policy, PolicyTestCase, PolicyVersion
from .selectors import catalog, versions_visible_to
from .serializers import (
    EvaluationSerializer,
    PolicySerializer,
    VersionSerializer,
    WatchSerializer,
    WhatIfSerializer,
)
from .services import boundary_cases, drafts, publication, test_cases, what_if
from .watches import cancel_watch, open_watch, start_watch
from .wording import advice_as_json

USCC_SHAPE = re.compile(r"^[0-9A-Z]{18}$")
USCC_PARAMETER = OpenApiParameter("uscc", str, required=True,
                                  description="The enterprise (one of the caller's)")  # fmt: skip


class PublicReadPermission(permissions.BasePermission):
    """Anyone may read the catalog; writing needs a signed-in user (services decide more)."""

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or bool(
            request.user and request.user.is_authenticated
        )


class PolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """The public catalog of published policies."""

    scope_resource = "policies"

    serializer_class = PolicySerializer
    lookup_field = "code"
    permission_classes = [PublicReadPermission]
    filterset_class = PolicyFilter
    ordering_fields = ["code", "created_at"]
    ordering = ["code"]

    def get_queryset(self):
        return catalog().order_by("code")

    @extend_schema(responses=VersionSerializer(many=True), methods=["GET"])
    @extend_schema(request=VersionSerializer, responses=VersionSerializer, methods=["POST"])
    @idempotent()
    # Not paginated: without pagination_class=None the schema promised a page object.
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def versions(self, request: Request, code: str) -> Response:
        """GET: the versions the caller may see. POST: a new draft (issuing officials)."""
        policy = get_object_or_404(Policy, code=code)
        if request.method == "GET":
            versions = versions_visible_to(request.user, policy)
            return Response(VersionSerializer(versions, many=True).data)
        serializer = VersionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # One transaction with the answer's rendering: a failure leaves no draft behind.
        with transaction.atomic():
            try:
                version = drafts.create_draft(policy=policy, actor=request.user,
                                              **serializer.validated_data)  # fmt: skip
            except DjangoValidationError as error:
                raise exceptions.ValidationError(error.message_dict) from error
            data = VersionSerializer(version).data
        return Response(data, status=201)

    @extend_schema(
        parameters=[OpenApiParameter("uscc", str, required=True,
                                     description="The enterprise to decide for")],
        responses=EvaluationSerializer,
    )  # fmt: skip
    @action(detail=True, methods=["get"], permission_classes=[permissions.IsAuthenticated])
    def evaluate(self, request: Request, code: str) -> Response:
        """Decide, with reasons, for one enterprise the caller may see (its members, or
        officials whose scope includes it). Facts are read through the hub and logged.
        When it does not qualify, `advice` says for each failed criterion the smallest
        change of one fact that would meet it, or why none can be named."""
        policy = self.get_object()
        uscc = request.query_params.get("uscc", "").strip().upper()
        if not uscc:
            raise exceptions.ValidationError({"uscc": [_("Give the enterprise's code.")]})
        enterprise = enterprises_visible_to(request.user).filter(uscc=uscc).first()
        if enterprise is None:
            raise exceptions.NotFound(_("No enterprise with this code is within your access."))
        version = policy.published[0]
        if not version.is_open_on(timezone.localdate()):
            raise exceptions.ValidationError(
                {"policy": [_("This policy is not open for claims today.")]}
            )
        if version.pays_persons:
            raise exceptions.ValidationError({"policy": [_(
                "This policy pays each qualifying employee in person, not the enterprise: "
                "there is no decision for an enterprise.")]})  # fmt: skip
        decision = evaluate_for_enterprise(
            version, enterprise, purpose=f"policy {policy.code} v{version.number}: evaluation",
            requested_by=request.user,
        )  # fmt: skip
        outcome = decision.outcome
        advice = (advise(version.rules, outcome.criteria, timezone.localdate(), outcome.status)
                  if outcome is not None else [])  # fmt: skip
        return Response(EvaluationSerializer({
            "policy": policy.code, "version": version.number, "status": decision.status,
            "amount": decision.amount, "criteria": decision.explanation(),
            "advice": advice_as_json(advice),
        }).data)  # fmt: skip

    @extend_schema(methods=["GET"], parameters=[USCC_PARAMETER], responses=WatchSerializer)
    @extend_schema(methods=["POST"], parameters=[USCC_PARAMETER], request=None,
                   responses={200: WatchSerializer, 201: WatchSerializer,
                              409: OpenApiResponse(description=gettext_lazy(
                                  "The policy is not open for claims today."))})  # fmt: skip
    @extend_schema(methods=["DELETE"], parameters=[USCC_PARAMETER], request=None,
                   responses={204: None})  # fmt: skip
    @action(detail=True, methods=["get", "post", "delete"],
            permission_classes=[permissions.IsAuthenticated])  # fmt: skip
    def watch(self, request: Request, code: str) -> Response:
        """ "Tell me when I qualify", for one of the caller's own enterprises (members
        only). GET: whether it is asked; POST: ask (again: the same open request, 200);
        DELETE: stop. When the department data about the enterprise change and it then
        qualifies, its members are told once and the request closes."""
        policy = self.get_object()
        if not request.user.is_enterprise_member:
            raise PermissionDenied(_("This is for enterprises."))
        enterprise = self._own_enterprise(request)
        status = 200
        if request.method == "POST":
            watch, created = start_watch(request.user, enterprise, policy)
            status = 201 if created else 200
        else:
            watch = open_watch(request.user, enterprise, policy)
        if request.method == "DELETE":
            if watch is None:
                raise exceptions.NotFound(_("There is no such request to stop."))
            cancel_watch(request.user, watch)
            return Response(status=204)
        return Response(WatchSerializer({
            "policy": policy.code, "enterprise": enterprise.uscc, "watching": watch is not None,
            "id": watch.pk if watch else None,
            "created_at": watch.created_at if watch else None,
            "notified_at": watch.notified_at if watch else None,
        }).data, status=status)  # fmt: skip

    def _own_enterprise(self, request: Request) -> Enterprise:
        uscc = request.query_params.get("uscc", "").strip().upper()
        if not USCC_SHAPE.match(uscc):
            raise exceptions.ValidationError(
                {"uscc": [_("Give the enterprise's code: 18 letters and digits.")]}
            )
        enterprise = enterprises_visible_to(request.user).filter(uscc=uscc).first()
        if enterprise is None:
            raise exceptions.NotFound(_("No enterprise with this code is within your access."))
        return enterprise


class PublishSerializer(serializers.Serializer):
    publish_at = serializers.DateTimeField(required=False, allow_null=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class TestCaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = PolicyTestCase
        fields = ["id", "name", "facts", "expected_status", "expected_criteria",
                  "expected_amount", "generated"]  # fmt: skip
        read_only_fields = ["id", "generated"]
        extra_kwargs = {"expected_status": {"required": False, "allow_blank": True},
                        "expected_criteria": {"required": False}}  # fmt: skip


class PolicyVersionViewSet(viewsets.GenericViewSet):
    """Life-cycle actions on a version, for officials of the issuing department."""

    scope_resource = "policies"

    serializer_class = VersionSerializer
    queryset = PolicyVersion.objects.select_related("policy")

    def get_object(self) -> PolicyVersion:
        version = super().get_object()
        if (
            not versions_visible_to(self.request.user, version.policy)
            .filter(pk=version.pk)
            .exists()
        ):
            raise exceptions.NotFound()
        return version

    def _run(self, operation, *args, **kwargs) -> Response:
        """A refusal (qinqing.errors) is answered by the API's exception handler."""
        result = operation(*args, **kwargs)
        if not isinstance(result, PolicyVersion):
            return Response({"ok": True})
        return Response(VersionSerializer(result).data)

    @extend_schema(request=None, responses=VersionSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._run(publication.submit_for_approval, self.get_object(), actor=request.user)

    @extend_schema(request=PublishSerializer, responses=VersionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Four eyes: another official of the department than the author or submitter."""
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._run(publication.approve, self.get_object(), actor=request.user,
                         publish_at=serializer.validated_data.get("publish_at"))  # fmt: skip

    @extend_schema(request=ReasonSerializer, responses=VersionSerializer)
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request: Request, pk: str) -> Response:
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._run(publication.send_back, self.get_object(), actor=request.user,
                         reason=serializer.validated_data["reason"])  # fmt: skip

    @extend_schema(request=None, responses=VersionSerializer)
    @action(detail=True, methods=["post"], url_path="generate-boundary-cases")
    def generate_boundary_cases(self, request: Request, pk: str) -> Response:
        version = self.get_object()
        drafts.require_department_official(request.user, version.policy)
        cases = boundary_cases.generate_boundary_cases(version)
        return Response({"generated": len(cases)})

    @extend_schema(request=TestCaseSerializer, responses=TestCaseSerializer(many=True))
    @idempotent()
    @action(detail=True, methods=["get", "post"], url_path="test-cases", pagination_class=None)
    def test_cases(self, request: Request, pk: str) -> Response:
        """GET: the version's test cases. POST: add one (drafts only): facts and the
        expected result overall, per criterion and/or amount."""
        version = self.get_object()
        if request.method == "POST":
            serializer = TestCaseSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            self._run(test_cases.add_test_case, version, actor=request.user,
                      **serializer.validated_data)  # fmt: skip
        return Response(TestCaseSerializer(version.test_cases.all(), many=True).data)

    @extend_schema(
        responses={
            200: WhatIfSerializer,
            409: OpenApiResponse(
                description=gettext_lazy("No department data to forecast with yet.")
            ),
        }
    )
    @action(detail=True, methods=["get"], url_path="what-if")
    def what_if(self, request: Request, pk: str) -> Response:
        """The issuing department's officials (and auditors): it reads the whole register."""
        version = self.get_object()
        if not sees_everything(request.user):
            drafts.require_department_official(request.user, version.policy)
        # No extract yet: SnapshotMissing is a Conflict (409), answered by the handler.
        forecast = what_if.what_if(version)
        return Response(
            WhatIfSerializer({**forecast.__dict__, "within_budget": forecast.within_budget}).data
        )
