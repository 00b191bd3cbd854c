"""What credit refuses, in the one vocabulary (qinqing.errors): the API answers these with
their status and message (the project's DRF handler), pages with `show_on_page`.

A step a status does not allow is `qinqing.errors.IllegalTransition` (409), raised by the
transition mechanism or by a service for a state it checks itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied

from qinqing.errors import IllegalTransition, NotAllowed, Refused

__all__ = [
    "CommitmentRouteClosed",
    "CreditNotAllowed",
    "CreditRefused",
    "IllegalTransition",
    "refused",
]


class CreditRefused(Refused):
    """A change that cannot be made as asked (400); the message, or the fields' messages,
    say why, for the person asking."""

    code = "credit_refused"

    @property
    def messages(self) -> list[str]:
        """Every message, fields' first. approvals still reads `error.messages` (it caught
        Django's ValidationError, which credit's refusals were): drop this once it reads
        `str(error)` or catches ServiceError."""
        found = [message for problems in self.fields.values() for message in problems]
        return found or [str(self.message)]


class CreditNotAllowed(NotAllowed, PermissionDenied):
    """403: this user may not take this step. Also Django's PermissionDenied, so a page
    answers it with the 403 page and callers that catch PermissionDenied (approvals) keep
    working; the API answers it as a ServiceError, with its message."""

    code = "credit_not_allowed"


class CommitmentRouteClosed(CreditRefused):
    """A black-listed enterprise may not use the commitment route (告知承诺) until the
    listing ends (400 like every refusal of a commitment: approvals turns it into its own)."""

    code = "commitment_route_closed"


def refused(fields: Mapping[str, str | Sequence[str]]) -> CreditRefused:
    """A refusal about the fields named (each with its message or messages), for a form
    or a serializer to show beside its inputs; its message is all of them, for the rest."""
    named = {name: [problems] if isinstance(problems, str) else list(problems)
             for name, problems in fields.items()}  # fmt: skip
    return CreditRefused(" ".join(str(m) for problems in named.values() for m in problems),
                         fields=named)  # fmt: skip
