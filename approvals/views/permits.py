"""Permits: public verification by code; the printable permit."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from ..models import (
    Permit,
)
from ..selectors import (
    items_for,
    permit_by_code,
)


def verify_permit(request: HttpRequest) -> HttpResponse:
    """Public: a permit by its verification code; the enterprise's name is the only party
    named."""
    code = request.GET.get("code", "")
    clean = code.strip()[:32]
    permit = permit_by_code(clean) if clean else None
    holder = ""
    if permit is not None:
        application = permit.item.application
        holder = (
            application.enterprise.name
            if application.enterprise
            else str(application.answers.get("enterprise_name", ""))
        )
    context = {"code": clean, "searched": bool(clean), "permit": permit, "holder": holder}
    return render(
        request, "approvals/verify.html", context, status=200 if permit or not clean else 404
    )


@login_required
def permit_page(request: HttpRequest, number: str) -> HttpResponse:
    """The printable permit, for the applicant side and the department's officials."""
    permit = get_object_or_404(
        Permit.objects.select_related(
            "item__item_type", "item__department", "item__application__enterprise"
        ).filter(item__in=items_for(request.user).values("pk")),
        number=number[:40],
    )
    application = permit.item.application
    holder = application.enterprise
    verify_url = (
        request.build_absolute_uri(reverse("permit_verify")) + f"?code={permit.verification_code}"
    )
    context = {
        "permit": permit,
        "item": permit.item,
        "application": application,
        "holder": holder,
        "holder_name": holder.name if holder else application.answers.get("enterprise_name", ""),
        "verify_url": verify_url,
    }
    return render(request, "approvals/permit.html", context)
