"""Changing a posted poll: `/mentor poll edit <id> "question"` and `/mentor poll cancel <id>`.

An edit is allowed only before the first vote (afterwards it would change what
people voted for); a cancelled poll is unpinned and marked cancelled, and posts
no results and sends no invitations.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.messages import Message
from bot.core.parsing import Arity, ParseError, format_when, parse_args
from bot.features.polls.polls import MAX_QUESTION, get_poll, poll_options, refresh_poll_message
from storage.tables import OutboxMessage, Poll, PollStatus, PollVote


async def _open_poll(ctx: Ctx, raw: str | None, usage: str) -> Poll:
    if raw is None or not raw.lstrip("#").isdigit():
        raise ParseError(f"Give the poll number, e.g. /mentor {usage}. /mentor polls lists them.")
    return await get_poll(ctx.session, ctx.community_id, int(raw.lstrip("#")))


async def edit_poll_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("edit a poll")
    parsed = parse_args(args, {"options": Arity.MANY})
    poll = await _open_poll(ctx, parsed.positional[0] if parsed.positional else None, 'poll edit 3 "New question"')
    question = " ".join(parsed.positional[1:]).strip()
    options = parsed.many("options")
    if not question and options is None:
        raise ParseError(
            'Give the new question in quotes (and/or --options "A" "B"), e.g. /mentor poll edit 3 "Would you mentor?"'
        )
    if len(question) > MAX_QUESTION:
        raise ParseError(f"The question is {len(question)} characters; keep it under {MAX_QUESTION}.")
    if poll.status != PollStatus.OPEN.value:
        return [msg.message(f"Poll #{poll.id} is {poll.status}, so it can't be edited.")]
    votes = (
        await ctx.session.execute(select(func.count()).select_from(PollVote).where(col(PollVote.poll_id) == poll.id))
    ).scalar_one()
    if votes:
        return [
            msg.message(
                f"Poll #{poll.id} already has {msg.plural(votes, 'vote')}; "
                "editing now would change what people voted for. "
                f"/mentor poll cancel {poll.id} and a new poll start afresh."
            )
        ]
    if question:
        poll.question = question
    if options is not None:
        poll.options = poll_options(options)
    ctx.session.add(poll)
    await ctx.session.flush()
    await refresh_poll_message(ctx.session, ctx.outbox, poll, ctx.tz)
    return [msg.message(f"Poll #{poll.id} is updated in the channel.")]


async def cancel_poll_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("cancel a poll")
    parsed = parse_args(args, {})
    poll = await _open_poll(ctx, parsed.positional[0] if len(parsed.positional) == 1 else None, "poll cancel 3")
    if poll.status != PollStatus.OPEN.value:
        return [msg.message(f"Poll #{poll.id} is already {poll.status}.")]
    poll.status = PollStatus.CANCELLED.value
    poll.closed_at = ctx.now
    ctx.session.add(poll)
    await ctx.session.flush()
    await refresh_poll_message(ctx.session, ctx.outbox, poll, ctx.tz)  # buttons go, "cancelled" shows
    if poll.post_outbox_id is not None:
        post = await ctx.session.get(OutboxMessage, poll.post_outbox_id)
        if post is not None:
            await ctx.outbox.pin(post, unpin=True)
    return [
        msg.message(
            f"Poll #{poll.id} is cancelled ({format_when(ctx.now, ctx.tz)}) and unpinned: no results are posted "
            "and nobody is invited."
        )
    ]
