"""Imports point down (design.md): dashboards → subsidies/approvals/credit/directline →
policies → datahub → departments/enterprises/accounts → qinqing, with no cycles among apps."""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = {
    "qinqing": 0,
    "accounts": 1, "departments": 1, "enterprises": 1,
    # The data hub reads the enterprise register, so it sits above it (docs/architecture.md).
    "datahub": 1.5,
    # Partner clients bind to a department or an enterprise; only settings name them.
    "partners": 1.5,
    "policies": 2,
    "subsidies": 3, "approvals": 3, "credit": 3, "directline": 3,
    "dashboards": 4,
    # Webhooks read the outbox and every user's scope; nothing imports them.
    "integrations": 4,
}  # fmt: skip
# The composition root wires the apps together: the URLconf and the role-aware home page.
COMPOSITION_ROOT = {"qinqing/urls.py", "qinqing/views.py"}


def component_of(dotted: str) -> str | None:
    """The longest LAYER key that is the module or one of its packages."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in LAYER:
            return candidate
    return None


def imports_between_apps() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    top_level = {name.split(".")[0] for name in LAYER}
    paths = [path for top in sorted(top_level) for path in (ROOT / top).rglob("*.py")]
    for path in paths:
        relative = path.relative_to(ROOT).as_posix()
        app = component_of(relative.removesuffix(".py").replace("/", "."))
        if app is None or "/migrations/" in relative or relative in COMPOSITION_ROOT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                target = component_of(name)
                if target is not None and target != app:
                    found[(app, target)].append(f"{relative}:{node.lineno}")
    return found


def test_no_app_imports_a_higher_layer():
    upward = {
        f"{source} → {target}": where
        for (source, target), where in imports_between_apps().items()
        if LAYER[target] > LAYER[source]
    }
    assert upward == {}


def test_apps_on_one_layer_do_not_import_each_other_both_ways():
    edges = imports_between_apps()
    cycles = {
        f"{a} ⇄ {b}": edges[(a, b)] + edges[(b, a)] for (a, b) in edges if (b, a) in edges and a < b
    }
    assert cycles == {}
