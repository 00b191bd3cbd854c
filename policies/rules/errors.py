"""RuleError: a rule that cannot be accepted, with the path to the offending part."""

from __future__ import annotations


class RuleError(ValueError):
    """A rule that cannot be accepted, with the path to the offending part."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")
