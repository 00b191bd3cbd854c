from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from enterprises.selectors import enterprises_visible_to

from .catalogue import UnknownFactError
from .fetching.pipeline import fetch_facts
from .filters import DataCallFilter
from .models import DataCall
from .selectors import data_calls_visible_to


class DataCallSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code")
    uscc = serializers.CharField(source="enterprise.uscc", default=None)

    class Meta:
        model = DataCall
        fields = ["id", "started_at", "department", "interface", "uscc", "fact_names",
                  "purpose", "requested_by_label", "transport", "outcome", "latency_ms",
                  "rows", "response_hash"]  # fmt: skip
        read_only_fields = fields


class DataCallViewSet(viewsets.ReadOnlyModelViewSet):
    """The department data call log: members see reads of their enterprises' data,
    officials their department's calls (and their district's), auditors everything."""

    scope_resource = "data"

    serializer_class = DataCallSerializer
    filterset_class = DataCallFilter
    ordering_fields = ["started_at", "latency_ms"]
    ordering = ["-started_at", "-id"]

    def get_queryset(self):
        return data_calls_visible_to(self.request.user)


FACT_FIELDS = {
    "name": serializers.CharField(),
    "value": serializers.JSONField(allow_null=True),
    "known": serializers.BooleanField(),
    "reason": serializers.CharField(),
    "department": serializers.CharField(),
    "period": serializers.CharField(),
    "fetched_at": serializers.DateTimeField(allow_null=True),
    "from_cache": serializers.BooleanField(),
}


class EnterpriseFactsView(APIView):
    """Facts about one enterprise from the departments, for officials whose scope includes
    it. Every read is logged with the purpose given."""

    scope_resource = "data"

    @extend_schema(
        parameters=[
            OpenApiParameter("names", str, required=True,
                             description="Comma-separated fact names, e.g. tax.arrears"),
            OpenApiParameter("purpose", str, required=True,
                             description="What the data is read for (it is logged)"),
        ],
        responses=inline_serializer("EnterpriseFacts", {
            "uscc": serializers.CharField(), "as_of": serializers.DateField(),
            "facts": inline_serializer("Fact", FACT_FIELDS, many=True),
        }),
    )  # fmt: skip
    def get(self, request: Request, uscc: str) -> Response:
        user = request.user
        if not (user.is_official or user.is_superuser):
            raise exceptions.PermissionDenied(_("Only officials may read department data."))
        enterprise = enterprises_visible_to(user).filter(uscc=uscc.upper()).first()
        if enterprise is None:
            raise exceptions.NotFound(_("No enterprise with this code is within your access."))
        names = [name.strip() for name in request.query_params.get("names", "").split(",")]
        names = [name for name in names if name]
        purpose = request.query_params.get("purpose", "").strip()
        errors = {}
        if not names:
            errors["names"] = [_("Name at least one fact, e.g. names=tax.arrears.")]
        if not purpose:
            errors["purpose"] = [_("Say what the data is for: it is recorded with the read.")]
        if errors:
            raise exceptions.ValidationError(errors)
        try:
            result = fetch_facts(enterprise, names, purpose=purpose, requested_by=user)
        except UnknownFactError as error:
            raise exceptions.ValidationError(
                {"names": [_("Unknown fact names: %(names)s") % {"names": ", ".join(error.names)}]}
            ) from error
        return Response({
            "uscc": enterprise.uscc,
            "as_of": timezone.localdate().isoformat(),
            "facts": [fact.as_json() for fact in result.facts.values()],
        })  # fmt: skip
