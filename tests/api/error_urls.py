"""The project's URLconf plus two views the project must never have: one whose service
refuses with a qinqing.errors.Conflict, one that crashes (tests/api/test_error_shape.py)."""

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.errors import Conflict
from qinqing.urls import handler400, handler403, handler404, handler500  # noqa: F401


class RefusingView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def post(self, request: Request) -> Response:
        raise Conflict()  # a service refusing: the present state does not allow it


class CrashingView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request: Request) -> Response:
        raise RuntimeError("a bug")


urlpatterns = [
    path("api/v1/test-refusal/", RefusingView.as_view()),
    path("api/v1/test-crash/", CrashingView.as_view()),
    path("", include("qinqing.urls")),
]
