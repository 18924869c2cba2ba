"""Find a time: three slots both members can make, ticked by each, confirmed with a calendar invite.

After an introduction (and on `/mentor schedule`) each member gets, by DM, three slots in
their own timezone that fit both members' waking hours and weekly availability. Each ticks
the ones that work; the first slot both ticked is confirmed to both with an `.ics` invite
(`bot.core.calendar`), and the kick-off reminder gives way to a reminder one hour before.
`/mentor schedule` on a confirmed meeting offers new slots (the new time goes out as an
updated invite: same UID, SEQUENCE one higher); `/mentor schedule cancel` sends a
cancelled invite. The plan is a row (`MeetingPlan`) whose `remind_at` the sweep reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.calendar import Invite, invite_filename, invite_ics, invite_uid
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, Message, UserText
from bot.core.parsing import ParseError
from bot.core.ports import Destination
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox
from bot.features.meetings.files import attachment_path, write_private
from bot.features.meetings.slots import (
    AVAILABILITY_HELP,
    Person,
    Window,
    describe_availability,
    parse_availability,
    propose_slots,
    slot_label,
)
from bot.features.pairs.pairs import group_of, members_of, my_pairing
from storage.tables import (
    Availability,
    Community,
    MeetingPlan,
    MeetingPlanStatus,
    Member,
    Pairing,
    PairingStatus,
    Profile,
)

MEETING_MINUTES = 30
REMIND_BEFORE = timedelta(hours=1)


async def member_zone(session: AsyncSession, member: Member) -> str:
    """The member's IANA zone: their profile's, else their platform's, else the community's."""
    profile_tz = (
        await session.execute(select(col(Profile.timezone)).where(col(Profile.member_id) == member.id))
    ).scalar_one_or_none()
    community = await session.get(Community, member.community_id)
    for name in (profile_tz, member.timezone, community.timezone if community else None):
        if name:
            try:
                ZoneInfo(name)
                return name
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return "UTC"


async def _person(session: AsyncSession, member: Member) -> tuple[Person, Availability | None]:
    stored = await session.get(Availability, member.id)
    windows = tuple(Window(*w) for w in stored.windows) if stored else ()
    return Person(await member_zone(session, member), windows), stored


async def plan_slots(
    session: AsyncSession, pairing: Pairing, now: datetime, program: Any = None, *, plan: MeetingPlan | None = None
) -> tuple[MeetingPlan, tuple[msg.Part, ...]]:
    """Choose three slots for the pair (a new plan, or the next three for `plan`) and the parts that offer them.

    The parts go into the pair's shared message (the introduction, or their group DM): each slot
    is written in each member's own timezone, and each member ticks the ones that work for them.
    """
    mentee, mentor = await members_of(session, pairing)
    people = [(m, *await _person(session, m)) for m in (mentee, mentor)]
    waking = getattr(program, "waking_hours", (8 * 60, 20 * 60))
    skip = 0 if plan is None or plan.status != MeetingPlanStatus.PROPOSED.value else len(plan.slots) * plan.round
    starts = propose_slots([p for _, p, _ in people], now, minutes=MEETING_MINUTES, skip=skip, waking=waking)
    if plan is None:
        plan = MeetingPlan(community_id=pairing.community_id, pairing_id=pairing.id, created_at=now)  # type: ignore[arg-type]
    else:
        plan.round += 1
    plan.status, plan.picks = MeetingPlanStatus.PROPOSED.value, {}
    plan.slots = [s.isoformat() for s in starts]
    session.add(plan)
    await session.flush()
    if not starts:
        return plan, (
            msg.text("I found no time in the next three weeks that fits you both. ", AVAILABILITY_HELP),
            msg.text("Change it with /mentor availability, then /mentor schedule."),
        )
    parts: list[msg.Part] = [
        msg.text(
            msg.Strong("Find a time: "),
            f"these {MEETING_MINUTES}-minute slots suit you both. Each of you, tick every one that works; "
            "the first you both tick is booked, with a calendar invite.",
        )
    ]
    parts += slot_lines(starts, [(member.display_name, person.zone) for member, person, _ in people], MEETING_MINUTES)
    parts += [
        Button(f"Slot {i + 1}", str(ComponentId("slot", str(plan.id), "pick", str(i)))) for i in range(len(starts))
    ]
    parts.append(Button("None of these work", str(ComponentId("slot", str(plan.id), "none"))))
    unasked = [m for m, _, stored in people if stored is None or (not stored.windows and stored.asked_at is None)]
    if unasked:
        # Asked once; until they answer, waking hours are used.
        parts.append(
            msg.text(
                "Tell me when you are usually free and I'll offer only those times: "
                '/mentor availability "Mon-Fri 18:00-20:00; Sat 10-14".'
            )
        )
        for member in unasked:
            stored = await session.get(Availability, member.id) or Availability(
                member_id=member.id,  # type: ignore[arg-type]
                community_id=member.community_id,
            )
            stored.asked_at = now
            session.add(stored)
    return plan, tuple(parts)


async def offer_slots(
    session: AsyncSession, pairing: Pairing, now: datetime, program: Any = None, *, plan: MeetingPlan | None = None
) -> MeetingPlan:
    """Post three slots to the pair's group DM (on `/mentor schedule` and "none of these work")."""
    plan, parts = await plan_slots(session, pairing, now, program, plan=plan)
    mentee, mentor = await members_of(session, pairing)
    await Outbox(session, pairing.community_id, now).post(
        group_of(mentee, mentor), Message(parts), dedupe_key=f"slot:{plan.id}:{plan.round}"
    )
    return plan


