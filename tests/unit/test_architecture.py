"""The architecture, checked on the source with `ast` (imports inside functions and
under `if TYPE_CHECKING:` count like any other).

- The dependency rule: adapters -> bot -> storage, never the other way. Nothing in
  bot/ or storage/ imports a platform SDK or an adapter; only bot/runtime.py uses
  APScheduler.
- Layers inside bot/: features -> delivery -> core. The core imports no delivery,
  feature or top-level module (mentorbot, bootstrap, runtime); delivery imports no
  feature or top-level module; features import no top-level module; only adapters
  (and tests) import the composition root `bot.bootstrap`.
- No import cycle between modules of bot/, storage/ and adapters/.
- No private name (`_x`) reaches across modules: a name another module needs is
  public and documented.
- No module in bot/ or storage/ is over 500 lines (migrations excluded).

Each check is a function of a source root, so `test_each_check_can_fail` runs it
on a small synthetic tree with the fault planted and sees it reported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "storage", "adapters")
FORBIDDEN = ("slack_bolt", "slack_sdk", "discord", "adapters")
MAX_LINES = 500

# None today. A known exception must be listed here with its reason; the test below fails
# once it is fixed, so an entry is deleted rather than forgotten.
KNOWN_CYCLES: set[frozenset[str]] = set()
KNOWN_PRIVATE_IMPORTS: set[str] = set()


# --- reading the source ------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """One import statement's reach into another module of the tree."""

    source: str  # the importing module
    target: str  # the module imported (a submodule when `from pkg import module`)
    name: str  # the name taken from `target` ("" for a module import)
    line: int


def modules(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the packages under `root`."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


@cache  # every check reads the same files; parse each once per run
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _absolute(module: str, path: Path, level: int, name: str | None) -> str:
    """Resolve `from ..x import y` as Python does, from the importing module's package."""
    if level == 0:
        return name or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, name] if name else base)


