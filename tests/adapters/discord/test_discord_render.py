"""Rendering neutral messages for Discord: limits, escaping, mentions."""

from __future__ import annotations

from adapters.discord import render as r
from bot.core.messages import (
    Button,
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


def test_user_text_cannot_format_or_ping():
    out = r.render(message(text("Topic: ", UserText("@everyone **free** <@&123456789012345678>\n# big\n> quote"))))
    assert "@everyone" not in out.content
    assert "<@&123456789012345678>" not in out.content
    assert "\\*\\*free\\*\\*" in out.content
    assert "\\#" in out.content and "\\>" in out.content
    assert out.allowed_mentions.to_dict() == {"parse": []}


def test_only_explicit_mentions_may_ping():
    out = r.render(message(text("Hi ", Mention("123456789012345678", "ana"), ", meet ", Strong("Bo"))))
    assert "<@123456789012345678>" in out.content and "**Bo**" in out.content
    assert out.allowed_mentions.to_dict() == {"parse": [], "users": [123456789012345678]}


def test_non_discord_mention_shows_a_name_and_pings_nobody():
    out = r.render(message(text(Mention("console-user", "@everyone"))))
    assert "@everyone" not in out.content
    assert out.mention_user_ids == []


def test_long_content_moves_into_embeds_and_stays_within_limits():
    out = r.render(message("x" * 9000))
    assert len(out.content) <= r.CONTENT_MAX
    assert sum(len(e) for e in out.embeds) <= r.EMBED_TOTAL_MAX
    assert "6000" in out.content  # the note says what happened


def test_buttons_fill_rows_of_five_and_overflow_is_noted():
    buttons = [Button(f"Option {i}", f"mentor:poll:1:vote:{i}") for i in range(30)]
    out = r.render(message("Pick", *buttons))
    assert len(out.rows) == r.ROWS_MAX
    assert all(len(row) <= r.BUTTONS_PER_ROW for row in out.rows)
    assert sum(len(row) for row in out.rows) == 25
    assert r.HIDDEN_CHOICES_NOTE in out.content


def test_select_takes_its_own_row_and_is_trimmed():
    options = tuple(Option(UserText(f"topic {i}" * 20), f"t{i}") for i in range(40))
    out = r.render(message(Button("A", "mentor:x:1:a"), Select("mentor:x:1:pick", "Choose" * 40, options, 1, 40)))
    assert [row[0].kind for row in out.rows] == ["button", "select"]
    select = out.rows[1][0]
    assert len(select.options) == 25 and select.max_values == 25
    assert all(len(label) <= 100 for label, _ in select.options)
    assert len(select.placeholder) <= 150


def test_labels_and_ids_respect_limits():
    long_id = "mentor:" + "x" * 120
    out = r.render(message(Button(UserText("L" * 200), "mentor:p:1:v:0"), Button("bad", long_id)))
    assert len(out.rows) == 1 and len(out.rows[0]) == 1
    assert len(out.rows[0][0].label) <= r.BUTTON_LABEL_MAX


def test_fields_become_embed_fields_within_limits():
    rows = tuple((f"Option {i}", (UserText("v" * 2000),)) for i in range(30))
    out = r.render(message("Tally", Fields(rows), Divider()))
    assert sum(len(e) for e in out.embeds) <= r.EMBED_TOTAL_MAX
    assert all(len(f.value) <= r.FIELD_VALUE_MAX for e in out.embeds for f in e.fields)
    assert all(len(e.fields) <= r.EMBED_FIELDS_MAX for e in out.embeds)


def test_view_is_made_of_restart_safe_dynamic_items():
    from adapters.discord.components import MentorButton, MentorSelect

    out = r.render(
        message(Button("Yes", "mentor:poll:7:vote:0"), Select("mentor:poll:7:pick", "p", (Option("a", "a"),)))
    )
    view = out.view()
    kinds = {type(item) for item in view.children}
    assert kinds == {MentorButton, MentorSelect}
    components = view.to_components()
    assert components[0]["components"][0]["custom_id"] == "mentor:poll:7:vote:0"


def test_bold_markers_touch_the_words_so_discord_renders_them() -> None:
    rendered = r.render(message(text(Strong("Goal reached! "), "Goal 1: ", Strong(" **x** "))))
    assert rendered.content == "**Goal reached!** Goal 1:  **\\*\\*x\\*\\***"  # (trailing space: content is stripped)
