"""One Idempotency-Key mechanism for every API request that creates something.

Put `@idempotent()` on the handler: just above `def create`, or above `@action` for an
action (below it, @action would drop the header from the OpenAPI schema). A client that
sends `Idempotency-Key: <1–255 printable ASCII characters>` may repeat the request safely:

- same principal, endpoint, key and body: the first answer (status and body) is replayed,
  with `Idempotent-Replayed: true`, and nothing is done again;
- the same key with another body: 422;
- while the first request with the key is still being handled: 409, never a second
  creation (the key is inserted first under a unique constraint, so this holds across
  processes on PostgreSQL);
- only successes (2xx) are kept: a request that fails (4xx or 5xx) releases its key, so
  the corrected request may be sent with the same key (nothing was created);
- keys are remembered for 24 hours (`IDEMPOTENCY_KEY_TTL_HOURS`), then purged hourly.

Keys are scoped by the authenticated user (a partner client acts as its own service user)
and the endpoint (method and path): another user's key, or the same key on another
endpoint, is another key. Without the header the request is handled as usual.
"""

import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from qinqing.idempotency import services
from qinqing.idempotency.models import KEY_MAX_LENGTH

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyKeyInvalid(exceptions.ParseError):
    default_code = "idempotency_key_invalid"


class IdempotencyKeyMismatch(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_mismatch"


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_progress"


def idempotency_key_parameter() -> OpenApiParameter:
    """The header as every idempotent operation documents it (one text for all)."""
    return OpenApiParameter(
        HEADER,
        {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH},
        OpenApiParameter.HEADER,
        required=False,
        description=(
            "Optional; 1–255 printable ASCII characters, unique per request you mean to "
            "make (e.g. a UUID). Repeating the request with the same key and body replays "
            "the first successful answer (header Idempotent-Replayed: true) without doing "
            "anything again; the same key with another body is a 422; while the first "
            "request with the key is still being handled, 409. Failed requests (4xx, 5xx) "
            "are not kept. Keys are kept 24 hours, per user and endpoint."
        ),
    )


def validated_key(raw: str) -> str:
    """400 for an empty, too long or non-printable key (it is echoed in logs and admin)."""
    key = raw.strip()
    if not key or len(key) > KEY_MAX_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise IdempotencyKeyInvalid(
            _("The Idempotency-Key header must be 1 to %(max)d printable ASCII characters.")
            % {"max": KEY_MAX_LENGTH}
        )
    return key


def _canonical(value: Any) -> Any:
    if isinstance(value, QueryDict):
        return {key: [_canonical(item) for item in value.getlist(key)] for key in value}
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    return value


def request_hash(request: Request) -> str:
    """The body as parsed (JSON, form or multipart with each file's SHA-256), so that the
    same content sent with other whitespace, key order or multipart boundary matches."""
    canonical = _canonical(request.data)
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, default=str).encode()).hexdigest()


def _jsonable(data: Any) -> Any:
    """Exactly the JSON the client received (dates, decimals as rendered)."""
    return None if data is None else json.loads(JSONRenderer().render(data))


def idempotent(methods: Iterable[str] = ("POST",)) -> Callable:
    """Decorate a view handler: honour Idempotency-Key on these methods (see above)."""
    methods = tuple(method.upper() for method in methods)

    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            raw = request.headers.get(HEADER)
            if request.method not in methods or raw is None:
                return handler(view, request, *args, **kwargs)
            key = validated_key(raw)
            if not request.user or not request.user.is_authenticated:
                return handler(view, request, *args, **kwargs)  # nobody to scope it by
            outcome, row = services.begin(
                user=request.user, endpoint=f"{request.method} {request.path}"[:255], key=key,
                request_hash=request_hash(request),
            )  # fmt: skip
            if outcome is services.Outcome.MISMATCH:
                raise IdempotencyKeyMismatch(
                    _("This Idempotency-Key was used with another request body.")
                )
            if outcome is services.Outcome.IN_PROGRESS:
                raise IdempotencyKeyInProgress(
                    _("A request with this Idempotency-Key is still being handled; try again "
                      "in a moment.")
                )  # fmt: skip
            if outcome is services.Outcome.REPLAY:
                replay = Response(row.response, status=row.status_code)
                replay[REPLAYED_HEADER] = "true"
                return replay
            try:
                response = handler(view, request, *args, **kwargs)
            except BaseException:
                services.release(row)
                raise
            if status.is_success(response.status_code):
                services.finish(row, status_code=response.status_code,
                                response=_jsonable(response.data))  # fmt: skip
            else:
                services.release(row)
            return response

        wrapper.idempotent_methods = methods
        return extend_schema(parameters=[idempotency_key_parameter()], methods=list(methods))(
            wrapper
        )

    return decorate


def reveal_once(field: str, *, attribute: str) -> Callable:
    """For a value shown once (a signing secret): the handler sets it on the response as
    `attribute`, and this adds it to the body as `field` on the way out, never to a replay.
    It wraps the idempotent handler from outside, so the answer an Idempotency-Key keeps
    (and replays) is the one without it: the value never lands in the clear in the
    database and a replay shows it to nobody."""

    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            response = handler(view, request, *args, **kwargs)
            value = getattr(response, attribute, None)
            if value is not None and not response.has_header(REPLAYED_HEADER):
                response.data = {**response.data, field: value}
            return response

        return wrapper

    return decorate
