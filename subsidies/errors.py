"""A claim's refusals, in the project's one error vocabulary (qinqing.errors): the API
answers them with their status and code, pages show them with `show_on_page`."""

from __future__ import annotations

from qinqing.errors import Conflict, NotAllowed, Refused


class ClaimRefused(Refused):
    """400: a claim that cannot be made as asked; the message says why."""

    code = "claim_refused"


class ReviewNotAllowed(NotAllowed):
    """403: the person may not review this claim (not an official of its department and
    area)."""

    code = "review_not_allowed"


class ClaimConflict(Conflict):
    """409: the claim, or its enterprise, is not in a state that allows this."""

    code = "claim_conflict"


class RosterNotAllowed(NotAllowed):
    """403: only the employer's own members see and confirm its roster of a policy."""

    code = "roster_not_allowed"
