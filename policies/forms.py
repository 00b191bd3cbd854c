"""The officials' rule builder: one row per criterion, typed choices for facts and
operators, and the rest of a draft version. Rows become the rule JSON that `rules.py`
checks; its errors come back to the row and field they concern."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from datahub.catalogue import CATALOGUE, PERSON_CATALOGUE, FactType
from departments.models import District
from qinqing import guard
from qinqing.forms import GuardedForm

from .models import Beneficiary, BenefitType, ClaimPeriod, DeliveryMode, Policy
from .rules.criteria import OPERATOR_ALIASES
from .rules.errors import RuleError
from .rules.facts import fact_spec

OPERATOR_LABELS = [
    ("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"), ("eq", "="), ("ne", "≠"),
    ("between", _("between")), ("in", _("is one of")), ("not_in", _("is none of")),
    ("is_true", _("is yes")), ("is_false", _("is no")), ("known", _("is known")),
]  # fmt: skip
ROW_FIELD = {"id": "id", "label": "label_zh", "clause": "clause", "fact": "fact", "op": "op",
             "value": "value"}  # fmt: skip


def fact_choices(beneficiary: str = Beneficiary.ENTERPRISE) -> list:
    """The facts a criterion may name: the enterprise's; for a version paid to persons,
    the person's facts first (grouped "person.hrss", …) and then their employer's. Text
    identifiers (a USCC, a bank account) are not compared by rules and not offered."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, spec in CATALOGUE.items():
        groups.setdefault(name.split(".")[0], []).append((name, f"{spec.label} ({name})"))
    person: dict[str, list[tuple[str, str]]] = {}
    if beneficiary == Beneficiary.PERSON:
        for name, spec in PERSON_CATALOGUE.items():
            if spec.type is not FactType.TEXT:
                group = ".".join(name.split(".")[:2])
                person.setdefault(group, []).append((name, f"{spec.label} ({name})"))
    # An empty first choice, so the spare row of the builder stays empty until used.
    return [("", "—"), *sorted(person.items()), *sorted(groups.items())]


def all_fact_choices() -> list:
    """What a submitted row may name (the rules then refuse a person's fact in a version
    for enterprises, with the reason): both catalogues."""
    return fact_choices(Beneficiary.PERSON)


GROUPS = 3


def group_choices() -> list[tuple[str, str]]:
    """Called on each form, so the labels are in the reader's language."""
    numbered = [(str(n), gettext("Group %(n)s") % {"n": n}) for n in range(1, GROUPS + 1)]
    return [("", gettext("— top level")), *numbered]


class CriterionForm(GuardedForm):
    id = forms.SlugField(label=_("Id"), max_length=40)
    label_zh = forms.CharField(label=_("Label (Chinese)"), max_length=200)
    label_en = forms.CharField(label=_("Label (English)"), max_length=200)
    clause = forms.CharField(label=_("Clause"), max_length=100)
    fact = forms.ChoiceField(label=_("Fact"), choices=all_fact_choices)
    op = forms.ChoiceField(label=_("Operator"), choices=[("", "—"), *OPERATOR_LABELS])
    value = forms.CharField(
        label=_("Value"), max_length=500, required=False,
        help_text=_("A value; @name for a parameter; a, b for a list; low..high for between."),
    )  # fmt: skip
    include_low = forms.BooleanField(label=_("low included"), required=False, initial=True)
    include_high = forms.BooleanField(label=_("high included"), required=False, initial=True)
    negate = forms.BooleanField(label=_("Not: the opposite must hold"), required=False)
    group = forms.ChoiceField(label=_("Group"), required=False, choices=group_choices)

    def to_rule(self) -> dict[str, Any]:
        data = self.cleaned_data
        rule: dict[str, Any] = {
            "id": data["id"], "label": {"zh": data["label_zh"], "en": data["label_en"]},
            "clause": data["clause"], "fact": data["fact"], "op": data["op"],
        }  # fmt: skip
        text = data["value"].strip()
        kind = fact_spec(data["fact"]).type
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

# --- Groups: `any` and `not` -------------------------------------------------------------------
# The builder edits criteria of two levels: the top (all or any of) holds criteria, each
# possibly negated, and up to GROUPS groups, each all/any of its own criteria, possibly
# negated as a whole ("none of" is not-any). Deeper rules stay JSON (the API).


GROUP_KINDS = [("any", _("any of its criteria")), ("all", _("all of its criteria")),
               ("not_any", _("none of its criteria")),
               ("not_all", _("not all of its criteria"))]  # fmt: skip


class GroupForm(GuardedForm):
    kind = forms.ChoiceField(label=_("The group is met by"), choices=GROUP_KINDS, initial="any")
    label_zh = forms.CharField(label=_("Group label (Chinese)"), max_length=200, required=False)
    label_en = forms.CharField(label=_("Group label (English)"), max_length=200, required=False)


GroupFormSet = forms.formset_factory(GroupForm, extra=GROUPS, max_num=GROUPS)


