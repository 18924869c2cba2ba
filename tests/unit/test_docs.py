"""The documentation agrees with the code: every configuration key is explained."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_env_example_key_is_in_the_readme_configuration_table() -> None:
    keys = set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = sorted(k for k in keys if f"`{k}`" not in table)
    assert not missing, f"README's configuration table lacks: {missing}"


def test_readme_quick_start_is_exactly_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.split("```sh", 1)[1].split("```", 1)[0].splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
