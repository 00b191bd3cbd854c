from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _

from departments.models import District
from policies.models import Policy
from qinqing.scoping import Reach, rule_for

from .models import Claim, ClaimStatus


class ClaimFilter(django_filters.FilterSet):
    """Shared by the claims page and /api/v1/claims/."""

    policy = django_filters.ModelChoiceFilter(
        queryset=Policy.objects.all(), to_field_name="code", label=_("Policy"),
        empty_label=_("All policies"),
    )  # fmt: skip
    district = django_filters.ModelChoiceFilter(
        field_name="enterprise__district", queryset=District.objects.all(), to_field_name="code",
        label=_("District"), empty_label=_("All districts"),
    )  # fmt: skip
    status = django_filters.ChoiceFilter(choices=ClaimStatus.choices, label=_("Status"),
                                         empty_label=_("All"))  # fmt: skip
    since = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte",
                                      label=_("From"))  # fmt: skip
    until = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte",
                                      label=_("Until"))  # fmt: skip

    class Meta:
        model = Claim
        fields = ["policy", "district", "status", "since", "until"]


# The statuses a claim in the review queue can have: the queue holds only claims an
# official has yet to decide.
REVIEW_STATUSES = (ClaimStatus.IN_REVIEW,)
POLICY_REVIEWERS = Reach(department="department")


class ReviewQueueFilter(ClaimFilter):
    """The review queue's filters: the policies the official reviews (their department's;
    every policy for an auditor) and only the statuses a claim in review can have."""

    status = django_filters.ChoiceFilter(
        choices=[(value, label) for value, label in ClaimStatus.choices
                 if value in REVIEW_STATUSES],
        label=_("Status"), empty_label=_("All"),
    )  # fmt: skip

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policies = Policy.objects.order_by("code")
        rule = rule_for(user, POLICY_REVIEWERS)
        if rule is not None:
            policies = policies.filter(rule)
        self.filters["policy"].queryset = policies
