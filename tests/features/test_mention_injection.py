"""Mention injection: member-typed text never becomes a live ping on any platform.

Table-driven over hostile texts. Each one is typed into every field a member can
fill — poll question and options, goals, goal progress, check-in notes, feedback
and the name to quote it under — and used as members' display names; the real
features build their messages (console chat, tests/support/chat.py), and every message
the core produced (private replies and every outbox row) is rendered by every
renderer:

- Slack Block Kit + text fallback: no `<!channel>`, `<!here>`, `<!everyone>`,
  `<!subteam^…>`, and `<@…>` only for the core's explicit `Mention`s;
- Discord content + embeds: no bare `@everyone`/`@here`, no `<@&role>`, user
  mentions only for explicit `Mention`s, and `allowed_mentions` that ping nobody
  else (everyone=False, roles=False);
- the console: renders, and shows the member's text as typed (data intact).
"""

from __future__ import annotations

import json
import re
from typing import Any

import discord
import pytest
from sqlalchemy import select

from adapters.console.chat import render_lines
from adapters.discord.render import render as discord_render
from adapters.slack.render import render as slack_render
from bot.core import messages as msg
from bot.core.messages import Mention, Message
from storage.tables import Member, OutboxMessage
from tests.support.chat import Chat
from tests.support.community import sign_up

HOSTILE = [
    "@everyone",
    "@here",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0MODS>",
    "<@U0CAROL>",
    "<@&123456789012345678>",
    "<@123456789012345678>",
    "<@!123456789012345678>",
    "@\u200beveryone",
    "@every\u200done",
    "\u202e@everyone\u202c",
    "&lt;!channel&gt;",
    "**@here** ||@everyone||",
]

SLACK_SPECIAL = re.compile(r"<!(channel|here|everyone|subteam)[^>]*>")
SLACK_USER = re.compile(r"<@([A-Z0-9]+)(\|[^>]*)?>")
DISCORD_BROADCAST = re.compile(r"@(everyone|here)")
DISCORD_ROLE = re.compile(r"<@&\d+>")
DISCORD_USER = re.compile(r"<@!?(\d+)>")


def explicit_mentions(message: Message) -> set[str]:
    """User ids the core meant to ping (Mention spans)."""
    found: set[str] = set()
    for part in message.parts:
        for value in vars(part).values() if hasattr(part, "__dict__") else []:
            for span in value if isinstance(value, tuple) else ():
                if isinstance(span, Mention):
                    found.add(span.user_id)
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def _mrkdwn(value: Any) -> list[str]:
    """Texts Slack parses for mentions: mrkdwn objects (plain_text is shown literally)."""
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            return [value["text"]]
        return [s for v in value.values() for s in _mrkdwn(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _mrkdwn(v)]
    return []


def check_slack(message: Message) -> None:
    rendered = slack_render(message)
    allowed = explicit_mentions(message)
    for text in _mrkdwn(rendered.blocks) + [rendered.text]:
        assert not SLACK_SPECIAL.search(text), text
        for user in SLACK_USER.findall(text):
            assert user[0] in allowed, text


def check_discord(message: Message) -> None:
    rendered = discord_render(message)
    kwargs = rendered.send_kwargs()
    allowed_ids = {u for u in explicit_mentions(message) if u.isdigit()}
    mentions: discord.AllowedMentions = kwargs["allowed_mentions"]
    assert mentions.everyone is False and mentions.roles is False
    users = mentions.users if isinstance(mentions.users, list) else []
    assert {str(u.id) for u in users} <= allowed_ids
    content = kwargs.get("content") or ""
    # Content is where Discord pings: no broadcast or role syntax may survive there.
    assert not DISCORD_BROADCAST.search(content), content
    assert not DISCORD_ROLE.search(content), content
    for user in DISCORD_USER.findall(content):
        assert user in allowed_ids, content
    # Embeds never ping on Discord; still, descriptions and field values (where Discord
    # draws mentions) carry no role or user mention syntax from members.
    for embed in kwargs.get("embeds") or []:
        data = embed.to_dict()
        for text in [data.get("description") or ""] + [f["value"] for f in data.get("fields", [])]:
            assert not DISCORD_ROLE.search(text), ("embed", text)
            for user in DISCORD_USER.findall(text):
                assert user in allowed_ids, ("embed", text)


async def _scenario(chat: Chat, hostile: str) -> list[Message]:
    """Every member-typed field filled with `hostile`; returns every message the core built."""
    produced: list[Message] = []
    real_handle = chat.bot.handle

    async def spy(event: Any) -> list[Message]:
        replies = await real_handle(event)
        produced.extend(replies)
        return replies

    chat.bot.handle = spy  # type: ignore[method-assign]
    await chat("moderators: carol", "@carol /mentor modchannel")
    await chat(f'@carol /mentor poll "Who wants {hostile} mentoring?" --options "{hostile} mentor" "mentee {hostile}"')
    await chat("@ann click 1", "@maria click 2")
    await sign_up(chat, "maria", "mentor", goals=hostile)
    await sign_up(chat, "ann", "mentee", goals=hostile)
    await chat("@carol /mentor match", "@carol /mentor match approve")
    async with chat.bot.db.unit() as session:
        for member in (await session.execute(select(Member))).scalars():
            if member.platform_user_id in ("ann", "maria"):
                member.display_name = f"{hostile} {member.platform_user_id}"
                session.add(member)
    await chat(f'@ann /mentor goal set "{hostile} goal"', f'@maria /mentor goal update "{hostile} progress"')
    await chat("wait 14d", "@ann click We met", f"@ann note {hostile} note")
    await chat("@maria /mentor wrap-up", "@maria click Yes, wrap up")
    await chat("@ann click 5", f"@ann {hostile} worked", "@ann skip")
    await chat("@ann click Yes, under another name", f"@ann {hostile} junior")
    await chat("@carol /mentor testimonials", "@carol /mentor polls", "@ann /mentor goals")
    async with chat.bot.db.unit() as session:
        for row in (await session.execute(select(OutboxMessage))).scalars():
            if row.payload:
                produced.append(msg.from_json(row.payload))
    return produced


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_member_text_never_pings(chat: Chat, hostile: str) -> None:
    messages = await _scenario(chat, hostile)
    assert len(messages) > 20
    carrying = [m for m in messages if hostile in json.dumps(msg.to_json(m), ensure_ascii=False)]
    assert len(carrying) >= 5, "the hostile text must actually reach the renderers"
    for message in messages:
        check_slack(message)
        check_discord(message)
        render_lines(message)
    shown = "\n".join(line for m in carrying for line in render_lines(m))
    visible = "".join(ch for ch in hostile if ch.isprintable())  # the console drops bidi controls
    assert hostile in shown or visible in shown  # the console shows what the member typed
