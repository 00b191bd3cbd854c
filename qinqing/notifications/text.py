"""Text that is rendered later, once per recipient language.

A notification is written when something happens, often in a task with no request and so
no active language; the people told may read different languages. Callers therefore pass
a lazy msgid with its arguments, and the service renders it in each recipient's language:

    Message(_("Subsidy paid: ¥{amount} from {policy}"), amount="5,000.00", policy=policy)

Arguments are rendered in the same language: lazy strings are translated, objects whose
`str()` follows the active language (a policy's title) give the right one, and callables
are called inside the language override.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise


class Message:
    """A msgid (usually lazy) and its `str.format` arguments, rendered on demand."""

    __slots__ = ("params", "template")

    def __init__(self, template: str | Promise, **params: Any) -> None:
        self.template = template
        self.params = params

    def __str__(self) -> str:
        """In the active language."""
        values = {name: _as_text(value) for name, value in self.params.items()}
        return str(self.template).format(**values)

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.params!r})"


Text = str | Promise | Message


def _as_text(value: Any) -> str:
    if callable(value) and not isinstance(value, Promise):
        value = value()
    return str(value)


def render(text: Text, language: str) -> str:
    """`text` in `language` (plain strings come back as they are)."""
    with translation.override(language):
        return str(text)


def language_of(user: Any) -> str:
    """The language a user reads. Users have no language field yet: the site default,
    unless the object carries one (a later profile field)."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE
