"""Interest polls: gauge whether members want a program, and who would mentor.

The program guide: say clearly when the poll closes, pin it, and reveal in advance
the classic failure — plenty of mentees and not enough mentors. A poll closes by
itself at `closes_at` (the sweep finds it, also after downtime), unpins, posts
the results and invites would-be mentors and mentees to sign up; that invitation
is the poll's campaign, so sign-ups can be attributed to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx, OutboxWriter
from bot.core.errors import InvalidInput, NotAllowed, NotFound
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.parsing import Arity, ParseError, format_when, parse_args, parse_when
from bot.core.ports import Destination
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox
from storage.tables import Community, Member, OutboxMessage, Poll, PollStatus, PollVote

INTEREST_OPTIONS: list[dict[str, Any]] = [
    {"label": "I'd mentor", "role": "mentor"},
    {"label": "I'd like a mentor", "role": "mentee"},
    {"label": "Both", "role": "both"},
    {"label": "Not now", "role": "none"},
]
MAX_QUESTION = 300
MAX_OPTION = 75  # Slack's button text limit; Discord allows 80
MAX_OPTIONS = 10
POLL_SPEC = {"options": Arity.MANY, "closes": Arity.ONE, "anonymous": Arity.FLAG, "public": Arity.FLAG}
# Words that start a poll sub-command: never the whole question of a new, public, pinned poll.
SUB_COMMAND_WORDS = frozenset(
    {
        "edit",
        "cancel",
        "close",
        "delete",
        "remove",
        "update",
        "change",
        "results",
        "show",
        "list",
        "open",
        "reopen",
        "stop",
        "end",
    }
)


# --- commands -----------------------------------------------------------


async def create_poll(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("start a poll")
    if ctx.in_dm:
        raise InvalidInput("Start a poll in the channel where members should see it, not in a DM.")
    parsed = parse_args(args, POLL_SPEC)
    question = " ".join(parsed.positional).strip()
    if not question:
        raise ParseError('Give the question, e.g. /mentor poll "Would you join a mentorship program?"')
    first = parsed.positional[0].strip().casefold()
    if first in SUB_COMMAND_WORDS:
        raise ParseError(
            f"“{first}” looks like a poll sub-command, so I posted nothing. Polls are changed with "
            '/mentor poll edit <id> "question", /mentor poll cancel <id> or /mentor poll close <id>; '
            "a new poll's question goes in quotes."
        )
    if parsed.flag("public") and parsed.flag("anonymous"):
        raise ParseError("Choose one: --public shows who voted for what, --anonymous never does.")
    if len(question) > MAX_QUESTION:
        raise ParseError(f"The question is {len(question)} characters; keep it under {MAX_QUESTION}.")
    options = poll_options(parsed.many("options"))
    closes_raw = parsed.one("closes")
    closes_at = (
        parse_when(closes_raw, ctx.now, ctx.tz, max_ahead=timedelta(days=90))
        if closes_raw
        else ctx.now + timedelta(days=ctx.settings.default_poll_days)
    )
    if closes_at - ctx.now < timedelta(minutes=5):
        raise ParseError("Give members at least 5 minutes to vote.")
    poll = Poll(
        community_id=ctx.community_id,
        channel_id=ctx.channel_id,
        question=question,
        options=options,
        anonymous=parsed.flag("anonymous"),
        show_voters=parsed.flag("public"),
        created_by_member_id=ctx.member_id,
        created_at=ctx.now,
        closes_at=closes_at,
    )
    ctx.session.add(poll)
    await ctx.session.flush()
    post = await ctx.outbox.post(
        Destination.channel(ctx.channel_id),
        render_poll(poll, [0] * len(poll.options), ctx.tz, {}),
        dedupe_key=f"poll:{poll.id}:post",
    )
    await ctx.session.flush()  # the poll keeps the posted row's id (live tally updates, unpin)
    poll.post_outbox_id = post.id
    await ctx.outbox.pin(post)
    return [
        msg.message(
            f"Poll #{poll.id} is posted and pinned here. It closes {format_when(closes_at, ctx.tz)}; "
            f"close it early with /mentor poll close {poll.id}."
        )
    ]


def poll_options(raw: list[str] | None) -> list[dict[str, Any]]:
    """The choices as typed (cleaned and checked), or the standard interest options."""
    if raw is None:
        return [dict(o) for o in INTEREST_OPTIONS]
    labels = [" ".join(o.split()) for o in raw]
    if any(not label for label in labels):
        raise ParseError("An option is empty; give each option some text.")
    if not 2 <= len(labels) <= MAX_OPTIONS:
        raise ParseError(f"A poll needs 2 to {MAX_OPTIONS} options; you gave {len(labels)}.")
    too_long = [label for label in labels if len(label) > MAX_OPTION]
    if too_long:
        raise ParseError(f"Options must be at most {MAX_OPTION} characters (one has {len(too_long[0])}).")
    if len({label.casefold() for label in labels}) != len(labels):
        raise ParseError("Two options are the same; make each option different.")
    return [{"label": label, "role": _role_of(label)} for label in labels]


def _role_of(label: str) -> str:
    """Custom options that match the standard ones keep their meaning for the campaign."""
    for standard in INTEREST_OPTIONS:
        if label.casefold() == standard["label"].casefold():
            return str(standard["role"])
    return "none"


async def close_poll_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("close a poll")
    poll = await _poll_from_args(ctx, args, "poll close <id>")
    if poll.status != PollStatus.OPEN.value:
        return [msg.message(f"Poll #{poll.id} is already {poll.status}.")]
    await close_poll(ctx.session, poll, ctx.now, ctx.settings.mentee_mentor_ratio_warning)
    return [msg.message(f"Poll #{poll.id} is closed; the results are posted in the channel.")]


async def list_polls(ctx: Ctx, args: list[str]) -> list[Message]:
    # Each poll's total, counted on the poll_id index alone (a count per option reads every vote row).
    total = select(func.count()).where(col(PollVote.poll_id) == Poll.id).correlate(Poll).scalar_subquery()
    rows = (
        await ctx.session.execute(
            select(Poll, total)
            .where(col(Poll.community_id) == ctx.community_id)
            .order_by(col(Poll.status).desc(), col(Poll.created_at).desc())
            .limit(15)
        )
    ).all()
    lines: list[msg.Part] = [msg.text(msg.Strong("Polls"))]
    count = 0
    for poll, votes in rows:
        count += 1
        state = (
            f"open, closes {format_when(poll.closes_at, ctx.tz)}"
            if poll.status == PollStatus.OPEN.value
            else f"closed {format_when(poll.closed_at or poll.closes_at, ctx.tz)}"
        )
        if poll.status == PollStatus.CANCELLED.value:
            state = f"cancelled {format_when(poll.closed_at or poll.closes_at, ctx.tz)}"
        lines.append(msg.text(f"#{poll.id} ", UserText(poll.question), f" — {msg.plural(votes, 'vote')}, {state}"))
    if count == 0:
        lines.append(msg.text('No polls yet. Moderators start one with /mentor poll "<question>".'))
    return [Message(tuple(lines))]


async def _poll_from_args(ctx: Ctx, args: list[str], usage: str) -> Poll:
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        raise ParseError(f"Give the poll number, e.g. /mentor {usage.replace('<id>', '3')}. /mentor polls lists them.")
    return await get_poll(ctx.session, ctx.community_id, int(args[0].lstrip("#")))


async def get_poll(session: AsyncSession, community_id: int, poll_id: int) -> Poll:
    # Scoped to the community: another community's poll id is simply "not found".
    poll = (
        await session.execute(select(Poll).where(col(Poll.id) == poll_id, col(Poll.community_id) == community_id))
    ).scalar_one_or_none()
    if poll is None:
        raise NotFound(f"There is no poll #{poll_id} here. /mentor polls lists the polls.")
    return poll


# --- voting -------------------------------------------------------------


async def on_poll_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    if cid.verb != "vote" or not cid.key.isdigit() or not cid.arg.isdigit():
        raise InvalidInput("That poll button is not valid any more.")
    poll = await get_poll(ctx.session, ctx.community_id, int(cid.key))
    option = int(cid.arg)
    if not 0 <= option < len(poll.options):
        raise InvalidInput("That option is not part of this poll.")
    if poll.status != PollStatus.OPEN.value or poll.closes_at <= ctx.now:
        when = format_when(poll.closed_at or poll.closes_at, ctx.tz)
        return [msg.message(f"This poll closed {when}, so votes are no longer counted. Thank you anyway!")]
    label = poll.options[option]["label"]
    vote = (
        await ctx.session.execute(
            select(PollVote).where(col(PollVote.poll_id) == poll.id, col(PollVote.member_id) == ctx.member_id)
        )
    ).scalar_one_or_none()
    if vote is not None and vote.option_index == option:
        return [
            msg.message(
                msg.text("You already voted ", UserText(label), ". You can change your vote until the poll closes.")
            )
        ]
    changed = vote is not None
    if vote is None:
        assert poll.id is not None
        vote = PollVote(poll_id=poll.id, member_id=ctx.member_id, option_index=option, voted_at=ctx.now)
    else:
        vote.option_index, vote.voted_at = option, ctx.now
    ctx.session.add(vote)
    await ctx.session.flush()
    await refresh_poll_message(ctx.session, ctx.outbox, poll, ctx.tz)
    verb = "changed your vote to" if changed else "voted"
    return [
        msg.message(
            msg.text(
                f"You {verb} ",
                UserText(label),
                f". You can change it until {format_when(poll.closes_at, ctx.tz)}.",
            )
        )
    ]


async def _votes(session: AsyncSession, poll: Poll) -> list[tuple[PollVote, Member]]:
    rows = await session.execute(
        select(PollVote, Member)
        .join(Member, col(Member.id) == PollVote.member_id)
        .where(col(PollVote.poll_id) == poll.id)
        .order_by(col(PollVote.voted_at), col(PollVote.id))
    )
    return [(v, m) for v, m in rows.all()]


async def _counts(session: AsyncSession, poll: Poll) -> list[int]:
    """Votes per option, counted by the database (a vote re-renders the poll: no loading every vote)."""
    counts = [0] * len(poll.options)
    rows = await session.execute(
        select(col(PollVote.option_index), func.count())
        .where(col(PollVote.poll_id) == poll.id)
        .group_by(col(PollVote.option_index))
    )
    for index, count in rows.all():
        if 0 <= index < len(counts):
            counts[index] = count
    return counts


async def _first_voters(session: AsyncSession, poll: Poll) -> dict[int, list[str]]:
    """The first NAMES_SHOWN voters' names per option, in voting order."""
    place = (
        func.row_number()
        .over(partition_by=col(PollVote.option_index), order_by=(col(PollVote.voted_at), col(PollVote.id)))
        .label("place")
    )
    ranked = (
        select(col(PollVote.option_index), col(Member.display_name), place)
        .join(Member, col(Member.id) == PollVote.member_id)
        .where(col(PollVote.poll_id) == poll.id)
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.option_index, ranked.c.display_name)
        .where(ranked.c.place <= NAMES_SHOWN)
        .order_by(ranked.c.option_index, ranked.c.place)
    )
    names: dict[int, list[str]] = {}
    for index, name in rows.all():
        names.setdefault(index, []).append(name)
    return names


