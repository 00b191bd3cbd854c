"""Pages: the public catalog (no login), a policy's page, and an enterprise's calculator."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from departments.models import Department, District
from enterprises.industries import section_choices
from enterprises.selectors import enterprises_visible_to
from qinqing.errors import ServiceError, show_on_page
from qinqing.forms import GuardedForm
from qinqing.identifiers import normalise_uscc
from qinqing.listing import chosen, paginate

from .advice import advise
from .models import BenefitType
from .rules.criteria import leaves
from .selectors import CalculatorRow, calculator, catalog, claim_states, search_catalog
from .watches import cancel_watch, open_watch, start_watch, watches_visible_to
from .wording import advice_by_criterion, parameter_label, parameter_labels, parameter_reference

PAGE_SIZE = 20
USCC_SHAPE = re.compile(r"^[0-9A-Z]{18}$")


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
    if (not request.user.is_authenticated or not request.user.is_enterprise_member
            or version.pays_persons):  # fmt: skip
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
    open_watches = watches_visible_to(request.user).filter(
        enterprise=enterprise, notified_at__isnull=True
    )
    watched = set(open_watches.values_list("policy__code", flat=True))
    return render(request, "policies/calculator.html", {
        "enterprises": mine, "enterprise": enterprise, "rows": rows,
        "departments": Department.objects.in_bulk(field_name="code"),
        "advice": {row.policy.code: _advice(row) for row in rows
                   if row.decision.status == "ineligible"},
        "watched": watched,
    })  # fmt: skip


def _advice(row: CalculatorRow) -> dict[str, list[str]]:
    """{criterion id: what would meet it}, derived from the rules (policies.advice)."""
    outcome = row.decision.outcome
    if outcome is None:
        return {}
    found = advise(row.version.rules, outcome.criteria, timezone.localdate(), outcome.status)
    return advice_by_criterion(found)


class WatchForm(GuardedForm):
    """Start or stop "tell me when I qualify" for one of the user's enterprises."""

    uscc = forms.CharField(label=_("Enterprise"), max_length=18)
    action = forms.ChoiceField(label=_("Action"), choices=[("start", _("Tell me")),
                                                            ("stop", _("Stop"))])  # fmt: skip


def _member_only(request: HttpRequest) -> None:
    if not request.user.is_enterprise_member:
        raise PermissionDenied(_("This is for enterprises."))


def _my_enterprise(request: HttpRequest, uscc: str):
    """One of the user's own enterprises: the one named (404 if it is not theirs), or the
    first when none is named."""
    mine = enterprises_visible_to(request.user).order_by("name")
    wanted = normalise_uscc(uscc or "")
    if wanted and not USCC_SHAPE.match(wanted):  # never a NUL or a novel sent to the database
        raise Http404(_("No enterprise with this code is within your access."))
    enterprise = mine.filter(uscc=wanted).first() if wanted else mine.first()
    if enterprise is None:
        raise Http404(_("No enterprise with this code is within your access."))
    return enterprise


@login_required
def policy_watch(request: HttpRequest, code: str) -> HttpResponse:
    """ "Tell me when I qualify" for one policy: what it means, confirmed with a button; or
    stop it."""
    _member_only(request)
    policy = get_object_or_404(catalog(), code=code)
    form = WatchForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            enterprise = _my_enterprise(request, form.cleaned_data["uscc"])
            try:
                if form.cleaned_data["action"] == "start":
                    start_watch(request.user, enterprise, policy)
                    told = _("We will tell you once when %(name)s qualifies for this policy.")
                    messages.success(request, told % {"name": enterprise.name})
                    return redirect(f"{reverse('policies:calculator')}?uscc={enterprise.uscc}")
                watch = open_watch(request.user, enterprise, policy)
                if watch is None:
                    raise Http404(_("There is no such request to stop."))
                cancel_watch(request.user, watch)
                messages.success(request, _("You will not be told about this policy."))
                return redirect("policies:watches")
            except ServiceError as error:
                show_on_page(request, error, form)
                status = error.status
        else:
            status = 400
        # The form says what is wrong; the page shows it for one of the user's enterprises.
        enterprise = _my_enterprise(request, getattr(form, "cleaned_data", {}).get("uscc", ""))
    else:
        enterprise = _my_enterprise(request, request.GET.get("uscc", "")[:40])
    return render(request, "policies/calculator_watch.html", {
        "policy": policy, "enterprise": enterprise, "form": form,
        "watch": open_watch(request.user, enterprise, policy),
    }, status=status)  # fmt: skip


@login_required
def my_watches(request: HttpRequest) -> HttpResponse:
    """The "tell me when I qualify" requests of the user's enterprises, open and told."""
    _member_only(request)
    watches = watches_visible_to(request.user).order_by("-created_at", "-id")[:200]
    return render(request, "policies/calculator_watches.html", {"watches": watches})
