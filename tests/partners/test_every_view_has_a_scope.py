"""Deny by default, checked: every API view declares the resource a partner client needs a
scope for (or "any"/"none"), so a new endpoint cannot be forgotten open or shut by accident."""

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from partners.scopes import ANY, NONE, RESOURCES, VALID_MARKERS

# Not partner endpoints: the schema and its docs page (open to anyone, no scope), the router's
# index (refused to partner clients by default), and the username/password token exchange.
PUBLIC = {"schema", "swagger-ui", "v1:api-root", "v1:token"}


def api_views(patterns=None, namespace: str = "") -> dict[str, type[APIView]]:
    found: dict[str, type[APIView]] = {}
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found.update(api_views(pattern.url_patterns, inner))
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            if view_class is not None and issubclass(view_class, APIView):
                found[f"{namespace}{pattern.name}"] = view_class
    return found


def test_the_walk_finds_the_api():
    views = api_views()
    assert {"v1:claim-list", "v1:me", "v1:stats-overview", "schema"} <= set(views)


def test_every_api_view_declares_its_scope_resource():
    missing = {
        name: f"{view.__module__}.{view.__qualname__}"
        for name, view in api_views().items()
        if name not in PUBLIC and getattr(view, "scope_resource", None) not in VALID_MARKERS
    }
    assert missing == {}


def test_every_resource_of_the_registry_is_served_by_some_view():
    served = {getattr(view, "scope_resource", None) for view in api_views().values()}
    assert set(RESOURCES) - served == set()
    assert {ANY, NONE} <= served
