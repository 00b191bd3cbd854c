"""The facts a rule may name: the hub's catalogue (enterprise and person facts), and who
a version pays, which decides the facts it may name."""

from __future__ import annotations

from typing import Any

from datahub.facttypes import FactType

from .errors import RuleError

# The rules name facts of the hub's catalogue. Outside Django (tools/verify.py loads the rule
# language and engine.py by path, with datahub/facttypes.py and qinqing/guard.py) the catalogue
# is not importable: the caller sets CATALOGUE to the facts it has (a receipt carries each
# fact's name, type, department and choices).
try:
    from datahub.catalogue import CATALOGUE, PERSON_CATALOGUE, FactSpec
except ModuleNotFoundError as missing:  # pragma: no cover - exercised by tools/verify.py
    if (missing.name or "").split(".")[0] not in ("django", "datahub", "enterprises"):
        raise
    CATALOGUE: dict[str, Any] = {}  # type: ignore[no-redef]
    PERSON_CATALOGUE: dict[str, Any] = {}  # type: ignore[no-redef]
    FactSpec = Any  # type: ignore[misc,assignment]

# Who a version pays (policies.models.Beneficiary, repeated here: no Django in this file). A
# version for persons names person facts (PERSON_CATALOGUE, "person.…") and its employer's
# enterprise facts (CATALOGUE); a version for enterprises names enterprise facts only.
ENTERPRISE, PERSON = "enterprise", "person"


BENEFICIARIES = (ENTERPRISE, PERSON)


def fact_spec(name: str):
    """The catalogue entry of a fact, enterprise or person (None when neither declares it)."""
    return CATALOGUE.get(name) or PERSON_CATALOGUE.get(name)


def is_person_fact(name: str) -> bool:
    return name in PERSON_CATALOGUE and name not in CATALOGUE


def rule_fact(name: Any, beneficiary: str, path: str, what: str = "fact") -> FactSpec:
    """The fact a rule names: an enterprise fact, or for a version paid to persons also a
    person fact; a person fact in an enterprise's version is refused, naming where."""
    spec = fact_spec(name) if isinstance(name, str) else None
    if spec is None:
        raise RuleError(path, f"unknown {what} {name!r}")
    if is_person_fact(name) and beneficiary != PERSON:
        raise RuleError(path, f"{name} is a fact about a person: only a version paid to "
                              "persons (beneficiary person) may name it")  # fmt: skip
    if spec.type is FactType.TEXT:
        raise RuleError(path, f"{name} is an identifier (text), which a rule cannot compare")
    return spec
