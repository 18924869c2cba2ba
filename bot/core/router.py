"""One router from neutral events to the features' handlers.

Each feature package declares its commands, components and direct-text handler
in a `Feature` (`bot/core/feature.py`); `Router.from_features` builds the tables.
`/mentor help` is generated from the same table, so a member only ever sees what
they may do, and the authorization tests are generated from it too.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core import messages as msg
from bot.core.component_id import ComponentId
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.feature import Command, ComponentRoute, Feature, Form, JoinHandler, TextHandler
from bot.core.messages import Message
from bot.core.parsing import ParseError, tokenize
from bot.core.questions import Question, open_questions
from bot.core.questions import close as close_questions


def platform_of(ctx: Ctx) -> str:
    """The platform of the handler's community ("slack", "discord", "console"), if it has one."""
    return str(getattr(getattr(ctx, "community", None), "platform", "") or "")


def command_label(command: Command, platform: str) -> str:
    """The command as the member typed it: `/mentor poll close`, on Discord `/mentor-admin poll close`."""
    return command.discord_label if platform == "discord" else f"/mentor {command.name}"


def usage_line(command: Command, platform: str) -> str:
    """Each platform's own form: Discord shows its sub-commands and typed options, the others the text syntax."""
    if platform == "discord":
        return command.discord_usage()
    return f"/mentor {command.usage}"


ComponentHandler = Callable[[Ctx, ComponentId, tuple[str, ...]], Awaitable[list[Message]]]
FormHandler = Callable[[Ctx, ComponentId, dict[str, str]], Awaitable[list[Message]]]


class FormTable(dict[str, Form]):
    """Forms by id. A form declared as `mentor:<kind>:*:<verb>` serves every key of that kind:
    looking up `mentor:rcr:7:edit` gives it with that id, so the modal's submission names alert 7."""

    def get(self, key: str, default: Form | None = None) -> Form | None:  # type: ignore[override]
        found = super().get(key)
        if found is not None:
            return found
        parts = key.split(":")
        if len(parts) == 4 and parts[0] == "mentor":
            shared = super().get(f"mentor:{parts[1]}:*:{parts[3]}")
            if shared is not None:
                return replace(shared, id=key)
        return default


