from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _


def api_not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": _("No API endpoint at this address.")}, status=404)
