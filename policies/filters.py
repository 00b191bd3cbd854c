import django_filters
from django.utils.translation import gettext_lazy as _

from departments.models import Department

from .models import BenefitType, DeliveryMode, Policy


class PolicyFilter(django_filters.FilterSet):
    """/api/v1/policies/: the filter vocabulary of docs/api.md (`department` is a code)."""

    benefit_type = django_filters.ChoiceFilter(choices=BenefitType.choices, label=_("Benefit"))
    delivery_mode = django_filters.ChoiceFilter(choices=DeliveryMode.choices, label=_("Delivery"))
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), to_field_name="code", label=_("Department")
    )

    class Meta:
        model = Policy
        fields = ["benefit_type", "delivery_mode", "department"]
