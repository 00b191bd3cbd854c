"""Pages: the enterprise raises and follows its requests and rates answers; officials work
through a queue ordered by time left; everyone reads the published answers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from departments.models import Department
from enterprises.selectors import enterprises_visible_to
from qinqing.errors import NotAllowed, ServiceError, show_on_page
from qinqing.forms import GuardedForm
from qinqing.listing import paginate
from qinqing.scoping import reads_as_official
from qinqing.workhours.case_services import read_clock

from .models import OPEN_STATES, Category, PublishedAnswer, Rating, RequestStatus
from .selectors import requests_for
from .services.access import is_enterprise_side, is_request_official
from .services.department_side import answer, ask_for_information, supply_information, transfer
from .services.enterprise_side import rate, refuse_publication
from .services.publication import publish, search_answers
from .services.raising import add_attachments, raise_request
from .services.refusals import SUBJECT_MAX, TEXT_MAX, RequestRefused


class RaiseForm(GuardedForm):
    enterprise = forms.ModelChoiceField(
        queryset=None, label=gettext_lazy("Enterprise"), to_field_name="uscc"
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(), label=gettext_lazy("Category")
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=SUBJECT_MAX)
    attachment = forms.FileField(
        label=gettext_lazy("Attachment (optional: PDF, PNG, JPEG, .docx or .xlsx, at most 10 MB)"),
        required=False,
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea, max_length=TEXT_MAX
    )

    field_order = ["enterprise", "category", "subject", "description", "attachment"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises_visible_to(user)
        self.fields["enterprise"].empty_label = None


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_enterprise_member:
        return redirect("directline:queue")
    page, query = paginate(request, requests_for(request.user), 20)
    return render(request, "directline/list.html", {"page": page, "query": query})


@login_required
def new_request(request: HttpRequest) -> HttpResponse:
    if not request.user.is_enterprise_member:
        raise PermissionDenied
    form = RaiseForm(request.POST or None, request.FILES or None, user=request.user)
    suggestions: Any = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "send" in request.POST:
            try:
                created = raise_request(
                    actor=request.user,
                    enterprise=data["enterprise"],
                    category=data["category"],
                    subject=data["subject"],
                    description=data["description"],
                    files=[data["attachment"]] if data.get("attachment") else [],
                )
            except ServiceError as error:
                show_on_page(request, error, form)
            else:
                messages.success(
                    request,
                    _("Your request was sent to %(department)s.")
                    % {"department": created.department.name},
                )
                return redirect("directline:detail", pk=created.pk)
        suggestions = list(search_answers(f"{data['subject']} {data['description']}"))
    return render(
        request,
        "directline/new.html",
        {
            "form": form,
            "suggestions": suggestions,
            "checked": request.method == "POST" and form.is_valid(),
        },
    )


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    if not reads_as_official(request.user):
        raise PermissionDenied
    requests = requests_for(request.user).prefetch_related("pauses")
    if request.GET.get("all") != "on":
        requests = requests.filter(status__in=OPEN_STATES)
    # By time left across every page: soonest deadline first, paused and answered last.
    ordered = requests.order_by(F("deadline").asc(nulls_last=True), "pk")
    page, query = paginate(request, ordered, 30)
    rows = []
    for obj in page.object_list:
        clock = read_clock(obj) if obj.status in OPEN_STATES else None
        hours = clock.remaining_seconds / 3600 if clock else None
        rows.append({"request": obj, "clock": clock, "hours": hours})
    return render(request, "directline/queue.html", {"page": page, "query": query, "rows": rows})


def public_answers(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    entries = (
        search_answers(q, limit=50)
        if q.strip()
        else PublishedAnswer.objects.select_related("category", "department")
    )
    if not q.strip():
        page, query = paginate(request, entries, 20)
        entries = page.object_list
    else:
        page, query = None, ""
    return render(
        request,
        "directline/answers.html",
        {"entries": entries, "page": page, "query": query, "q": q},
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_object_or_404(
        requests_for(request.user).prefetch_related("messages__author", "hops", "pauses"), pk=pk
    )
    user = request.user
    return render(
        request,
        "directline/detail.html",
        {
            "obj": obj,
            "clock": read_clock(obj) if obj.status in OPEN_STATES else None,
            "enterprise_side": is_enterprise_side(user, obj),
            "official": is_request_official(user, obj),
            "can_publish": user.is_official
            and user.department_id == obj.department_id
            and obj.status in (RequestStatus.ANSWERED, RequestStatus.CLOSED)
            and not obj.publication_refused
            and not hasattr(obj, "publication"),
            "ratings": Rating.choices,
            "departments": Department.objects.exclude(pk=obj.department_id),
        },
    )


ACTIONS = {
    "supply": lambda r, u, p: supply_information(r, actor=u, message=p.get("text", "")),
    "rate": lambda r, u, p: rate(
        r, actor=u, rating=p.get("rating", ""), comment=p.get("comment", "")
    ),
    "refuse-publication": lambda r, u, p: refuse_publication(r, actor=u),
    "ask": lambda r, u, p: ask_for_information(r, actor=u, message=p.get("text", "")),
    "answer": lambda r, u, p: answer(r, actor=u, text=p.get("text", "")),
    "publish": lambda r, u, p: publish(r, actor=u),
    "attach": lambda r, u, p, files: add_attachments(r, actor=u, files=files),
    "transfer": lambda r, u, p: transfer(
        r, actor=u, department=_department(p.get("department", "")), reason=p.get("reason", "")
    ),
}


def _department(code: str) -> Department:
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise RequestRefused(_("Choose a department."))
    return department


@login_required
@require_POST
def act(request: HttpRequest, pk: int, act: str) -> HttpResponse:
    if act not in ACTIONS:
        raise Http404
    obj = get_object_or_404(requests_for(request.user), pk=pk)
    try:
        if act == "attach":
            ACTIONS[act](obj.pk, request.user, request.POST, request.FILES.getlist("files"))
        else:
            ACTIONS[act](obj.pk, request.user, request.POST)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except ServiceError as error:
        show_on_page(request, error)
    else:
        messages.success(request, _("Done."))
        if act == "transfer":  # the request has left this official's scope
            return redirect("directline:queue")
    target = "directline:detail" if request.user.is_enterprise_member else "directline:handle"
    return redirect(target, pk=obj.pk)


@login_required
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """A file, to those who may see its request only; always a download, never rendered."""
    obj = get_object_or_404(requests_for(request.user), pk=pk)
    item = get_object_or_404(obj.attachments, pk=attachment_id)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=item.name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
