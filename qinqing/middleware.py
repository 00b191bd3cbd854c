"""Request ids: one id per request, in the response, the logs and every audit event; and the
NUL guard on addresses."""

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from qinqing import guard
from qinqing.api.shape import error_response

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_request_id", default=""
)
# A caller's id is kept only when it is short and plain, so logs cannot be forged with it.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _ACCEPTABLE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RejectNulBytesMiddleware:
    """The input guard (qinqing.guard) at the door: the address, the query string and form
    bodies. (The name is historical: lone surrogates are refused too.)

    - A NUL or a lone surrogate in the path or the query string: 400 up front, JSON in the
      one shape under /api/, the 400 page elsewhere.
    - Under /api/, a form-encoded body (the OAuth token endpoint, a view that is not DRF's):
      400 naming the field. DRF's own bodies are guarded by its parsers.
    - On pages, an urlencoded form body's refused values are not passed on: the view sees the field
      empty, and the form (qinqing.forms.GuardedForm) shows the refusal on the field in the
      page's own error summary. A view that reads request.POST without a form gets an empty
      value, never a NUL that PostgreSQL would answer with a 500.
    Bodies over DATA_UPLOAD_MAX_MEMORY_SIZE raise RequestDataTooBig here: handler400 answers
    (413 JSON under /api/, the 400 page elsewhere).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path_info.startswith("/api/")
        try:
            reason = guard.text_problem(request.path)
            if reason:
                raise guard.Hostile("", reason)
            guard.check_pairs(_pairs(request.GET))
            if api and request.content_type == URLENCODED:
                guard.check_pairs(_pairs(QueryDict(request.body, encoding=request.encoding)))
        except guard.Hostile as refused:
            return _refusal(request, refused, api)
        if not api and request.method == "POST" and _small_form(request):
            _hold_back(request)
        return self.get_response(request)


# Form bodies read here stay readable for the view: urlencoded ones are read through
# request.body by Django itself; a multipart one is read as bytes first (request.body), when
# it is within the memory limit. A larger multipart body (a file upload) is left to the
# form, which guards its fields itself.
URLENCODED = "application/x-www-form-urlencoded"


def _small_form(request: HttpRequest) -> bool:
    if request.content_type == URLENCODED:
        return True
    if request.content_type != "multipart/form-data":
        return False
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    if length > guard.max_body():
        return False
    request.body  # noqa: B018 - kept as bytes, so the view may still read them
    return True


def _pairs(multi: QueryDict) -> list[tuple[str, object]]:
    return [(name, value) for name, values in multi.lists() for value in values]


def _refusal(request: HttpRequest, refused: guard.Hostile, api: bool) -> HttpResponse:
    # Before LocaleMiddleware: the language is negotiated here.
    language = translation.get_language_from_request(request)
    with translation.override(language):
        where = refused.path
        text = guard.message(refused.reason, refused.limit, label=where or None)
        if refused.reason == "nul" and not where:
            text = _("The address contains a NUL character.")
        if api:
            answer = error_response(400, "bad_request" if not where else "invalid", text,
                                    {where: [text]} if where else None)  # fmt: skip
            answer["Content-Language"] = language
            return answer
        try:  # the page, when it renders this early (no session or user yet)
            page = render_to_string("400.html", {"reason": text}, request=request)
        except Exception:
            return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")
        return HttpResponseBadRequest(page)


def _hold_back(request: HttpRequest) -> None:
    """Form values the guard refuses are replaced by "" and listed on the QueryDict
    (`guard_refused`: name → reason) for the form to report."""
    refused = dict(guard.problems(_pairs(request.POST)))
    if not refused:
        return
    cleaned = request.POST.copy()
    for name in refused:
        if name in cleaned:
            cleaned.setlist(name, ["" for _value in cleaned.getlist(name)])
    files = request.FILES.copy()
    for name in refused:
        if name in files:
            del files[name]
    cleaned.guard_refused = refused  # type: ignore[attr-defined]
    cleaned._mutable = False
    request._post = cleaned  # type: ignore[attr-defined]
    request._files = files  # type: ignore[attr-defined]


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True
