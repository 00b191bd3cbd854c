"""How deep and how large a rule may be, checked before it is parsed (issue #19)."""

from __future__ import annotations

from typing import Any

from .errors import RuleError

# Rule size: the parser, the evaluators and the pages walk rules recursively, and a rule is
# read by people. Real policies nest criteria 2–4 levels and name a few dozen criteria; a
# draft 500 levels deep or with 20,000 leaves is refused, naming where (issue #19).
MAX_CRITERIA_DEPTH = 12  # groups and criteria, from the top


MAX_CRITERIA_NODES = 500  # groups and criteria together


MAX_FORMULA_DEPTH = 16  # formula elements, from the top


MAX_FORMULA_NODES = 500


def criteria_children(raw: Any, path: str) -> list[tuple[Any, str]]:
    if not isinstance(raw, dict):
        return []
    for kind in ("all", "any"):
        if kind in raw and isinstance(raw[kind], list):
            return [(child, f"{path}.{kind}[{i}]") for i, child in enumerate(raw[kind])]
    if "not" in raw:
        return [(raw["not"], f"{path}.not")]
    return []


def formula_children(raw: Any, path: str) -> list[tuple[Any, str]]:
    """Every object inside a formula element (operands, tiers' bands and amounts)."""
    found: list[tuple[Any, str]] = []
    pending: list[tuple[Any, str]] = [(raw, path)]
    first = True
    while pending:
        value, where = pending.pop()
        if isinstance(value, dict) and not first:
            found.append((value, where))
            continue
        first = False
        items = value.items() if isinstance(value, dict) else (
            enumerate(value) if isinstance(value, list) else ())  # fmt: skip
        for key, child in items:
            if isinstance(child, (dict, list)):
                pending.append((child, f"{where}[{key}]" if isinstance(key, int)
                                else f"{where}.{key}"))  # fmt: skip
    return found


def check_size(raw: Any, path: str, *, kind: str = "criteria") -> None:
    """Refuse a rule deeper or larger than the limits, naming the first part beyond them;
    iterative, so that no depth of input can make it recurse."""
    children, max_depth, max_nodes = (
        (criteria_children, MAX_CRITERIA_DEPTH, MAX_CRITERIA_NODES) if kind == "criteria"
        else (formula_children, MAX_FORMULA_DEPTH, MAX_FORMULA_NODES))  # fmt: skip
    stack: list[tuple[Any, str, int]] = [(raw, path, 1)]
    count = 0
    while stack:
        node, where, depth = stack.pop()
        count += 1
        if depth > max_depth:
            raise RuleError(where, f"nested too deeply: at most {max_depth} levels")
        if count > max_nodes:
            raise RuleError(path, f"too large: at most {max_nodes} parts in all")
        stack.extend((child, child_path, depth + 1)
                     for child, child_path in reversed(children(node, where)))  # fmt: skip
