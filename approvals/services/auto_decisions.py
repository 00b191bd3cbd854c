"""Automatic decisions for items whose department accepts automatic checks."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enterprises.models import Enterprise
from qinqing.workhours.case_services import post_message

from ..models import (
    AutoCheck,
    Item,
    ItemStatus,
    MessageKind,
)
from .permits import issue_permit
from .registration import issue_uscc
from .status import locked_item, move_item, settle_application


def auto_decide(item_id: int) -> Item:
    """Decides an item whose department accepts automatic checks; a failed check leaves it
    to an official, with the reason in the thread."""
    with transaction.atomic():
        item = locked_item(item_id)
        check = item.item_type.auto_check
        if item.status != ItemStatus.PENDING or not check:
            return item
        application = item.application
        problem = None
        if (
            check == AutoCheck.NAME_AVAILABLE
            and Enterprise.objects.filter(name=application.answers.get("enterprise_name")).exists()
        ):
            problem = _("The name is already registered.")
        if problem:
            post_message(
                item,
                author=application.applicant,
                kind=MessageKind.NOTE,
                body=_("Automatic check failed: %(problem)s An official will decide.")
                % {"problem": problem},
            )
            return item
        if check == AutoCheck.ISSUE_USCC:
            application.issued_uscc = issue_uscc(application)
            application.save(update_fields=["issued_uscc", "updated_at"])
        move_item(
            item,
            ItemStatus.APPROVED,
            None,
            decided_at=timezone.now(),
            decision_note=str(
                gettext_lazy("Decided automatically: the department's checks passed.")
            ),
        )
        issue_permit(item)
        settle_application(application, None)
    return item
