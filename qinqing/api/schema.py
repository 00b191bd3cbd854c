"""OpenAPI: the error answers every operation can give, documented once for the whole API;
one request body type per operation; the links between operations.

drf-spectacular documents what a view declares, which is its success answer. The errors
come from the project's shared machinery (authentication, permissions and partner scopes,
the exception handler, 404 for objects outside the caller's scope, the per-client rate
limit), so they are added here, after generation, from what the schema already says about
each operation: who may call it, whether it takes input, names an object or creates.
Clients (and tests/robustness, which checks every answer's status against the schema) can
then rely on the documented status codes.

The API reads JSON bodies; multipart only where a file is uploaded. A view that still
names several parsers (DRF's token view takes forms too) is described by one body type,
JSON where it takes JSON: a client generator given the same body three ways writes a
client that does not import (openapi-python-client, tests/api/test_generated_client.py).

Links (OpenAPI 3 `links`) say that the object a create answers with is the `{id}` of the
operations under it, so that clients and schemathesis' stateful run can chain them.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse

# A signed decision receipt asked for before the decision (subsidies' and approvals' APIs).
NO_RECEIPT_YET = OpenApiResponse(
    description=gettext_lazy("Not decided yet: there is no receipt before the decision.")
)

SAFE = {"get", "head", "options"}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ERROR = {"$ref": "#/components/schemas/Error"}
# The one body type an operation is described with, in order of preference.
BODY_TYPES = ("application/json", "multipart/form-data")
# Creates whose objects live under another collection: create path -> that collection.
# Operations anyone may call (a log-in): their security says so, so that a generated client
# calls them without credentials.
ANONYMOUS = {"auth_token_create"}
CREATED_UNDER = {"/api/v1/policies/{code}/versions/": "/api/v1/policy-versions/"}


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
        answers["413"] = _json(ERROR, _("The request body is too large."))
    if "requestBody" in operation:
        answers["415"] = _json(
            ERROR, _("The request body is not of the type documented for this operation.")
        )
    if any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
        answers["422"] = _json(ERROR, _("This Idempotency-Key was used with another request body."))
    if "oauth2" in schemes or path.endswith("/auth/token/"):
        answers["429"] = _json(
            ERROR,
            _("Too many requests: a partner client's rate limit, or a log-in lockout. "
              "Retry-After says when to try again."),
        )  # fmt: skip
    return answers


def one_body_type(operation: dict[str, Any]) -> None:
    """Describe the request body with one content type (JSON, else multipart)."""
    content = operation.get("requestBody", {}).get("content")
    if not content or len(content) == 1:
        return
    kept = next((kind for kind in BODY_TYPES if kind in content), next(iter(content)))
    operation["requestBody"]["content"] = {kept: content[kept]}


def _has_id(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = components.get(ref.rsplit("/", 1)[1], {})
    return "id" in schema.get("properties", {})


def add_links(paths: dict[str, Any], components: dict[str, Any]) -> None:
    """A create's 2xx answer links to every operation on `<collection>{id}/...` (the
    collection is the create's own path, or the one CREATED_UNDER names)."""
    for path, operations in paths.items():
        create = operations.get("post")
        collection = CREATED_UNDER.get(path, path)
        if "{" in collection or create is None:
            continue
        targets = sorted(
            (other, method, operation["operationId"])
            for other, others in paths.items()
            if other.startswith(collection + "{id}/") and other.count("{") == 1
            for method, operation in others.items()
            if method in METHODS and "operationId" in operation
        )
        for status, answer in create.get("responses", {}).items():
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if not str(status).startswith("2") or not _has_id(schema, components):
                continue
            links = answer.setdefault("links", {})
            for _other, _method, operation_id in targets:
                links.setdefault(
                    operation_id,
                    {
                        "operationId": operation_id,
                        "parameters": {"id": "$response.body#/id"},
                        "description": _("The object this answer describes."),
                    },
                )


def document_error_answers(result: dict[str, Any], generator: Any = None, **kwargs: Any) -> dict:
    """drf-spectacular postprocessing hook: add the shared error answers and bodies, keep
    one body type per operation, and link creates to the operations on what they made."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _schemas().items():
        components.setdefault(name, schema)
    add_links(result.get("paths", {}), components)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            one_body_type(operation)
            if operation.get("operationId") in ANONYMOUS:
                operation["security"] = [{}]
            responses = operation.setdefault("responses", {})
            for status, answer in error_answers(method, path, operation).items():
                responses.setdefault(status, answer)
            # A view may declare an error answer itself (for its own description): the
            # shared body is added when it gave none.
            for status, answer in responses.items():
                if str(status).startswith("4") and "content" not in answer:
                    answer["content"] = {"application/json": {"schema": ERROR}}
    return result