class BuilderState:
    """Criteria as the builder shows them: how the top combines, the groups, the rows."""

    def __init__(self, match: str, groups: list[dict], rows: list[dict]) -> None:
        self.match, self.groups, self.rows = match, groups, rows


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and "fact" in node


def _row(node: Any, group: str) -> dict[str, Any] | None:
    negate = isinstance(node, dict) and set(node) - {"id", "label"} == {"not"}
    leaf = node["not"] if negate else node
    if not _is_leaf(leaf):
        return None
    return {**CriterionForm.initial_from(leaf), "negate": negate, "group": group}


def builder_state(criteria: Any) -> BuilderState | None:
    """The builder's view of stored criteria, or None where they are deeper than it edits."""
    if _is_leaf(criteria) or (isinstance(criteria, dict) and _is_leaf(criteria.get("not"))):
        criteria = {"all": [criteria]}
    match = next((kind for kind in ("all", "any") if isinstance(criteria, dict)
                  and isinstance(criteria.get(kind), list)), None)  # fmt: skip
    if match is None:
        return None
    groups: list[dict] = []
    rows: list[dict] = []
    for child in criteria[match]:
        row = _row(child, "")
        if row is not None:
            rows.append(row)
            continue
        negate = isinstance(child, dict) and "not" in child
        inner = child["not"] if negate else child
        kind = next((k for k in ("all", "any") if isinstance(inner, dict)
                     and isinstance(inner.get(k), list)), None)  # fmt: skip
        if kind is None or len(groups) >= GROUPS:
            return None
        label = inner.get("label") or (child.get("label") if negate else None) or {}
        groups.append({"kind": f"not_{kind}" if negate else kind, "label_zh": label.get("zh", ""),
                       "label_en": label.get("en", "")})  # fmt: skip
        for grandchild in inner[kind]:
            row = _row(grandchild, str(len(groups)))
            if row is None:
                return None
            rows.append(row)
    return BuilderState(match, groups, rows)


def build_criteria(match: str, groups: list[dict], rows: list[CriterionForm]):
    """The criteria JSON from the builder's rows, and each row's path in it (so a rule
    error comes back to the row it concerns) and each group's. A group appears where its
    first row is."""
    top: list[Any] = []
    paths: list[str] = []
    placed: dict[str, tuple[int, str, list]] = {}
    group_paths: dict[str, str] = {}
    for row in rows:
        rule = row.to_rule()
        node = {"not": rule} if row.cleaned_data.get("negate") else rule
        suffix = ".not" if row.cleaned_data.get("negate") else ""
        group = row.cleaned_data.get("group") or ""
        if not group:
            paths.append(f"criteria.{match}[{len(top)}]{suffix}")
            top.append(node)
            continue
        if group not in placed:
            settings = groups[int(group) - 1] if int(group) <= len(groups) else {}
            kind = settings.get("kind") or "any"
            inner_kind = kind.removeprefix("not_")
            members: list[Any] = []
            inner: dict[str, Any] = {inner_kind: members}
            if settings.get("label_zh") or settings.get("label_en"):
                inner["label"] = {"zh": settings.get("label_zh", ""),
                                  "en": settings.get("label_en", "")}  # fmt: skip
            negated = kind.startswith("not_")
            prefix = f"criteria.{match}[{len(top)}]{'.not' if negated else ''}.{inner_kind}"
            placed[group] = (len(top), prefix, members)
            group_paths[group] = prefix.rsplit(".", 1)[0]
            top.append({"not": inner} if negated else inner)
        _position, prefix, members = placed[group]
        paths.append(f"{prefix}[{len(members)}]{suffix}")
        members.append(node)
    return {match: top}, paths, group_paths


class JSONField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 8, "class": "code", "spellcheck": "false"})

    def to_python(self, value: str | None) -> Any:
        text = super().to_python(value)
        if not text:
            return {}
        try:
            return guard.load_json(text)  # the input guard: depth checked before decoding
        except guard.Hostile as refused:
            raise forms.ValidationError(
                guard.message(refused.reason, refused.limit, label=str(self.label or ""))
            ) from refused
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("Not valid JSON: %(error)s"), params={"error": error.msg}
            ) from error

    def prepare_value(self, value: Any) -> str:
        if value is None:  # an empty form, not the JSON text "null"
            return ""
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)


MATCH_CHOICES = [("all", _("All of these must be met")),
                 ("any", _("Any one of these is enough"))]  # fmt: skip


class VersionForm(GuardedForm):
    beneficiary = forms.ChoiceField(
        label=_("Paid to"), choices=Beneficiary.choices, initial=Beneficiary.ENTERPRISE,
        required=False,
        help_text=_("The enterprise, or each qualifying employee into their own bank account. "
                    "For employees the criteria may also name facts about the person: save "
                    "once after choosing, and the fact lists offer them."),
    )  # fmt: skip

    def clean_beneficiary(self) -> str:
        # A page of old without the field: the enterprise, as before persons.
        return self.cleaned_data.get("beneficiary") or Beneficiary.ENTERPRISE

    # How the top level of the criteria combines (the builder's groups sit inside it).
    match = forms.ChoiceField(
        label=_("The criteria are met when"), choices=MATCH_CHOICES, required=False
    )
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


