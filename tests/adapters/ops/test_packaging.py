"""The package installs anywhere (CI only: it builds a wheel and makes a virtualenv), and the
container recipe is consistent with the configuration it documents (always)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

from adapters.cli import _parser

ROOT = Path(__file__).resolve().parents[3]
CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [name for name in out.splitlines() if (ROOT / name).is_file()]


def shipped_resources() -> list[str]:
    """Non-Python files inside the packages: the program file, migrations' template, the manifest…"""
    return sorted(
        name
        for name in tracked_files()
        if name.split("/")[0] in ("bot", "adapters", "storage") and not name.endswith(".py")
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the tracked files, installed with --no-deps into a fresh
    virtualenv outside the source tree; returns its bin directory."""
    if not CI:
        pytest.skip("builds a wheel and a virtualenv: runs when CI=true")
    work = tmp_path_factory.mktemp("package")
    source = work / "checkout"  # not "source"/"src": setuptools' bdist_wheel trips over those names
    for name in tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    wheels = work / "wheels"
    # Build isolation: the declared build backend (setuptools>=68), not whatever this venv has.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)], check=True, cwd=work
    )
    (wheel,) = wheels.glob("mentorbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in shipped_resources() if name not in names]
    assert not missing, f"package data not in the wheel: {missing}"
    env_dir = work / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # The dependencies come from the interpreter running the tests (a plain path entry: its
    # .pth files, an editable install of this tree among them, are not processed).
    Path(purelib, "mentorbot-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True, cwd=work,
    )  # fmt: skip
    return env_dir / "bin"


def run(bin_dir: Path, *args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(cwd)}  # no PYTHONPATH: only the installed package
    return subprocess.run(
        [str(bin_dir / "mentorbot"), *args], cwd=cwd, env=env, capture_output=True, text=True, input=stdin, timeout=300
    )


def test_the_wheel_runs_from_a_fresh_virtualenv(installed: Path, tmp_path: Path) -> None:
    version = run(installed, "--version", cwd=tmp_path)
    assert version.returncode == 0 and re.fullmatch(r"mentorbot \d+\.\d+\.\d+\S*\n", version.stdout)

    where = subprocess.run(
        [str(installed / "python"), "-c", "import bot, storage; print(bot.__file__); print(storage.__file__)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert str(ROOT) not in where, f"imported from the source tree: {where}"

    migrated = run(installed, "migrate", cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "mentorbot.db").exists()

    script = 'moderators: carol\n@carol /mentor poll "Join?" --closes 1d\n@alice click 1\nwait 1d\n'
    console = run(installed, "console", "--start", "2026-11-23T09:00Z", cwd=tmp_path, stdin=script)
    assert console.returncode == 0, console.stderr
    assert "Poll results #1: Join?" in console.stdout

    doctor = run(installed, "doctor", cwd=tmp_path)
    assert "[ok  ] program file" in doctor.stdout and "[ok  ] migrations at head" in doctor.stdout


def test_every_shipped_resource_is_declared_as_package_data() -> None:
    """Cheap and always on: each non-Python file in a package matches a package-data pattern."""
    import fnmatch
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for name in shipped_resources():
        package, _, rest = name.partition("/")
        patterns = declared.get(package, [])
        assert any(fnmatch.fnmatch(rest, p) or fnmatch.fnmatch(rest, p.replace("**/", "")) for p in patterns), name


# --- container recipe --------------------------------------------------------


def env_example_keys() -> set[str]:
    keys = set()
    for row in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]*)=", row)
        if match:
            keys.add(match.group(1))
    return keys


def test_compose_sets_only_documented_keys_and_runs_a_real_command() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    bot = compose["services"]["bot"]
    environment = bot.get("environment", {})
    keys = set(environment) if isinstance(environment, dict) else {e.split("=", 1)[0] for e in environment}
    assert keys and keys <= env_example_keys(), f"not in .env.example: {sorted(keys - env_example_keys())}"
    command = bot["command"]
    words = command if isinstance(command, list) else command.split()
    assert words[0] == "mentorbot"
    _parser().parse_args(words[1:])  # exits (fails the test) on an unknown command or option
    assert "postgres" in compose["services"] and compose.get("volumes")
    assert str(environment["DATABASE_URL"]).startswith("postgresql+asyncpg://")


def test_dockerfile_runs_as_a_user_with_a_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.M)
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    joined = text.replace("\\\n", " ")  # instructions continued with a backslash, as Docker reads them
    assert re.search(r"^HEALTHCHECK .*CMD .*/healthz", joined, re.M)
    settings = {key for row in joined.splitlines() if row.startswith("ENV ") for key in re.findall(r"(\w+)=", row)}
    ours = {key for key in settings if not key.startswith(("PYTHON", "PIP_"))}  # not the interpreter's own
    assert ours and ours <= env_example_keys()
