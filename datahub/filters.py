import datetime as dt

import django_filters
from django.utils import timezone
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
    # Bounds on started_at itself, not on its date: the log is partitioned by month of
    # started_at (qinqing/partitions.py), and only a bound on the column prunes months.
    since = django_filters.DateFilter(field_name="started_at", method="from_day", label=_("From"))
    until = django_filters.DateFilter(field_name="started_at", method="to_day", label=_("Until"))

    class Meta:
        model = DataCall
        fields = ["department", "outcome", "uscc", "purpose", "since", "until"]

    def from_day(self, queryset, name, value):
        return queryset.filter(started_at__gte=_day_start(value))

    def to_day(self, queryset, name, value):
        return queryset.filter(started_at__lt=_day_start(value + dt.timedelta(days=1)))

    def by_uscc(self, queryset, name, value):
        return queryset.filter(enterprise__uscc="".join(value.split()).upper())


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the current time zone (what a `__date` lookup compares in)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
