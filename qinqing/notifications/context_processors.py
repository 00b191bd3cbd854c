"""The unread badge in the site header."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .services import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    """One COUNT, and only when a template shows it: htmx fragments polled every second
    (the live claim page) never ask."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
