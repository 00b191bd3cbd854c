"""The officials' rule builder: one row per criterion, typed choices for facts and
operators, and the rest of a draft version. Rows become the rule JSON that `rules.py`
checks; its errors come back to the row and field they concern."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from datahub.catalogue import CATALOGUE, FactType
from qinqing.forms import GuardedForm

from .models import ClaimPeriod
from .rules import OPERATOR_ALIASES, RuleError

OPERATOR_LABELS = [
    ("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"), ("eq", "="), ("ne", "≠"),
    ("between", _("between")), ("in", _("is one of")), ("not_in", _("is none of")),
    ("is_true", _("is yes")), ("is_false", _("is no")), ("known", _("is known")),
]  # fmt: skip
ROW_FIELD = {"id": "id", "label": "label_zh", "clause": "clause", "fact": "fact", "op": "op",
             "value": "value"}  # fmt: skip
_PATH = re.compile(r"^criteria\.all\[(\d+)\](?:\.(\w+))?")


def fact_choices() -> list:
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, spec in CATALOGUE.items():
        groups.setdefault(name.split(".")[0], []).append((name, f"{spec.label} ({name})"))
    # An empty first choice, so the spare row of the builder stays empty until used.
    return [("", "—"), *sorted(groups.items())]


class CriterionForm(GuardedForm):
    id = forms.SlugField(label=_("Id"), max_length=40)
    label_zh = forms.CharField(label=_("Label (Chinese)"), max_length=200)
    label_en = forms.CharField(label=_("Label (English)"), max_length=200)
    clause = forms.CharField(label=_("Clause"), max_length=100)
    fact = forms.ChoiceField(label=_("Fact"), choices=fact_choices)
    op = forms.ChoiceField(label=_("Operator"), choices=[("", "—"), *OPERATOR_LABELS])
    value = forms.CharField(
        label=_("Value"), max_length=500, required=False,
        help_text=_("A value; @name for a parameter; a, b for a list; low..high for between."),
    )  # fmt: skip
    include_low = forms.BooleanField(label=_("low included"), required=False, initial=True)
    include_high = forms.BooleanField(label=_("high included"), required=False, initial=True)

    def to_rule(self) -> dict[str, Any]:
        data = self.cleaned_data
        rule: dict[str, Any] = {
            "id": data["id"], "label": {"zh": data["label_zh"], "en": data["label_en"]},
            "clause": data["clause"], "fact": data["fact"], "op": data["op"],
        }  # fmt: skip
        text = data["value"].strip()
        kind = CATALOGUE[data["fact"]].type
        if data["op"] in ("is_true", "is_false", "known"):
            return rule
        if data["op"] in ("in", "not_in"):
            rule["value"] = [_typed(kind, part.strip()) for part in text.split(",") if part.strip()]
        elif data["op"] == "between":
            low, _sep, high = text.partition("..")
            rule["value"] = {"from": _typed(kind, low.strip()), "to": _typed(kind, high.strip()),
                             "inclusive": [data["include_low"], data["include_high"]]}  # fmt: skip
        else:
            rule["value"] = _typed(kind, text)
        return rule

    @classmethod
    def initial_from(cls, rule: dict[str, Any]) -> dict[str, Any]:
        value = rule.get("value")
        include = [True, True]
        if isinstance(value, dict) and "param" in value:
            text = f"@{value['param']}"
        elif isinstance(value, dict):
            include = value.get("inclusive", [True, True])
            text = f"{_text(value['from'])}..{_text(value['to'])}"
        elif isinstance(value, list):
            text = ", ".join(_text(item) for item in value)
        else:
            text = "" if value is None else _text(value)
        label = rule.get("label", {})
        return {
            "id": rule.get("id", ""), "label_zh": label.get("zh", ""),
            "label_en": label.get("en", ""), "clause": rule.get("clause", ""),
            "fact": rule.get("fact"), "op": OPERATOR_ALIASES.get(rule.get("op"), rule.get("op")),
            "value": text, "include_low": include[0], "include_high": include[1],
        }  # fmt: skip


def _text(value: Any) -> str:
    if isinstance(value, dict) and "param" in value:
        return f"@{value['param']}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _typed(kind: FactType, text: str) -> Any:
    """What a person typed, as the rule language expects it (it checks the type itself)."""
    if text.startswith("@"):
        return {"param": text[1:]}
    if kind is FactType.BOOLEAN:
        return {"true": True, "是": True, "yes": True, "false": False, "否": False,
                "no": False}.get(text.lower(), text)  # fmt: skip
    if kind is FactType.INTEGER and re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


CriteriaFormSet = forms.formset_factory(CriterionForm, extra=1, can_delete=True)


class JSONField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 8, "class": "code", "spellcheck": "false"})

    def to_python(self, value: str | None) -> Any:
        text = super().to_python(value)
        if not text:
            return {}
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("Not valid JSON: %(error)s"), params={"error": error.msg}
            ) from error

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)


class VersionForm(GuardedForm):
    # Browsers' date inputs take ISO dates only, whatever the page's language.
    valid_from = forms.DateField(
        label=_("Claims from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    valid_until = forms.DateField(
        label=_("Claims until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    budget = forms.DecimalField(label=_("Total budget (yuan)"), max_digits=16, decimal_places=2)
    per_enterprise_cap = forms.DecimalField(label=_("Cap per enterprise (yuan)"), max_digits=16,
                                            decimal_places=2, required=False)  # fmt: skip
    claim_period = forms.ChoiceField(label=_("Claim period"), choices=ClaimPeriod.choices)
    rounding = forms.ChoiceField(
        label=_("Rounding"), choices=[("half_up", _("Half up")), ("down", _("Down"))]
    )
    parameters = JSONField(label=_("Dated parameters (JSON)"), required=False)
    benefit = JSONField(label=_("Benefit formula (JSON)"))
    notes = forms.CharField(label=_("What changed"), required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip


def kept_rows(formset) -> list[CriterionForm]:
    """The rows that make the criteria, in order: filled in and not deleted."""
    return [
        form for form in formset.forms if form.has_changed() and not form.cleaned_data.get("DELETE")
    ]


def place_rule_error(error: RuleError, version_form: VersionForm, rows: list) -> None:
    """Show a rule error on the row and field it names, or on the form."""
    match = _PATH.match(error.path)
    if match and int(match.group(1)) < len(rows):
        field = ROW_FIELD.get(match.group(2) or "")
        rows[int(match.group(1))].add_error(field, f"{error.path}: {error.message}")
        return
    root = error.path.split(".")[0].split("[")[0]
    target = root if root in ("benefit", "parameters", "rounding") else None
    version_form.add_error(target, f"{error.path}: {error.message}")
