"""Serializer fields that need the input guard themselves.

The guarded parsers (qinqing.api.parsers) refuse hostile input in every API body; a
serializer used on data from elsewhere (a test, a task, an import) must refuse it too where
the value goes straight into a query: a related object looked up by its code.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from qinqing import guard


class GuardedSlugRelatedField(serializers.SlugRelatedField):
    """A related object by its code; a NUL or a lone surrogate is a validation error, not a
    lookup the database refuses (PostgreSQL answers a NUL in text with an error: a 500)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            reason = guard.text_problem(data)
            if reason:
                label = str(self.label or self.field_name or "")
                raise serializers.ValidationError(guard.message(reason, label=label))
        return super().to_internal_value(data)
