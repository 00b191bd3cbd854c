"""Who is told what: the department of new and transferred requests, whoever works a
request of the information supplied, the enterprise of answers."""

from __future__ import annotations

from typing import Any

from accounts.selectors import officials_of
from qinqing.notifications.services import notify
from qinqing.notifications.text import Message

from ..models import (
    Request,
)

REQUEST_KIND = "directline.request"
DEADLINE_KIND = "directline.deadline"


def department_officials(request: Request) -> list[int]:
    return list(
        officials_of(request.department_id, request.district_id).values_list("pk", flat=True)
    )


def tell_department(request: Request, title: Any) -> None:
    users = department_officials(request)
    if users:
        notify(
            users,
            REQUEST_KIND,
            Message(title, subject=request.subject),
            link=f"/requests/queue/{request.pk}/",
        )


def tell_handlers(request: Request, title: Any) -> None:
    """Whoever is working the request: its assignee, else the supervisor it was reopened
    to, else the department's officials."""
    handler = request.assignee_id or (request.supervisor_id if request.reopened_at else None)
    if handler is None:
        tell_department(request, title)
        return
    notify(
        [handler],
        REQUEST_KIND,
        Message(title, subject=request.subject),
        link=f"/requests/queue/{request.pk}/",
    )


def tell_enterprise(request: Request, title: Any) -> None:
    notify(
        [request.raised_by_id],
        REQUEST_KIND,
        title,
        request.subject,
        link=f"/requests/{request.pk}/",
    )
