"""Policy parameters as people read them: by the label the version gives them, else by the
clause they come from — never by their internal names (`min_staff`). One rule for the
policy page and the claim page (subsidies.selectors.formula_words)."""

from __future__ import annotations

from datetime import date
from typing import Any

from qinqing.i18n import article_ref, prefers_chinese

from .rules import Parameter


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
