"""JSON text for the database, the outbox and the audit trail, written by one function.

`dumps(value, encoder)` gives what `json.dumps(value, cls=encoder)` gives, as far as a
reader of the JSON can tell, about five times faster: orjson encodes, and what it does not
know — Decimal, dates and times, lazy translations, dataclasses — goes to the encoder's
own `default` (Django's, by default), so those come out exactly as Django's JSONField
writes them (datetimes to the millisecond, "Z" for UTC). Whatever orjson refuses (an
integer beyond 64 bits, a lone surrogate, a type nobody knows) is handed to `json.dumps`,
so it succeeds or fails exactly as before. The text differs only in what JSON does not
mean: no spaces after separators, non-ASCII characters as themselves rather than \\u
escapes. One difference in meaning: a float NaN or infinity becomes null, where json.dumps
wrote `NaN`, which is not JSON and which PostgreSQL refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder

_OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)  # fmt: skip
_DEFAULTS: dict[type[json.JSONEncoder], Callable[[Any], Any]] = {}


def dumps(value: Any, encoder: type[json.JSONEncoder] | None = DjangoJSONEncoder) -> str:
    """`value` as JSON text; `encoder` as json.dumps's `cls` (None: plain JSON types only)."""
    default = None
    if encoder is not None:
        default = _DEFAULTS.get(encoder)
        if default is None:
            default = _DEFAULTS.setdefault(encoder, encoder().default)
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, cls=encoder)


def plain(value: Any) -> str:
    """`value` as JSON text, of plain JSON types only (as json.dumps with no encoder)."""
    return dumps(value, None)


def loads(text: str | bytes) -> Any:
    """JSON text back to values, as json.loads reads it: orjson reads; what it refuses
    (an integer beyond 64 bits or a lone surrogate, which `dumps` lets json.dumps write)
    json.loads reads, or refuses as before."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