async def refresh_poll_message(session: AsyncSession, outbox: OutboxWriter, poll: Poll, tz: str) -> None:
    """Queue an update of the posted poll message with the current tally (nothing if never posted).

    The poll feature owns how its message looks; other features (forget-me) call this
    after changing votes."""
    if poll.post_outbox_id is None:
        return
    post = await session.get(OutboxMessage, poll.post_outbox_id)
    if post is None:
        return
    names = await _first_voters(session, poll) if _names_shown(poll) else {}
    await outbox.update(post, render_poll(poll, await _counts(session, poll), tz, names))


# --- rendering ----------------------------------------------------------

NAMES_SHOWN = 10  # voters named per option on a public poll; the rest are "and N more"


def _names_shown(poll: Poll) -> bool:
    """Who wants a mentor is personal: names only on a --public poll, never on an anonymous one."""
    return poll.show_voters and not poll.anonymous


def render_poll(poll: Poll, counts: list[int], tz: str, names: dict[int, list[str]]) -> Message:
    open_ = poll.status == PollStatus.OPEN.value
    cancelled = poll.status == PollStatus.CANCELLED.value
    header = "Interest poll" if open_ else "Interest poll (cancelled)" if cancelled else "Interest poll (closed)"
    when = (
        f"Closes {format_when(poll.closes_at, tz)}. One vote each; you can change it until then."
        if open_
        else f"Cancelled {format_when(poll.closed_at or poll.closes_at, tz)}; there are no results."
        if cancelled
        else f"Closed {format_when(poll.closed_at or poll.closes_at, tz)}. Results are posted below."
    )
    rows: list[tuple[str, tuple[msg.Span, ...]]] = []
    for index, option in enumerate(poll.options):
        value: list[msg.Span] = [msg.plural(counts[index], "vote")]
        if _names_shown(poll) and names.get(index):
            shown = names[index][:NAMES_SHOWN]
            value.append(" — ")
            for n, name in enumerate(shown):
                value.extend(([", "] if n else []) + [UserText(name)])
            if counts[index] > len(shown):
                value.append(f" and {counts[index] - len(shown)} more")
        rows.append((option["label"], tuple(value)))
    parts: list[msg.Part] = [
        msg.text(msg.Strong(header), f" #{poll.id}"),
        msg.text(UserText(poll.question)),
        msg.Fields(tuple(rows)),
        msg.text(
            when
            + (" Votes are anonymous." if poll.anonymous else " Voters' names are shown." if _names_shown(poll) else "")
        ),
    ]
    if open_:
        parts.extend(
            Button(UserText(o["label"]), str(ComponentId("poll", str(poll.id), "vote", str(i))))
            for i, o in enumerate(poll.options)
        )
    return Message(tuple(parts))


def render_results(poll: Poll, counts: list[int], ratio_warning: float) -> Message:
    total = sum(counts)
    rows: list[tuple[str, tuple[msg.Span, ...]]] = []
    for index, option in enumerate(poll.options):
        share = f"{100 * counts[index] / total:.0f}%" if total else "0%"
        rows.append((option["label"], (f"{counts[index]} ({share})",)))
    parts: list[msg.Part] = [
        msg.text(msg.Strong("Poll results"), f" #{poll.id}: ", UserText(poll.question)),
        msg.Fields(tuple(rows)),
        msg.text(f"{msg.plural(total, 'member')} voted."),
    ]
    roles = [o.get("role", "none") for o in poll.options]
    if any(r in ("mentor", "mentee", "both") for r in roles):
        mentors = sum(c for c, r in zip(counts, roles, strict=True) if r in ("mentor", "both"))
        mentees = sum(c for c, r in zip(counts, roles, strict=True) if r in ("mentee", "both"))
        parts.append(msg.text(f"Would-be mentors: {mentors} · would-be mentees: {mentees}."))
        if mentees and (mentors == 0 or mentees / mentors > ratio_warning):
            ratio = "no mentors at all" if mentors == 0 else f"{mentees / mentors:.1f} mentees per mentor"
            parts.append(
                msg.text(
                    msg.Strong("Warning: "),
                    f"{ratio} — more than the {ratio_warning:g}:1 the program can carry. "
                    "Recruit mentors before launching (stress what they gain: networking, growth, giving back).",
                )
            )
        parts.append(msg.text("Everyone who would mentor or be mentored gets a DM inviting them to sign up."))
    return Message(tuple(parts))


