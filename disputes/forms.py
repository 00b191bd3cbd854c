"""The disputes' forms, guarded (qinqing.forms): raising a dispute, deciding one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from datahub.catalogue import CATALOGUE, PERSON_CATALOGUE
from enterprises.selectors import enterprises_visible_to
from qinqing.forms import GuardedForm

from .models import Origin
from .services import TEXT_MAX, VALUE_MAX


def fact_choices() -> list[tuple[str, str]]:
    return [(name, f"{spec.label} ({name})") for name, spec in CATALOGUE.items()]


def person_fact_choices() -> list[tuple[str, str]]:
    """The facts about a person they may dispute (a bank account is changed at the bank)."""
    return [(name, spec.label) for name, spec in PERSON_CATALOGUE.items() if not spec.personal]


class RaiseForm(GuardedForm):
    enterprise = forms.ModelChoiceField(
        queryset=None, label=gettext_lazy("Enterprise"), to_field_name="uscc"
    )
    fact = forms.ChoiceField(choices=fact_choices, label=gettext_lazy("Fact you contest"))
    claimed_value = forms.CharField(
        label=gettext_lazy("What the value should be"),
        max_length=VALUE_MAX,
        help_text=gettext_lazy("As the fact is written: a number, an amount, a date, yes or no."),
    )
    statement = forms.CharField(
        label=gettext_lazy("Why the value held is wrong"),
        widget=forms.Textarea,
        max_length=TEXT_MAX,
    )
    attachment = forms.FileField(
        label=gettext_lazy("Evidence (optional: PDF, PNG, JPEG, .docx or .xlsx, at most 10 MB)"),
        required=False,
    )
    origin = forms.ChoiceField(choices=Origin.choices, widget=forms.HiddenInput)
    claim = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if getattr(user, "is_person", False):  # a fact about themself: no enterprise to pick
            del self.fields["enterprise"]
            self.fields["fact"].choices = person_fact_choices()
            self.fields["fact"].label = gettext_lazy("Fact about you that is wrong")
            self.fields["statement"].label = gettext_lazy("Why the value held is wrong")
            return
        self.fields["enterprise"].queryset = enterprises_visible_to(user)
        self.fields["enterprise"].empty_label = None


class DecideForm(GuardedForm):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        widget=forms.RadioSelect,
        choices=[
            ("confirm", gettext_lazy("Confirm: the value held is right")),
            ("correct", gettext_lazy("Correct: the value held is wrong")),
        ],
    )
    value = forms.CharField(
        label=gettext_lazy("Corrected value (when correcting)"),
        max_length=VALUE_MAX,
        required=False,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (the enterprise reads it)"),
        widget=forms.Textarea,
        max_length=TEXT_MAX,
    )
