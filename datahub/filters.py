import django_filters
from django.utils.translation import gettext_lazy as _

from departments.models import Department

from .models import CallOutcome, DataCall


class DataCallFilter(django_filters.FilterSet):
    """Shared by the call-log page and /api/v1/data-calls/."""

    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), to_field_name="code", label=_("Department"),
        empty_label=_("All departments"),
    )  # fmt: skip
    outcome = django_filters.ChoiceFilter(
        choices=CallOutcome.choices, label=_("Outcome"), empty_label=_("All outcomes")
    )
    uscc = django_filters.CharFilter(
        field_name="enterprise__uscc", label=_("Unified Social Credit Code"), method="by_uscc"
    )
    purpose = django_filters.CharFilter(lookup_expr="icontains", label=_("Purpose contains"))
    since = django_filters.DateFilter(
        field_name="started_at", lookup_expr="date__gte", label=_("From")
    )
    until = django_filters.DateFilter(
        field_name="started_at", lookup_expr="date__lte", label=_("Until")
    )

    class Meta:
        model = DataCall
        fields = ["department", "outcome", "uscc", "purpose", "since", "until"]

    def by_uscc(self, queryset, name, value):
        return queryset.filter(enterprise__uscc="".join(value.split()).upper())