ROLE_WORDS = {"mentor": "mentor", "mentee": "be mentored", "both": "mentor and be mentored"}


def render_invite(poll: Poll, role: str) -> Message:
    buttons: list[msg.Part] = []
    for signup_role, label in (("mentor", "Sign up as a mentor"), ("mentee", "Sign up as a mentee")):
        if role in (signup_role, "both"):
            buttons.append(Button(label, str(ComponentId("join", f"poll.{poll.id}", signup_role)), ButtonStyle.PRIMARY))
    return Message(
        (
            msg.text(
                f"Thanks for saying you'd like to {ROLE_WORDS[role]} in the poll “",
                UserText(poll.question),
                "”.",
            ),
            msg.text("The program is taking sign-ups. It takes about five minutes, right here in this chat."),
            *buttons,
        )
    )


# --- closing (manual and by the sweep) -----------------------------------


async def close_poll(session: AsyncSession, poll: Poll, now: datetime, ratio_warning: float) -> None:
    """Close, unpin, post results, invite. Safe to call twice: keys de-duplicate."""
    community = await session.get(Community, poll.community_id)
    assert community is not None and community.id is not None
    outbox = Outbox(session, community.id, now)
    poll.status = PollStatus.CLOSED.value
    poll.closed_at = now
    session.add(poll)
    await session.flush()
    votes = await _votes(session, poll)
    await refresh_poll_message(session, outbox, poll, community.timezone)
    if poll.post_outbox_id is not None:
        post = await session.get(OutboxMessage, poll.post_outbox_id)
        if post is not None:
            await outbox.pin(post, unpin=True)
    await outbox.post(
        Destination.channel(poll.channel_id),
        render_results(poll, await _counts(session, poll), ratio_warning),
        dedupe_key=f"poll:{poll.id}:results",
    )
    for vote, member in votes:
        role = poll.options[vote.option_index].get("role", "none")
        if role in ROLE_WORDS:
            await outbox.post(
                Destination.dm(member.platform_user_id),
                render_invite(poll, role),
                dedupe_key=f"poll:{poll.id}:invite:{member.id}",
            )


async def close_due_polls(session: AsyncSession, now: datetime, ratio_warning: float, limit: int = 100) -> int:
    """Sweep: close every open poll whose time has come (also those missed while down)."""
    polls = (
        (
            await session.execute(
                select(Poll)
                .where(col(Poll.status) == PollStatus.OPEN.value, col(Poll.closes_at) <= now)
                .order_by(col(Poll.closes_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for poll in polls:
        await close_poll(session, poll, now, ratio_warning)
    return len(polls)


async def next_poll_close(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(select(func.min(col(Poll.closes_at))).where(col(Poll.status) == PollStatus.OPEN.value))
    ).scalar_one_or_none()


__all__ = ["close_due_polls", "next_poll_close", "NotAllowed"]
