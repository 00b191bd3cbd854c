"""The one input guard: hostile input is refused at the edge, before anything reaches the
database or a recursive walker.

What is hostile, everywhere (API bodies, form bodies, query strings, addresses, forms):

- a NUL character: PostgreSQL refuses it in text (a 500 if it gets that far);
- a lone surrogate (U+D800–U+DFFF not in a pair, which JSON's "\\ud800" escape makes):
  it cannot be encoded as UTF-8, so the database driver, the renderer and the logs fail on it;
- JSON nested deeper than GUARD_MAX_DEPTH (default 64): Python's decoder recurses once per
  bracket (a RecursionError, a 500, at about 1,000), and so does every serializer,
  renderer and JSON column that walks the value afterwards;
- a body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django enforces it for form bodies; DRF's JSON
  parser reads the stream itself and did not).

Where it is applied (docs/security.md, "Input guard"): DRF's parsers through the content
negotiation (qinqing.api.parsers), query strings, addresses and form bodies in
qinqing.middleware.RejectNulBytesMiddleware, every Django form through
qinqing.forms.GuardedForm. Everything here walks iteratively: the guard cannot itself be
made to recurse. Importable without Django's settings (the rule engine uses it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

DEFAULT_MAX_DEPTH = 64
# The largest row id either database stores (a signed 64-bit integer): an id field that
# admits more reaches the driver with a number it cannot convert (a 500, not a 400).
MAX_ID = 2**63 - 1
DEFAULT_MAX_BODY = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE default (2.5 MiB)

# A NUL, or a surrogate code point (in a str, any of them is lone: a valid pair would have
# been decoded to one astral character).
_HOSTILE = re.compile("[\x00\ud800-\udfff]")


# A number written in plain decimal notation: an optional sign, digits, one optional point.
# Python's Decimal, int and float also read "1_000", "1e3", "NaN" and "Infinity"; amounts and
# rule literals are read through this (qinqing.money.parse_yuan, policies.rules).
PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


def is_plain_number(text: str) -> bool:
    return bool(PLAIN_NUMBER.match(text.strip()))


class Hostile(ValueError):
    """Input the guard refuses: `path` names where (`answers.items[2]`, `category`, or ""
    for the body as a whole), `reason` is one of nul / surrogate / depth / size."""

    def __init__(self, path: str, reason: str, limit: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.limit = limit
        super().__init__(f"{path or 'body'}: {reason}")


def max_depth() -> int:
    return int(_setting("GUARD_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def max_body() -> int:
    limit = _setting("DATA_UPLOAD_MAX_MEMORY_SIZE", DEFAULT_MAX_BODY)
    return DEFAULT_MAX_BODY if limit is None else int(limit)


def _setting(name: str, default: Any) -> Any:
    try:
        from django.conf import settings

        return getattr(settings, name, default)
    except Exception:
        return default


def text_problem(text: str) -> str | None:
    """The reason `text` is refused (nul / surrogate), or None."""
    found = _HOSTILE.search(text)
    if found is None:
        return None
    return "nul" if found.group() == "\x00" else "surrogate"


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def check_value(value: Any, path: str = "", *, depth_limit: int | None = None) -> None:
    """Walk a decoded value (dicts, lists, strings, keys too) without recursion; raise
    Hostile at the first NUL, lone surrogate or nesting deeper than the limit."""
    limit = max_depth() if depth_limit is None else depth_limit
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            reason = text_problem(item)
            if reason:
                raise Hostile(where, reason)
        elif isinstance(item, (Mapping, list, tuple)):
            if depth >= limit:
                raise Hostile(where, "depth", limit)
            pairs = item.items() if isinstance(item, Mapping) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str):
                    reason = text_problem(key)
                    if reason:
                        raise Hostile(where, reason)  # the object holding the key
                stack.append((child, _join(where, key), depth + 1))


def depth_of(value: Any) -> int:
    """The deepest nesting of dicts and lists in a decoded value, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (Mapping, list, tuple)):
            deepest = max(deepest, depth + 1)
            children = item.values() if isinstance(item, Mapping) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


def json_depth(raw: bytes | str) -> int:
    """The deepest nesting of arrays and objects in JSON text, strings not counted, by
    scanning the bytes (no decoder, no recursion)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    depth = deepest = 0
    for char in _NOT_BRACKET.sub(b"", _STRING.sub(b"", data)):
        if char in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def load_json(raw: bytes | str, *, parse_constant: Any = None) -> Any:
    """Decode a JSON body after checking its size and depth, then check what came out.
    Raises Hostile, or ValueError (json.JSONDecodeError) for text that is not JSON."""
    size = len(raw)
    if size > max_body():
        raise Hostile("", "size", max_body())
    limit = max_depth()
    if json_depth(raw) > limit:
        raise Hostile("", "depth", limit)
    value = json.loads(raw, parse_constant=parse_constant)
    check_value(value, depth_limit=limit + 1)
    return value


def check_pairs(pairs: Iterable[tuple[str, Any]]) -> None:
    """Names and values of a query string or a form body (values are strings, or uploaded
    files whose name is checked)."""
    for name, value in pairs:
        reason = text_problem(name)
        if reason:
            raise Hostile("", reason)
        text = value if isinstance(value, str) else getattr(value, "name", None)
        if isinstance(text, str):
            reason = text_problem(text)
            if reason:
                raise Hostile(name, reason)


def problems(pairs: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, str]]:
    """Every (name, reason) refused in a form body, for the page's form to show them all."""
    for name, value in pairs:
        try:
            check_pairs([(name, value)])
        except Hostile as refused:
            yield refused.path, refused.reason


def message(reason: str, limit: int | None = None, label: str | None = None) -> str:
    """What the user reads, in their language, naming the field when there is one."""
    from django.utils.translation import gettext as _

    if label:
        texts = {
            "nul": _("“%(field)s” contains a NUL character, which cannot be accepted."),
            "surrogate": _("“%(field)s” contains an invalid character (a lone UTF-16 surrogate)."),
            "depth": _("“%(field)s” is nested too deeply: at most %(max)d levels."),
            "size": _("“%(field)s” is too large."),
        }
    else:
        texts = {
            "nul": _("The request contains a NUL character, which cannot be accepted."),
            "surrogate": _("The request contains an invalid character (a lone UTF-16 surrogate)."),
            "depth": _("The request body is nested too deeply: at most %(max)d levels."),
            "size": _("The request body is too large: at most %(max)d bytes."),
        }
    return texts.get(reason, texts["nul"]) % {"field": label or "", "max": limit or 0}
