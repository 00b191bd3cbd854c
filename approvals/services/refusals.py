"""Why an approval action is refused: approvals' names for the cases of the one error
vocabulary (qinqing.errors), and the check on free text that raises them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from qinqing import errors

MESSAGE_MAX = 2000


class ApprovalRefused(errors.Refused):
    """The action cannot be done as asked: the message says why (400)."""


class NotAllowed(errors.NotAllowed):
    """This person may not act on this application or item (403)."""


class ApprovalConflict(errors.Conflict):
    """The application or item is not in a state that allows this (409)."""


class SheetInvalid(errors.Invalid):
    """Answers that do not fit the sheet, field by field (400, the fields in `fields`)."""

    def __init__(self, fields: Mapping[str, Sequence[Any]]):
        super().__init__(_("Some answers need correcting."), fields=fields)


def short_text(text: str, *, what: str, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ApprovalRefused(
            _("Write the %(what)s: the other side will read it.") % {"what": what}
        )
    if len(text) > MESSAGE_MAX:
        raise ApprovalRefused(_("At most %(max)d characters.") % {"max": MESSAGE_MAX})
    return text
