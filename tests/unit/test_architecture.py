"""The dependency rule: adapters -> bot -> storage, never the other way.

Nothing in bot/ or storage/ may import a platform SDK or an adapter, and only
bot/runtime.py may use APScheduler. Checked on the source with `ast`, so an
import hidden inside a function is caught too.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("slack_bolt", "slack_sdk", "discord", "adapters")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", ["bot", "storage"])
def test_core_never_imports_platforms_or_adapters(package: str) -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert not offenders, f"the core must not import platforms/adapters: {sorted(offenders)}"


def test_storage_never_imports_the_core() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "storage").rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] == "bot"
    }
    assert not offenders, sorted(offenders)


def test_only_the_runtime_uses_apscheduler() -> None:
    users = {
        str(path.relative_to(ROOT))
        for package in ("bot", "storage", "adapters")
        for path in (ROOT / package).rglob("*.py")
        if any(name.split(".")[0] == "apscheduler" for name in _imports(path))
    }
    assert users <= {"bot/runtime.py"}, sorted(users)


def test_the_rule_check_would_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from slack_sdk import WebClient\n")
    assert "slack_sdk" in _imports(bad)
