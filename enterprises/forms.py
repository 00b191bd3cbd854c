from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qinqing.forms import GuardedForm
from qinqing.identifiers import normalise_uscc, validate_uscc

from .services import ContactDetails, parse_contact_details


class ContactDetailsForm(GuardedForm):
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=20,
        help_text=_("Mobile (11 digits) or landline, e.g. 0571-87654321."),
    )
    bank_name = forms.CharField(label=_("Bank"), max_length=100)
    bank_account = forms.CharField(
        label=_("Bank account number"),
        max_length=40,
        required=False,
        help_text=_(
            "Leave empty to keep the account on record. To change it, enter the full new "
            "number; it is shown masked afterwards."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:  # missing or too long: already reported field by field
            return cleaned
        try:
            self.details: ContactDetails = parse_contact_details(
                contact_phone=cleaned["contact_phone"],
                bank_name=cleaned["bank_name"],
                bank_account=cleaned["bank_account"],
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


class UsccField(forms.CharField):
    """Accepts spaces and lower case; checks length, alphabet and check character."""

    default_validators = [validate_uscc]

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("label", _("Unified Social Credit Code"))
        super().__init__(**kwargs)

    def to_python(self, value: str | None) -> str:
        return normalise_uscc(super().to_python(value))
