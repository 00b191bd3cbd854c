from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from enterprises.selectors import enterprises_visible_to
from workspace.selectors import enterprise_todo


def home(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors get what the portal does; officials go to their workspace,
    persons to their profile; an enterprise member starts from their things to do
    (workspace.selectors) and their enterprises."""
    user = request.user
    if user.is_authenticated and user.is_official:
        return redirect("official_workspace")
    if user.is_authenticated and user.is_person:  # an employee: their own page
        return redirect("person_profile")
    context = {}
    if user.is_authenticated and user.is_enterprise_member:
        context["my_enterprises"] = enterprises_visible_to(user).order_by("name")[:20]
        context["todo"] = enterprise_todo(user)
    return render(request, "home.html", context)
