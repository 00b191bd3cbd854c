from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from enterprises.models import SizeClass
from enterprises.selectors import enterprises_visible_to


@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    """An official's landing page: their scope and what is in it."""
    user = request.user
    if not user.is_official:
        raise PermissionDenied(_("This page is for department officials."))
    enterprises = enterprises_visible_to(user)
    by_district = (
        enterprises.values("district__code", "district__name_zh", "district__name_en")
        .annotate(count=Count("id"))
        .order_by("district__sort_order")
    )
    counts_by_size = dict(
        enterprises.values_list("size_class").annotate(count=Count("id")).order_by()
    )
    # In the standard's order (large to micro), not alphabetically.
    by_size = [
        {"label": label, "count": counts_by_size.get(value, 0)}
        for value, label in SizeClass.choices
    ]
    context = {
        "enterprise_count": enterprises.count(),
        "by_district": by_district,
        "by_size": by_size,
        "recent": enterprises.order_by("-established_on", "id")[:10],
    }
    return render(request, "departments/workspace.html", context)