class Router:
    def __init__(
        self,
        commands: list[Command],
        components: list[ComponentRoute],
        text_handlers: list[TextHandler] | None = None,
        join_handlers: list[JoinHandler] | None = None,
        forms: list[Form] | None = None,
        questions: list[Question] | None = None,
        text_priorities: list[int] | None = None,
    ) -> None:
        self.commands = {c.name: c for c in commands}
        if len(self.commands) != len(commands):
            raise ValueError("two commands share a name")
        self.components = {c.kind: c for c in components}
        self.text_handlers = text_handlers or []
        self.join_handlers = join_handlers or []  # a member joined the community (greetings)
        self.forms = FormTable({f.id: f for f in forms or []})
        self.questions = {q.name: q for q in questions or []}
        # Typed answers to button questions come after a sign-up in progress, before every other talker.
        priorities = text_priorities or [100] * len(self.text_handlers)
        self._before_answers = sum(1 for p in priorities if p < self.ANSWER_PRIORITY)

    @classmethod
    def from_features(cls, features: list[Feature]) -> Router:
        talkers = sorted((f for f in features if f.text_handler), key=lambda f: f.text_priority)
        return cls(
            commands=[c for f in features for c in f.commands],
            components=[r for f in features for r in f.components],
            text_handlers=[f.text_handler for f in talkers if f.text_handler],
            join_handlers=[f.join_handler for f in features if f.join_handler],
            forms=[form for f in features for form in f.forms],
            questions=[q for f in features for q in f.questions],
            text_priorities=[f.text_priority for f in talkers if f.text_handler],
        )

    def form_for(self, text: str) -> Form | None:
        """The form a command opens on platforms with modals: a bare `/mentor poll` → the poll form;
        a form id with `{arg}` is chosen by the command's argument (`/mentor edit goals`)."""
        try:
            tokens = tokenize(text)
        except ParseError:
            return None
        command, args = self.resolve(tokens)
        if command is None or command.form is None:
            return None
        if "{arg}" in command.form:  # a form per argument: `edit goals` → mentor:editq:goals:save
            key = re.sub(r"[^a-z0-9]", "", " ".join(args).casefold())
            return self.forms.get(command.form.replace("{arg}", key)) if key else None
        return None if args else self.forms.get(command.form)

    # --- slash commands -------------------------------------------------

    def resolve(self, tokens: list[str]) -> tuple[Command | None, list[str]]:
        if not tokens:
            return None, []
        first = tokens[0].lower()
        if len(tokens) > 1:
            two = f"{first} {tokens[1].lower()}"
            if two in self.commands:
                return self.commands[two], tokens[2:]
        return self.commands.get(first), tokens[1:]

    async def command(self, ctx: Ctx, text: str) -> list[Message]:
        try:
            tokens = tokenize(text)
        except ParseError as exc:
            raise InvalidInput(str(exc)) from exc
        if not tokens or tokens[0].lower() in ("help", "?", "-h", "--help"):
            return [self.help(ctx)]
        command, args = self.resolve(tokens)
        if command is None:
            return [self.unknown(ctx, tokens[0])]
        if command.moderator_only:
            ctx.require_moderator(f"use {command_label(command, platform_of(ctx))}")
        try:
            return await command.handler(ctx, args)
        except ParseError as exc:
            raise InvalidInput(f"{exc}\nUsage: {usage_line(command, platform_of(ctx))}") from exc

    def visible_commands(self, is_moderator: bool) -> list[Command]:
        return [c for c in self.commands.values() if is_moderator or not c.moderator_only]

    def help(self, ctx: Ctx) -> Message:
        platform = platform_of(ctx)
        lines = [f"{usage_line(c, platform)} — {c.summary}" for c in self.visible_commands(ctx.is_moderator)]
        lines.append("/mentor help — this list")
        title = "What you can do (moderator)" if ctx.is_moderator else "What you can do"
        return msg.message(msg.text(msg.Strong(title)), "\n".join(lines))

    # How alike a typo must be to a command to be suggested (difflib's ratio, 0–1): "stat",
    # "statz" and "mtach" find their command; unrelated words get no guess.
    SUGGEST_CUTOFF = 0.6

    def unknown(self, ctx: Ctx, word: str) -> Message:
        """One or two lines: the closest command the member may use (when one is close), and where to look."""
        names = sorted({c.name.split()[0] for c in self.visible_commands(ctx.is_moderator)} | {"help"})
        close = difflib.get_close_matches(word.lower(), names, n=1, cutoff=self.SUGGEST_CUTOFF)
        hint = f" Did you mean /mentor {close[0]}?" if close else ""
        return Message(
            (
                msg.text("I don't know the command ", msg.UserText(word[:50]), f".{hint}"),
                msg.text("See /mentor help for what you can do."),
            )
        )

    # --- components, forms, direct messages --------------------------------

    async def component(self, ctx: Ctx, raw_id: str, values: tuple[str, ...]) -> list[Message]:
        cid = ComponentId.parse(raw_id)
        route = self.components.get(cid.kind)
        if route is None:
            raise NotFound("That button no longer does anything. Try /mentor help for what you can do now.")
        answered = [
            q.name
            for q in self.questions.values()
            if q.kind == cid.kind and cid.verb in q.verbs and q.open_for is None  # those keep their own record
        ]
        if answered:  # clicked or typed, the question is answered (its handler may ask it again)
            await close_questions(ctx.session, [ctx.member_id], key=cid.key, names=answered)
        return await route.handler(ctx, cid, values)

    async def form(self, ctx: Ctx, raw_id: str, fields: dict[str, str]) -> list[Message]:
        cid = ComponentId.parse(raw_id)
        route = self.components.get(cid.kind)
        if route is None or route.form_handler is None:
            raise NotFound("That form is no longer in use. Try /mentor help.")
        return await route.form_handler(ctx, cid, fields)

    async def member_joined(self, ctx: Ctx) -> list[Message]:
        replies: list[Message] = []
        for handler in self.join_handlers:
            replies.extend(await handler(ctx))
        return replies

    ANSWER_PRIORITY = 15  # after intake (10), before feedback texts (20) and check-in notes (30)
    REASK_WITHIN = timedelta(days=14)  # an older question does not claim unclear words

    async def direct_text(self, ctx: Ctx, text: str) -> list[Message]:
        talkers = [
            *self.text_handlers[: self._before_answers],
            self.typed_answer,
            *self.text_handlers[self._before_answers :],
            self.ask_again,
        ]
        for handler in talkers:
            replies = await handler(ctx, text)
            if replies is not None:
                return replies
        return [
            msg.message(
                "Hi! I run this community's mentorship program. "
                "Type /mentor help (in any channel) to see what you can do."
            )
        ]

    async def _open(self, ctx: Ctx) -> list[tuple[Question, str, datetime]]:
        finders = {q.open_for for q in self.questions.values() if q.open_for is not None}
        found = await open_questions(ctx.session, ctx.community_id, ctx.member_id, finders)
        return [(self.questions[name], key, at) for name, key, at in found if name in self.questions]

    async def typed_answer(self, ctx: Ctx, text: str) -> list[Message] | None:
        """Words that answer the member's open button questions, handled as the click they mean.

        The newest message's questions (asked at the same moment) take any answer
        they understand, "yes" included; an older one only words that name its
        choice ("we had our kick-off"), so a bare "yes" never lands on a stale question."""
        asked = await self._open(ctx)
        newest = (asked[0][1], asked[0][2]) if asked else None  # one message's questions share key and moment
        for question, key, at in asked:
            if question.free_text:
                if (key, at) == newest:
                    return None  # the newest question takes any words: its feature's handler has them
                continue
            answers = question.parse(text, (key, at) != newest)
            if answers:
                replies: list[Message] = []
                for verb, arg in answers:
                    replies += await self.component(ctx, str(ComponentId(question.kind, key, verb, arg)), ())
                return replies
        return None

    async def ask_again(self, ctx: Ctx, text: str) -> list[Message] | None:
        """Unclear words while a question is fresh: say so and ask it again, with the words it takes."""
        asked = await self._open(ctx)
        if not asked:
            return None
        question, _, at = asked[0]
        if question.free_text or ctx.now - at > self.REASK_WITHIN:
            return None
        return [msg.message(f"I didn't catch that. {question.reask} (Anything else: /mentor help.)")]
