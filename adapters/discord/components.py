"""Restart-safe buttons and selects.

Every component the bot sends has a custom id `mentor:<kind>:<id>:<verb>` that carries
all the state a click needs. discord.py's `DynamicItem` matches incoming custom ids
against a template, so a click on a message sent before a restart (or by another
process) is handled without any in-memory `View` for that message.

The items hand the click to `interaction.client.handle_component(...)`, which the
adapter's client implements (translate → core → reply).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import discord

log = logging.getLogger(__name__)

# Component ids the adapter can route back after a restart: `mentor:` then anything
# up to Discord's 100 characters in total.
COMPONENT_ID = re.compile(r"mentor:[^\s]{1,93}")
TEMPLATE = COMPONENT_ID


@dataclass
class ComponentSpec:
    """One button or select, already within Discord's limits (render.py builds them)."""

    kind: str  # "button" | "select"
    custom_id: str
    label: str = ""
    style: discord.ButtonStyle = discord.ButtonStyle.secondary
    placeholder: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    min_values: int = 1
    max_values: int = 1


class ComponentHandler(Protocol):
    async def handle_component(
        self, interaction: discord.Interaction, custom_id: str, values: tuple[str, ...]
    ) -> None: ...


async def _dispatch(interaction: discord.Interaction, custom_id: str, values: tuple[str, ...]) -> None:
    handler = getattr(interaction.client, "handle_component", None)
    if handler is None:  # e.g. a delivery-only client: nobody to answer, let Discord time out
        log.warning("component %s clicked but this client does not handle components", custom_id)
        return
    await handler(interaction, custom_id, values)


class MentorButton(discord.ui.DynamicItem[discord.ui.Button], template=TEMPLATE):
    """Any `mentor:` button; the custom id is the whole state."""

    def __init__(self, custom_id: str, label: str = "…", style: discord.ButtonStyle = discord.ButtonStyle.secondary):
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MentorButton:
        label = getattr(item, "label", None) or "…"
        style = getattr(item, "style", discord.ButtonStyle.secondary)
        return cls(match.group(0), label=label, style=style)

    async def callback(self, interaction: discord.Interaction) -> None:
        await _dispatch(interaction, self.custom_id, ())


class MentorSelect(discord.ui.DynamicItem[discord.ui.Select], template=TEMPLATE):
    """Any `mentor:` string select; the chosen values come with the interaction."""

    def __init__(
        self,
        custom_id: str,
        options: list[discord.SelectOption] | None = None,
        placeholder: str | None = None,
        min_values: int = 1,
        max_values: int = 1,
    ):
        super().__init__(
            discord.ui.Select(
                custom_id=custom_id,
                options=options or [discord.SelectOption(label="—", value="none")],
                placeholder=placeholder,
                min_values=min_values,
                max_values=max_values,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MentorSelect:
        options = list(getattr(item, "options", []) or [])
        return cls(
            match.group(0),
            options=options,
            placeholder=getattr(item, "placeholder", None),
            min_values=getattr(item, "min_values", 1),
            max_values=getattr(item, "max_values", 1),
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        values = tuple((interaction.data or {}).get("values", ()))  # type: ignore[union-attr]
        await _dispatch(interaction, self.custom_id, values)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (MentorButton, MentorSelect)


def build_view(rows: list[list[ComponentSpec]]) -> discord.ui.View:
    """A view made only of dynamic items: sending it stores nothing per message."""
    view = discord.ui.View(timeout=None)
    for row_index, row in enumerate(rows):
        for spec in row:
            if spec.kind == "button":
                item: discord.ui.Item[Any] = MentorButton(spec.custom_id, spec.label, spec.style)
            else:
                item = MentorSelect(
                    spec.custom_id,
                    [discord.SelectOption(label=label, value=value) for label, value in spec.options],
                    spec.placeholder or None,
                    spec.min_values,
                    spec.max_values,
                )
            item.row = row_index
            view.add_item(item)
    return view
