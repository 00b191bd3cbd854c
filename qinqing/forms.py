"""The base of every form in the project: the input guard (qinqing.guard) before any field is
cleaned, and error messages that name the field, in the user's language.

Why before cleaning: a field's to_python may already query the database (ModelChoiceField
looks the value up), and PostgreSQL answers a NUL in text with an error, a 500. The refusal
is put on the field, so the page's own error summary shows it beside the others.

Why the messages: Django's say "确保该变量包含不超过 200 字符" ("ensure this variable…"),
and a number too long to parse is "请输入数字" ("enter a number") though it is one. Here
each names the field and says what is wrong ("“Subject” may be at most 200 characters").

    class RecordForm(GuardedForm): ...
    class SubscriptionForm(GuardedModelForm): ...
    class LoginForm(GuardedFormMixin, AuthenticationForm): ...   # another Form base
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qinqing import guard

# A plain decimal number, possibly with an exponent: the shapes whose size we can judge
# before Python parses them (int() refuses more than 4,300 digits; float() gives inf).
_NUMBER = re.compile(r"^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$")
# Beyond 18 digits before the point no field of the project fits (bigint, 10^14 yuan).
MAX_WHOLE_DIGITS = 18

NAMED_MESSAGES = {
    "max_length": _("“%(field)s” may be at most %(limit_value)s characters (it has "
                    "%(show_value)s)."),
    "min_length": _("“%(field)s” needs at least %(limit_value)s characters (it has "
                    "%(show_value)s)."),
    "max_value": _("“%(field)s” is too large: at most %(limit_value)s."),
    "min_value": _("“%(field)s” is too small: at least %(limit_value)s."),
    "max_digits": _("“%(field)s” is too large: at most %(max)s digits."),
    "max_whole_digits": _("“%(field)s” is too large: at most %(max)s digits before the "
                          "decimal point."),
    "max_decimal_places": _("“%(field)s” has at most %(max)s decimal places."),
}  # fmt: skip
TOO_LARGE = _("“%(field)s” is too large.")
UNDERSCORE = _("Write “%(field)s” with digits only, such as 1000.50 (no underscores).")


def _label(bf: forms.BoundField) -> str:
    return str(bf.label or bf.name)


def _refused(bf: forms.BoundField, held_back: dict[str, str]) -> str | None:
    """The guard's reason for refusing this field's input, or None."""
    if bf.field.disabled:
        return None
    if bf.html_name in held_back:
        return held_back[bf.html_name]
    value = bf.data
    values = value if isinstance(value, (list, tuple)) else [value]
    for item in values:
        text = item if isinstance(item, str) else getattr(item, "name", None)
        if isinstance(text, str):
            reason = guard.text_problem(text)
            if reason:
                return reason
            # A JSON field decodes its text recursively: deep nesting is refused first.
            if isinstance(bf.field, forms.JSONField) and guard.json_depth(text) > guard.max_depth():
                return "depth"
    return None


def _number_problem(bf: forms.BoundField) -> str | None:
    """A message for a number field whose text is a number too large for any field here,
    or is spelt with underscores (Python's int/Decimal/float accept "1_000")."""
    if not isinstance(bf.field, (forms.IntegerField, forms.FloatField, forms.DecimalField)):
        return None
    raw = bf.data
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    if "_" in raw:
        return str(UNDERSCORE % {"field": _label(bf)})
    found = _NUMBER.match(raw)
    if not found or not (found.group(1) or found.group(2)):
        return None
    whole = len(found.group(1).lstrip("0"))
    exponent = found.group(3)
    if exponent is not None:
        if len(exponent.lstrip("+-").lstrip("0")) > 3:
            shift = 10**4 if not exponent.startswith("-") else -(10**4)
        else:
            shift = int(exponent)
        whole += shift
    if whole <= MAX_WHOLE_DIGITS:
        return None
    field = bf.field
    if getattr(field, "max_value", None) is not None:
        return str(NAMED_MESSAGES["max_value"] % {"field": _label(bf),
                                                  "limit_value": field.max_value})  # fmt: skip
    return str(TOO_LARGE % {"field": _label(bf)})


def named(error: ValidationError, bf: forms.BoundField) -> ValidationError:
    """The same errors, with the generic sizes and limits said with the field's name."""
    rewritten = []
    for item in error.error_list:
        template = NAMED_MESSAGES.get(item.code or "")
        if template is None:
            rewritten.append(item)
            continue
        params = {"field": _label(bf), "limit_value": "", "show_value": "", "max": ""}
        params.update(item.params or {})
        rewritten.append(ValidationError(template, code=item.code, params=params))
    return ValidationError(rewritten)


class GuardedFormMixin:
    """Put first among a form's bases: the guard runs for every bound field before it is
    cleaned; a refused field is not cleaned at all."""

    guarded = True

    def _clean_fields(self) -> None:
        held_back = getattr(self.data, "guard_refused", None) or {}
        for name, bf in self._bound_items():  # type: ignore[attr-defined]
            reason = _refused(bf, held_back)
            if reason:
                self.add_error(  # type: ignore[attr-defined]
                    name,
                    ValidationError(
                        guard.message(reason, guard.max_depth(), label=_label(bf)),
                        code="refused",
                    ),
                )
                continue
            problem = _number_problem(bf)
            if problem:
                self.add_error(name, ValidationError(problem, code="too_large"))  # type: ignore[attr-defined]
                continue
            try:
                self.cleaned_data[name] = bf.field._clean_bound_field(bf)  # type: ignore[attr-defined]
                if hasattr(self, f"clean_{name}"):
                    self.cleaned_data[name] = getattr(self, f"clean_{name}")()  # type: ignore[attr-defined]
            except ValidationError as error:
                self.add_error(name, named(error, bf))  # type: ignore[attr-defined]


class GuardedForm(GuardedFormMixin, forms.Form):
    """forms.Form with the input guard."""


class GuardedModelForm(GuardedFormMixin, forms.ModelForm):
    """forms.ModelForm with the input guard."""


def is_guarded(form_class: type) -> bool:
    return issubclass(form_class, GuardedFormMixin)


def check_value(value: Any) -> None:
    """For a form's clean() that reads raw data itself: raise ValidationError on input the
    guard refuses."""
    try:
        guard.check_value(value)
    except guard.Hostile as refused:
        raise ValidationError(guard.message(refused.reason, refused.limit)) from refused