def _known(dotted: str, known: dict[str, Path]) -> str | None:
    """The longest prefix of `dotted` that is a module of the tree (None: outside it)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def external_imports(path: Path) -> set[str]:
    """Absolute module names a file imports (to check platform SDKs and APScheduler)."""
    found: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@cache
def internal_imports(root: Path, packages: tuple[str, ...] = PACKAGES) -> tuple[Import, ...]:
    """Every import from one module of the tree into another, wherever it is written."""
    return tuple(_scan(root, packages))


def _scan(root: Path, packages: tuple[str, ...]) -> Iterator[Import]:
    known = modules(root, packages)
    for module, path in known.items():
        tree = _tree(path)
        aliases: dict[str, str] = {}  # local name -> module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = _known(alias.name, known)
                    if target is not None:
                        yield Import(module, target, "", node.lineno)
                        if alias.asname:
                            aliases[alias.asname] = target
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(module, path, node.level, node.module)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    if submodule in known:  # `from pkg import module`
                        yield Import(module, submodule, "", node.lineno)
                        aliases[alias.asname or alias.name] = submodule
                    elif base in known:
                        yield Import(module, base, alias.name, node.lineno)
        # `module._private` through a module bound by an import is a reach too.
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and _private(node.attr)
            ):
                yield Import(module, aliases[node.value.id], node.attr, node.lineno)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


# --- the checks --------------------------------------------------------------------


def import_cycles(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[frozenset[str]]:
    """Groups of modules that import each other, directly or around a loop (Tarjan)."""
    graph: dict[str, set[str]] = {m: set() for m in modules(root, packages)}
    for edge in internal_imports(root, packages):
        if edge.target != edge.source:
            graph[edge.source].add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(frozenset(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def long_modules(root: Path, limit: int = MAX_LINES) -> list[str]:
    """Modules of bot/ and storage/ over `limit` lines; migrations are history, not code to read."""
    return sorted(
        f"{path.relative_to(root)}: {lines} lines"
        for path in modules(root, ("bot", "storage")).values()
        if "migrations" not in path.relative_to(root).parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > limit
    )


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "bot":
        return parts[0]
    if len(parts) > 1 and parts[1] in ("core", "delivery", "features"):
        return parts[1]
    return "top"  # bot.mentorbot, bot.bootstrap, bot.runtime


# What each layer of bot/ may import from bot/ (besides itself).
ALLOWED_LAYERS = {
    "core": {"core"},
    "delivery": {"delivery", "core"},
    "features": {"features", "delivery", "core"},
    "top": {"top", "features", "delivery", "core"},
}


def layer_violations(root: Path) -> list[str]:
    """Imports inside bot/ against features -> delivery -> core, and of the composition root."""
    found = []
    for edge in internal_imports(root):
        source, target = _layer(edge.source), _layer(edge.target)
        if edge.target == "bot.bootstrap" and source not in ("adapters",) and edge.source != "bot.bootstrap":
            found.append(f"{edge.source}:{edge.line} imports the composition root bot.bootstrap")
        elif edge.source.startswith("bot.") and edge.target.startswith("bot.") and target not in ALLOWED_LAYERS[source]:
            found.append(f"{edge.source}:{edge.line} ({source}) imports {edge.target} ({target})")
    return sorted(found)


def private_imports(root: Path) -> list[str]:
    """Private names (`_x`) taken from another module."""
    return sorted(
        {
            f"{edge.source} -> {edge.target}.{edge.name}"
            for edge in internal_imports(root)
            if edge.name and _private(edge.name) and edge.target != edge.source
        }
    )


def sdk_imports(root: Path, package: str) -> list[str]:
    return sorted(
        f"{path.relative_to(root)}: {name}"
        for path in (root / package).rglob("*.py")
        for name in external_imports(path)
        if name.split(".")[0] in FORBIDDEN
    )


# --- the tests on this repository --------------------------------------------------


@pytest.mark.parametrize("package", ["bot", "storage"])
def test_core_never_imports_platforms_or_adapters(package: str) -> None:
    offenders = sdk_imports(ROOT, package)
    assert not offenders, f"the core must not import platforms/adapters: {offenders}"


def test_storage_never_imports_the_core() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "storage").rglob("*.py")
        for name in external_imports(path)
        if name.split(".")[0] == "bot"
    }
    assert not offenders, sorted(offenders)


def test_only_the_runtime_uses_apscheduler() -> None:
    users = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if any(name.split(".")[0] == "apscheduler" for name in external_imports(path))
    }
    assert users <= {"bot/runtime.py"}, sorted(users)


def test_no_import_cycles() -> None:
    cycles = [sorted(c) for c in import_cycles(ROOT) if c not in KNOWN_CYCLES]
    assert not cycles, f"modules that import each other: {cycles}"


def test_no_module_over_500_lines() -> None:
    assert not long_modules(ROOT), long_modules(ROOT)


def test_layers_inside_bot() -> None:
    violations = layer_violations(ROOT)
    assert not violations, violations


def test_no_private_names_across_modules() -> None:
    reaches = [r for r in private_imports(ROOT) if r not in KNOWN_PRIVATE_IMPORTS]
    assert not reaches, f"make these public (with a docstring) or move them: {reaches}"


def test_known_exceptions_are_still_needed() -> None:
    """An exception that no longer occurs is deleted from the list, not kept as a loophole."""
    assert KNOWN_CYCLES <= set(import_cycles(ROOT)), "a known cycle is gone: delete it from KNOWN_CYCLES"
    assert KNOWN_PRIVATE_IMPORTS <= set(private_imports(ROOT)), "delete the fixed entry from KNOWN_PRIVATE_IMPORTS"


# --- every check can fail: a synthetic tree with each fault planted -----------------


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_each_check_can_fail(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/bootstrap.py": "",
            "bot/core/__init__.py": "",
            # core -> features: a layer violation (hidden in a function)
            "bot/core/clock.py": "def now():\n    from bot.features.polls import polls\n",
            "bot/delivery/__init__.py": "",
            "bot/delivery/outbox.py": "from bot.bootstrap import build_router\n",
            "bot/features/__init__.py": "",
            "bot/features/polls/__init__.py": "",
            # a cycle through a relative `from . import module`, a function-level import
            # and a TYPE_CHECKING import
            "bot/features/polls/polls.py": "from . import tally\n",
            "bot/features/polls/tally.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .votes import Vote\n"
            ),
            "bot/features/polls/votes.py": (
                "def f():\n    from bot.features.polls.polls import x\n"
                # private names: taken by name, and reached through a module
                "from bot.features.polls.tally import _count\n"
                "from bot.features.polls import tally\ntally._total()\n"
            ),
            "storage/__init__.py": "",
            "storage/big.py": "x = 1\n" * (MAX_LINES + 1),
            "storage/migrations/versions/0001_long.py": "x = 1\n" * (MAX_LINES + 1),
            "adapters/__init__.py": "",
            "adapters/slack.py": "from bot.bootstrap import bootstrap\n",  # allowed
        },
    )
    (tmp_path / "bot/features/stats").mkdir()
    _write(tmp_path, {"bot/features/stats/export.py": "import slack_sdk\n"})

    assert import_cycles(tmp_path) == [
        frozenset({"bot.features.polls.polls", "bot.features.polls.tally", "bot.features.polls.votes"})
    ]
    assert long_modules(tmp_path) == [f"storage/big.py: {MAX_LINES + 1} lines"]
    assert layer_violations(tmp_path) == [
        "bot.core.clock:2 (core) imports bot.features.polls.polls (features)",
        "bot.delivery.outbox:1 imports the composition root bot.bootstrap",
    ]
    assert private_imports(tmp_path) == [
        "bot.features.polls.votes -> bot.features.polls.tally._count",
        "bot.features.polls.votes -> bot.features.polls.tally._total",
    ]
    assert sdk_imports(tmp_path, "bot") == ["bot/features/stats/export.py: slack_sdk"]


def test_a_clean_tree_passes_every_check(tmp_path: Path) -> None:
    """The checks do not cry wolf: dunder names, `import a.b as c`, upward imports are fine."""
    _write(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/core/__init__.py": "__all__ = []\n",
            "bot/core/clock.py": "import bot.core as core\nx = core.__all__\n",
            "bot/features/__init__.py": "",
            "bot/features/polls.py": "from ..core import clock\nfrom bot.core.clock import x\n",
            "bot/bootstrap.py": "from bot.features import polls\n",
            "storage/__init__.py": "",
            "adapters/__init__.py": "",
        },
    )
    assert import_cycles(tmp_path) == []
    assert long_modules(tmp_path) == []
    assert layer_violations(tmp_path) == []
    assert private_imports(tmp_path) == []
    assert sdk_imports(tmp_path, "bot") == []
