"""Block Kit rendering: escaping of member text and Slack's size limits."""

from __future__ import annotations

import json

from adapters.slack.render import (
    MAX_ACTION_ELEMENTS,
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_SECTION_TEXT,
    escape,
    render,
    split_mrkdwn,
)
from bot.core.messages import (
    Button,
    ButtonStyle,
    Divider,
    Fields,
    Mention,
    Option,
    Select,
    Strong,
    UserText,
    message,
    text,
)

INJECTION = "hi <!channel> <!here> <@U0ALICE> <https://evil.example|click> & more"


def all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks)


def test_user_text_cannot_ping_or_link() -> None:
    rendered = render(message(text("Question from ", Mention("U0BOB", "Bob"), ": ", UserText(INJECTION))))
    section = rendered.blocks[0]["text"]["text"]
    assert "<@U0BOB>" in section  # the intended mention is real
    assert "<!channel>" not in section and "<!here>" not in section and "<@U0ALICE>" not in section
    assert "&lt;!channel&gt;" in section and "&amp; more" in section
    assert "<https" not in section
    # The notification fallback is escaped too.
    assert "<!channel>" not in rendered.text and "&lt;!here&gt;" in rendered.text
    assert "<@U0BOB>" in rendered.text


def test_bot_words_and_strong_are_escaped() -> None:
    rendered = render(message(text("Use /mentor poll close <id> ", Strong("A & B"))))
    section = rendered.blocks[0]["text"]["text"]
    assert section == "Use /mentor poll close &lt;id&gt; *A &amp; B*"


def test_fields_escape_labels_and_values() -> None:
    rendered = render(message(Fields((("<!here>", (UserText("<@U1>"),)),))))
    cell = rendered.blocks[0]["fields"][0]["text"]
    assert cell == "*&lt;!here&gt;*\n&lt;@U1&gt;"


def test_long_text_is_split_into_sections_at_boundaries() -> None:
    words = ("mentorship " * 1000).strip()  # 11k characters
    rendered = render(message(text(UserText(words))))
    sections = [b["text"]["text"] for b in rendered.blocks]
    assert len(sections) >= 4
    assert all(len(s) <= MAX_SECTION_TEXT for s in sections)
    assert " ".join(s.strip() for s in sections).split() == words.split()


def test_hard_split_never_cuts_an_escape_entity() -> None:
    raw = "<" * 2000  # 8000 rendered characters, no spaces or newlines
    pieces = split_mrkdwn(escape(raw))
    assert all(len(p) <= MAX_SECTION_TEXT for p in pieces)
    assert all(p.replace("&lt;", "") == "" for p in pieces)
    assert sum(p.count("&lt;") for p in pieces) == 2000


def test_buttons_are_grouped_25_per_actions_block_and_labels_shortened() -> None:
    buttons = [Button(UserText("x" * 200), f"mentor:poll:7:vote:{i}") for i in range(30)]
    rendered = render(message("Vote!", *buttons))
    actions = [b for b in rendered.blocks if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [MAX_ACTION_ELEMENTS, 5]
    first = actions[0]["elements"][0]
    assert len(first["text"]["text"]) == MAX_BUTTON_TEXT and first["text"]["text"].endswith("…")
    assert first["action_id"] == "mentor:poll:7:vote:0"


def test_button_style_and_select() -> None:
    rendered = render(
        message(
            Button("Close poll", "mentor:poll:7:close", ButtonStyle.DANGER),
            Select("mentor:intake:3:topic", "Pick topics", (Option("Python", "py"), Option("Go", "go")), 1, 2),
        )
    )
    elements = rendered.blocks[0]["elements"]
    assert elements[0]["style"] == "danger"
    assert elements[1]["type"] == "multi_static_select"
    assert [o["value"] for o in elements[1]["options"]] == ["py", "go"]


def test_too_many_blocks_are_cut_with_a_note() -> None:
    parts = []
    for i in range(80):
        parts += [f"Section {i}", Divider()]
    rendered = render(message(*parts))
    assert len(rendered.blocks) == MAX_BLOCKS
    note = rendered.blocks[-1]
    assert note["type"] == "context" and "shortened" in note["elements"][0]["text"]


def test_bold_markers_touch_the_words_so_slack_renders_them() -> None:
    # The core writes Strong("At-risk pair ") followed by "#1"; "*At-risk pair *" would show asterisks.
    rendered = render(message(text(Strong("At-risk pair "), "#1: ", Strong(" Why you two: "), "topics")))
    assert rendered.blocks[0]["text"]["text"] == "*At-risk pair* #1:  *Why you two:* topics"
    assert render(message(text(Strong("   "), "x"))).blocks[0]["text"]["text"] == "   x"
