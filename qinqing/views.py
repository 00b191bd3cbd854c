from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from enterprises.selectors import enterprises_visible_to


def home(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors get the introduction; officials go to their workspace."""
    user = request.user
    if user.is_authenticated and user.is_official:
        return redirect("official_workspace")
    context = {}
    if user.is_authenticated and user.is_enterprise_member:
        context["my_enterprises"] = enterprises_visible_to(user).order_by("name")[:20]
    return render(request, "home.html", context)
