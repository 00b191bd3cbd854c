from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.generics import RetrieveAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from qinqing.api.parsers import JSONParser
from qinqing.audit.services import record_event
from qinqing.errors import NotAllowed

from .models import User
from .serializers import CurrentUserSerializer


class CurrentUserView(RetrieveAPIView):
    """Who the caller is: role, department and district scope, enterprises."""

    scope_resource = "any"

    serializer_class = CurrentUserSerializer

    def get_object(self) -> User:
        return (
            User.objects.select_related("department", "district")
            .prefetch_related("enterprise_memberships__enterprise")
            .get(pk=self.request.user.pk)
        )


class LockedOut(NotAllowed):
    """Too many failed log-ins: refused for a while (429, so that clients back off; the
    one refusal in the vocabulary with its own status — see qinqing.errors)."""

    status = 429
    code = "locked_out"


@extend_schema(summary="Exchange username and password for an API token")
class ObtainTokenView(ObtainAuthToken):
    """For scripts. Failed attempts count towards the same lockout as the login page."""

    scope_resource = "none"
    # The API takes JSON (ObtainAuthToken also offered form and multipart bodies).
    parser_classes = [JSONParser]

    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.ValidationError:
            # django-axes marks the request when the username/address is locked out;
            # say so plainly instead of "wrong password".
            if getattr(request, "axes_locked_out", False) or getattr(
                request._request, "axes_locked_out", False
            ):
                hours = settings.AXES_COOLOFF_TIME
                raise LockedOut(
                    _(
                        "Too many failed log-in attempts from this address: try again in "
                        "%(minutes)d minutes."
                    )
                    % {"minutes": int(hours * 60)}
                ) from None
            raise
        user = serializer.validated_data["user"]
        with transaction.atomic():
            token, created = Token.objects.get_or_create(user=user)
            if created:
                record_event(actor=user, action="user.token_issued", obj=user)
        return Response({"token": token.key})
