"""The one registry of OAuth2 scopes, and which scope a request needs.

Every API view declares the resource it serves in a class attribute, e.g.
``scope_resource = "claims"``: a partner client then needs ``claims:read`` for GET, HEAD
and OPTIONS and ``claims:write`` for anything else. Two markers are not resources:
``"any"`` (every partner client may call it: who am I, reference data, public checks)
and ``"none"`` (never for partner clients). A view without the attribute is refused to
partner clients: deny by default (tests/partners/test_every_view_has_a_scope.py).
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS

ANY = "any"
NONE = "none"

# resource -> the actions a client may be granted on it ("manage" covers every method).
RESOURCES: dict[str, tuple[str, ...]] = {
    "policies": ("read",),
    "enterprises": ("read",),
    "claims": ("read", "write"),
    "disbursements": ("read",),
    "approvals": ("read", "write"),
    "credit": ("read", "write"),
    "requests": ("read", "write"),
    "disputes": ("read", "write"),
    "recovery": ("read", "write"),
    "stats": ("read",),
    "data": ("read",),
    "webhooks": ("manage",),
}

# scope -> what it allows (shown in the OpenAPI schema and the back office).
SCOPES: dict[str, str] = {
    "policies:read": "Read the policy catalog and published versions",
    "enterprises:read": "Read the enterprises in the client's scope",
    "claims:read": "Read subsidy claims in the client's scope",
    "claims:write": "Submit claims; officials' clients approve or reject them",
    "disbursements:read": "Read disbursements (payments) in the client's scope",
    "approvals:read": "Read approval applications and items in the client's scope",
    "approvals:write": "Act on approval applications and items",
    "credit:read": "Read credit records, grades, commitments and inspections",
    "credit:write": "Record credit records, campaigns and repairs",
    "requests:read": "Read direct-line requests in the client's scope",
    "requests:write": "Act on direct-line requests",
    "disputes:read": "Read fact disputes in the client's scope",
    "disputes:write": "Raise, decide and withdraw fact disputes",
    "recovery:read": "Read recovery orders (money owed back) in the client's scope",
    "recovery:write": "Raise, waive, repay and appeal recovery orders",
    "stats:read": "Read the dashboards' figures",
    "data:read": "Read department data (hub facts) and the data-call log",
    "webhooks:manage": "Manage webhook subscriptions and read deliveries",
}
assert set(SCOPES) == {f"{r}:{a}" for r, actions in RESOURCES.items() for a in actions}

VALID_MARKERS = {*RESOURCES, ANY, NONE}


def required_scope(view: Any, method: str) -> str | None:
    """The scope a partner client needs to call `view` with `method` (None: no scope).

    Raises PermissionDenied when the view is not open to partner clients at all.
    """
    resource = getattr(view, "scope_resource", None)
    if resource == ANY:
        return None
    if resource is None or resource == NONE or resource not in RESOURCES:
        raise exceptions.PermissionDenied(_("This endpoint is not open to partner systems."))
    actions = RESOURCES[resource]
    if "manage" in actions:
        return f"{resource}:manage"
    return f"{resource}:{'read' if method.upper() in SAFE_METHODS else 'write'}"


def check_scope(view: Any, method: str, granted: set[str]) -> None:
    """Refuse (403, naming the scope) a call the client's token does not cover."""
    needed = required_scope(view, method)
    if needed is not None and needed not in granted:
        raise exceptions.PermissionDenied(
            _("This client's token lacks the scope %(scope)s.") % {"scope": needed}
        )
