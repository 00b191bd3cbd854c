from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.generics import RetrieveAPIView

from .models import User
from .serializers import CurrentUserSerializer


class CurrentUserView(RetrieveAPIView):
    """Who the caller is: role, department and district scope, enterprises."""

    serializer_class = CurrentUserSerializer

    def get_object(self) -> User:
        return (
            User.objects.select_related("department", "district")
            .prefetch_related("enterprise_memberships__enterprise")
            .get(pk=self.request.user.pk)
        )


@extend_schema(summary="Exchange username and password for an API token")
class ObtainTokenView(ObtainAuthToken):
    """For scripts. Failed attempts count towards the same lockout as the login page."""
