"""The poll form: `/mentor poll` with no arguments opens it where the platform has modals.

The fields are validated here, once, for every platform: the adapters only render
the `Form` and hand back a `FormSubmission` with the same field names. Choices
follow the one rule of `split_choices` (one a line, or separated by | ; or commas).
"""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.feature import Form, FormField, split_choices
from bot.core.messages import Message
from bot.core.parsing import ParseError, quoted_word
from bot.core.router import ComponentId
from bot.features.polls.polls import MAX_QUESTION, create_poll

POLL_FORM = Form(
    id="mentor:poll:new:create",
    title="New interest poll",
    submit="Post poll",
    fields=(
        FormField(
            "question",
            "Question",
            required=True,
            max_length=MAX_QUESTION,
            placeholder="Would you join a mentorship program?",
        ),
        FormField("options", "Choices, one a line (empty: Mentor / Mentee)", long=True, max_length=1000),
        FormField("closes", "Closes (3d, 2026-12-01, friday 17:00)", max_length=40, placeholder="empty: in 7 days"),
        # Private by default: who wants a mentor is personal, so names show only when asked for.
        FormField("public", "Show voters' names? (yes/no)", max_length=3, placeholder="no"),
        FormField("anonymous", "Anonymous? (yes/no)", max_length=3, placeholder="no"),
    ),
)

_YES = {"y", "yes", "true", "1", "on"}
_NO = {"", "n", "no", "false", "0", "off"}


async def submit_poll_form(ctx: Ctx, cid: ComponentId, fields: dict[str, str]) -> list[Message]:
    """The same poll as the command, built from the form's fields (no quoting rules to learn)."""
    question = " ".join((fields.get("question") or "").split())
    if not question:
        raise InvalidInput("Please write the poll question.")
    args: list[str] = [quoted_word(question)]
    choices = split_choices(fields.get("options") or "")
    if choices:
        args += ["--options", *(quoted_word(c) for c in choices)]
    closes = (fields.get("closes") or "").strip()
    if closes:
        args += ["--closes", quoted_word(closes)]
    for flag, what in (("public", "showing voters' names"), ("anonymous", "anonymous")):
        answer = (fields.get(flag) or "").strip().lower()
        if answer not in _YES | _NO:
            raise InvalidInput(f"Answer yes or no for {what}.")
        if answer in _YES:
            args.append(f"--{flag}")
    try:
        return await create_poll(ctx, args)
    except ParseError as exc:  # the command's own wording ("Choose one: --public … --anonymous …")
        raise InvalidInput(str(exc)) from exc
