"""The JSON body parser: hostile bodies are a 400 in the one error shape, never a 500.

DRF's parser lets Python's decoder recurse once per bracket, so a body of a thousand
nested brackets raises RecursionError (a 500), and a body just under the limit would
recurse again in every serializer, renderer and JSON column that walks it. The depth is
measured first, without recursion, and refused over JSON_MAX_DEPTH.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

# Deep enough for any document the API takes (policy criteria nest a few levels).
DEFAULT_MAX_DEPTH = 64
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text` (strings do not count)."""
    depth = deepest = 0
    for char in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except ValueError as error:  # bytes that are not text in that encoding
            raise ParseError(_("The request body is not valid JSON.")) from error
        limit = getattr(settings, "JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)
        if nesting_depth(text) > limit:
            raise ParseError(
                _("The request body is nested too deeply: at most %(max)d levels.") % {"max": limit}
            )
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except json.JSONDecodeError as error:
            raise ParseError(
                _("The request body is not valid JSON (line %(line)d, column %(column)d).")
                % {"line": error.lineno, "column": error.colno}
            ) from error
        except (ValueError, RecursionError) as error:  # NaN, Infinity; depth is checked above
            raise ParseError(_("The request body is not valid JSON.")) from error
