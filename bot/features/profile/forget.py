"""Forget-me: delete every piece of a member's personal data.

`/mentor forget-me`, after a confirmation click, deletes every piece of personal
data of the member. What stays is anonymous: the `member` row keeps its id,
because other rows point at it (a poll a moderator created, and later pairing
history that counts towards statistics), but its name becomes "forgotten member"
and its platform id a placeholder, so nothing links it to the person; if they
return they are a new member. Outbox rows addressed to them are deleted, and
their name and words are blanked in every other stored message (poll tallies,
moderator notices).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.messages import Button, ButtonStyle, Message, Part, UserText
from bot.core.ports import DestinationKind
from bot.core.questions import Answer, Question, forget_member_questions, one, typed_choice
from bot.core.questions import ask as ask_question
from bot.core.router import ComponentId
from bot.delivery.inbox import forget_saved_events
from bot.delivery.outbox import Outbox
from bot.features.events.events import refresh_event_message
from bot.features.intake.conversation import get_intake, get_profile
from bot.features.meetings.certificate import forget_meetings
from bot.features.pairs.pairs import end_pairings_for_member
from bot.features.polls.polls import refresh_poll_message
from bot.features.spaces.spaces import forget_spaces
from bot.features.stats.export_files import forget_in_exports
from storage.platform_state import forget_dm_channels
from storage.tables import (
    CheckIn,
    ChoiceOffer,
    Community,
    CommunityEvent,
    EventRsvp,
    Feedback,
    Goal,
    Intake,
    MatchRound,
    Member,
    MenteeChoice,
    MentorTraining,
    OutboxMessage,
    PairBlock,
    Pairing,
    PairNote,
    Poll,
    PollVote,
    Profile,
    ProposedPair,
    RecruitAlert,
    RecruitAsk,
)

FORGOTTEN = "forgotten member"


FORGET = "privacy.forget"


def parse_forget(text: str, strict: bool) -> tuple[Answer, ...]:
    """Deleting cannot be undone: it takes the words "delete my data", never a bare yes."""
    verb = typed_choice(
        text,
        {
            "forget": ("yes delete my data", "delete my data", "delete it", "delete everything", "yes delete"),
            "keep": ("no keep it", "keep it", "keep", "keep my data", "cancel"),
        },
        no="keep",
        strict=strict,
    )
    return one(verb)


FORGET_QUESTION = Question(
    FORGET,
    "privacy",
    ("forget", "keep"),
    parse_forget,
    "Delete all your data? It cannot be undone. Reply delete my data to go ahead, or keep it.",
)


async def forget_me_command(ctx: Ctx, args: list[str]) -> list[Message]:
    key = str(ctx.member_id)
    await ask_question(ctx.session, ctx.community_id, [ctx.member_id], FORGET, key, ctx.now)
    return [
        Message(
            (
                msg.text(msg.Strong("Delete all your data?")),
                msg.text(
                    "This deletes your profile, your sign-up answers, your poll votes, your meeting log and your name "
                    "from my records, revokes your certificates and ends any mentoring pair you are in. "
                    "It cannot be undone."
                ),
                Button("Yes, delete my data", str(ComponentId("privacy", key, "forget")), ButtonStyle.DANGER),
                Button("No, keep it", str(ComponentId("privacy", key, "keep"))),
            )
        )
    ]


async def on_privacy_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    if cid.key != str(ctx.member_id):
        owner = await ctx.session.get(Member, int(cid.key)) if cid.key.isdigit() else None
        if (
            owner is not None
            and owner.community_id == ctx.community_id
            and owner.platform_user_id.startswith("forgotten:")
        ):
            # The clicker's old member row was forgotten (their platform id went with it).
            return [msg.message("Your data was already deleted, so there is nothing left to do with this message.")]
        return [msg.message("That button belongs to someone else. /mentor forget-me is for your own data.")]
    if cid.verb == "keep":
        return [msg.message("Nothing was deleted.")]
    if cid.verb != "forget":
        raise InvalidInput("That button is out of date.")
    # Files and saved events outside the tables: the exports that hold them, and the inbox.
    tokens = _tokens(
        ctx.member,
        await get_profile(ctx.session, ctx.community_id, ctx.member_id),
        await get_intake(ctx.session, ctx.community_id, ctx.member_id),
    )
    user_id = ctx.member.platform_user_id  # the space removals need it; forget_member blanks it
    await forget_member(ctx.session, ctx.community, ctx.member, ctx.now)
    await forget_spaces(ctx.session, ctx.outbox, ctx.program, ctx.member, user_id, ctx.now)
    await forget_meetings(ctx.session, ctx.settings.data_dir, ctx.community_id, ctx.member_id, ctx.now)
    forget_in_exports(ctx.settings.data_dir, ctx.community_id, tokens)
    await forget_saved_events(ctx.session, ctx.community.platform, ctx.community.external_id, ctx.actor.user_id)
    return [
        msg.message(
            "Done: your profile, answers, votes and name are deleted from my records. "
            "If you come back one day, /mentor join starts afresh."
        )
    ]


def _tokens(member: Member, profile: Profile | None, intake: Intake | None) -> list[str]:
    """Every text that identifies the member or that they wrote."""
    found = [member.display_name, member.platform_user_id]
    if profile is not None:
        found += [profile.goals, profile.can_help_with, profile.topics_other, profile.team]
    if intake is not None:
        found += [
            str(v)
            for k, v in intake.answers.items()
            if isinstance(v, str) and k in ("other", "helpwith", "goals", "team")
        ]
    return [t for t in dict.fromkeys(t.strip() for t in found) if t]


def _scrub_spans(spans: tuple[msg.Span, ...], tokens: list[str], user_id: str) -> tuple[msg.Span, ...]:
    out: list[msg.Span] = []
    for span in spans:
        if isinstance(span, UserText):
            out.append(UserText(_scrub(span.text, tokens)))
        elif isinstance(span, msg.Mention) and span.user_id == user_id:
            out.append(UserText(FORGOTTEN))
        else:
            out.append(span)
    return tuple(out)


def _scrub(text: str, tokens: list[str]) -> str:
    folded = text.casefold()
    for token in tokens:
        if folded == token.casefold():
            return FORGOTTEN
    for token in tokens:
        if (
            len(token) >= 4
        ):  # short names inside longer text could be ordinary words; whole-span matches above cover them
            text = re.sub(re.escape(token), "[removed]", text, flags=re.IGNORECASE)
    return text


def scrub_message(message: Message, tokens: list[str], user_id: str) -> Message:
    parts: list[Part] = []
    for part in message.parts:
        if isinstance(part, msg.Text):
            parts.append(msg.Text(_scrub_spans(part.spans, tokens, user_id)))
        elif isinstance(part, msg.Fields):
            parts.append(msg.Fields(tuple((label, _scrub_spans(value, tokens, user_id)) for label, value in part.rows)))
        elif isinstance(part, Button) and isinstance(part.label, UserText):
            parts.append(Button(UserText(_scrub(part.label.text, tokens)), part.component_id, part.style))
        else:
            parts.append(part)
    return Message(tuple(parts))


def _scrub_json(value: Any, tokens: list[str]) -> Any:
    """Every string inside stored JSON (match reasons, round summaries), scrubbed."""
    if isinstance(value, str):
        return _scrub(value, tokens)
    if isinstance(value, list):
        return [_scrub_json(v, tokens) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, tokens) for k, v in value.items()}
    return value


async def _their_words_in_pairings(session: AsyncSession, community_id: int, member_id: int) -> list[str]:
    """What the member wrote during pairings, so copies in sent messages can be blanked too."""
    words: list[str] = []
    words += (
        (await session.execute(select(col(CheckIn.note)).where(col(CheckIn.member_id) == member_id))).scalars().all()
    )
    words += (
        (
            await session.execute(
                select(col(PairNote.text)).where(
                    col(PairNote.community_id) == community_id, col(PairNote.member_id) == member_id
                )
            )
        )
        .scalars()
        .all()
    )
    words += (
        (
            await session.execute(
                select(col(Goal.text)).where(
                    col(Goal.community_id) == community_id, col(Goal.created_by_member_id) == member_id
                )
            )
        )
        .scalars()
        .all()
    )
    for worked, improve, quote_name in (
        await session.execute(
            select(col(Feedback.worked), col(Feedback.improve), col(Feedback.quote_name)).where(
                col(Feedback.community_id) == community_id, col(Feedback.member_id) == member_id
            )
        )
    ).all():
        words += [worked, improve, quote_name]
    return [w.strip() for w in dict.fromkeys(words) if w and w.strip()]


async def _forget_in_pairings(session: AsyncSession, community_id: int, member_id: int, tokens: list[str]) -> None:
    """Pairings stay for the statistics (without identity); the member's words in them go.

    Their check-in notes, progress notes, goal texts and feedback texts (and any
    testimonial name) are deleted; what partners and moderators wrote about the
    pair is kept but loses the member's name and words; match reasons are scrubbed.
    """
    pairing_ids = list(
        (
            await session.execute(
                select(col(Pairing.id)).where(
                    col(Pairing.community_id) == community_id,
                    or_(col(Pairing.mentee_member_id) == member_id, col(Pairing.mentor_member_id) == member_id),
                )
            )
        ).scalars()
    )
    await session.execute(
        update(CheckIn).where(col(CheckIn.member_id) == member_id, col(CheckIn.note) != "").values(note="")
    )
    await session.execute(
        delete(PairNote).where(col(PairNote.community_id) == community_id, col(PairNote.member_id) == member_id)
    )
    await session.execute(
        update(Feedback)
        .where(col(Feedback.community_id) == community_id, col(Feedback.member_id) == member_id)
        .values(worked="", improve="", quote_ok=False, quote_name="")
    )
    if pairing_ids:
        goals = (await session.execute(select(Goal).where(col(Goal.pairing_id).in_(pairing_ids)))).scalars().all()
        for goal in goals:
            goal.text = "[removed]" if goal.created_by_member_id == member_id else _scrub(goal.text, tokens)
        notes = (
            (await session.execute(select(PairNote).where(col(PairNote.pairing_id).in_(pairing_ids)))).scalars().all()
        )
        for note in notes:
            note.text = _scrub(note.text, tokens)
        feedback = (
            (await session.execute(select(Feedback).where(col(Feedback.pairing_id).in_(pairing_ids)))).scalars().all()
        )
        for row in feedback:
            row.worked, row.improve = _scrub(row.worked, tokens), _scrub(row.improve, tokens)
        checkins = (
            (await session.execute(select(CheckIn).where(col(CheckIn.pairing_id).in_(pairing_ids)))).scalars().all()
        )
        for checkin in checkins:
            checkin.note = _scrub(checkin.note, tokens)
    if pairing_ids:
        pairings = (await session.execute(select(Pairing).where(col(Pairing.id).in_(pairing_ids)))).scalars().all()
        for pairing in pairings:
            pairing.reasons = _scrub_json(pairing.reasons, tokens)
    proposed = (
        (
            await session.execute(
                select(ProposedPair).where(
                    or_(
                        col(ProposedPair.mentee_member_id) == member_id, col(ProposedPair.mentor_member_id) == member_id
                    )
                )
            )
        )
        .scalars()
        .all()
    )
    for pair in proposed:
        pair.reasons = _scrub_json(pair.reasons, tokens)
    # Choice rounds: their own "none of these fit" reason goes; shortlists naming them are scrubbed.
    await session.execute(delete(MenteeChoice).where(col(MenteeChoice.mentee_member_id) == member_id))
    offers = (
        await session.execute(
            select(ChoiceOffer).where(
                or_(col(ChoiceOffer.mentee_member_id) == member_id, col(ChoiceOffer.mentor_member_id) == member_id)
            )
        )
    ).scalars()
    for offer in offers:
        offer.reasons = _scrub_json(offer.reasons, tokens)
    for round_ in (
        (await session.execute(select(MatchRound).where(col(MatchRound.community_id) == community_id))).scalars().all()
    ):
        summary = _scrub_json(round_.summary, tokens)
        if summary != round_.summary:
            round_.summary = summary


def _addressed_to(row: OutboxMessage, user_id: str) -> bool:
    kind, target = row.destination_kind, row.destination_target
    if kind == DestinationKind.DM.value:
        return target == user_id
    if kind == DestinationKind.EPHEMERAL.value:
        return target.split("|", 1)[-1] == user_id
    return False


async def forget_member(session: AsyncSession, community: Community, member: Member, now: datetime) -> None:
    """Delete every piece of personal data of `member` (see the module docstring for what stays).

    Later features that store personal data (pairings, check-in notes, goals,
    feedback) must delete or anonymise it here too.
    """
    assert member.id is not None and community.id is not None
    await end_pairings_for_member(session, member, now, "forgotten")
    await forget_member_questions(session, member.id)
    profile = await get_profile(session, community.id, member.id)
    intake = await get_intake(session, community.id, member.id)
    tokens = _tokens(member, profile, intake)
    user_id = member.platform_user_id

    if profile is not None:
        await session.delete(profile)
    if intake is not None:
        await session.delete(intake)
    # Nobody keeps a "do not match" entry pointing at them.
    others = (await session.execute(select(Profile).where(col(Profile.community_id) == community.id))).scalars().all()
    for other in others:
        if other.member_id != member.id and member.id in (other.do_not_match or []):
            other.do_not_match = [i for i in other.do_not_match if i != member.id]

    # Moderators' blocks name them (and say why): they go too.
    await session.execute(
        delete(PairBlock).where(
            or_(col(PairBlock.first_member_id) == member.id, col(PairBlock.second_member_id) == member.id)
        )
    )
    tokens += await _their_words_in_pairings(session, community.id, member.id)
    await _forget_in_pairings(session, community.id, member.id, tokens)

    # Recruiting asks and their answers, and their training path, go; an alert they acted on forgets who.
    await session.execute(delete(RecruitAsk).where(col(RecruitAsk.member_id) == member.id))
    await session.execute(delete(MentorTraining).where(col(MentorTraining.member_id) == member.id))
    await session.execute(update(RecruitAlert).where(col(RecruitAlert.decided_by) == member.id).values(decided_by=None))

    # Poll votes go; open and closed poll messages are re-rendered without them.
    polls = (
        (
            await session.execute(
                select(Poll)
                .join(PollVote, col(PollVote.poll_id) == Poll.id)
                .where(col(Poll.community_id) == community.id, col(PollVote.member_id) == member.id)
            )
        )
        .scalars()
        .all()
    )
    await session.execute(delete(PollVote).where(col(PollVote.member_id) == member.id))
    await session.flush()
    outbox = Outbox(session, community.id, now)
    for poll in polls:
        await refresh_poll_message(session, outbox, poll, community.timezone)
    # Their RSVPs go too (the events' "going" counts are refreshed; nothing is sent to them again).
    events = (
        (
            await session.execute(
                select(CommunityEvent)
                .join(EventRsvp, col(EventRsvp.event_id) == CommunityEvent.id)
                .where(col(CommunityEvent.community_id) == community.id, col(EventRsvp.member_id) == member.id)
            )
        )
        .scalars()
        .all()
    )
    await session.execute(delete(EventRsvp).where(col(EventRsvp.member_id) == member.id))
    await session.flush()
    for event in events:
        await refresh_event_message(session, outbox, event, community.timezone)

    # The DMs and group DMs opened with them: the channel ids name them.
    await forget_dm_channels(session, community.platform, community.external_id, user_id)

    # Outbox: messages to them are deleted; their name and words are blanked everywhere else.
    # Only rows that mention them are loaded (the outbox of a busy community is long).
    mentions = [col(OutboxMessage.destination_target).contains(user_id)]
    for token in tokens:
        # Payloads are JSON: a token with quotes or backslashes is stored escaped.
        for form in {token.casefold(), json.dumps(token.casefold(), ensure_ascii=False)[1:-1]}:
            mentions.append(func.lower(OutboxMessage.payload).contains(form, autoescape=True))
            mentions.append(func.lower(OutboxMessage.last_error).contains(form, autoescape=True))
    rows = (
        (
            await session.execute(
                select(OutboxMessage).where(col(OutboxMessage.community_id) == community.id, or_(*mentions))
            )
        )
        .scalars()
        .all()
    )
    ids = [r.id for r in rows]
    referenced = set(
        (
            await session.execute(
                select(col(OutboxMessage.target_outbox_id)).where(col(OutboxMessage.target_outbox_id).in_(ids))
            )
        ).scalars()
    )
    referenced |= set(
        (
            await session.execute(select(col(Poll.post_outbox_id)).where(col(Poll.community_id) == community.id))
        ).scalars()
    )
    for row in rows:
        if _addressed_to(row, user_id) and row.id not in referenced:
            await session.delete(row)
            continue
        if row.payload:
            row.payload = msg.to_json(scrub_message(msg.from_json(row.payload), tokens, user_id))
        if row.last_error:
            row.last_error = _scrub(row.last_error, tokens)
        targets = row.destination_target.split("|")[-1].split(",")
        if user_id in targets:  # a group DM or ephemeral reply kept for a reference: drop their id only
            row.destination_target = row.destination_target.replace(user_id, f"forgotten:{member.id}")
    # The member row stays for the rows that point at it, without anything that identifies them.
    member.display_name = FORGOTTEN
    member.platform_user_id = f"forgotten:{member.id}"
    member.timezone = None
    member.is_moderator = False
    session.add(member)
    await session.flush()
