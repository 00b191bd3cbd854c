"""Role-aware navigation for the base layout."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items: list[tuple[str, Any]] = [
        (reverse("home"), _("Home")),
        (reverse("policies:catalog"), _("Policies")),
    ]
    if user is not None and user.is_authenticated:
        if user.is_official:
            items.append((reverse("official_workspace"), _("My workspace")))
        if user.is_official:
            items.append((reverse("policies:official_list"), _("Manage policies")))
        if user.is_official or user.sees_everything:
            items.append((reverse("data_calls"), _("Data calls")))
        if user.is_official or user.sees_everything:
            items.append((reverse("dashboards:overview"), _("Dashboards")))
        if user.is_enterprise_member:
            items.append((reverse("enterprises:list"), _("My enterprises")))
            items.append((reverse("policies:calculator"), _("Policy calculator")))
        if user.is_enterprise_member or user.is_official or user.sees_everything:
            items.append((reverse("subsidies:claims"), _("Subsidy claims")))
            items.append(_approvals_link(user))
            items.append(_requests_link(user))
            items.append((reverse("credit:records"), _("Credit")))
        else:
            items.append((reverse("enterprises:list"), _("Enterprises")))
        items.append((reverse("data_interfaces"), _("Department interfaces")))
        if user.is_staff:
            items.append((reverse("admin:index"), _("Back office")))
        items.append((reverse("swagger-ui"), _("API")))
    current = request.path
    return {
        "nav_items": [
            {
                "url": url,
                "label": label,
                "current": url == current or (url != "/" and current.startswith(url)),
            }
            for url, label in items
        ]
    }


def _approvals_link(user: Any) -> tuple[str, Any]:
    """Enterprise users follow their applications; officials (and auditors) the queue."""
    if user.is_enterprise_member:
        return reverse("approvals:list"), _("Approvals")
    return reverse("approvals:queue"), _("Approval queue")


def _requests_link(user: Any) -> tuple[str, Any]:
    """Enterprise users follow their requests; officials (and auditors) the queue."""
    if user.is_enterprise_member:
        return reverse("directline:list"), _("Direct line")
    return reverse("directline:queue"), _("Request queue")