def place_rule_error(error: RuleError, version_form: VersionForm, rows: list,
                     paths: list[str] | None = None) -> None:  # fmt: skip
    """Show a rule error on the row and field it names, or on the form."""
    if paths is None:  # the rows are criteria.all[0], [1], … as of old
        paths = [f"criteria.all[{index}]" for index in range(len(rows))]
    found = sorted(
        ((index, path) for index, path in enumerate(paths)
         if error.path == path or error.path.startswith((f"{path}.", f"{path}["))),
        key=lambda item: len(item[1]), reverse=True,
    )  # fmt: skip
    if found and found[0][0] < len(rows):
        index, path = found[0]
        rest = error.path[len(path) :].lstrip(".")
        field = ROW_FIELD.get(re.split(r"[.\[]", rest)[0]) if rest else None
        rows[index].add_error(field, f"{error.path}: {error.message}")
        return
    root = error.path.split(".")[0].split("[")[0]
    target = root if root in ("benefit", "parameters", "rounding", "beneficiary") else None
    version_form.add_error(target, f"{error.path}: {error.message}")


# --- Test cases -------------------------------------------------------------------------------

EXPECTED_STATUS = [("", _("— not checked")), ("eligible", _("eligible")),
                   ("ineligible", _("not eligible")), ("unknown", _("cannot decide"))]  # fmt: skip


class TestCaseForm(GuardedForm):
    """One case: facts in, the expected result out (overall, per criterion, amount)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    facts = JSONField(
        label=_("Facts (JSON)"),
        help_text=_('Fact names and values, e.g. {"hrss.insured_employees": 12}.'),
        widget=forms.Textarea(attrs={"rows": 3, "class": "code", "spellcheck": "false"}),
    )
    expected_status = forms.ChoiceField(label=_("Expected result"), choices=EXPECTED_STATUS,
                                        required=False)  # fmt: skip
    expected_criteria = JSONField(
        label=_("Expected per criterion (JSON)"), required=False,
        help_text=_('Criterion ids and true, false or null, e.g. {"staff": true}.'),
        widget=forms.Textarea(attrs={"rows": 2, "class": "code", "spellcheck": "false"}),
    )  # fmt: skip
    expected_amount = forms.DecimalField(label=_("Expected amount (yuan)"), max_digits=16,
                                         decimal_places=2, required=False)  # fmt: skip

    @classmethod
    def initial_from(cls, case) -> dict[str, Any]:
        return {"name": case.name, "facts": case.facts, "expected_status": case.expected_status,
                "expected_criteria": case.expected_criteria,
                "expected_amount": case.expected_amount}  # fmt: skip

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"name": data["name"], "facts": data["facts"],
                "expected_status": data["expected_status"] or "",
                "expected_criteria": data["expected_criteria"] or {},
                "expected_amount": data["expected_amount"]}  # fmt: skip


# --- A new policy -----------------------------------------------------------------------------


class PolicyForm(GuardedForm):
    """What a policy is: its names, legal basis, benefit and whom it targets. Its rules are
    its first version's, made on the same page."""

    code = forms.SlugField(label=_("Code"), max_length=60,
                           help_text=_("Letters, digits and hyphens, e.g. jobs-2027."))  # fmt: skip
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=250)
    summary_zh = forms.CharField(label=_("Summary (Chinese)"),
                                 widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    summary_en = forms.CharField(label=_("Summary (English)"),
                                 widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    legal_basis_zh = forms.CharField(
        label=_("Legal basis (Chinese)"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The document's text, one clause a paragraph starting with its number "
                    "(第三条 …): the criteria link to the clause they cite."),
    )  # fmt: skip
    legal_basis_en = forms.CharField(label=_("Legal basis (English)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    benefit_type = forms.ChoiceField(label=_("Benefit type"), choices=BenefitType.choices)
    delivery_mode = forms.ChoiceField(label=_("Delivery"), choices=DeliveryMode.choices)
    target_districts = forms.ModelMultipleChoiceField(
        label=_("Target districts"), required=False, queryset=District.objects.all(),
        help_text=_("None chosen: the whole city."),
    )  # fmt: skip
    target_industry_sections = forms.CharField(
        label=_("Target industry sections"), required=False, max_length=80,
        help_text=_("GB/T 4754 section letters separated by commas, e.g. C, I; empty: every "
                    "industry."),
    )  # fmt: skip

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if Policy.objects.filter(code=code).exists():
            raise forms.ValidationError(_("A policy with this code exists already."))
        return code

    def clean_target_industry_sections(self) -> list[str]:
        parts = [part.strip().upper() for part in
                 re.split(r"[,，、\s]+", self.cleaned_data["target_industry_sections"])
                 if part.strip()]  # fmt: skip
        wrong = [part for part in parts if not re.fullmatch(r"[A-T]", part)]
        if wrong:
            raise forms.ValidationError(
                _("Not a section letter (A to T): %(wrong)s"), params={"wrong": ", ".join(wrong)}
            )
        return list(dict.fromkeys(parts))
