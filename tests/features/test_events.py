"""Community events through the console: post, RSVPs with .ics invites, the reminder, cancel."""

import re
from pathlib import Path

from icalendar import Calendar
from sqlalchemy import select

from adapters.console.session import COMMUNITY
from bot.core.events import CommunityRef, ComponentAction
from storage.tables import CommunityEvent, EventRsvp, OutboxMessage
from tests.support.chat import Chat

MIXER = '@carol /mentor event "Kick-off mixer <@everyone>" --at "2026-12-10 18:00" --where "Room 2" --length 90m'


def _files(out: str, user: str) -> list[Path]:
    """The .ics paths attached to `user`'s DMs in a transcript."""
    found, current = [], None
    for line in out.splitlines():
        if line.startswith("["):
            current = line.split("]", 1)[0][1:]
        match = re.match(r"\s+\(file (?:invite|cancelled)\.ics: (.*)\)$", line)
        if match and current == f"DM {user}":
            found.append(Path(match.group(1)))
    return found


def _vevent(path: Path):  # type: ignore[no-untyped-def]
    return next(c for c in Calendar.from_ical(path.read_bytes()).walk() if c.name == "VEVENT")


async def test_event_from_post_to_rsvps_reminder_and_cancel(any_chat: Chat) -> None:
    chat = any_chat  # SQLite and PostgreSQL (the reminder sweep locks rows)
    out = await chat("moderators: carol", MIXER)
    assert "[only carol] Event #1 is posted here for Thu 10 Dec 2026, 18:00 (UTC)." in out
    assert "[#general] Community event #1" in out and "Room 2" in out and "1h30" in out
    assert "[1] Going  [2] Not going" in out
    # Nobody is invited or reminded without tapping Going: the RSVP is the opt-in.
    assert "[DM" not in out

    out = await chat("@ann click Going")
    assert "You're going." in out and "Going: 1 member" in out
    (ann_ics,) = _files(out, "ann")
    assert oct(ann_ics.stat().st_mode & 0o777) == "0o600"
    event = _vevent(ann_ics)
    uid = str(event["uid"])
    assert uid.startswith("event-1-") and int(event["sequence"]) == 0
    assert str(event["location"]) == "Room 2" and event["dtstart"].dt.hour == 18
    out = await chat("@bob click Going")
    assert "Going: 2 members" in out and _files(out, "bob")
    out = await chat("@bob click Not going")
    assert "Noted: not going." in out and "Going: 1 member" in out
    out = await chat("@ann click Going")
    assert "You already said so." in out

    # Two hours before, the sweep reminds those going, and only them, once.
    out = await chat("wait 17d")
    assert "Soon:" not in out
    out = await chat("wait 7h")
    assert "[DM ann] Soon: Kick-off mixer" in out and "[DM bob]" not in out
    out = await chat("wait 10m")
    assert "Soon:" not in out

    out = await chat("@alice /mentor event cancel 1")
    assert "Only moderators can" in out
    out = await chat("@carol /mentor event cancel 1")
    assert "1 member going will get a cancelled invite" in out
    async with chat.bot.db.unit() as s:
        assert (await s.execute(select(CommunityEvent.status))).scalar_one() == "scheduled"
    out = await chat("@carol click Cancel the event")
    assert "Event #1 is cancelled; 1 member going was told." in out
    assert "Community event (cancelled) #1" in out
    (cancelled,) = _files(out, "ann")
    event = _vevent(cancelled)
    assert str(event["uid"]) == uid and int(event["sequence"]) == 1 and str(event["status"]) == "CANCELLED"
    assert not _files(out, "bob")
    out = await chat("@ann click Not going")
    assert "sees no message with buttons" in out  # the cancelled post has no buttons left


async def test_event_text_is_escaped_and_the_scheduled_event_is_queued(chat: Chat) -> None:
    await chat("moderators: carol", MIXER)
    async with chat.bot.db.unit() as s:
        ops = (await s.execute(select(OutboxMessage.operation))).scalars().all()
    assert "calendar_event" in ops


async def test_bad_input_gets_a_polite_reply(chat: Chat) -> None:
    await chat("moderators: carol")
    out = await chat('@carol /mentor event "Mixer" --at "2026-01-10 18:00"')
    assert "is already in the past" in out
    out = await chat('@carol /mentor event "Mixer" --at "next blue moon"')
    assert "I can't read 'next blue moon' as a time" in out
    out = await chat('@carol /mentor event "Mixer"')
    assert "Say when it starts with --at" in out
    out = await chat('@carol /mentor event "Mixer" --at "2026-12-10 18:00" --length 2d')
    assert "between 15m and 12h" in out
    out = await chat('@carol /mentor event "Mixer" --at "2026-12-10 18:00" --length soon')
    assert "can't read 'soon' as a length" in out
    out = await chat("@carol /mentor event cancel 9")
    assert "There is no event #9 here." in out
    out = await chat("@carol /mentor event cancel")
    assert "Give the event's number" in out
    assert "Traceback" not in out
    async with chat.bot.db.unit() as s:
        assert not (await s.execute(select(CommunityEvent))).scalars().all()
        assert not (await s.execute(select(EventRsvp))).scalars().all()


async def test_stats_count_events_and_going_and_forget_me_removes_the_rsvp(any_chat: Chat) -> None:
    chat = any_chat
    await chat("moderators: carol", MIXER, '@carol /mentor event "Talk" --at "2026-12-12 18:00"')
    await chat("@ann click Going", "@bob click Going")
    out = await chat("@carol /mentor stats")
    assert "Community events" in out and "2 events (2 upcoming, 0 cancelled) · going: 2 RSVPs by 2 members" in out
    await chat("@ann /mentor forget-me", "@ann click Yes, delete my data")
    async with chat.bot.db.unit() as s:
        assert len((await s.execute(select(EventRsvp))).scalars().all()) == 1
    out = await chat("@carol /mentor stats")
    assert "going: 1 RSVP by 1 member" in out


async def test_a_forged_cancel_click_from_a_member_or_another_community_changes_nothing(chat: Chat) -> None:
    await chat("moderators: carol", MIXER, "@ann click Going")
    replies = await chat.bot.handle(
        ComponentAction(COMMUNITY, chat.session.actor("alice"), "#general", "mentor:event:1:cancel")
    )
    assert "Only moderators can" in replies[0].plain_text()
    other = CommunityRef("console", "elsewhere")
    replies = await chat.bot.handle(
        ComponentAction(other, chat.session.actor("carol"), "#general", "mentor:event:1:going")
    )
    assert "There is no event #1 here." in replies[0].plain_text()
    async with chat.bot.db.unit() as s:
        assert (await s.execute(select(CommunityEvent.status))).scalar_one() == "scheduled"
        assert len((await s.execute(select(EventRsvp))).scalars().all()) == 1
