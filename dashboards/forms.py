"""The filter bar: period, district, department, policy and industry, by their codes so a
filtered page has a URL one can share."""

from datetime import date

from django import forms
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from departments.models import Department, District
from enterprises.industries import section_choices
from policies.models import Policy
from qinqing.forms import GuardedForm

from .models import UNKNOWN_INDUSTRY, UNKNOWN_INDUSTRY_LABEL
from .scope import Filters, Period, Scope

MONTHS_OFFERED = 24


def period_choices(today: date) -> list[tuple[str, str]]:
    """All time, the last three years and the last 24 months."""
    choices: list[tuple[str, str]] = [("", str(_("All time")))]
    choices += [(str(year), str(year)) for year in range(today.year, today.year - 3, -1)]
    year, month = today.year, today.month
    for _step in range(MONTHS_OFFERED):
        code = f"{year:04d}-{month:02d}"
        choices.append((code, code))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return choices


class FilterForm(GuardedForm):
    period = forms.ChoiceField(label=pgettext_lazy("dashboard", "Period"), required=False)
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All districts"),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All departments"),
    )
    policy = forms.ModelChoiceField(
        label=_("Policy"),
        queryset=Policy.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All policies"),
    )
    industry = forms.ChoiceField(label=_("Industry"), required=False)

    def __init__(self, data, *, scope: Scope, today: date) -> None:  # type: ignore[no-untyped-def]
        super().__init__(data)
        self.scope = scope
        self.fields["period"].choices = period_choices(today)
        sections = section_choices(get_language() or "zh-hans")
        self.fields["industry"].choices = [
            ("", _("All industries")),
            *sections,
            (UNKNOWN_INDUSTRY, UNKNOWN_INDUSTRY_LABEL),
        ]
        # Outside their scope there is nothing to choose: the field offers only their own.
        if scope.district_id:
            self.fields["district"].queryset = District.objects.filter(pk=scope.district_id)
            self.fields["district"].empty_label = None
        if scope.department_id:
            self.fields["department"].queryset = Department.objects.filter(pk=scope.department_id)
            self.fields["department"].empty_label = None
            self.fields["policy"].queryset = Policy.objects.filter(
                department_id=scope.department_id
            )

    def clean(self):  # type: ignore[no-untyped-def]
        cleaned = super().clean()
        policy, department = cleaned.get("policy"), cleaned.get("department")
        if policy and department and policy.department_id != department.pk:
            self.add_error("policy", _("This policy belongs to another department."))
        return cleaned

    def filters(self) -> Filters:
        """The filters chosen (call after is_valid())."""
        data = self.cleaned_data
        return Filters(
            period=Period.parse(data.get("period") or ""),
            district_id=data["district"].pk if data.get("district") else None,
            department_id=data["department"].pk if data.get("department") else None,
            policy_id=data["policy"].pk if data.get("policy") else None,
            industry=data.get("industry") or "",
        )
