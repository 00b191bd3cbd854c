from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from enterprises.forms import UsccField
from qinqing.forms import GuardedForm

from .limits import TEXT_MAX, TITLE_MAX
from .records.models import OFFICIAL_KINDS, PUBLICITY_MONTHS, Severity

WINDOWS = _(
    "Minor: 0 (not public) to 3; general: 3 to 12; serious: 12 to 36. Empty: the "
    "longest (minor records are not published)."
)


class RecordForm(GuardedForm):
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


class DecisionForm(GuardedForm):
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


class CampaignForm(GuardedForm):
    """A dual-random inspection campaign (ratios in per cent per grade)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    items = forms.CharField(label=_("Inspection items (one a line)"), widget=forms.Textarea,
                            max_length=TEXT_MAX)  # fmt: skip
    districts = forms.CharField(label=_("Districts (codes, comma-separated; empty: the city)"),
                                required=False, max_length=500)  # fmt: skip
    industries = forms.CharField(label=_("Industry sections (letters, comma-separated; empty: "
                                         "all)"), required=False, max_length=100)  # fmt: skip
    ratio_a = forms.DecimalField(label=_("Grade A ratio (%)"), initial=5, max_digits=5,
                                 decimal_places=2)  # fmt: skip
    ratio_b = forms.DecimalField(label=_("Grade B ratio (%)"), initial=10, max_digits=5,
                                 decimal_places=2)  # fmt: skip
    ratio_c = forms.DecimalField(label=_("Grade C ratio (%)"), initial=30, max_digits=5,
                                 decimal_places=2)  # fmt: skip
    ratio_d = forms.DecimalField(label=_("Grade D ratio (%)"), initial=70, max_digits=5,
                                 decimal_places=2)  # fmt: skip
    inspectors = forms.CharField(label=_("Inspector pool (usernames, comma-separated)"),
                                 max_length=4000)  # fmt: skip
    inspectors_per_enterprise = forms.IntegerField(
        label=_("Inspectors per enterprise"), initial=2, min_value=2, max_value=10
    )


class DrawForm(GuardedForm):
    public_value = forms.CharField(
        label=_("Public value"), max_length=200,
        help_text=_("A value fixed only now and publicly checkable, e.g. the day's closing "
                    "index or numbers drawn in public."),
    )  # fmt: skip


class ResultForm(GuardedForm):
    violation = forms.BooleanField(label=_("Violation found"), required=False)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea, max_length=TEXT_MAX)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, required=False)


class RecusalForm(GuardedForm):
    inspector = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("Reason for recusal"), max_length=300)


class RepairForm(GuardedForm):
    evidence = forms.CharField(label=_("How the conduct was corrected (evidence)"),
                               widget=forms.Textarea, max_length=TEXT_MAX)  # fmt: skip
    accept = forms.BooleanField(label=_("I accept the credit commitment below on behalf of the "
                                        "enterprise."))  # fmt: skip


class RepairDecisionForm(GuardedForm):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    reason = forms.CharField(label=_("Reason"), max_length=TEXT_MAX, required=False,
                             widget=forms.Textarea)  # fmt: skip
