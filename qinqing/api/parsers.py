"""The API's parsers, all through the one input guard (qinqing.guard): hostile bodies are a
400 (413 when too large) in the one error shape, never a 500.

- JSON: the size and the depth are checked on the bytes before decoding (Python's decoder
  recurses once per bracket: a thousand brackets were a RecursionError), then every key and
  string of the decoded value (NUL bytes, lone surrogates from "\\ud800" escapes).
- Form and multipart (only the views that upload a file take them): every name, value and
  file name.

`qinqing.api.negotiation` (REST_FRAMEWORK's DEFAULT_CONTENT_NEGOTIATION_CLASS) swaps whichever of
DRF's parsers a view declares (ObtainAuthToken's, an upload action's parser_classes) for the
guarded one of the same media type, so no view can skip the guard.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers
from rest_framework.utils import json as drf_json

from qinqing import guard

# Kept for callers that measured depth here before the guard existed.
DEFAULT_MAX_DEPTH = guard.DEFAULT_MAX_DEPTH


def nesting_depth(text: str | bytes) -> int:
    """The deepest nesting of arrays and objects in `text` (strings do not count)."""
    return guard.json_depth(text)


def _too_large(detail: str) -> exceptions.APIException:
    # Imported here: .exceptions imports rest_framework.views, which loads this module.
    from .exceptions import TooLarge

    return TooLarge(detail)


def refusal(error: guard.Hostile) -> exceptions.APIException:
    """The API's answer to what the guard refused: 413 for size, else a 400 that names the
    input (`fields`) when there is one."""
    if error.reason == "size":
        return _too_large(guard.message("size", error.limit))
    if error.path:
        return exceptions.ValidationError(
            {error.path: [guard.message(error.reason, error.limit, label=error.path)]}
        )
    return exceptions.ParseError(guard.message(error.reason, error.limit))


def _read_limited(stream: Any) -> bytes:
    limit = guard.max_body()
    if stream is None:
        return b""
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(guard.message("size", limit))
    return raw


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = _read_limited(stream)
        try:
            text = codecs.decode(raw, encoding)
        except (ValueError, LookupError) as error:  # bytes that are not text in that encoding
            raise exceptions.ParseError(_("The request body is not valid JSON.")) from error
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            return guard.load_json(text, parse_constant=parse_constant)
        except guard.Hostile as error:
            raise refusal(error) from error
        except json.JSONDecodeError as error:
            raise exceptions.ParseError(
                _("The request body is not valid JSON (line %(line)d, column %(column)d).")
                % {"line": error.lineno, "column": error.colno}
            ) from error
        except (ValueError, RecursionError) as error:  # NaN, Infinity; depth is checked above
            raise exceptions.ParseError(_("The request body is not valid JSON.")) from error


def _checked(data: Any, files: Any = None) -> None:
    try:
        guard.check_pairs(_flat(data))
        if files is not None:
            guard.check_pairs(_flat(files))
    except guard.Hostile as error:
        raise refusal(error) from error


def _flat(multi: Any) -> list[tuple[str, Any]]:
    return [(name, value) for name, values in multi.lists() for value in values]


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        _checked(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        result = super().parse(stream, media_type, parser_context)
        _checked(result.data, result.files)
        return result


GUARDED: dict[type, type] = {
    parsers.JSONParser: JSONParser,
    parsers.FormParser: FormParser,
    parsers.MultiPartParser: MultiPartParser,
}
