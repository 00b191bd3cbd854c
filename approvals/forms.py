"""Page forms. The sheet form only renders and binds what the applicant typed: the answers
are checked once, by approvals.sheet through the service, and its errors come back per
field (the API gets exactly the same)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from departments.models import District
from enterprises.industries import division_choices
from qinqing.forms import GuardedForm

from .display import form_value
from .models import FieldType, ItemStatus, SheetField

NOTE_MAX = 500
DISPUTE_PREFIX = "wrong__"
DISPUTE_NOTE_PREFIX = "wrong_note__"


def _widget(field: SheetField) -> forms.Widget:
    described = {"aria-describedby": f"hint_{field.key}"} if field.help else {}
    kind = field.type
    if kind == FieldType.LONG_TEXT:
        return forms.Textarea(attrs={"rows": 4, "maxlength": 4000, **described})
    if kind == FieldType.PEOPLE:
        return forms.Textarea(attrs={"rows": 4, **described})
    if kind == FieldType.BANK_ACCOUNT:
        return forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                      "maxlength": 40, **described})  # fmt: skip
    if kind in (FieldType.INTEGER, FieldType.DECIMAL, FieldType.MONEY):
        mode = "numeric" if kind == FieldType.INTEGER else "decimal"
        return forms.TextInput(attrs={"inputmode": mode, "autocomplete": "off", **described})
    if kind == FieldType.CHOICE:
        return forms.Select(choices=[("", _("— choose —")), *field.choice_pairs()], attrs=described)
    if kind == FieldType.DISTRICT:
        return forms.Select(
            choices=[("", _("— choose —")), *((d.code, d.name) for d in District.objects.all())],
            attrs=described,
        )
    if kind == FieldType.INDUSTRY:
        return forms.Select(
            choices=[("", _("— choose —")), *division_choices(get_language() or "zh-hans")],
            attrs=described,
        )
    if kind == FieldType.BOOLEAN:
        return forms.RadioSelect(choices=[("true", _("Yes")), ("false", _("No"))])
    return forms.TextInput(attrs={"maxlength": field.max_length, **described})


class SheetForm(GuardedForm):
    """One text input per sheet question (checked by the service, not here), and for each
    prefilled question a "this is wrong" box with a note."""

    def __init__(
        self,
        fields: Iterable[SheetField],
        *args: Any,
        answers: Mapping[str, Any] | None = None,
        prefill: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.sheet_fields = list(fields)
        prefill = prefill or {}
        answers = answers or {}
        initial = {}
        super().__init__(*args, **kwargs)
        for sheet_field in self.sheet_fields:
            self.fields[sheet_field.key] = forms.CharField(
                label=sheet_field.label,
                required=False,
                strip=False,
                help_text=sheet_field.help,
                widget=_widget(sheet_field),
            )
            initial[sheet_field.key] = form_value(sheet_field, answers.get(sheet_field.key))
            if sheet_field.key in prefill:
                entry = prefill[sheet_field.key] or {}
                self.fields[DISPUTE_PREFIX + sheet_field.key] = forms.BooleanField(
                    label=_("This is wrong"), required=False
                )
                self.fields[DISPUTE_NOTE_PREFIX + sheet_field.key] = forms.CharField(
                    label=_("What is wrong (the department reads this)"),
                    required=False,
                    max_length=NOTE_MAX,
                    widget=forms.TextInput(attrs={"maxlength": NOTE_MAX}),
                )
                initial[DISPUTE_PREFIX + sheet_field.key] = bool(entry.get("disputed"))
                initial[DISPUTE_NOTE_PREFIX + sheet_field.key] = entry.get("note", "")
        if not self.is_bound:
            self.initial = initial

    def answers(self) -> dict[str, Any]:
        """The answers the applicant sent (only the questions present in the request)."""
        return {f.key: self.data.get(f.key, "") for f in self.sheet_fields if f.key in self.data}

    def disputes(self) -> dict[str, str]:
        """Prefilled answers said to be wrong: key → note."""
        found = {}
        for sheet_field in self.sheet_fields:
            box = DISPUTE_PREFIX + sheet_field.key
            if box in self.fields and self.data.get(box) in ("on", "true", "1"):
                found[sheet_field.key] = str(
                    self.data.get(DISPUTE_NOTE_PREFIX + sheet_field.key, "")
                ).strip()
        return found

    def add_sheet_errors(self, errors: Mapping[str, list[str]]) -> None:
        for key, messages in errors.items():
            target = key if key in self.fields else None
            for message in messages:
                self.add_error(target, f"{message}" if target else f"{key}: {message}")


class StatusFilterForm(GuardedForm):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *choices]


class QueueFilterForm(GuardedForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any open status")),
            (ItemStatus.PENDING, ItemStatus.PENDING.label),
            (ItemStatus.SUPPLEMENT, ItemStatus.SUPPLEMENT.label),
        ],
    )
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