async def _plan_for(ctx: Ctx, key: str) -> tuple[MeetingPlan, Pairing]:
    plan = await ctx.session.get(MeetingPlan, int(key)) if key.isdigit() else None
    if plan is None or plan.community_id != ctx.community_id:
        raise NotFound("I can't find that meeting any more.")
    pairing = await ctx.session.get(Pairing, plan.pairing_id)
    assert pairing is not None
    if ctx.member_id not in (pairing.mentee_member_id, pairing.mentor_member_id):
        raise InvalidInput("Those times were offered to another pair.")
    return plan, pairing


async def on_slot_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """`mentor:slot:<plan>:pick:<i>` ticks or unticks a slot; `…:none` offers three more."""
    plan, pairing = await _plan_for(ctx, cid.key)
    if pairing.status != PairingStatus.ACTIVE.value:
        return [msg.message("This mentorship has ended, so there is nothing to schedule.")]
    if plan.status != MeetingPlanStatus.PROPOSED.value:
        return [msg.message("These times are no longer open: /mentor schedule offers new ones.")]
    if cid.verb == "none":
        await offer_slots(ctx.session, pairing, ctx.now, ctx.program, plan=plan)
        return [msg.message("I'll send you both three other times.")]
    if cid.verb != "pick" or not cid.arg.isdigit() or int(cid.arg) >= len(plan.slots):
        raise InvalidInput("That button is not valid any more.")
    index, mine = int(cid.arg), str(ctx.member_id)
    ticked = set(plan.picks.get(mine, []))
    ticked ^= {index}  # a second tap unticks
    plan.picks = {**plan.picks, mine: sorted(ticked)}
    ctx.session.add(plan)
    partner = str(pairing.mentor_member_id if ctx.member_id == pairing.mentee_member_id else pairing.mentee_member_id)
    common = sorted(ticked & set(plan.picks.get(partner, [])))
    zone = await member_zone(ctx.session, ctx.member)
    label = slot_label(datetime.fromisoformat(plan.slots[index]), plan.minutes, zone)
    if not common:
        verb = "Ticked" if index in ticked else "Unticked"
        return [msg.message(f"{verb}: {label}. I'll book the first time you both tick.")]
    await confirm(ctx, plan, pairing, datetime.fromisoformat(plan.slots[common[0]]))
    return [msg.message("You both can make it — booked. The invite is in your DMs.")]


