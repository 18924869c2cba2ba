"""The tests' floor plan holds: proper packages, no path edits, one door for benchmarks.

- every folder of tests/ that holds Python is a package (has `__init__.py`), so a
  module is reached by its dotted name (`tests.fakes.slack`), never by a path edit;
- no file in tests/ or bench/ edits `sys.path`;
- bench/*.py imports nothing from tests/ except `tests.support.bench_api`.
Each rule is checked on the tree and shown failing once on a small bad example.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DOOR = "tests.support.bench_api"


def missing_packages(top: Path) -> list[str]:
    """Folders under `top` with .py files but no __init__.py."""
    folders = {p.parent for p in top.rglob("*.py") if "__pycache__" not in p.parts}
    return sorted(str(f.relative_to(top)) for f in folders if not (f / "__init__.py").exists())


def edits_sys_path(source: str) -> bool:
    """True when the code touches sys.path (insert, append, slice assignment, …)."""
    tree = ast.parse(source)
    return any(
        isinstance(node, ast.Attribute)
        and node.attr == "path"
        and isinstance(node.value, ast.Name)
        and node.value.id == "sys"
        for node in ast.walk(tree)
    )


def test_imports(source: str) -> set[str]:
    """Modules under tests/ that a piece of code imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "tests")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "tests":
            found.add(str(node.module))
    return found


test_imports.__test__ = False  # a helper, not a test


def test_every_test_folder_is_a_package() -> None:
    assert missing_packages(ROOT / "tests") == []
    assert missing_packages(ROOT / "bench") == []


def test_nothing_edits_sys_path() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for top in ("tests", "bench")
        for p in sorted((ROOT / top).rglob("*.py"))
        if edits_sys_path(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_benchmarks_import_only_the_published_support_module() -> None:
    reached = {
        p.name: test_imports(p.read_text(encoding="utf-8")) - {BENCH_DOOR}
        for p in sorted((ROOT / "bench").glob("*.py"))
    }
    assert {name: mods for name, mods in reached.items() if mods} == {}


def test_the_rules_can_fail(tmp_path: Path) -> None:
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "helper.py").write_text("x = 1\n")
    assert missing_packages(tmp_path) == ["loose"]
    assert edits_sys_path("import sys\nsys.path.insert(0, 'tests/adapters/slack')\n")
    assert edits_sys_path("import sys\nsys.path[:0] = ['x']\n")
    assert not edits_sys_path("import sys\nprint(sys.argv)\n")
    assert test_imports("from tests.fakes.slack import FakeSlack\nimport bot\n") == {"tests.fakes.slack"}
