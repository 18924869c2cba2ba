"""Property-based tests of the Discord translation: interaction in → neutral event out.

Typed options become the core's command text through the poll `Command`'s
`to_text` (what every generated Discord leaf calls), modal submissions become a
`FormSubmission`'s fields (`client.modal_fields`), and the renderer echoes member
text; each gets 10k generated inputs: unicode (RTL, emoji, zero-width), very long,
empty, whitespace-only and mention markup. Properties: the command text tokenizes
back to exactly the question and choices the member typed (quote characters
become apostrophes, by design) or the core's parser refuses it cleanly; the form's
fields arrive exactly as typed; and a reply echoing member text never pings.

`test_generated_slash_commands_round_trip` sends a few hundred generated
`/mentor-admin poll create` interactions through the real discord.py client and
the local fake Discord (gateway INTERACTION_CREATE → deferred → follow-up) and
parses what reached the core.
"""

from __future__ import annotations

import random
import re
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.discord.client import modal_fields
from adapters.discord.render import render
from bot.bootstrap import build_router
from bot.core.events import SlashCommand
from bot.core.feature import split_choices
from bot.core.messages import Mention, UserText, message, text
from bot.core.parsing import Arity, ParseError, parse_args, tokenize
from bot.features.polls.form import POLL_FORM

POLL = build_router().commands["poll"]
QUOTES = re.compile(r"[\"“”„«»]")
POLL_SPEC = {"options": Arity.MANY, "closes": Arity.ONE, "anonymous": Arity.FLAG}
HOSTILE = ["@everyone", "@here", "<@&123456789012345678>", "<@123456789012345678>", "<#1>", "||x||", "**b**"]
_ALPHABET = st.sampled_from(
    list("abc xyz 0123456789-:\"'“”«»@#<>&!*_~`|\\/,;")
    + [
        "\u202e",
        "\u200f",
        "\u200b",
        "\u200d",
        "😀",
        "👩‍👩‍👧",
        "שלום",
        "مرحبا",
        "é",
        "\n",
        "\t",
        "  ",
        "--options",
        *HOSTILE,
    ]
)
member_text = (
    st.lists(_ALPHABET, max_size=30).map("".join)
    | st.text(max_size=80)
    | st.sampled_from(["", " ", "\t\n ", "\u200b", "x" * 3000])
)
MANY = settings(deadline=None, suppress_health_check=list(HealthCheck))  # examples: the profile's (ci: 10,000)


def _normal(value: str) -> str:
    return QUOTES.sub("'", value.strip())


@pytest.mark.slow
@MANY
@given(member_text, st.one_of(st.none(), member_text), st.booleans())
@example("--anonymous", "--options", False)  # quoted text spelled like an option stays text
def test_poll_options_round_trip_through_the_core_parser(question: str, options: str | None, anonymous: bool) -> None:
    line = POLL.to_text({"question": question, "options": options, "anonymous": anonymous})
    assert line.startswith("poll")
    try:
        parsed = parse_args(tokenize(line[len("poll") :]), POLL_SPEC)
    except ParseError as refusal:
        assert str(refusal)  # a clean refusal says why
        return
    assert " ".join(parsed.positional) == _normal(question)
    assert parsed.options.get("options", []) == [_normal(c) for c in split_choices(options or "")]
    assert parsed.flag("anonymous") == anonymous


@pytest.mark.slow
@MANY
@given(st.dictionaries(st.sampled_from(["question", "options", "closes", "anonymous", "x"]), member_text))
def test_modal_submission_fields_arrive_exactly(values: dict[str, str]) -> None:
    data = {
        "custom_id": POLL_FORM.id,
        "components": [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()],
    }
    assert modal_fields(data) == values
    labelled = {  # Discord's newer modal layout: a label component around each text input
        "custom_id": POLL_FORM.id,
        "components": [
            {"type": 18, "label": k, "component": {"type": 4, "custom_id": k, "value": v}} for k, v in values.items()
        ],
    }
    assert modal_fields(labelled) == values


@pytest.mark.slow
@MANY
@given(member_text, st.sampled_from(["123456789012345678", "U0CONSOLE"]))
@example("<@0>", "123456789012345678")  # found by CI: a short id escaped discord.utils.escape_mentions
@example("<@&1> <@!22> <#3>", "U0CONSOLE")
def test_rendered_member_text_pings_nobody_but_the_mention(typed: str, mentioned: str) -> None:
    rendered = render(message(text("Hi ", Mention(mentioned, "Ann"), ", you wrote: ", UserText(typed))))
    kwargs = rendered.send_kwargs()
    content = kwargs.get("content") or ""
    assert len(content) <= 2000
    allowed: discord.AllowedMentions = kwargs["allowed_mentions"]
    assert allowed.everyone is False and allowed.roles is False
    users = allowed.users if isinstance(allowed.users, list) else []
    assert {str(u.id) for u in users} <= ({mentioned} if mentioned.isdigit() else set())
    assert not re.search(r"@(everyone|here)|<@&\d+>", content)
    for user in re.findall(r"<@!?(\d+)>", content):
        assert user == mentioned


class StubCore:
    def __init__(self) -> None:
        self.events: list[Any] = []

    async def handle(self, event: Any) -> list[Any]:
        self.events.append(event)
        return [message(text("You asked: ", UserText(getattr(event, "text", ""))))]


ROUND_TRIPS = 150


async def test_generated_slash_commands_round_trip(fake: Any, discord_settings: Any, run_client: Any) -> None:
    rng = random.Random(20261122)
    pieces = ["Mentor", "Mentee", '"', "“", ",", "|", *HOSTILE, "\u202e", "\u200b", "😀", "שלום", " ", "x" * 120]
    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    core = StubCore()
    await run_client(core, discord_settings)
    for n in range(ROUND_TRIPS):
        question = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 5)))[:300] or "q"
        options = ", ".join("".join(rng.choice(pieces) for _ in range(rng.randint(1, 3))) for _ in range(3))[:1000]
        await fake.slash(
            guild,
            channel_id,
            guild.owner_id,
            "poll create",
            {"question": question, "options": options},
            command="mentor-admin",
        )
        await fake.wait_for_call("PATCH", r"^/webhooks/\d+/[^/]+/messages/@original$", count=n + 1)
        event = core.events[-1]
        assert isinstance(event, SlashCommand)
        parsed = parse_args(tokenize(event.text[len("poll") :]), POLL_SPEC)
        assert " ".join(parsed.positional) == _normal(question)
        assert parsed.options["options"] == [_normal(c) for c in split_choices(options)]
        assert not parsed.flag("anonymous") and "closes" not in parsed.options
    edits = fake.calls_to("PATCH", r"^/webhooks/\d+/[^/]+/messages/@original$")
    assert len(edits) == ROUND_TRIPS
    for edit in edits:
        assert not re.search(r"@(everyone|here)|<@&\d+>", edit.json.get("content", ""))
        assert edit.json["allowed_mentions"]["parse"] == []
