"""Choice rounds, step one: shortlists go out, mentees pick, mentors accept or decline.

A choice round is computed like any round (`proposal.compute_round(choice=True)`,
which also stores each mentee's shortlist); when a moderator approves it, every
mentee on it gets their shortlist by DM instead of an introduction. Each entry
shows the per-criterion reasons and the mentor's own words from intake. A pick asks
the mentor, who accepts or declines before the round's deadline; a declined mentee
may pick again. The deadline (or a moderator closing early) is in `choice_close`.
Every choice is a row (`MenteeChoice`), so a restart changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotAllowed, NotFound
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.parsing import format_when
from bot.core.ports import Destination
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox
from bot.features.rounds.proposal import RoundPolicy, round_policy
from bot.features.rounds.proposal_view import members_by_id, top_reasons
from storage.tables import (
    ChoiceOffer,
    ChoiceState,
    Community,
    MatchRound,
    MenteeChoice,
    Pairing,
    PairingStatus,
    Profile,
    RoundStatus,
)

BIO_MAX = 160  # characters of the mentor's "can help with" answer shown on a shortlist
REASON_MAX = 300  # "none of these fit" reason


def line(*spans: msg.Span) -> Message:
    """A one-paragraph message mixing the bot's words and member text."""
    return Message((msg.text(*spans),))


