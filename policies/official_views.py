"""Officials' pages: their department's policies, a new policy with its first version, a
version's page with its rules in words, test cases, forecast and life-cycle actions, and the
rule builder for drafts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from datahub.extracts.reading import SnapshotMissing
from qinqing.errors import ServiceError, show_on_page
from qinqing.scoping import visible_to

from .authoring import batch_run_of, rules_in_words
from .forecast import forecast_breakdown
from .forms import (
    CriteriaFormSet,
    CriterionForm,
    GroupFormSet,
    PolicyForm,
    TestCaseForm,
    VersionForm,
    build_criteria,
    builder_state,
    fact_choices,
    kept_rows,
    place_rule_error,
)
from .models import Policy, PolicyTestCase, PolicyVersion, VersionStatus
from .rules.errors import RuleError
from .rules.ruleset import parse_rules
from .services import boundary_cases, drafts, publication, test_cases, what_if

EDITABLE_VERSION_FIELDS = [
    "beneficiary", "valid_from", "valid_until", "budget", "per_enterprise_cap", "claim_period",
    "rounding", "parameters", "benefit", "notes",
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


# --- The rule builder (a new policy's first version, and every draft) ---------------------------


class Builder:
    """The builder's three forms: terms and formula, criterion rows, groups."""

    def __init__(self, request: HttpRequest, version: PolicyVersion | None) -> None:
        criteria = version.criteria if version is not None else {"all": []}
        self.state = builder_state(criteria)
        self.editable = self.state is not None
        if request.method == "POST":
            self.form = VersionForm(request.POST)
            self.formset = CriteriaFormSet(request.POST, prefix="criteria")
            # A page of old without the groups' fields keeps the version's groups.
            self.groups = (
                GroupFormSet(request.POST, prefix="groups")
                if "groups-TOTAL_FORMS" in request.POST
                else GroupFormSet(prefix="groups", initial=self.state.groups if self.state else [])
            )
        else:
            initial: dict[str, Any] = {"match": self.state.match if self.state else "all"}
            if version is not None:
                initial.update({name: getattr(version, name) for name in EDITABLE_VERSION_FIELDS})
            else:
                initial.update(rounding="half_up", claim_period="yearly", parameters={})
            self.form = VersionForm(initial=initial)
            # Empty rows to fill in (unchanged ones are ignored): a new policy's first
            # criteria, a group, fit without saving first.
            rows = self.state.rows if self.state else []
            self.formset = forms.formset_factory(
                CriterionForm, can_delete=True, extra=4 if version is None else 2
            )(prefix="criteria", initial=rows)
            self.groups = GroupFormSet(
                prefix="groups", initial=self.state.groups if self.state else []
            )
        # The fact picker offers what the version may name: a person's facts only when it
        # pays persons (as submitted, else as stored).
        beneficiary = (request.POST.get("beneficiary") if request.method == "POST" else None) or (
            version.beneficiary if version is not None else "enterprise"
        )
        offered = fact_choices(beneficiary)
        for row in self.formset.forms:
            row.fields["fact"].widget.choices = offered
        self.rows: list = []

    def is_valid(self) -> bool:
        forms_valid = self.form.is_valid() and self.formset.is_valid()
        groups_valid = not self.groups.is_bound or self.groups.is_valid()
        return groups_valid and forms_valid

    def criteria(self, stored: Any) -> Any:
        """The criteria the page describes, or None after placing a rule error."""
        self.rows = kept_rows(self.formset)
        paths = None
        group_paths: dict[str, str] = {}
        criteria = stored
        if self.editable:
            groups = [
                (group.cleaned_data if group.is_bound else group.initial) or {"kind": "any"}
                for group in self.groups.forms
            ]
            criteria, paths, group_paths = build_criteria(
                self.form.cleaned_data.get("match") or "all", groups, self.rows
            )
        try:
            parse_rules(criteria=criteria, benefit=self.form.cleaned_data["benefit"],
                        parameters=self.form.cleaned_data["parameters"],
                        rounding=self.form.cleaned_data["rounding"],
                        beneficiary=self.form.cleaned_data["beneficiary"])  # fmt: skip
        except RuleError as error:
            for number, path in group_paths.items():
                if error.path == f"{path}.label" and self.groups.is_bound:
                    group = self.groups.forms[int(number) - 1]
                    group.add_error("label_en", f"{error.path}: {error.message}")
                    return None
            place_rule_error(error, self.form, self.rows, paths)
            return None
        return criteria

    def version_fields(self) -> dict[str, Any]:
        return {name: self.form.cleaned_data[name] for name in EDITABLE_VERSION_FIELDS}

    def context(self) -> dict[str, Any]:
        return {"form": self.form, "formset": self.formset, "groups": self.groups,
                "flat": self.editable}  # fmt: skip


