"""Render a neutral `Message` as Slack Block Kit, inside Slack's limits.

Two rules drive this module:

1. **Nothing a member typed can ping or link.** Slack's mrkdwn treats `<…>` as
   control sequences (`<!channel>`, `<!here>`, `<@U123>`, `<https://…|label>`), so
   every `UserText` — and the bot's own words, which may contain "<id>" in help
   text — is escaped (`&` → `&amp;`, `<` → `&lt;`, `>` → `&gt;`). Only a `Mention`
   span becomes a real `<@U…>`. The plain `text` fallback (notifications, screen
   readers) is escaped the same way. Button, option and placeholder labels are
   `plain_text` objects, which Slack never parses for mentions or links, so they are
   shown verbatim (escaping them would show "&amp;" literally).
2. **Slack must never reject a message for its size.** Limits: 50 blocks, 3000
   characters of section text, 10 fields of 2000, 75 characters of button/option
   text, 255 of action_id, 25 elements per actions block. Long text is split into
   several sections at line or word boundaries; a message that would exceed 50
   blocks is cut and ends with a note saying so; labels are shortened with "…".

Images and files cannot be Block Kit blocks (they are local files), so they are
returned separately for the messenger to upload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.core.feature import Form
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

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100  # a Home tab view allows twice a message's blocks
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ELEMENTS = 25
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_PLACEHOLDER = 150
MAX_FALLBACK_TEXT = 3000  # notification text; Slack truncates longer ones anyway
TRUNCATION_NOTE = "_(message shortened to fit Slack: {n} more part(s) not shown)_"

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.translate(_ESCAPES)


def render_span(span: Span) -> str:
    """One span as mrkdwn; only `Mention` produces a control sequence."""
    if isinstance(span, Mention):
        # Ids are platform-generated, but keep them to the characters Slack uses.
        return f"<@{re.sub(r'[^A-Za-z0-9]', '', span.user_id)}>"
    if isinstance(span, Strong):
        # Slack only bolds when the asterisks touch the words: "*Goal reached! *" stays
        # literal, so surrounding spaces go outside the markers.
        core = span.text.strip()
        if not core:
            return escape(span.text)
        start = span.text.index(core)
        return f"{escape(span.text[:start])}*{escape(core)}*{escape(span.text[start + len(core) :])}"
    if isinstance(span, UserText):
        return escape(span.text)
    return escape(span)


def render_spans(spans: tuple[Span, ...]) -> str:
    return "".join(render_span(s) for s in spans)


def shorten(text: str, limit: int) -> str:
    """Plain text cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# An escape entity or a <…> control sequence must never be cut in half.
_ATOMIC = re.compile(r"&(?:amp|lt|gt);|<[^<>]*>")


def _cut_point(text: str, limit: int) -> int:
    """Where to cut `text` so the first piece is ≤ limit: a newline, else a space,
    else a hard cut moved back off any entity/mention it would split."""
    window = text[:limit]
    for sep in ("\n", " "):
        pos = window.rfind(sep)
        if pos > limit // 2:
            return pos + 1
    cut = limit
    for match in _ATOMIC.finditer(text, max(0, limit - 300), limit + 300):
        if match.start() < cut < match.end():
            cut = match.start()
            break
    return max(cut, 1)


def split_mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split rendered mrkdwn into pieces of at most `limit` characters."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = _cut_point(text, limit)
        piece = text[:cut].rstrip("\n")
        if piece:
            pieces.append(piece)
        text = text[cut:]
    if text.strip():
        pieces.append(text)
    return pieces


@dataclass
class Rendered:
    """What chat.postMessage/chat.update need, plus local files to upload."""

    blocks: list[dict[str, Any]]
    text: str
    uploads: list[Image | File] = field(default_factory=list)


def _button(part: Button) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": shorten(label_text(part.label), MAX_BUTTON_TEXT), "emoji": True},
        "action_id": part.component_id[:MAX_ACTION_ID],
        "value": part.component_id[:MAX_BUTTON_VALUE],
    }
    if part.style is not ButtonStyle.DEFAULT:
        element["style"] = part.style.value
    return element


def _select(part: Select) -> dict[str, Any]:
    options = [
        {
            "text": {"type": "plain_text", "text": shorten(label_text(o.label), MAX_OPTION_TEXT), "emoji": True},
            "value": o.value[:MAX_OPTION_VALUE],
        }
        for o in part.options[:MAX_OPTIONS]
    ]
    element: dict[str, Any] = {
        "type": "multi_static_select" if part.max_values > 1 else "static_select",
        "action_id": part.component_id[:MAX_ACTION_ID],
        "placeholder": {"type": "plain_text", "text": shorten(part.placeholder or "Choose", MAX_PLACEHOLDER)},
        "options": options,
    }
    if part.max_values > 1:
        element["max_selected_items"] = min(part.max_values, len(options))
    return element


