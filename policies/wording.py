"""Policy parameters as people read them: by the label the version gives them, else by the
clause they come from — never by their internal names (`min_staff`). One rule for the
policy page and the claim page (subsidies.selectors.formula_words)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datahub.catalogue import FactType, display_value
from datahub.normalise import to_json
from qinqing.i18n import article_ref, join_list, prefers_chinese

from . import advice
from .rules.facts import fact_spec
from .rules.parameters import Parameter


def parameter_labels(version_parameters: dict[str, Any] | None) -> dict[str, Any]:
    """{name: label} from a version's stored parameters (a label is {"zh", "en"} or text)."""
    return {
        name: body.get("label")
        for name, body in (version_parameters or {}).items()
        if isinstance(body, dict) and body.get("label")
    }


def label_text(label: Any) -> str:
    if isinstance(label, dict):
        label = label.get("zh" if prefers_chinese() else "en") or label.get("zh")
    return str(label or "")


def parameter_reference(parameter: Parameter, when: date) -> str:
    """The clause the value in force on `when` comes from, in the reader's language."""
    reference = next((d.reference for d in reversed(parameter.values) if d.starts <= when), "")
    if not reference and parameter.values:
        reference = parameter.values[0].reference
    return article_ref(reference)


def parameter_label(parameter: Parameter, when: date, labels: dict[str, Any]) -> str:
    """The words that name a parameter: its label, or else its clause."""
    return label_text(labels.get(parameter.name)) or parameter_reference(parameter, when)


# --- Near-miss advice in words (policies.advice) --------------------------------------------

# "If “Employees insured” were at least 10 persons, you would qualify; it is 6 persons now."
_CHANGE_WORDS = {
    "ge": gettext_lazy(
        "If “%(fact)s” were at least %(needed)s, %(outcome)s; it is %(current)s now."
    ),
    "le": gettext_lazy(
        "If “%(fact)s” were at most %(needed)s, %(outcome)s; it is %(current)s now."
    ),
    "eq": gettext_lazy("If “%(fact)s” were %(needed)s, %(outcome)s; it is %(current)s now."),
    "ne": gettext_lazy(
        "If “%(fact)s” were anything but %(needed)s, %(outcome)s; it is %(current)s now."
    ),
    "in": gettext_lazy("If “%(fact)s” were one of %(needed)s, %(outcome)s; it is %(current)s now."),
    "not_in": gettext_lazy(
        "If “%(fact)s” were none of %(needed)s, %(outcome)s; it is %(current)s now."
    ),
}
_DATE_WORDS = {
    "ge": gettext_lazy(
        "If “%(fact)s” were on or after %(needed)s, %(outcome)s; it is %(current)s now."
    ),
    "le": gettext_lazy(
        "If “%(fact)s” were on or before %(needed)s, %(outcome)s; it is %(current)s now."
    ),
}
_REASON_WORDS = {
    advice.UNKNOWN_FACT: gettext_lazy(
        "We cannot say what would meet this: the department's data could not be read yet."
    ),
    advice.NO_RECORD: gettext_lazy(
        "We cannot say what would meet this: the department holds no record of it."
    ),
    advice.SEVERAL_CHANGES: gettext_lazy(
        "No single change would meet this group of criteria: several facts would have to "
        "change together."
    ),
    advice.NO_THRESHOLD: gettext_lazy(
        "We cannot say what would meet this: the policy sets no threshold for today."
    ),
    advice.NO_OTHER_VALUE: gettext_lazy("No value of this fact would meet this criterion."),
    advice.AMOUNT: gettext_lazy(
        "The criteria are met, but the amount cannot be worked out from the data read so "
        "far, so we cannot say what would change it."
    ),
}


def _shown(fact: str, value: Any) -> str:
    if isinstance(value, list | tuple):
        return join_list((display_value(fact, item) for item in value), conjunction=True)
    return display_value(fact, value)


def change_text(change: advice.Change, outcome: str) -> str:
    """One change in words, in the reader's language, values as the fact shows them
    (¥ amounts, persons, dates, 是/否, categories by name): never codes."""
    words = (_DATE_WORDS if change.fact_type is FactType.DATE else {}).get(change.op)
    words = words or _CHANGE_WORDS[change.op]
    spec = fact_spec(change.fact)
    return str(words) % {
        "fact": spec.label if spec else change.fact,
        "needed": _shown(change.fact, change.needed),
        "current": _shown(change.fact, change.current),
        "outcome": outcome,
    }


def reason_text(reason: str) -> str:
    return str(_REASON_WORDS.get(reason, _REASON_WORDS[advice.SEVERAL_CHANGES]))


def _outcome(requirement: advice.Requirement, only: bool) -> str:
    if only:
        return _("you would qualify")
    if requirement.group:
        return _("you would meet this group of criteria")
    return _("you would meet this criterion")


def requirement_text(requirement: advice.Requirement, *, only: bool = False) -> str:
    """The requirement in one sentence (or its options in a list); `only`: it is the one
    thing between the enterprise and eligibility."""
    if not requirement.possible:
        return reason_text(requirement.reason)
    outcome = _outcome(requirement, only)
    texts = [change_text(option, outcome) for option in requirement.options]
    if len(texts) == 1:
        return texts[0]
    return _("Any one of these would do: %(options)s") % {"options": " ".join(texts)}


def advice_by_criterion(requirements: list[advice.Requirement]) -> dict[str, list[str]]:
    """{criterion id: sentences to show under it}; "" for advice about no one criterion
    (the amount)."""
    only = len(requirements) == 1
    shown: dict[str, list[str]] = {}
    for requirement in requirements:
        if requirement.possible:
            outcome = _outcome(requirement, only)
            for option in requirement.options:
                shown.setdefault(option.criterion, []).append(change_text(option, outcome))
        else:
            for criterion in requirement.criteria or ("",):
                shown.setdefault(criterion, []).append(reason_text(requirement.reason))
    return shown


def advice_as_json(requirements: list[advice.Requirement]) -> list[dict]:
    """The API's form: each requirement with its changes (criterion, fact, current value,
    operator, needed value, text), or why none can be named."""
    only = len(requirements) == 1
    rows = []
    for requirement in requirements:
        outcome = _outcome(requirement, only)
        rows.append({
            "criteria": list(requirement.criteria),
            "group": requirement.group,
            "possible": requirement.possible,
            "reason": requirement.reason,
            "text": requirement_text(requirement, only=only),
            "changes": [{
                "criterion": option.criterion, "fact": option.fact,
                "current": _json(option.current), "op": option.op,
                "needed": _json(option.needed), "text": change_text(option, outcome),
            } for option in requirement.options],
        })  # fmt: skip
    return rows


def _json(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return to_json(value)
