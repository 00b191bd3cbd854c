"""Pages: the public catalog (no login), a policy's page, and an enterprise's calculator."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from departments.models import Department, District
from enterprises.industries import section_choices
from enterprises.selectors import enterprises_visible_to
from qinqing.listing import chosen, paginate

from .models import BenefitType
from .rules import leaves
from .selectors import calculator, catalog, claim_states, search_catalog
from .wording import parameter_label, parameter_labels, parameter_reference

PAGE_SIZE = 20


def policy_catalog(request: HttpRequest) -> HttpResponse:
    params = {key: request.GET.get(key, "").strip()[:100] for key in
              ("q", "department", "district", "industry", "benefit_type", "status")}  # fmt: skip
    policies = search_catalog(catalog(), **params).order_by("code")
    page, query = paginate(request, policies, PAGE_SIZE)
    context = {
        "page": page, "params": params, "query": query,
        "departments": Department.objects.filter(policies__isnull=False).distinct(),
        "districts": District.objects.all(),
        "industries": section_choices(get_language() or "zh-hans"),
        "benefit_types": BenefitType.choices, "today": timezone.localdate(),
    }  # fmt: skip
    return render(request, "policies/catalog.html", context)


def policy_detail(request: HttpRequest, code: str) -> HttpResponse:
    policy = get_object_or_404(catalog(), code=code)
    version = policy.published[0]
    today = timezone.localdate()
    labels = parameter_labels(version.parameters)
    current_parameters = [
        (parameter_label(parameter, today, labels), parameter_reference(parameter, today),
         parameter.at(today) if any(v.starts <= today for v in parameter.values) else None)
        for parameter in version.rules.parameters.values()
    ]  # fmt: skip
    context = {"policy": policy, "version": version, "criteria": leaves(version.rules.criteria),
               "parameters": current_parameters, "today": timezone.localdate(),
               "holdings": _holdings(request, version)}  # fmt: skip
    return render(request, "policies/detail.html", context)


def _holdings(request: HttpRequest, version) -> list[tuple]:
    """A member's enterprises, each with its claim under the policy as it really stands
    (None: nothing yet)."""
    if not request.user.is_authenticated or not request.user.is_enterprise_member:
        return []
    mine = list(enterprises_visible_to(request.user).order_by("name")[:20])
    states = claim_states([version], enterprise_ids=[enterprise.pk for enterprise in mine])
    return [(enterprise, states.get((enterprise.pk, version.policy_id))) for enterprise in mine]


@login_required
def policy_calculator(request: HttpRequest) -> HttpResponse:
    """Which open policies fit my enterprise, why or why not, how much, what to do."""
    if not request.user.is_enterprise_member:
        raise PermissionDenied(_("The calculator is for enterprises; officials use the API."))
    mine = list(enterprises_visible_to(request.user).order_by("name"))
    if not mine:
        return render(request, "policies/calculator.html", {"enterprises": [], "rows": []})
    enterprise = chosen(request, mine, param="uscc", key=lambda e: e.uscc, name=lambda e: e.name)
    rows = calculator(enterprise, requested_by=request.user)
    return render(request, "policies/calculator.html", {
        "enterprises": mine, "enterprise": enterprise, "rows": rows,
        "departments": Department.objects.in_bulk(field_name="code"),
    })  # fmt: skip