async def confirm(ctx: Ctx, plan: MeetingPlan, pairing: Pairing, start: datetime) -> None:
    """Book `start`: an invite to each member (in their zone), the reminder an hour before."""
    updated = plan.invites_sent > 0
    plan.status, plan.start_at = MeetingPlanStatus.CONFIRMED.value, start
    plan.sequence, plan.invites_sent = plan.invites_sent, plan.invites_sent + 1
    plan.remind_at = start - REMIND_BEFORE
    ctx.session.add(plan)
    if pairing.kickoff_at is None:
        pairing.kickoff_due_at = None  # the reminder an hour before replaces the kick-off nudges
        ctx.session.add(pairing)
    await _send_invites(ctx, plan, pairing, "updated" if updated else "booked")


async def _send_invites(ctx: Ctx, plan: MeetingPlan, pairing: Pairing, what: str) -> None:
    assert plan.start_at is not None
    mentee, mentor = await members_of(ctx.session, pairing)
    cancelled = what == "cancelled"
    for member in (mentee, mentor):
        partner = mentor if member.id == mentee.id else mentee
        zone = await member_zone(ctx.session, member)
        invite = Invite(
            uid=invite_uid("meeting", plan.id or 0, str(ctx.community_id)),
            summary=f"Mentoring: {mentee.display_name} & {mentor.display_name}",
            start=plan.start_at,
            end=plan.start_at + timedelta(minutes=plan.minutes),
            tzid=zone,
            sequence=plan.sequence,
            description="Booked with mentorbot. /mentor schedule finds another time; /mentor schedule cancel cancels.",
            cancelled=cancelled,
        )
        name = f"meeting{plan.id}-{plan.sequence}-{invite_filename(invite)}"
        path = write_private(
            attachment_path(ctx.settings.data_dir, ctx.community_id, member.id or 0, name, ctx.now),
            invite_ics(invite, ctx.now),
        )
        words = {"booked": "Booked", "updated": "Moved", "cancelled": "Cancelled"}[what]
        await ctx.outbox.post(
            Destination.dm(member.platform_user_id),
            Message(
                (
                    msg.text(
                        msg.Strong(f"{words}: "),
                        "your meeting with ",
                        UserText(partner.display_name),
                        f" — {slot_label(plan.start_at, plan.minutes, zone)} ({zone}).",
                    ),
                    msg.text(
                        "The attached invite removes it from your calendar."
                        if cancelled
                        else "Add the attached invite to your calendar; I'll remind you an hour before."
                    ),
                    msg.File(str(path), invite_filename(invite)),
                )
            ),
            dedupe_key=f"invite:{plan.id}:{plan.sequence}:{member.id}",
        )


