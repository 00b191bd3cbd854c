"""The recovery pages' forms (guarded: qinqing.forms)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.forms import GuardedForm
from qinqing.guard import MAX_ID

from .services import REASON_MAX


class ReasonForm(GuardedForm):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX,
                             widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


class RaiseForm(ReasonForm):
    claim = forms.IntegerField(label=_("Claim number"), min_value=1, max_value=MAX_ID)
    amount = forms.DecimalField(
        label=_("Amount to recover (yuan)"), required=False, min_value=0, max_digits=16,
        decimal_places=2, help_text=_("Leave empty to recover the whole payment."),
    )  # fmt: skip
    field_order = ["claim", "amount", "reason"]


class AppealForm(GuardedForm):
    text = forms.CharField(label=_("Why the money is due to you"), max_length=REASON_MAX,
                           widget=forms.Textarea(attrs={"rows": 5}))  # fmt: skip
