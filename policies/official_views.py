"""Officials' pages: their department's policies, a version's page with its tests, forecast
and life-cycle actions, and the rule builder for drafts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from datahub.snapshots import SnapshotMissing
from qinqing.errors import ServiceError, show_on_page
from qinqing.scoping import visible_to

from . import services
from .forms import CriteriaFormSet, CriterionForm, VersionForm, kept_rows, place_rule_error
from .models import Policy, PolicyVersion, VersionStatus
from .rules import RuleError, parse_rules

EDITABLE_VERSION_FIELDS = [
    "valid_from", "valid_until", "budget", "per_enterprise_cap", "claim_period", "rounding",
    "parameters", "benefit", "notes",
]  # fmt: skip


def _department_official(request: HttpRequest) -> None:
    if not (request.user.is_official or request.user.is_superuser):
        raise PermissionDenied(_("This page is for the officials who issue policies."))


def _own_version(request: HttpRequest, pk: int) -> PolicyVersion:
    """A version of the official's department (another's is a 404, as on every page)."""
    versions = visible_to(request.user, PolicyVersion).select_related("policy__department")
    return get_object_or_404(versions, pk=pk)


@login_required
def department_policies(request: HttpRequest) -> HttpResponse:
    _department_official(request)
    policies = visible_to(request.user, Policy).prefetch_related(
        Prefetch(
            "versions",
            queryset=PolicyVersion.objects.select_related("drafted_by").order_by("-number"),
        )
    )
    return render(request, "policies/official_list.html", {"policies": policies})


@login_required
def version_page(request: HttpRequest, pk: int) -> HttpResponse:
    _department_official(request)
    version = _own_version(request, pk)
    if request.method == "POST":
        return _act(request, version)
    forecast = forecast_error = None
    if request.GET.get("forecast"):
        try:
            forecast = services.what_if(version)
        except SnapshotMissing as error:
            forecast_error = str(error)
    context = {
        "version": version, "policy": version.policy,
        "tests": services.run_test_cases(version), "forecast": forecast,
        "forecast_error": forecast_error,
        "can_approve": version.status == VersionStatus.AWAITING_APPROVAL
        and request.user.pk not in (version.submitted_by_id, version.drafted_by_id),
    }  # fmt: skip
    return render(request, "policies/official_version.html", context)


def _act(request: HttpRequest, version: PolicyVersion) -> HttpResponse:
    action = request.POST.get("action")
    operations = {
        "submit": lambda: services.submit_for_approval(version, actor=request.user),
        "approve": lambda: services.approve(version, actor=request.user),
        "send_back": lambda: services.send_back(version, actor=request.user,
                                                reason=request.POST.get("reason", "")),
        "generate": lambda: services.generate_boundary_cases(version),
    }  # fmt: skip
    if action not in operations:
        messages.error(request, _("Unknown action."))
        return redirect("policies:official_version", pk=version.pk)
    try:
        operations[action]()
    except services.PublicationBlocked as error:
        for reason in error.reasons:
            messages.error(request, reason)
    except ServiceError as error:
        show_on_page(request, error)
    else:
        messages.success(request, _("Done."))
    return redirect("policies:official_version", pk=version.pk)


@login_required
def new_version(request: HttpRequest, code: str) -> HttpResponse:
    _department_official(request)
    policy = get_object_or_404(Policy, code=code)
    if request.method != "POST":
        return redirect("policies:official_list")
    try:
        draft = services.start_new_version(policy, actor=request.user)
    except ServiceError as error:
        show_on_page(request, error)
        return redirect("policies:official_list")
    return redirect("policies:official_edit", pk=draft.pk)


@login_required
def edit_version(request: HttpRequest, pk: int) -> HttpResponse:
    """The rule builder. Criteria are a list of rows combined with `all`; a version whose
    criteria use `any` or `not` is edited as JSON through the API."""
    _department_official(request)
    version = _own_version(request, pk)
    if version.status != VersionStatus.DRAFT:
        messages.error(request, _("Only a draft can be changed; make a new version instead."))
        return redirect("policies:official_version", pk=version.pk)
    rows_data = version.criteria.get("all") if isinstance(version.criteria, dict) else None
    flat = isinstance(rows_data, list) and all("fact" in row for row in rows_data)
    if request.method == "POST":
        form = VersionForm(request.POST)
        formset = CriteriaFormSet(request.POST, prefix="criteria")
        if form.is_valid() and formset.is_valid():
            rows = kept_rows(formset)
            criteria = {"all": [row.to_rule() for row in rows]} if flat else version.criteria
            try:
                parse_rules(criteria=criteria, benefit=form.cleaned_data["benefit"],
                            parameters=form.cleaned_data["parameters"],
                            rounding=form.cleaned_data["rounding"])  # fmt: skip
            except RuleError as error:
                place_rule_error(error, form, rows)
            else:
                try:
                    services.update_draft(version, actor=request.user, criteria=criteria,
                                          **{name: form.cleaned_data[name]
                                             for name in EDITABLE_VERSION_FIELDS})  # fmt: skip
                except ValidationError as error:  # the model's full_clean
                    for field, problems in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, problems)
                except ServiceError as error:
                    show_on_page(request, error, form)
                else:
                    messages.success(request, _("The draft has been saved."))
                    return redirect("policies:official_version", pk=version.pk)
    else:
        form = VersionForm(initial={name: getattr(version, name)
                                    for name in EDITABLE_VERSION_FIELDS})  # fmt: skip
        formset = CriteriaFormSet(
            prefix="criteria",
            initial=[CriterionForm.initial_from(row) for row in rows_data] if flat else [],
        )
    return render(request, "policies/official_edit.html",
                  {"version": version, "form": form, "formset": formset, "flat": flat})  # fmt: skip
