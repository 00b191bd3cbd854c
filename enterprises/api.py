from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from .filters import EnterpriseFilter
from .models import Enterprise
from .selectors import can_edit_enterprise, enterprises_visible_to
from .serializers import ContactDetailsSerializer, EnterpriseSerializer
from .services import update_contact_details


class EnterpriseViewSet(viewsets.ReadOnlyModelViewSet):
    """Enterprises the caller may see: members their own, officials their district's.

    Anything outside the caller's scope answers 404, so codes cannot be probed.
    """

    scope_resource = "enterprises"

    serializer_class = EnterpriseSerializer
    lookup_field = "uscc"
    lookup_value_regex = "[^/]+"
    filterset_class = EnterpriseFilter
    ordering_fields = ["name", "uscc", "established_on", "registered_capital"]
    ordering = ["name", "id"]

    def get_queryset(self) -> QuerySet[Enterprise]:
        return enterprises_visible_to(self.request.user)

    def get_object(self) -> Enterprise:
        enterprise = self.get_queryset().filter(uscc=self.kwargs["uscc"].upper()).first()
        if enterprise is None:
            # The same answer whether it does not exist or is outside the caller's scope.
            raise NotFound(_("No enterprise with this code is within your access."))
        return enterprise

    @extend_schema(request=ContactDetailsSerializer, responses=EnterpriseSerializer)
    @action(detail=True, methods=["put"], url_path="contact")
    def contact(self, request: Request, uscc: str) -> Response:
        """Replace the contact phone and bank details (the enterprise's own members only)."""
        enterprise = self.get_object()
        if not can_edit_enterprise(request.user, enterprise):
            raise PermissionDenied(_("Only the enterprise's own members may change these details."))
        serializer = ContactDetailsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = update_contact_details(
            enterprise=enterprise, details=serializer.validated_data, actor=request.user
        )
        return Response(EnterpriseSerializer(updated, context={"request": request}).data)
