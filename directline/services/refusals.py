"""Why a request action is refused: the direct line's names for the cases of the one error
vocabulary (qinqing.errors), and the check on free text that raises them."""

from __future__ import annotations

from django.utils.translation import gettext as _

from qinqing import errors

SUBJECT_MAX = 200
TEXT_MAX = 5000


class RequestRefused(errors.Refused):
    """The action cannot be done as asked: the message says why (400)."""


class NotAllowed(errors.NotAllowed):
    """This person may not act on this request (403)."""


class RequestConflict(errors.Conflict):
    """The request is not in a state that allows this (409)."""


def clean_text(text: str, *, what: str, limit: int = TEXT_MAX) -> str:
    text = (text or "").strip()
    if not text:
        raise RequestRefused(_("Write the %(what)s: it cannot be empty.") % {"what": what})
    if len(text) > limit:
        raise RequestRefused(
            _("The %(what)s is too long: at most %(max)d characters.")
            % {"what": what, "max": limit}
        )
    return text