def _field_blocks(part: Fields) -> list[dict[str, Any]]:
    cells = []
    for label, value in part.rows:
        cell = f"*{escape(label)}*\n{render_spans(value)}" if label else render_spans(value)
        if len(cell) > MAX_FIELD_TEXT:
            cell = split_mrkdwn(cell, MAX_FIELD_TEXT - 1)[0] + "…"
        cells.append({"type": "mrkdwn", "text": cell or " "})
    return [{"type": "section", "fields": cells[i : i + MAX_FIELDS]} for i in range(0, len(cells), MAX_FIELDS)]


def render_blocks(msg: Message, max_blocks: int = MAX_BLOCKS) -> Rendered:
    blocks: list[dict[str, Any]] = []
    uploads: list[Image | File] = []
    actions: list[dict[str, Any]] = []

    def flush_actions() -> None:
        # Consecutive buttons/selects share actions blocks of at most 25 elements.
        for i in range(0, len(actions), MAX_ACTION_ELEMENTS):
            blocks.append({"type": "actions", "elements": actions[i : i + MAX_ACTION_ELEMENTS]})
        actions.clear()

    for part in msg.parts:
        if isinstance(part, Button):
            actions.append(_button(part))
            continue
        if isinstance(part, Select):
            if part.options:
                actions.append(_select(part))
            continue
        flush_actions()
        if isinstance(part, Text):
            for piece in split_mrkdwn(render_spans(part.spans)):
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": piece}})
        elif isinstance(part, Fields):
            blocks.extend(_field_blocks(part))
        elif isinstance(part, Divider):
            blocks.append({"type": "divider"})
        elif isinstance(part, (Image, File)):
            uploads.append(part)
    flush_actions()

    if len(blocks) > max_blocks:
        hidden = len(blocks) - (max_blocks - 1)
        blocks = blocks[: max_blocks - 1]
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": TRUNCATION_NOTE.format(n=hidden)}]})
    return Rendered(blocks=blocks, text=fallback_text(msg), uploads=uploads)


def fallback_text(msg: Message) -> str:
    """Escaped plain text for notifications and clients that cannot show blocks."""
    lines: list[str] = []
    for part in msg.parts:
        if isinstance(part, Text):
            lines.append(render_spans(part.spans))
        elif isinstance(part, Fields):
            lines.extend(f"{escape(label)}: {render_spans(value)}" for label, value in part.rows)
        elif isinstance(part, Image):
            lines.append(escape(part.alt))
    text = "\n".join(line for line in lines if line) or "mentorbot"
    if len(text) > MAX_FALLBACK_TEXT:
        text = split_mrkdwn(text, MAX_FALLBACK_TEXT - 1)[0] + "…"
    return text


def render(msg: Message) -> Rendered:
    return render_blocks(msg)


def render_home(msg: Message) -> dict[str, Any]:
    """The App Home tab (views.publish): the same blocks as a message, within a Home's 100."""
    return {"type": "home", "blocks": render_blocks(msg, max_blocks=MAX_HOME_BLOCKS).blocks}


def render_modal(
    *, callback_id: str, title: str, submit: str, inputs: list[dict[str, Any]], private_metadata: str = ""
) -> dict[str, Any]:
    """A modal view (views.open) with plain-text inputs; titles ≤ 24 characters."""
    blocks = []
    for spec in inputs:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": spec["id"],
            "multiline": bool(spec.get("multiline")),
        }
        if spec.get("max_length"):
            element["max_length"] = min(int(spec["max_length"]), 3000)
        if spec.get("initial"):
            element["initial_value"] = spec["initial"][:3000]
        if spec.get("placeholder"):
            element["placeholder"] = {"type": "plain_text", "text": shorten(spec["placeholder"], 150)}
        blocks.append(
            {
                "type": "input",
                "block_id": spec["id"],
                "optional": bool(spec.get("optional")),
                "label": {"type": "plain_text", "text": shorten(spec["label"], 2000)},
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": callback_id[:255],
        "title": {"type": "plain_text", "text": shorten(title, 24)},
        "submit": {"type": "plain_text", "text": shorten(submit, 24)},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": private_metadata[:3000],
        "blocks": blocks[:100],
    }


def modal_for(form: Form, channel_id: str) -> dict[str, Any]:
    """A core `Form` as a Slack modal; the channel it was opened in rides in private_metadata."""
    return render_modal(
        callback_id=form.id,
        title=form.title,
        submit=form.submit,
        private_metadata=channel_id,
        inputs=[
            {
                "id": f.name,
                "label": f.label,
                "placeholder": f.placeholder,
                "multiline": f.long,
                "optional": not f.required,
                "max_length": f.max_length,
            }
            for f in form.fields
        ],
    )
