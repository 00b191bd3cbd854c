"""Serializer pieces for the hot paths of the API."""

from __future__ import annotations

import copy
from typing import Any

from rest_framework import serializers

# Fields holding other fields: their children are bound to the copy, so they are copied
# deeply, as DRF does.
_NESTING = (serializers.BaseSerializer, serializers.ListField, serializers.DictField,
            serializers.HStoreField)  # fmt: skip


# A ModelSerializer whose fields are built from the model once per class, then copied for
# each instance. DRF builds them from the model's metadata on every instance and copies
# each by calling its constructor again: for a claim, some 20 times the cost of a plain
# copy, on every answer and every poll (issue #24). A plain field's copy is bound to its
# serializer as DRF binds it (its own name, parent and source); what the copies share
# (validators, messages) nothing changes after construction. Only for serializers whose
# fields do not depend on the instance, the context or the request.
# (No docstring on purpose: drf-spectacular would publish it as every such serializer's
# description in the OpenAPI schema.)
class FieldsBuiltOnce:
    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()  # type: ignore[misc]
            cls._fields_built_once = built
        return {name: copy.deepcopy(field) if isinstance(field, _NESTING) else copy.copy(field)
                for name, field in built.items()}  # fmt: skip
