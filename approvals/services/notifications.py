"""Who is told what: the applicant of decisions, departments of new items."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from accounts.selectors import officials_of
from qinqing.notifications.services import notify
from qinqing.notifications.text import Message

from ..models import (
    Application,
    ApplicationStatus,
    Item,
    ItemStatus,
)


def tell_applicant(item: Item, title: Message, kind: str = "approval.decided") -> None:
    notify([item.application.applicant_id], kind, title, link=f"/approvals/{item.application_id}/")


def tell_applicant_side(application: Application, status: str) -> None:
    if status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
        notify(
            [application.applicant_id],
            "approval.decided",
            Message(
                gettext_lazy("Application {reference}: {status}"),
                reference=application.reference,
                status=ApplicationStatus(status).label,
            ),
            link=f"/approvals/{application.pk}/",
        )


def item_officials(item: Item) -> list[int]:
    return list(officials_of(item.department_id, item.district_id).values_list("pk", flat=True))


def tell_departments(items: list[Item]) -> None:
    for item in items:
        if item.status != ItemStatus.PENDING or item.item_type.auto_check:
            continue
        users = item_officials(item)
        if users:
            notify(
                users,
                "approval.deadline",
                Message(gettext_lazy("New approval item: {item}"), item=item.item_type),
                item.application.title,
                link=f"/approvals/review/{item.pk}/",
            )
