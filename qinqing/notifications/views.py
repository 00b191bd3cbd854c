"""Pages: the list (newest first, unread highlighted), opening one, marking read, and the
preferences form. Thin: the rules are in services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.listing import paginate

from . import services
from .forms import PreferencesForm

PER_PAGE = 20


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page, query = paginate(request, services.notifications_for(request.user), PER_PAGE)
    return render(request, "notifications/list.html", {"page": page, "query": query})


@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read. Someone else's id is a 404; a link
    that is not a path on this site (never stored, but checked again) goes to the list."""
    notification = get_object_or_404(services.notifications_for(request.user), pk=pk)
    services.mark_read(request.user, [notification.pk])
    if notification.link and services.is_safe_link(notification.link):
        return redirect(notification.link)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    ids = [
        int(value) for value in request.POST.getlist("id") if value.isascii() and value.isdigit()
    ]  # "²" is a digit too
    count = services.mark_read(request.user, ids or None)
    if count:
        messages.success(request, _("Marked as read."))
    return redirect("notifications:list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, current=services.preferences_of(request.user),
                           user=request.user)  # fmt: skip
    if request.method == "POST" and form.is_valid():
        services.set_preferences(request.user, form.choices())
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
