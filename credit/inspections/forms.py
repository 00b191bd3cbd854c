"""The forms of the draw's randomness: publication (the named public event and each party's
commitment) and the draw (the event's value and each party's reveal)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.forms import GuardedForm

HASH_HELP = _("SHA-256 of the party's secret, 64 hexadecimal characters. Keep the secret.")
REVEAL_HELP = _(
    "The secret exactly as it was hashed. Leave empty if the party does not reveal: the "
    "published fallback rule then stands in for it."
)


class PublishForm(GuardedForm):
    public_event = forms.CharField(
        label=_("Public event"), max_length=200,
        help_text=_("A future event whose value nobody here controls, e.g. the closing value "
                    "of a named stock index on a named date."),
    )  # fmt: skip
    public_event_on = forms.DateField(label=_("Date of the public event"))
    commitment_department = forms.CharField(
        label=_("Department's commitment"), min_length=64, max_length=64, help_text=HASH_HELP
    )
    commitment_supervisor = forms.CharField(
        label=_("Supervising office's commitment"), min_length=64, max_length=64,
        help_text=HASH_HELP,
    )  # fmt: skip


class RevealDrawForm(GuardedForm):
    public_value = forms.CharField(
        label=_("Value of the public event"), max_length=200,
        help_text=_("As published by the event's source, e.g. 3012.45."),
    )  # fmt: skip
    reveal_department = forms.CharField(
        label=_("Department's secret"), max_length=200, required=False, help_text=REVEAL_HELP
    )
    reveal_supervisor = forms.CharField(
        label=_("Supervising office's secret"), max_length=200, required=False,
        help_text=REVEAL_HELP,
    )  # fmt: skip
