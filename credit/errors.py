"""What credit refuses: one hierarchy of refusals, for pages (messages) and the API (400,
409 for a state that forbids the step)."""

from django.core.exceptions import ValidationError


class CreditRefused(ValidationError):
    """A change that cannot be made; the message says why, for the person asking."""


class IllegalTransition(CreditRefused):
    """The commitment is not in a state that allows this (HTTP 409 on the API)."""


class CommitmentRouteClosed(CreditRefused):
    """A black-listed enterprise may not use the commitment route (告知承诺)."""


def refusal_text(error: CreditRefused) -> str:
    return " ".join(error.messages)
