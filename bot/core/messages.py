"""Outbound vocabulary: what the bot says, independent of any chat platform.

A `Message` is a tuple of parts. Text is a tuple of spans so that every renderer
knows exactly which characters came from a member (`UserText`, always escaped)
and which are the bot's own words (`str`), and which users are meant to be
pinged (`Mention`, the only span that may notify anyone).

Messages are serialised to JSON for the outbox, so every part is a frozen
dataclass of plain values and `to_json`/`from_json` round-trip them exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class UserText:
    """Text a member typed. Renderers escape it; it can never ping or format."""

    text: str


@dataclass(frozen=True)
class Mention:
    """An intended mention of one member (platform user id + a fallback name)."""

    user_id: str
    name: str = ""


@dataclass(frozen=True)
class Strong:
    """Bot-authored emphasis (bold). Never holds member text."""

    text: str


Span = str | UserText | Mention | Strong


@dataclass(frozen=True)
class Text:
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Fields:
    """Label/value rows, e.g. a poll tally. Values are spans too."""

    rows: tuple[tuple[str, tuple[Span, ...]], ...]


class ButtonStyle(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True)
class Button:
    label: str | UserText
    component_id: str  # mentor:<kind>:<id>:<verb>, at most 100 characters
    style: ButtonStyle = ButtonStyle.DEFAULT


@dataclass(frozen=True)
class Option:
    label: str | UserText
    value: str


@dataclass(frozen=True)
class Select:
    component_id: str
    placeholder: str
    options: tuple[Option, ...]
    min_values: int = 1
    max_values: int = 1


@dataclass(frozen=True)
class Image:
    """A file attached to the message (a chart). `path` is on local disk.

    With a `drawer` (see `bot.delivery.pictures`) the file is drawn from `figures`
    (JSON) when the message is delivered, if it is not on disk yet."""

    path: str
    alt: str
    filename: str = "chart.png"
    drawer: str = ""
    figures: str = ""


@dataclass(frozen=True)
class File:
    """A non-image attachment (CSV export)."""

    path: str
    filename: str


@dataclass(frozen=True)
class Divider:
    pass


Part = Text | Fields | Button | Select | Image | File | Divider


@dataclass(frozen=True)
class Message:
    parts: tuple[Part, ...] = field(default_factory=tuple)

    # Convenience accessors used by renderers and tests.
    @property
    def buttons(self) -> tuple[Button, ...]:
        return tuple(p for p in self.parts if isinstance(p, Button))

    @property
    def selects(self) -> tuple[Select, ...]:
        return tuple(p for p in self.parts if isinstance(p, Select))

    def plain_text(self) -> str:
        """Unescaped text of the message, for logs, tests and fallbacks."""
        lines: list[str] = []
        for part in self.parts:
            if isinstance(part, Text):
                lines.append(spans_plain(part.spans))
            elif isinstance(part, Fields):
                for label, value in part.rows:
                    lines.append(f"{label}: {spans_plain(value)}")
        return "\n".join(lines)


def spans_plain(spans: tuple[Span, ...]) -> str:
    out: list[str] = []
    for span in spans:
        if isinstance(span, str):
            out.append(span)
        elif isinstance(span, (UserText, Strong)):
            out.append(span.text)
        elif isinstance(span, Mention):
            out.append(f"@{span.name or span.user_id}")
    return "".join(out)


def label_text(label: str | UserText) -> str:
    return label.text if isinstance(label, UserText) else label


# --- builders -------------------------------------------------------------


def plural(count: int, word: str, many: str | None = None) -> str:
    """A count as a person writes it: "1 vote", "9 votes", "2 matches" (with `many`)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def text(*spans: Span) -> Text:
    return Text(tuple(spans))


def message(*parts: Part | str) -> Message:
    """Build a message; bare strings become bot-authored text parts."""
    return Message(tuple(Text((p,)) if isinstance(p, str) else p for p in parts))


# --- JSON round trip for the outbox -----------------------------------------

_SPAN_TYPES = {"u": UserText, "m": Mention, "b": Strong}


def _span_to_json(span: Span) -> Any:
    if isinstance(span, str):
        return span
    if isinstance(span, UserText):
        return {"u": span.text}
    if isinstance(span, Strong):
        return {"b": span.text}
    return {"m": [span.user_id, span.name]}


def _span_from_json(data: Any) -> Span:
    if isinstance(data, str):
        return data
    if "u" in data:
        return UserText(data["u"])
    if "b" in data:
        return Strong(data["b"])
    user_id, name = data["m"]
    return Mention(user_id, name)


def _label_to_json(label: str | UserText) -> Any:
    return {"u": label.text} if isinstance(label, UserText) else label


def _label_from_json(data: Any) -> str | UserText:
    return UserText(data["u"]) if isinstance(data, dict) else data


def _part_to_json(part: Part) -> dict[str, Any]:
    if isinstance(part, Text):
        return {"t": "text", "spans": [_span_to_json(s) for s in part.spans]}
    if isinstance(part, Fields):
        return {
            "t": "fields",
            "rows": [[label, [_span_to_json(s) for s in value]] for label, value in part.rows],
        }
    if isinstance(part, Button):
        return {
            "t": "button",
            "label": _label_to_json(part.label),
            "id": part.component_id,
            "style": part.style.value,
        }
    if isinstance(part, Select):
        return {
            "t": "select",
            "id": part.component_id,
            "placeholder": part.placeholder,
            "options": [[_label_to_json(o.label), o.value] for o in part.options],
            "min": part.min_values,
            "max": part.max_values,
        }
    if isinstance(part, Image):
        image = {"t": "image", "path": part.path, "alt": part.alt, "filename": part.filename}
        if part.drawer:
            image.update(drawer=part.drawer, figures=part.figures)
        return image
    if isinstance(part, File):
        return {"t": "file", "path": part.path, "filename": part.filename}
    return {"t": "divider"}


def _part_from_json(data: dict[str, Any]) -> Part:
    kind = data["t"]
    if kind == "text":
        return Text(tuple(_span_from_json(s) for s in data["spans"]))
    if kind == "fields":
        return Fields(tuple((label, tuple(_span_from_json(s) for s in value)) for label, value in data["rows"]))
    if kind == "button":
        return Button(_label_from_json(data["label"]), data["id"], ButtonStyle(data["style"]))
    if kind == "select":
        return Select(
            data["id"],
            data["placeholder"],
            tuple(Option(_label_from_json(label), value) for label, value in data["options"]),
            data["min"],
            data["max"],
        )
    if kind == "image":
        return Image(data["path"], data["alt"], data["filename"], data.get("drawer", ""), data.get("figures", ""))
    if kind == "file":
        return File(data["path"], data["filename"])
    return Divider()


def to_json(msg: Message) -> str:
    return json.dumps([_part_to_json(p) for p in msg.parts], ensure_ascii=False)


def from_json(raw: str) -> Message:
    return Message(tuple(_part_from_json(p) for p in json.loads(raw)))
