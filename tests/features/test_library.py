"""The resource library: every shipped guide is usable and reachable, every topic has a
starter, and a program file can add, replace and hide guides."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.library import GUIDES, MAX_BODY, ResourceProblem, parse_guide, shipped
from bot.core.program import DEFAULT_PATH, ProgramError, default_program, parse_program
from bot.core.settings import Settings
from tests.support.chat import Chat
from tests.support.db import DatabaseFactory

DEFAULT = DEFAULT_PATH.read_text(encoding="utf-8")


def test_every_shipped_guide_parses_with_an_audience_and_a_milestone_or_topic() -> None:
    files = sorted(GUIDES.glob("*.md"))
    assert len(files) == len(shipped()) >= 27
    for resource in shipped():
        assert resource.role in ("mentor", "mentee", "all"), resource.key
        assert resource.milestone or resource.topics, resource.key
        assert resource.body and len(resource.body) <= MAX_BODY, resource.key
        assert "example.org" not in resource.body and not resource.link
    keys = {r.key for r in shipped()}
    for needed in (
        "mentor-first-conversation",
        "mentee-preparation",
        "partnership-policy",
        "goal-you-can-act-on",
        "good-check-in",
        "feedback",
        "stalled-or-mismatched",
        "closing-well",
    ):
        assert needed in keys
    assert "example.org" not in DEFAULT


def test_every_topic_of_the_default_taxonomy_has_a_starter() -> None:
    program = default_program()
    starters = {t for r in program.resources if r.milestone is None for t in r.topics}
    assert starters == set(program.topic_names)


def test_a_broken_guide_file_is_refused_with_the_reason() -> None:
    with pytest.raises(ResourceProblem, match="front matter"):
        parse_guide("no front matter", "x")
    with pytest.raises(ResourceProblem, match="mentor, mentee or both"):
        parse_guide("---\ntitle: T\naudience: everyone\nmilestone: kickoff\n---\nText", "x")
    with pytest.raises(ResourceProblem, match="milestone or at least one topic"):
        parse_guide("---\ntitle: T\naudience: both\n---\nText", "x")


def test_the_program_file_adds_replaces_and_hides_guides() -> None:
    text = DEFAULT + (
        '\n[library]\nhide = ["stalled-or-mismatched"]\n'
        '\n[[resources]]\nkey = "closing-well"\ntitle = "Closing, our way"\n'
        'text = "Meet once more."\nmilestone = "wrapup"\n'
        '\n[[resources]]\ntitle = "Our Rust reading list"\nlink = "https://wiki.example.com/rust"\n'
        'topics = ["Rust"]\nmilestone = "none"\n'
    )
    program = parse_program(text)
    keys = {r.key: r for r in program.resources}
    assert "stalled-or-mismatched" not in keys
    assert keys["closing-well"].title == "Closing, our way" and keys["closing-well"].body == "Meet once more."
    assert keys["our-rust-reading-list"].link == "https://wiki.example.com/rust"
    assert keys["our-rust-reading-list"].milestone is None
    only_own = parse_program(DEFAULT + "\n[library]\nshipped = false\n")
    assert only_own.resources == ()
    with pytest.raises(ProgramError, match="'nope' is not a shipped guide"):
        parse_program(DEFAULT + '\n[library]\nhide = ["nope"]\n')
    with pytest.raises(ProgramError, match="give it a 'link' or a 'text'"):
        parse_program(DEFAULT + '\n[[resources]]\ntitle = "Empty"\n')


def test_a_starter_for_a_topic_the_community_does_not_offer_is_left_out() -> None:
    text = DEFAULT.replace('[[topics]]\nname = "Rust"\n', "")
    program = parse_program(text)
    assert "topic-rust" not in {r.key for r in program.resources}


async def test_every_shipped_guide_is_reachable_by_mentor_resources(chat: Chat) -> None:
    for resource in default_program().resources:
        out = await chat(f"@nina /mentor resources {resource.key}")
        assert f"[only nina] I've sent you “{resource.title}” in a DM." in out, out
        assert f"[DM nina] {resource.title}" in out, out
    for resource in default_program().resources:
        out = await chat(f"@nina /mentor resources {resource.title}")
        assert f"“{resource.title}”" in out, out


async def test_resources_by_topic_alias_words_and_typos(chat: Chat) -> None:
    out = await chat("@nina /mentor resources")
    assert "[only nina] Program resources" in out
    assert "• Closing well — /mentor resources closing-well" in out
    assert "Topic starters: Backend & APIs," in out
    out = await chat("@nina /mentor resources golang")
    assert "I've sent you “Starting out in Go” in a DM." in out
    assert "[DM nina] Starting out in Go" in out and "table-driven tests" in out
    out = await chat("@nina /mentor resources feedback")
    assert "“Giving and receiving feedback”" in out
    out = await chat("@nina /mentor resources pyton")
    assert "No resources about “pyton” yet. Did you mean Python?" in out
    out = await chat("@nina /mentor resources starting out in ja")
    assert "[only nina] Resources that match" in out
    assert "[1] Read: Starting out in Java and the JVM  [2] Read: Starting out in JavaScript" in out
    out = await chat("@nina click Read: Starting out in JavaScript")
    assert "[DM nina] Starting out in JavaScript" in out and "async/await" in out


async def test_sign_up_dm_lists_the_guides_with_read_buttons(chat: Chat) -> None:
    from tests.support.intake_flows import sign_up_mentor

    out = await sign_up_mentor(chat, "mia")
    assert "• A mentor's first conversation — /mentor resources mentor-first-conversation" in out
    assert "Read: A mentor's first conversation" in out
    out = await chat("@mia click Read: A mentor's first conversation")
    assert "[DM mia] A mentor's first conversation" in out and "Start with them" in out


async def test_a_replaced_guide_is_shown_with_its_link(sqlite_factory: DatabaseFactory, tmp_path: Path) -> None:
    program = tmp_path / "program.toml"
    program.write_text(
        DEFAULT
        + '\n[[resources]]\nkey = "feedback"\ntitle = "Feedback, our way"\ntext = "Say it kindly."\n'
        + 'link = "https://wiki.example.com/feedback"\nmilestone = "midpoint"\n',
        encoding="utf-8",
    )
    chat = await Chat.open(sqlite_factory, settings=Settings(program_path=str(program)))
    try:
        out = await chat("@nina /mentor resources feedback")
        assert "[DM nina] Feedback, our way" in out and "More: https://wiki.example.com/feedback" in out
    finally:
        await chat.close()