def _place_validation(error: ValidationError, *forms) -> None:
    """The model's full_clean, each problem on the form that has its field."""
    for field, problems in error.message_dict.items():
        target = next((form for form in forms if field in form.fields), forms[-1])
        target.add_error(field if field in target.fields else None, problems)


@login_required
def new_policy(request: HttpRequest) -> HttpResponse:
    """A policy of the official's department and its first version, on one page."""
    _department_official(request)
    department = getattr(request.user, "department", None)
    if department is None:
        messages.error(request, _("Only an official of a department creates its policies."))
        return redirect("policies:official_list")
    policy_form = PolicyForm(request.POST if request.method == "POST" else None)
    builder = Builder(request, None)
    if request.method == "POST" and policy_form.is_valid() & builder.is_valid():
        criteria = builder.criteria({"all": []})
        if criteria is not None:
            fields = dict(policy_form.cleaned_data)
            districts = fields.pop("target_districts")
            try:
                draft = drafts.create_policy(
                    actor=request.user, department=department, target_districts=districts,
                    version={"criteria": criteria, **builder.version_fields()}, **fields,
                )  # fmt: skip
            except ValidationError as error:
                _place_validation(error, policy_form, builder.form)
            except ServiceError as error:
                show_on_page(request, error, builder.form)
            else:
                messages.success(request, _("The policy and its first draft have been created."))
                return redirect("policies:official_version", pk=draft.pk)
    return render(request, "policies/official_new.html",
                  {"policy_form": policy_form, **builder.context()})  # fmt: skip


@login_required
def first_version(request: HttpRequest, code: str) -> HttpResponse:
    """The first version of a policy made without one (in the back office, or of old)."""
    _department_official(request)
    policy = get_object_or_404(visible_to(request.user, Policy), code=code)
    if policy.versions.exists():
        return redirect("policies:official_list")
    builder = Builder(request, None)
    if request.method == "POST" and builder.is_valid():
        criteria = builder.criteria({"all": []})
        if criteria is not None:
            try:
                fields = {"criteria": criteria, **builder.version_fields()}
                draft = drafts.create_draft(policy=policy, actor=request.user, **fields)
            except ValidationError as error:
                _place_validation(error, builder.form)
            except ServiceError as error:
                show_on_page(request, error, builder.form)
            else:
                messages.success(request, _("The first draft has been created."))
                return redirect("policies:official_version", pk=draft.pk)
    return render(request, "policies/official_new.html",
                  {"policy": policy, "policy_form": None, **builder.context()})  # fmt: skip


@login_required
def edit_version(request: HttpRequest, pk: int) -> HttpResponse:
    """The rule builder: rows of criteria at the top level (all or any of them) and in up
    to three groups (any, all, none or not all of theirs); a row may be negated. Criteria
    nested deeper are edited as JSON through the API."""
    _department_official(request)
    version = _own_version(request, pk)
    if version.status != VersionStatus.DRAFT:
        messages.error(request, _("Only a draft can be changed; make a new version instead."))
        return redirect("policies:official_version", pk=version.pk)
    builder = Builder(request, version)
    if request.method == "POST" and builder.is_valid():
        criteria = builder.criteria(version.criteria)
        if criteria is not None:
            try:
                drafts.update_draft(version, actor=request.user, criteria=criteria,
                                    **builder.version_fields())  # fmt: skip
            except ValidationError as error:
                _place_validation(error, builder.form)
            except ServiceError as error:
                show_on_page(request, error, builder.form)
            else:
                messages.success(request, _("The draft has been saved."))
                return redirect("policies:official_version", pk=version.pk)
    return render(request, "policies/official_edit.html",
                  {"version": version, **builder.context()})  # fmt: skip


# --- A version's page ---------------------------------------------------------------------------