def bio(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= BIO_MAX else text[: BIO_MAX - 1].rstrip() + "…"


async def send_shortlists(session: AsyncSession, round_: MatchRound, now: datetime, policy: RoundPolicy) -> int | None:
    """Open the round for choices: one `MenteeChoice` and one shortlist DM per mentee.

    None when another click already opened (or closed) it: the conditional update
    lets exactly one approval through.
    """
    closes_at = now + timedelta(days=policy.choice_days)
    won = await session.execute(
        update(MatchRound)
        .where(col(MatchRound.id) == round_.id, col(MatchRound.status) == RoundStatus.PROPOSED.value)
        .values(status=RoundStatus.CHOOSING.value, closes_at=closes_at, remind_at=None)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return None
    await session.refresh(round_)
    community = await session.get(Community, round_.community_id)
    assert community is not None and community.id is not None
    offers = await offers_of(session, round_.id)  # type: ignore[arg-type]
    outbox = Outbox(session, community.id, now)
    for mentee_id in sorted(offers):
        choice = MenteeChoice(community_id=community.id, round_id=round_.id, mentee_member_id=mentee_id)  # type: ignore[arg-type]
        session.add(choice)
        await session.flush()
        message = await shortlist_message(session, round_, choice, offers[mentee_id], policy, community.timezone)
        mentee = (await members_by_id(session, {mentee_id}))[mentee_id]
        await outbox.post(Destination.dm(mentee.platform_user_id), message, dedupe_key=f"shortlist:{choice.id}")
    return len(offers)


async def offers_of(session: AsyncSession, round_id: int) -> dict[int, list[ChoiceOffer]]:
    rows = (
        await session.execute(
            select(ChoiceOffer)
            .where(col(ChoiceOffer.round_id) == round_id)
            .order_by(col(ChoiceOffer.mentee_member_id), col(ChoiceOffer.rank))
        )
    ).scalars()
    out: dict[int, list[ChoiceOffer]] = {}
    for offer in rows:
        out.setdefault(offer.mentee_member_id, []).append(offer)
    return out


async def shortlist_message(
    session: AsyncSession,
    round_: MatchRound,
    choice: MenteeChoice,
    offers: list[ChoiceOffer],
    policy: RoundPolicy,
    tz: str,
) -> Message:
    mentor_ids = {o.mentor_member_id for o in offers}
    members = await members_by_id(session, mentor_ids)
    helps: dict[int, str] = dict(
        (
            await session.execute(
                select(col(Profile.member_id), col(Profile.can_help_with)).where(col(Profile.member_id).in_(mentor_ids))
            )
        ).all()
    )
    deadline = format_when(round_.closes_at or round_.created_at, tz)
    parts: list[msg.Part] = [
        msg.text(msg.Strong("Choose your mentor"), " — ", UserText(policy.program_name)),
        msg.text(
            f"These mentors fit what you asked for. Pick one by {deadline}; they confirm, then I introduce you. "
            "If none of them fits, say so: you keep priority next round."
        ),
    ]
    cid = str(choice.id)
    buttons: list[msg.Part] = []
    for offer in offers:
        name = members[offer.mentor_member_id].display_name
        first = " — suggested first" if offer.optimal else ""
        parts.append(msg.text(msg.Strong(f"{offer.rank}. "), UserText(name), f" (fit {offer.score:.0f}){first}"))
        why = top_reasons(offer.reasons)
        if why:
            parts.append(msg.text("   Why: ", UserText("; ".join(why))))
        about = bio(helps.get(offer.mentor_member_id, "") or "")
        if about:
            parts.append(msg.text("   In their words: ", UserText(about)))
        buttons.append(Button(f"Choose {name}"[:75], str(ComponentId("choice", cid, "pick", str(offer.rank)))))
    buttons.append(Button("None of these fit", str(ComponentId("choice", cid, "none")), ButtonStyle.DANGER))
    return Message(tuple(parts + buttons))


# --- the mentee's buttons and commands ---------------------------------------------------


async def my_choice(ctx: Ctx) -> tuple[MatchRound, MenteeChoice]:
    """The caller's choice in this community's open choice round."""
    row = (
        await ctx.session.execute(
            select(MenteeChoice, MatchRound)
            .join(MatchRound, col(MatchRound.id) == col(MenteeChoice.round_id))
            .where(
                col(MenteeChoice.community_id) == ctx.community_id,
                col(MenteeChoice.mentee_member_id) == ctx.member_id,
                col(MatchRound.status) == RoundStatus.CHOOSING.value,
            )
        )
    ).first()
    if row is None:
        raise NotFound("You have no shortlist to choose from right now; I'll DM you when a choice round opens.")
    return row[1], row[0]


async def choice_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor choice`: the caller's shortlist again, with its buttons."""
    round_, choice = await my_choice(ctx)
    offers = (await offers_of(ctx.session, round_.id)).get(ctx.member_id, [])  # type: ignore[arg-type]
    return [
        status_line(choice, ctx.tz),
        await shortlist_message(ctx.session, round_, choice, offers, round_policy(ctx), ctx.tz),
    ]


def status_line(choice: MenteeChoice, tz: str) -> Message:
    words = {
        ChoiceState.WAITING.value: "You have not picked yet.",
        ChoiceState.PICKED.value: "You picked a mentor; they have not answered yet.",
        ChoiceState.ACCEPTED.value: "Your mentor accepted; I'll introduce you when the round closes.",
        ChoiceState.DECLINED.value: "Your pick could not take you on; pick another, or wait for the deadline.",
        ChoiceState.NONE.value: "You said none of these fit; you keep priority next round.",
    }
    return msg.message(words.get(choice.state, "This round is closed."))


async def none_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor choice none ["reason"]`: none of the shortlist fits (the reason is optional)."""
    round_, choice = await my_choice(ctx)
    reason = " ".join(args).strip()
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"Please keep the reason under {REASON_MAX} characters.")
    return await _none(ctx, round_, choice, reason)


async def _none(ctx: Ctx, round_: MatchRound, choice: MenteeChoice, reason: str) -> list[Message]:
    if choice.state == ChoiceState.ACCEPTED.value:
        raise InvalidInput("Your mentor has already accepted, so the choice is made.")
    if choice.state == ChoiceState.PICKED.value:
        raise InvalidInput("You have picked a mentor who has not answered yet; wait for their answer first.")
    choice.state = ChoiceState.NONE.value
    choice.reason = reason or choice.reason
    choice.mentor_member_id, choice.rank, choice.optimal_pick = None, None, False
    choice.picked_at = ctx.now
    ctx.session.add(choice)
    thanks = "Noted — nobody on the list is introduced to you, and you keep priority next round."
    if not reason:
        thanks += ' If you like, tell the moderators why with /mentor choice none "your reason".'
    return [msg.message(thanks)]


async def on_choice_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """The shortlist's buttons: `mentor:choice:<choice id>:pick:<rank>` and `…:none`."""
    choice = await ctx.session.get(MenteeChoice, int(cid.key)) if cid.key.isdigit() else None
    if choice is None or choice.community_id != ctx.community_id:
        raise InvalidInput("That shortlist is not valid any more.")
    if choice.mentee_member_id != ctx.member_id:
        raise NotAllowed("Only the member this shortlist was made for can choose from it.")
    round_ = await ctx.session.get(MatchRound, choice.round_id)
    if round_ is None or round_.status != RoundStatus.CHOOSING.value:
        raise InvalidInput("This choice round is closed; /mentor profile shows where you stand.")
    if cid.verb == "none":
        return await _none(ctx, round_, choice, "")
    if cid.verb != "pick" or not cid.arg.isdigit():
        raise InvalidInput("That shortlist button is not valid any more.")
    return await _pick(ctx, round_, choice, int(cid.arg))


async def _pick(ctx: Ctx, round_: MatchRound, choice: MenteeChoice, rank: int) -> list[Message]:
    if choice.state in (ChoiceState.PICKED.value, ChoiceState.ACCEPTED.value):
        raise InvalidInput("You have already picked; your choice stands until the mentor answers.")
    offer = (
        await ctx.session.execute(
            select(ChoiceOffer).where(
                col(ChoiceOffer.round_id) == round_.id,
                col(ChoiceOffer.mentee_member_id) == ctx.member_id,
                col(ChoiceOffer.rank) == rank,
            )
        )
    ).scalar_one_or_none()
    if offer is None:
        raise InvalidInput("That mentor is not on your list.")
    if offer.mentor_member_id in choice.declined_by:
        raise InvalidInput("That mentor cannot take you on this round; pick another, or wait for the deadline.")
    if await free_places(ctx.session, round_, offer.mentor_member_id) <= 0:
        raise InvalidInput(
            "That mentor's places are already taken this round; pick another, or wait for the deadline "
            "and I'll find you the best mentor who is still free."
        )
    choice.state = ChoiceState.PICKED.value
    choice.mentor_member_id, choice.rank, choice.optimal_pick = offer.mentor_member_id, rank, offer.optimal
    choice.picked_at, choice.answered_at, choice.reason = ctx.now, None, ""
    ctx.session.add(choice)
    members = await members_by_id(ctx.session, {offer.mentor_member_id, ctx.member_id})
    mentor, mentee = members[offer.mentor_member_id], members[ctx.member_id]
    policy = round_policy(ctx)
    deadline = format_when(round_.closes_at or ctx.now, ctx.tz)
    goals = (
        await ctx.session.execute(select(col(Profile.goals)).where(col(Profile.member_id) == ctx.member_id))
    ).scalar_one_or_none()
    silence = " If I hear nothing by then, I'll take it as a yes." if policy.silence_accepts else ""
    parts: list[msg.Part] = [
        msg.text(msg.Strong("A mentee chose you: "), UserText(mentee.display_name), " would like you as their mentor."),
        msg.text("Why you fit: ", UserText("; ".join(top_reasons(offer.reasons)) or "you share a topic")),
    ]
    if goals:
        parts.append(msg.text("Their goal: ", UserText(bio(goals))))
    parts.append(msg.text(f"Please answer by {deadline}.{silence}"))
    answer = str(choice.id)
    parts.append(Button("Accept", str(ComponentId("chosen", answer, "accept", str(rank))), ButtonStyle.PRIMARY))
    parts.append(Button("Decline", str(ComponentId("chosen", answer, "decline", str(rank)))))
    await ctx.outbox.post(
        Destination.dm(mentor.platform_user_id), Message(tuple(parts)), dedupe_key=f"chosen:{choice.id}:{rank}"
    )
    return [
        line(
            "You chose ",
            UserText(mentor.display_name),
            f". I've asked them; you'll hear from me when they answer (by {deadline}).",
        )
    ]


# --- the mentor's answer ---------------------------------------------------------------


async def free_places(session: AsyncSession, round_: MatchRound, mentor_id: int) -> int:
    """The mentor's capacity left: their capacity minus active pairings and this round's acceptances."""
    capacity = (
        await session.execute(select(col(Profile.capacity)).where(col(Profile.member_id) == mentor_id))
    ).scalar_one_or_none() or 0
    active = (
        await session.execute(
            select(func.count())
            .select_from(Pairing)
            .where(col(Pairing.mentor_member_id) == mentor_id, col(Pairing.status) == PairingStatus.ACTIVE.value)
        )
    ).scalar_one()
    accepted = (
        await session.execute(
            select(func.count())
            .select_from(MenteeChoice)
            .where(
                col(MenteeChoice.round_id) == round_.id,
                col(MenteeChoice.mentor_member_id) == mentor_id,
                col(MenteeChoice.state) == ChoiceState.ACCEPTED.value,
            )
        )
    ).scalar_one()
    return max(0, min(capacity, 3) - active - accepted)


async def on_chosen_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """The picked mentor's buttons: `mentor:chosen:<choice id>:accept|decline:<rank>`."""
    choice = await ctx.session.get(MenteeChoice, int(cid.key)) if cid.key.isdigit() else None
    if choice is None or choice.community_id != ctx.community_id:
        raise InvalidInput("That request is not valid any more.")
    if choice.mentor_member_id != ctx.member_id or str(choice.rank) != cid.arg:
        raise InvalidInput("This request has changed: the mentee picked someone else or changed their mind.")
    round_ = await ctx.session.get(MatchRound, choice.round_id)
    if round_ is None or round_.status != RoundStatus.CHOOSING.value:
        raise InvalidInput("This choice round is closed; its introductions are decided.")
    if choice.state != ChoiceState.PICKED.value:
        done = "accepted" if choice.state == ChoiceState.ACCEPTED.value else "answered"
        return [msg.message(f"You have already {done} this request.")]
    if cid.verb not in ("accept", "decline"):
        raise InvalidInput("That button is not valid any more.")
    members = await members_by_id(ctx.session, {choice.mentee_member_id, ctx.member_id})
    mentee, mentor = members[choice.mentee_member_id], members[ctx.member_id]
    deadline = format_when(round_.closes_at or ctx.now, ctx.tz)
    full = cid.verb == "accept" and await free_places(ctx.session, round_, ctx.member_id) <= 0
    choice.answered_at = ctx.now
    if cid.verb == "accept" and not full:
        choice.state = ChoiceState.ACCEPTED.value
        ctx.session.add(choice)
        await ctx.outbox.post(
            Destination.dm(mentee.platform_user_id),
            line(
                UserText(mentor.display_name),
                f" accepted! I'll introduce you both when the round closes ({deadline}).",
            ),
            dedupe_key=f"choice:{choice.id}:accepted",
        )
        return [line("Thank you! I'll introduce you to ", UserText(mentee.display_name), " when the round closes.")]
    choice.state = ChoiceState.DECLINED.value
    choice.declined_by = [*choice.declined_by, ctx.member_id]  # a new list: JSON columns track assignment
    ctx.session.add(choice)
    await ctx.outbox.post(
        Destination.dm(mentee.platform_user_id),
        line(
            UserText(mentor.display_name),
            f" can't take you on this round. Choose someone else on your list (/mentor choice shows it), "
            f"or wait: at {deadline} I'll find you the best mentor who is still free.",
        ),
        dedupe_key=f"choice:{choice.id}:declined:{choice.rank}",
    )
    if full:
        return [msg.message("You have no free place left this round, so I told them you are full. Thank you!")]
    return [msg.message("Understood — I told them kindly, and they can choose someone else.")]
