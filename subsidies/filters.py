import django_filters
from django.utils.translation import gettext_lazy as _

from departments.models import District
from policies.models import Policy

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
