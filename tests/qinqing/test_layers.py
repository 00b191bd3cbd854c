"""Imports point one way, file by file.

The layers between apps (and the simulators kept out of the domain) are import-linter
contracts in pyproject.toml, run by `make lint`. This test reads the source itself for what
those contracts do not see: no cycle between FILES, imports inside functions included
(a cycle hidden in a function is still a cycle: it only fails later, at run time); and
imports placed inside functions only where a comment says why, at most ten in the tree.
"""

from __future__ import annotations

import ast
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The project's own packages: the ones the import contracts cover.
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]["root_packages"]
MAX_IMPORTS_IN_FUNCTIONS = 10


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    path: str
    line: int
    in_function: bool
    commented: bool

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.importer} -> {self.imported}"


def module_files() -> dict[str, Path]:
    """Module name → file, for every module of the project's packages but migrations."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module that `name` names, or the nearest package that holds it."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _has_comment(lines: list[str], node: ast.stmt) -> bool:
    """A comment on the import's own line(s) or on the line just above it."""
    above = lines[node.lineno - 2].strip() if node.lineno >= 2 else ""
    own = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
    return above.startswith("#") or any("#" in line for line in own)


def _import_nodes(
    node: ast.AST, in_function: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement under `node` and whether it stands inside a function."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for other in child.orelse:
                yield from _import_nodes(other, in_function)
        elif isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function
        else:
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from _import_nodes(child, in_function or inner)


def project_imports() -> list[Import]:
    """Every import of a project module by a project module, wherever it stands in the file
    (module level, class body, function), except those under `if TYPE_CHECKING:`."""
    modules = module_files()
    found: list[Import] = []
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node, in_function in _import_nodes(ast.parse(source, filename=str(path))):
            found += [
                Import(
                    importer=module,
                    imported=target,
                    path=path.relative_to(ROOT).as_posix(),
                    line=node.lineno,
                    in_function=in_function,
                    commented=_has_comment(lines, node),
                )
                for target in sorted(_targets(node, package, modules))
                if target != module
            ]
    return found


def _targets(node: ast.Import | ast.ImportFrom, package: str, modules: dict) -> set[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        # `from package import module` imports the module; `from module import name` the module.
        names = [f"{prefix}.{alias.name}" for alias in node.names]
    return {target for name in names if (target := _resolve(name, modules)) is not None}


def file_cycles(imports: list[Import]) -> list[list[str]]:
    """The strongly connected groups of files (Tarjan), each a cycle or several."""
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in imports:
        graph[edge.importer].add(edge.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def connect(node: str) -> None:  # recursion depth = longest import chain: small
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(groups)


def describe(groups: list[list[str]], imports: list[Import]) -> str:
    lines = []
    for group in groups:
        members = set(group)
        lines.append(" ⇄ ".join(group))
        lines += [
            f"    {edge}{' (in a function)' if edge.in_function else ''}"
            for edge in imports
            if edge.importer in members and edge.imported in members
        ]
    return "\n".join(lines)


def test_the_reader_finds_imports_in_functions_and_relative_ones():
    """The checks below are only as good as this reader: it must see what Python runs."""
    imports = project_imports()
    modules = module_files()
    assert "qinqing.urls" in modules and not any("migrations" in m for m in modules)
    edges = {(edge.importer, edge.imported) for edge in imports}
    # qinqing/urls.py: `from . import health, views` (relative, a package's modules).
    assert ("qinqing.urls", "qinqing.health") in edges
    assert ("qinqing.urls", "qinqing.api.views") in edges  # `from .api.views import …`
    assert file_cycles([Import("a", "b", "", 1, False, False)]) == []
    assert file_cycles(
        [Import("a", "b", "", 1, False, False), Import("b", "a", "", 1, True, False)]
    ) == [["a", "b"]]


def test_no_import_cycle_between_files():
    imports = project_imports()
    cycles = file_cycles(imports)
    assert cycles == [], f"{len(cycles)} import cycles between files:\n" + describe(cycles, imports)


def test_imports_inside_functions_are_few_and_say_why():
    inside = [edge for edge in project_imports() if edge.in_function]
    silent = [edge for edge in inside if not edge.commented]
    assert len(inside) <= MAX_IMPORTS_IN_FUNCTIONS and not silent, (
        f"{len(inside)} project imports inside functions (at most "
        f"{MAX_IMPORTS_IN_FUNCTIONS}), {len(silent)} of them without a comment saying why:\n"
        + "\n".join(f"{edge}{'' if edge.commented else '  (no comment)'}" for edge in inside)
    )