async def schedule_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor schedule [cancel] [--pair <n>]`."""
    pair_arg = None
    if "--pair" in args:
        at = args.index("--pair")
        pair_arg = args[at + 1] if at + 1 < len(args) else None
        args = args[:at] + args[at + 2 :]
    if args not in ([], ["cancel"]):
        raise ParseError("Use /mentor schedule to find a time, or /mentor schedule cancel to cancel the booked one.")
    pairing = await my_pairing(ctx, pair_arg, "schedule a meeting")
    if pairing.circle_id is not None:  # one time for the whole circle, not for this seat alone
        return [msg.message(f"You meet as circle #{pairing.circle_id}: /mentor circle schedule finds a time for all.")]
    plan = (
        await ctx.session.execute(
            select(MeetingPlan)
            .where(col(MeetingPlan.pairing_id) == pairing.id, col(MeetingPlan.community_id) == ctx.community_id)
            .order_by(col(MeetingPlan.id).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    booked = plan is not None and plan.status == MeetingPlanStatus.CONFIRMED.value and plan.start_at is not None
    if args == ["cancel"]:
        if plan is None or not booked or plan.start_at <= ctx.now:  # type: ignore[operator]
            return [msg.message("You have no booked meeting to cancel.")]
        plan.status, plan.remind_at = MeetingPlanStatus.CANCELLED.value, None
        plan.sequence, plan.invites_sent = plan.invites_sent, plan.invites_sent + 1
        ctx.session.add(plan)
        await _send_invites(ctx, plan, pairing, "cancelled")
        return [msg.message("Cancelled; you both get an invite that takes it out of your calendars.")]
    if plan is not None and (booked and plan.start_at > ctx.now or plan.status == MeetingPlanStatus.PROPOSED.value):  # type: ignore[operator]
        plan.remind_at = None  # a reschedule: the same UID goes out again with the new time
        await offer_slots(ctx.session, pairing, ctx.now, ctx.program, plan=plan)
    else:
        await offer_slots(ctx.session, pairing, ctx.now, ctx.program)
    return [msg.message("I've sent you both three times to choose from, by DM.")]


async def availability_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor availability "Mon-Fri 18:00-20:00; Sat 10-14"`; bare: what is stored."""
    stored = await ctx.session.get(Availability, ctx.member_id)
    if not args:
        if stored is None or not stored.windows:
            return [
                msg.message(f"You haven't told me when you're usually free; I offer waking hours. {AVAILABILITY_HELP}")
            ]
        shown = describe_availability(tuple(Window(*w) for w in stored.windows))
        return [msg.message(f"You're usually free: {shown} (your time). Change it the same way.")]
    windows = parse_availability(" ".join(args))
    if stored is None:
        stored = Availability(member_id=ctx.member_id, community_id=ctx.community_id)
    stored.windows = [[w.weekday, w.start, w.end] for w in windows]
    stored.text, stored.updated_at = " ".join(args)[:200], ctx.now
    ctx.session.add(stored)
    return [msg.message(f"Saved: {describe_availability(windows)} (your time). I'll offer only those times.")]


async def send_due_reminders(session: AsyncSession, now: datetime) -> int:
    """The reminder an hour before a booked meeting (each plan once: `remind_at` is cleared)."""
    due = (
        (
            await session.execute(
                select(MeetingPlan)
                .where(col(MeetingPlan.remind_at) <= now, col(MeetingPlan.status) == MeetingPlanStatus.CONFIRMED.value)
                .order_by(col(MeetingPlan.remind_at))
                .limit(500)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for plan in due:
        plan.remind_at = None
        session.add(plan)
        pairing = await session.get(Pairing, plan.pairing_id)
        if pairing is None or pairing.status != PairingStatus.ACTIVE.value or plan.start_at is None:
            continue
        outbox = Outbox(session, plan.community_id, now)
        mentee, mentor = await members_of(session, pairing)
        for member in (mentee, mentor):
            partner = mentor if member.id == mentee.id else mentee
            zone = await member_zone(session, member)
            await outbox.post(
                Destination.dm(member.platform_user_id),
                msg.message(
                    msg.text(
                        "In an hour: your meeting with ",
                        UserText(partner.display_name),
                        f" ({slot_label(plan.start_at, plan.minutes, zone)}). Afterwards, log it: /mentor log 30m.",
                    )
                ),
                dedupe_key=f"meeting-reminder:{plan.id}:{plan.sequence}:{member.id}",
            )
    return len(due)


async def next_reminder_due(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(MeetingPlan.remind_at))).where(
                col(MeetingPlan.status) == MeetingPlanStatus.CONFIRMED.value
            )
        )
    ).scalar_one_or_none()


__all__ = ["offer_slots", "on_slot_component", "schedule_command", "availability_command", "send_due_reminders"]


def slot_lines(starts: list[datetime], people: list[tuple[str, str]], minutes: int) -> list[msg.Part]:
    """One numbered line per slot, each person (name, zone) with the slot in their own time;
    the pair's message and a circle's (circles/meeting.py) both list their slots this way."""
    lines: list[msg.Part] = []
    for number, start in enumerate(starts, 1):
        spans: list[msg.Span] = [f"{number}. "]
        for index, (name, zone) in enumerate(people):
            spans += [" · " if index else "", UserText(name), f": {slot_label(start, minutes, zone)}"]
        lines.append(msg.Text(tuple(spans)))
    return lines
