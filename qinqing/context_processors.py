"""Role-aware navigation for the base layout: the main navigation (each role's work, short
enough for one line at 1,280 px in both languages) and the tools beside the account links
(department interfaces, back office, API). Exactly one link is the current page: the
longest whose path the page's path starts with (/policies/calculator/ is the calculator,
not also "Policies")."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items: list[tuple[str, Any]] = []
    tools: list[tuple[str, Any]] = []
    # An official's home is the workspace ("/" sends them there): one link, not two.
    # A person's home is their profile: "My profile" is that link.
    if user is None or not user.is_authenticated or not (user.is_official or user.is_person):
        items.append((reverse("home"), _("Home")))
    items.append((reverse("policies:catalog"), _("Policies")))
    if user is not None and user.is_authenticated:
        if user.is_official:
            items.append((reverse("official_workspace"), _("My workspace")))
            items.append((reverse("policies:official_list"), _("Manage policies")))
        if user.is_official or user.sees_everything:
            items.append((reverse("data_calls"), _("Data calls")))
            items.append((reverse("dashboards:overview"), _("Dashboards")))
        if user.is_enterprise_member:
            items.append((reverse("enterprises:list"), _("My enterprises")))
            items.append((reverse("policies:calculator"), _("Policy calculator")))
        if user.is_person:  # a person's own things, nothing of enterprises'
            items.append((reverse("person_profile"), _("My profile")))
            items.append((reverse("person_subsidies"), _("My subsidies")))
            items.append((reverse("person_data_access"), _("My data")))
        elif user.is_enterprise_member or user.is_official or user.sees_everything:
            items.append((reverse("subsidies:claims"), _("Subsidy claims")))
            items.append(_approvals_link(user))
            items.append(_requests_link(user))
            items.append((reverse("credit:records"), _("Credit")))
        else:
            items.append((reverse("enterprises:list"), _("Enterprises")))
        tools.append((reverse("data_interfaces"), _("Department interfaces")))
        if user.is_staff:
            tools.append((reverse("admin:index"), _("Back office")))
        tools.append((reverse("swagger-ui"), _("API")))
    current = current_link([url for url, _label in items + tools], request.path)
    return {
        "nav_items": [{"url": url, "label": label, "current": url == current}
                      for url, label in items],
        "nav_tools": [{"url": url, "label": label, "current": url == current}
                      for url, label in tools],
    }  # fmt: skip


def current_link(urls: list[str], path: str) -> str | None:
    """The one link that is the current page: the path itself, else the longest link the
    path lies under ("/" only for the home page itself)."""
    under = [url for url in urls if url == path or (url != "/" and path.startswith(url))]
    return max(under, key=len, default=None)


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
