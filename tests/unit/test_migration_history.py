"""Migration history is linear from `0010_profile_stats_order` on.

The early revisions branched (two files numbered 0002, 0004 branching from 0002)
and three heads were merged at 0007. They are left exactly as they are: every
existing database records the revision id it is at in `alembic_version`, and
Alembic finds its place in the history by that id, so renaming or renumbering an
old revision would leave those databases pointing at a revision that no longer
exists and `mentorbot migrate` would refuse to run. From 0010 on each new
revision names exactly one predecessor: one head, no branches, no merges.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from storage.migrate import alembic_config

LINEAR_FROM = "0010_profile_stats_order"


def history_faults(script: ScriptDirectory, linear_from: str = LINEAR_FROM) -> list[str]:
    """What breaks a linear history after `linear_from` (empty when it is linear)."""
    faults: list[str] = []
    heads = script.get_heads()
    if len(heads) != 1:
        faults.append(f"{len(heads)} heads: {sorted(heads)}")
    revisions = {rev.revision: rev for rev in script.walk_revisions()}
    older = {rev.revision for rev in script.iterate_revisions(linear_from, "base")}  # includes linear_from
    children: dict[str, list[str]] = {}
    for rev in revisions.values():
        downs = rev.down_revision if isinstance(rev.down_revision, tuple) else (rev.down_revision,)
        for down in downs:
            if down is not None:
                children.setdefault(down, []).append(rev.revision)
        if rev.revision in older:
            continue
        if not isinstance(rev.down_revision, str):
            faults.append(f"{rev.revision} has down_revision {rev.down_revision!r}; it must name exactly one revision")
        if rev.dependencies:
            faults.append(f"{rev.revision} depends on {rev.dependencies!r}; say it with down_revision")
    for parent in {linear_from, *(set(revisions) - older)}:
        if len(children.get(parent, [])) > 1:
            faults.append(f"{parent} has {len(children[parent])} successors: {sorted(children[parent])}")
    return sorted(faults)


def test_history_is_linear_after_0010() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert LINEAR_FROM in {rev.revision for rev in script.walk_revisions()}
    assert history_faults(script) == []


def _revision(versions: Path, revision: str, down: str | tuple[str, ...] | None) -> None:
    (versions / f"{revision}.py").write_text(
        f"revision = {revision!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n"
        "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n",
        encoding="utf-8",
    )


def test_the_check_catches_a_branch_and_a_merge(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    config = Config()
    config.set_main_option("script_location", str(tmp_path))
    _revision(versions, "0001", None)
    _revision(versions, "0002a", "0001")
    _revision(versions, "0002b", "0001")
    _revision(versions, "0003_merge", ("0002a", "0002b"))  # the old way: fine before the line
    _revision(versions, "0004", "0003_merge")
    assert history_faults(ScriptDirectory.from_config(config), "0003_merge") == []

    _revision(versions, "0005a", "0004")
    _revision(versions, "0005b", "0004")
    assert history_faults(ScriptDirectory.from_config(config), "0003_merge") == [
        "0004 has 2 successors: ['0005a', '0005b']",
        "2 heads: ['0005a', '0005b']",
    ]

    _revision(versions, "0006_merge", ("0005a", "0005b"))
    assert history_faults(ScriptDirectory.from_config(config), "0003_merge") == [
        "0004 has 2 successors: ['0005a', '0005b']",
        "0006_merge has down_revision ('0005a', '0005b'); it must name exactly one revision",
    ]