@login_required
def version_page(request: HttpRequest, pk: int) -> HttpResponse:
    _department_official(request)
    version = _own_version(request, pk)
    case_form = None
    if request.method == "POST":
        if request.POST.get("action") != "add_case":
            return _act(request, version)
        case_form = TestCaseForm(request.POST, prefix="case")
        if case_form.is_valid():
            try:
                test_cases.add_test_case(version, actor=request.user,
                                         **case_form.service_fields())  # fmt: skip
            except ServiceError as error:
                show_on_page(request, error, case_form)
            else:
                messages.success(request, _("The test case has been added."))
                return redirect("policies:official_version", pk=version.pk)
    forecast = forecast_error = breakdown = None
    if request.GET.get("forecast"):
        try:
            forecast = what_if.what_if(version)
            breakdown = forecast_breakdown(version)
        except SnapshotMissing as error:
            forecast_error = str(error)
    context = {
        "version": version, "policy": version.policy,
        "tests": test_cases.run_test_cases(version), "forecast": forecast,
        "breakdown": breakdown, "forecast_error": forecast_error,
        "case_form": case_form or TestCaseForm(prefix="case"),
        "words": _in_words(version),
        "batch_run": batch_run_of(version, request.user),
        "can_approve": version.status == VersionStatus.AWAITING_APPROVAL
        and request.user.pk not in (version.submitted_by_id, version.drafted_by_id),
    }  # fmt: skip
    return render(request, "policies/official_version.html", context,
                  status=400 if case_form is not None else 200)  # fmt: skip


def _in_words(version: PolicyVersion):
    try:
        return rules_in_words(version)
    except RuleError:  # a draft stored before its rules were checked: shown as JSON
        return None


def _own_case(version: PolicyVersion, case_id: Any) -> PolicyTestCase:
    if not str(case_id or "").isdigit():
        raise PolicyTestCase.DoesNotExist
    return version.test_cases.get(pk=int(case_id))


def _act(request: HttpRequest, version: PolicyVersion) -> HttpResponse:
    action = request.POST.get("action")
    operations = {
        "submit": lambda: publication.submit_for_approval(version, actor=request.user),
        "approve": lambda: publication.approve(version, actor=request.user),
        "send_back": lambda: publication.send_back(version, actor=request.user,
                                                   reason=request.POST.get("reason", "")),
        "generate": lambda: boundary_cases.generate_boundary_cases(version),
        "delete_case": lambda: test_cases.delete_test_case(
            _own_case(version, request.POST.get("case")), actor=request.user),
    }  # fmt: skip
    if action not in operations:
        messages.error(request, _("Unknown action."))
        return redirect("policies:official_version", pk=version.pk)
    try:
        operations[action]()
    except publication.PublicationBlocked as error:
        for reason in error.reasons:
            messages.error(request, reason)
    except ServiceError as error:
        show_on_page(request, error)
    except PolicyTestCase.DoesNotExist:
        messages.error(request, _("This test case no longer exists."))
    else:
        messages.success(
            request, _("The test case has been deleted.") if action == "delete_case"
            else _("Done."),
        )  # fmt: skip
    return redirect("policies:official_version", pk=version.pk)


@login_required
def edit_case(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    """Correct one test case of a draft."""
    _department_official(request)
    version = _own_version(request, pk)
    case = get_object_or_404(version.test_cases, pk=case_pk)
    if version.status != VersionStatus.DRAFT:
        messages.error(request, _("Test cases belong to drafts; a version that left the draft "
                                  "keeps its own."))  # fmt: skip
        return redirect("policies:official_version", pk=version.pk)
    if request.method == "POST":
        form = TestCaseForm(request.POST, prefix="case")
        if form.is_valid():
            try:
                test_cases.update_test_case(case, actor=request.user, **form.service_fields())
            except ServiceError as error:
                show_on_page(request, error, form)
            else:
                messages.success(request, _("The test case has been saved."))
                return redirect("policies:official_version", pk=version.pk)
    else:
        form = TestCaseForm(prefix="case", initial=TestCaseForm.initial_from(case))
    return render(request, "policies/official_case.html",
                  {"version": version, "case": case, "form": form})  # fmt: skip


@login_required
def new_version(request: HttpRequest, code: str) -> HttpResponse:
    _department_official(request)
    policy = get_object_or_404(Policy, code=code)
    if request.method != "POST":
        return redirect("policies:official_list")
    try:
        draft = publication.start_new_version(policy, actor=request.user)
    except ServiceError as error:
        show_on_page(request, error)
        return redirect("policies:official_list")
    return redirect("policies:official_edit", pk=draft.pk)
