"""The documentation agrees with the code: every configuration key is explained, and the
README keeps the two-command quick start and links to the reference pages moved to docs/."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_env_example_key_is_in_the_configuration_table() -> None:
    keys = set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    table = (ROOT / "docs" / "configuration.md").read_text()
    missing = sorted(k for k in keys if f"`{k}`" not in table)
    assert not missing, f"docs/configuration.md's table lacks: {missing}"


def test_readme_links_every_moved_reference_page() -> None:
    readme = (ROOT / "README.md").read_text()
    for page in ("configuration", "console", "program-file", "slack", "discord", "architecture", "testing", "demo"):
        assert f"](docs/{page}.md)" in readme, page
        assert (ROOT / "docs" / f"{page}.md").is_file(), page
    assert "](CONTRIBUTING.md)" in readme and (ROOT / "CONTRIBUTING.md").is_file()


def test_readme_quick_start_is_exactly_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [
        line.split("#")[0].strip()
        for line in quick.split("```sh", 1)[1].split("```", 1)[0].splitlines()
        if line.strip()
    ]
    assert commands == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
