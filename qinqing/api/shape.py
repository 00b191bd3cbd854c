"""The one error shape of the API, with nothing but Django under it (the request-id
middleware, loaded with the logging configuration before the apps, answers with it too).

    {"code": "<stable code>", "detail": "<a sentence in the user's language>",
     "fields": {"<input name>": ["<message>", ...]}}
"""

from collections.abc import Mapping
from typing import Any

from django.http import JsonResponse


def error_body(code: str, detail: Any, fields: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The one error shape; `fields` only when the error names inputs."""
    body: dict[str, Any] = {"code": str(code), "detail": str(detail)}
    if fields:
        body["fields"] = {
            str(name): [str(m) for m in messages] for name, messages in fields.items()
        }
    return body


def error_response(
    status: int, code: str, detail: Any, fields: Mapping[str, Any] | None = None
) -> JsonResponse:
    """The shape as a plain Django response, for answers given outside DRF."""
    return JsonResponse(error_body(code, detail, fields), status=status)
