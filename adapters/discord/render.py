"""Render a neutral `bot.core.messages.Message` as Discord content, embeds and components.

Discord's limits are applied here, once, so no message is ever rejected by the API:
content ≤ 2000 characters, ≤ 10 embeds sharing 6000 characters, ≤ 25 fields an embed,
≤ 5 component rows, ≤ 5 buttons a row, one select a row with ≤ 25 options, custom ids
≤ 100 and labels ≤ 80 characters. Whatever does not fit is moved (long text goes into an
embed description) or shortened, and a short note says so.

Safety: member-typed text (`UserText`) is escaped for markdown and mentions, and every
message carries `allowed_mentions` that ping nobody except the users named by `Mention`
spans (never @everyone, @here or a role).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any

import discord
from discord import utils as dutils

from adapters.discord.components import COMPONENT_ID, ComponentSpec, build_view
from bot.core.command_refs import CommandRefs
from bot.core.messages import (
    Button,
    ButtonStyle,
    Divider,
    Fields,
    File,
    Image,
    Mention,
    Message,
    Select,
    Span,
    Strong,
    Text,
    UserText,
    label_text,
)

log = logging.getLogger(__name__)

# Discord's documented limits.
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
ROWS_MAX = 5
BUTTONS_PER_ROW = 5
SELECT_OPTIONS_MAX = 25
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
OPTION_LABEL_MAX = 100
OPTION_VALUE_MAX = 100
PLACEHOLDER_MAX = 150

EMBED_COLOUR = 0x5865F2
SHORTENED_NOTE = "… (shortened to fit Discord)"
HIDDEN_CHOICES_NOTE = "(Some choices could not be shown here: Discord allows 25 buttons a message.)"

_BLOCK_MARKERS = re.compile(r"(?m)^(\s*)([#>\-*+]|\d+[.)])")
# Anything Discord could read as a mention: @everyone/@here and <@id>, <@!id>, <@&id> of any
# length (discord.utils.escape_mentions only covers 17-20 digit ids, so "<@0>" slipped through).
_MENTION_LIKE = re.compile(r"@(?=everyone|here|[!&]?\d)")


def escape_user_text(text: str) -> str:
    """Member text shown verbatim: no markdown, no headings/quotes/lists, no mentions."""
    escaped = dutils.escape_markdown(text)
    # escape_markdown leaves line-start block syntax alone; Discord renders those too.
    escaped = _BLOCK_MARKERS.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", escaped)
    return _MENTION_LIKE.sub("@\u200b", escaped)


def render_spans(spans: tuple[Span, ...], mentions: list[str], refs: CommandRefs | None = None) -> str:
    """Spans → Discord markdown. Mention ids are collected so only they may ping; the bot's own
    text names commands as Discord does (`refs`), member text is never rewritten."""
    out: list[str] = []
    for span in spans:
        if isinstance(span, str):
            out.append(refs.discord(span) if refs else span)
        elif isinstance(span, UserText):
            out.append(escape_user_text(span.text))
        elif isinstance(span, Strong):
            # Markdown bolds only when the markers touch the words ("**At-risk pair **"
            # stays literal), so surrounding spaces go outside them.
            core = span.text.strip()
            if not core:
                out.append(span.text)
            else:
                start = span.text.index(core)
                out.append(f"{span.text[:start]}**{dutils.escape_markdown(core)}**{span.text[start + len(core) :]}")
        elif isinstance(span, Mention):
            if span.user_id.isdigit():
                out.append(f"<@{span.user_id}>")
                if span.user_id not in mentions:
                    mentions.append(span.user_id)
            else:  # not a Discord id (e.g. a console user): show the name, ping nobody
                out.append("@" + escape_user_text(span.name or span.user_id))
    return "".join(out)


def shorten(text: str, limit: int, note: str = "…") -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(note))] + note


@dataclass
class RenderedMessage:
    content: str
    embeds: list[discord.Embed]
    rows: list[list[ComponentSpec]]
    attachments: list[tuple[str, str]]  # (path, filename)
    mention_user_ids: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def allowed_mentions(self) -> discord.AllowedMentions:
        """Ping nobody but the users the core explicitly mentioned."""
        return allowed_mentions_for(self.mention_user_ids)

    def view(self) -> discord.ui.View | None:
        if not self.rows:
            return None
        return build_view(self.rows)

    def files(self) -> list[discord.File]:
        return [discord.File(path, filename=name) for path, name in self.attachments]

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `Messageable.send` / `InteractionResponse.send_message`."""
        kwargs: dict[str, Any] = {
            "content": self.content or None,
            "embeds": self.embeds,
            "allowed_mentions": self.allowed_mentions,
        }
        view = self.view()
        if view is not None:
            kwargs["view"] = view
        files = self.files()
        if files:
            kwargs["files"] = files
        return kwargs

    def edit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `PartialMessage.edit`: replaces content, embeds and components."""
        kwargs: dict[str, Any] = {
            "content": self.content or None,
            "embeds": self.embeds,
            "allowed_mentions": self.allowed_mentions,
            "view": self.view(),
        }
        if self.attachments:  # replaces the earlier attachments (a refreshed chart)
            kwargs["attachments"] = self.files()
        return kwargs


def allowed_mentions_for(user_ids: list[str]) -> discord.AllowedMentions:
    users: list[discord.abc.Snowflake] | bool = [discord.Object(int(u)) for u in user_ids] or False
    return discord.AllowedMentions(everyone=False, roles=False, users=users, replied_user=False)


_STYLES = {
    ButtonStyle.DEFAULT: discord.ButtonStyle.secondary,
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
}


def _button_spec(button: Button) -> ComponentSpec:
    label = label_text(button.label).strip() or "…"
    return ComponentSpec(
        "button",
        button.component_id,
        label=shorten(label, BUTTON_LABEL_MAX),
        style=_STYLES.get(button.style, discord.ButtonStyle.secondary),
    )


def _select_spec(select: Select, notes: list[str]) -> ComponentSpec:
    options = []
    seen: set[str] = set()
    for option in select.options:
        value = option.value[:OPTION_VALUE_MAX]
        if value in seen:  # Discord rejects duplicate values
            continue
        seen.add(value)
        options.append((shorten(label_text(option.label).strip() or value, OPTION_LABEL_MAX), value))
    if len(options) > SELECT_OPTIONS_MAX:
        notes.append(f"(Only the first {SELECT_OPTIONS_MAX} of {len(options)} choices are listed.)")
        options = options[:SELECT_OPTIONS_MAX]
    if not options:
        options = [("—", "none")]
    max_values = max(1, min(select.max_values, len(options)))
    min_values = max(0, min(select.min_values, max_values))
    return ComponentSpec(
        "select",
        select.component_id,
        placeholder=shorten(select.placeholder, PLACEHOLDER_MAX),
        options=options,
        min_values=min_values,
        max_values=max_values,
    )


def _layout(parts: list[Button | Select], notes: list[str]) -> list[list[ComponentSpec]]:
    """Buttons fill rows of five in order; a select takes a row of its own; five rows at most."""
    rows: list[list[ComponentSpec]] = []
    hidden = 0
    for part in parts:
        if not COMPONENT_ID.fullmatch(part.component_id):
            # The core promises `mentor:…` ids of ≤ 100 characters; anything else could
            # never be routed back, so it is left out rather than sent broken.
            log.error("component id dropped (not mentor:…, or over %d chars): %r", CUSTOM_ID_MAX, part.component_id)
            hidden += 1
            continue
        if isinstance(part, Select):
            if len(rows) >= ROWS_MAX:
                hidden += 1
                continue
            rows.append([_select_spec(part, notes)])
            continue
        last = rows[-1] if rows else None
        if last is not None and last[0].kind == "button" and len(last) < BUTTONS_PER_ROW:
            last.append(_button_spec(part))
        elif len(rows) < ROWS_MAX:
            rows.append([_button_spec(part)])
        else:
            hidden += 1
    if hidden:
        notes.append(HIDDEN_CHOICES_NOTE)
    return rows


def _fields_embeds(fields: Fields, mentions: list[str], refs: CommandRefs | None) -> list[discord.Embed]:
    embeds: list[discord.Embed] = []
    for start in range(0, len(fields.rows), EMBED_FIELDS_MAX):
        embed = discord.Embed(colour=EMBED_COLOUR)
        for label, value in fields.rows[start : start + EMBED_FIELDS_MAX]:
            name = shorten(dutils.escape_markdown(label).strip() or "\u200b", FIELD_NAME_MAX)
            rendered = render_spans(value, mentions, refs).strip() or "\u200b"
            embed.add_field(name=name, value=shorten(rendered, FIELD_VALUE_MAX), inline=True)
        embeds.append(embed)
    return embeds


def _embed_size(embed: discord.Embed) -> int:
    return len(embed)


def _fit_embeds(embeds: list[discord.Embed], notes: list[str]) -> list[discord.Embed]:
    """At most 10 embeds and 6000 characters across all of them; cut the tail, keep a note."""
    kept: list[discord.Embed] = []
    total = 0
    dropped = False
    for embed in embeds:
        if len(kept) >= EMBEDS_MAX:
            dropped = True
            break
        size = _embed_size(embed)
        if total + size <= EMBED_TOTAL_MAX:
            kept.append(embed)
            total += size
            continue
        room = EMBED_TOTAL_MAX - total
        # Shrink what can shrink: the description first, then drop trailing fields.
        if embed.description and room > len(SHORTENED_NOTE) + 1:
            without = size - len(embed.description)
            if without < room:
                embed.description = shorten(embed.description, room - without, SHORTENED_NOTE)
        while embed.fields and _embed_size(embed) > room:
            embed.remove_field(len(embed.fields) - 1)
        if 0 < _embed_size(embed) <= room:
            kept.append(embed)
            total += _embed_size(embed)
        dropped = True
        break
    if dropped:
        notes.append("(Some details were left out: Discord allows 6000 characters of embeds a message.)")
    return kept


def render(message: Message, refs: CommandRefs | None = None) -> RenderedMessage:
    """Neutral message → what discord.py sends. Never raises for size; shortens instead.
    With `refs`, commands named in the bot's text read as Discord's (`/mentor-admin export`)."""
    mentions: list[str] = []
    notes: list[str] = []
    blocks: list[str] = []
    embeds: list[discord.Embed] = []
    components: list[Button | Select] = []
    attachments: list[tuple[str, str]] = []

    for part in message.parts:
        if isinstance(part, Text):
            blocks.append(render_spans(part.spans, mentions, refs))
        elif isinstance(part, Fields):
            embeds.extend(_fields_embeds(part, mentions, refs))
        elif isinstance(part, (Button, Select)):
            components.append(part)
        elif isinstance(part, (Image, File)):
            if os.path.exists(part.path):
                attachments.append((part.path, part.filename))
            else:
                log.warning("attachment %s is missing; sent without it", part.path)
                notes.append(f"(The attachment {part.filename} is not available.)")
        elif isinstance(part, Divider):
            blocks.append("\u2015" * 12)

    rows = _layout(components, notes)
    content = "\n".join(blocks).strip()
    if len(content) > CONTENT_MAX:
        # Too long for content: the whole text goes into embed descriptions (4096 each).
        text, content = content, ""
        overflow = [
            discord.Embed(description=text[i : i + EMBED_DESCRIPTION_MAX], colour=EMBED_COLOUR)
            for i in range(0, len(text), EMBED_DESCRIPTION_MAX)
        ]
        embeds = overflow + embeds
    embeds = _fit_embeds(embeds, notes)
    if notes:
        note_text = "\n" + "\n".join(notes)
        content = shorten(content, CONTENT_MAX - len(note_text), SHORTENED_NOTE) + note_text
    content = shorten(content.strip(), CONTENT_MAX, SHORTENED_NOTE)
    if not content and not embeds and not attachments:
        content = "\u200b"  # Discord rejects a message with nothing in it
    return RenderedMessage(content, embeds, rows, attachments, mentions, notes)
