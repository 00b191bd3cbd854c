"""OpenAPI: the error answers every operation can give, documented once for the whole API.

drf-spectacular documents what a view declares, which is its success answer. The errors
come from the project's shared machinery (authentication, permissions and partner scopes,
the exception handler, 404 for objects outside the caller's scope, the per-client rate
limit), so they are added here, after generation, from what the schema already says about
each operation: who may call it, whether it takes input, names an object or creates.
Clients (and tests/robustness, which checks every answer's status against the schema) can
then rely on the documented status codes.
"""

from typing import Any

from django.utils.translation import gettext as _

SAFE = {"get", "head", "options"}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ERROR = {"$ref": "#/components/schemas/Error"}


def _schemas() -> dict[str, Any]:
    """The one error shape (qinqing/api/shape.py), for every error under /api/."""
    return {
        "Error": {
            "type": "object",
            "description": _(
                "Every error under /api/ (invalid input, authentication, permission, unknown "
                "address, conflict, rate limit, CSRF failure, body too large, server error)."
            ),
            "properties": {
                "code": {
                    "type": "string",
                    "description": _(
                        "A stable machine code: invalid, parse_error, not_authenticated, "
                        "authentication_failed, permission_denied, csrf_failed, not_found, "
                        "method_not_allowed, unsupported_media_type, too_large, conflict, "
                        "throttled, server_error, or a service's own code."
                    ),
                },
                "detail": {
                    "type": "string",
                    "description": _("What is wrong, in the language of Accept-Language."),
                },
                "fields": {
                    "type": "object",
                    "description": _(
                        "Only when the error names inputs: for each input (nested ones as "
                        "a path, e.g. criteria.all[0].op) what is wrong with it."
                    ),
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "detail"],
        },
    }


def _json(schema: dict, description: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}, "description": description}


def error_answers(method: str, path: str, operation: dict[str, Any]) -> dict[str, Any]:
    """The error answers `operation` can give, by status code."""
    parameters = operation.get("parameters", [])
    takes_input = (
        "requestBody" in operation
        or method not in SAFE
        or any(p.get("in") in ("query", "header") for p in parameters)
    )
    names_object = "{" in path
    paginated = any(p.get("in") == "query" and p.get("name") == "page" for p in parameters)
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    answers: dict[str, Any] = {}
    if takes_input:
        answers["400"] = _json(ERROR, _("Invalid input."))
    answers["401"] = _json(ERROR, _("Not authenticated, or the credentials are invalid."))
    answers["403"] = _json(
        ERROR, _("Not allowed: the caller's role, or a partner client's scopes, do not cover it.")
    )
    if names_object or paginated or method not in SAFE:
        answers["404"] = _json(
            ERROR,
            _("No such object in the caller's scope (named in the path or the body), or no "
              "such page of the list."),
        )  # fmt: skip
    if method not in SAFE:
        answers["409"] = _json(ERROR, _("The object's present state does not allow this."))
    if any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
        answers["422"] = _json(ERROR, _("This Idempotency-Key was used with another request body."))
    if "oauth2" in schemes or path.endswith("/auth/token/"):
        answers["429"] = _json(
            ERROR,
            _("Too many requests: a partner client's rate limit, or a log-in lockout. "
              "Retry-After says when to try again."),
        )  # fmt: skip
    return answers


def document_error_answers(result: dict[str, Any], generator: Any = None, **kwargs: Any) -> dict:
    """drf-spectacular postprocessing hook: add the shared error answers and bodies."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _schemas().items():
        components.setdefault(name, schema)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, answer in error_answers(method, path, operation).items():
                responses.setdefault(status, answer)
            # A view may declare an error answer itself (for its own description): the
            # shared body is added when it gave none.
            for status, answer in responses.items():
                if str(status).startswith("4") and "content" not in answer:
                    answer["content"] = {"application/json": {"schema": ERROR}}
    return result
