from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from enterprises.forms import UsccField

from .models import OFFICIAL_KINDS, PUBLICITY_MONTHS, Severity
from .services import TEXT_MAX, TITLE_MAX

WINDOWS = _(
    "Minor: 0 (not public) to 3; general: 3 to 12; serious: 12 to 36. Empty: the "
    "longest (minor records are not published)."
)


class RecordForm(forms.Form):
    """An official's record for their department (a penalty, an inspection finding, a
    reward...)."""

    uscc = UsccField(label=_("Enterprise (USCC)"))
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(kind.value, kind.label) for kind in OFFICIAL_KINDS]
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    detail = forms.CharField(
        label=_("Detail"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=300, required=False)
    reference = forms.CharField(label=_("Document number"), max_length=100, required=False)
    occurred_on = forms.DateField(
        label=_("Date"), initial=date.today, widget=forms.DateInput(attrs={"type": "date"})
    )
    publicity_months = forms.IntegerField(
        label=_("Publicity (months)"),
        required=False,
        min_value=0,
        max_value=max(most for _least, most in PUBLICITY_MONTHS.values()),
        help_text=WINDOWS,
    )


class DecisionForm(forms.Form):
    """A verifying official's decision on a commitment, or the enterprise's withdrawal."""

    reason = forms.CharField(
        label=_("Reason or note"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.GENERAL, required=False
    )
