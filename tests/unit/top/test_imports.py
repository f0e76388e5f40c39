"""The house's import rule, read from the source: the packages only import those before them in the flow.

Every import counts, lazy ones inside functions too; only ``if TYPE_CHECKING:`` blocks are exempt.
A failure names the file, the line and the import that breaks the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

from lofid import paths

PACKAGE = paths.ROOT / "lofid"
# Flow order. A unit may import units of a lower rank; units sharing a rank are siblings and may not
# import each other. music is pure symbols (it imports nothing of lofid's but errors), so the
# settings schema may use its tables (key names, parts).
RANK = {"errors": 0, "music": 1, "addresses": 2, "config": 2, "mood_levels": 2, "paths": 2, "setting": 2, "model": 3,
        "compose": 4, "audio": 4, "control": 4, "daemon": 5, "training": 6, "evaluation": 7, "cli": 8}
# shared modules: they may import each other (no circles)
TOP_MODULES = {"errors", "addresses", "config", "mood_levels", "paths", "setting"}
TENSORFLOW = {"tensorflow", "keras"}


def module_name(path: Path) -> str:
    parts = path.relative_to(paths.ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit(module: str) -> str:
    """``lofid.compose.harmony`` -> ``compose``; ``lofid.config`` -> ``config``; ``lofid`` -> ``lofid``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "lofid"


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, imported module, at module level) of every import in ``path``, lazy ones included."""
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for other in node.orelse:
                visit(other, top)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, top) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "lofid":  # from lofid import paths (a module), or __version__ (a name)
                found.extend((node.lineno, f"lofid.{alias.name}", top) for alias in node.names
                             if (PACKAGE / alias.name).is_dir() or (PACKAGE / f"{alias.name}.py").is_file())
            else:
                found.append((node.lineno, node.module, top))
        inner = top and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return found


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_package_imports_only_what_comes_before_it_in_the_flow():
    broken = []
    for path in sources():
        here = unit(module_name(path))
        for line, target, _ in imports(path):
            if not target.startswith("lofid.") or here == "lofid":
                continue
            there = unit(target)
            if there == here or (here in TOP_MODULES and there in TOP_MODULES):
                continue
            if RANK[there] >= RANK[here]:
                why = "a sibling" if RANK[there] == RANK[here] else "later in the flow"
                broken.append(f"{path.relative_to(paths.ROOT)}:{line} imports {target} ({there} is {why})")
    assert not broken, "\n".join(broken)


def test_no_import_circles():
    graph: dict[str, set[str]] = {}
    for path in sources():
        name = module_name(path)
        graph[name] = {target for _, target, _ in imports(path) if target.startswith("lofid.")}
    known = set(graph)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    circles = []

    def walk(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in known:
                continue
            if state.get(nxt) == 1:
                circles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                walk(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            walk(start, [start])
    assert not circles, "\n".join(circles)


def test_argparse_only_in_the_cli_and_tensorflow_at_module_level_only_in_training():
    misplaced = []
    for path in sources():
        here = unit(module_name(path))
        for line, target, top in imports(path):
            root = target.split(".")[0]
            if root == "argparse" and here != "cli":
                misplaced.append(f"{path.relative_to(paths.ROOT)}:{line} imports argparse outside lofid/cli")
            if root in TENSORFLOW and top and here != "training":
                misplaced.append(f"{path.relative_to(paths.ROOT)}:{line} imports {root} at module level")
    assert not misplaced, "\n".join(misplaced)


def test_the_rule_itself_catches_a_backward_and_a_sibling_import(tmp_path):
    """The walker sees lazy imports and skips TYPE_CHECKING ones (so the tests above can fail)."""
    source = tmp_path / "probe.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import lofid.cli\n"
                      "def f():\n    from lofid.audio import engine\n    import argparse\n")
    found = imports(source)
    assert (5, "lofid.audio", False) in found and (6, "argparse", False) in found
    assert all(target != "lofid.cli" for _, target, _ in found)


def test_no_module_is_over_about_400_lines():
    long = [f"{p.relative_to(paths.ROOT)}: {n}" for p in sources()
            if (n := p.read_text(encoding="utf-8").count("\n")) > 420]
    assert not long, "split these: " + ", ".join(long)


def package_door(init: Path) -> tuple[list[str] | None, set[str]]:
    """A package's ``__all__`` (None if it has none) and the public names its ``__init__.py`` defines."""
    tree = ast.parse(init.read_text(encoding="utf-8"))
    names, defined = None, set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name) and target.id == "__all__":
                names = ast.literal_eval(node.value)
            elif isinstance(target, ast.Name):
                defined.add(target.id)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
    return names, {n for n in defined if not n.startswith("_") or n == "__version__"}


def test_each_package_names_all_its_modules_and_exports_in_all():
    """``__all__`` at each package's door: every module and subpackage in it, every public name it
    defines, and nothing that is not there (a module added without a line here fails)."""
    wrong = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        folder = init.parent
        modules = {p.stem for p in folder.glob("*.py") if not p.name.startswith("__")}
        modules |= {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}
        names, defined = package_door(init)
        where = init.relative_to(paths.ROOT)
        if names is None:
            wrong.append(f"{where}: no __all__")
            continue
        if len(names) != len(set(names)):
            wrong.append(f"{where}: __all__ names something twice")
        if missing := sorted((modules | defined) - set(names)):
            wrong.append(f"{where}: __all__ lacks {', '.join(missing)}")
        if stray := sorted(set(names) - modules - defined):
            wrong.append(f"{where}: __all__ names what is not there: {', '.join(stray)}")
    assert not wrong, "\n".join(wrong)
