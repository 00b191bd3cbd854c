"""The official's workspace: their work queue, scoped to their department and district."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from enterprises.selectors import enterprises_visible_to
from qinqing.scoping import is_acting_official

from .selectors import official_queue


@login_required
def official_workspace(request: HttpRequest) -> HttpResponse:
    """An official's landing page: each queue with its count, its most urgent things and a
    link to where it is worked."""
    user = request.user
    if not is_acting_official(user):
        raise PermissionDenied(_("This page is for department officials."))
    queues = official_queue(user)
    context = {
        "queues": queues,
        "waiting": sum(queue.count for queue in queues),
        "enterprise_count": enterprises_visible_to(user).count(),
    }
    return render(request, "workspace/official.html", context)
