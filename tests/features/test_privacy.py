"""Profiles and privacy: seeing profiles, pause/resume, leave and forget-me."""

from sqlalchemy import select
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (every table registered)
from storage.tables import Member, OutboxMessage, PollVote
from tests.support.chat import Chat
from tests.support.intake_flows import (
    intake_of,
    member_named,
    mentee_answers,
    profile_of,
    sign_up_mentee,
    sign_up_mentor,
)


async def test_own_profile_and_moderators_only_for_others(chat: Chat) -> None:
    out = await chat("moderators: carol", "@alice /mentor profile")
    assert "You haven't signed up yet. /mentor join starts the sign-up" in out
    await chat("@alice /mentor join")
    out = await chat("@alice /mentor profile")
    assert "You're partway through signing up; your profile appears once you confirm." in out
    await chat("@alice click Mentee", *mentee_answers("alice"), "@alice click Confirm")
    out = await chat("@alice /mentor profile")
    assert "[only alice] Your profile" in out and "Status: waiting for a match." in out
    assert "Goals: Ship my first open-source contribution this spring" in out and "with /mentor join" in out
    out = await chat("@bob /mentor profile @alice")
    assert "[only bob] Only moderators can see another member's profile." in out and "Goals" not in out
    out = await chat("@alice /mentor profile @alice")  # your own, by name: fine
    assert "[only alice] Your profile" in out
    out = await chat("@carol /mentor profile @alice")
    assert "[only carol] Profile of alice" in out and "Team/organisation: Acme" in out
    out = await chat("@carol /mentor profile @bob")
    assert "bob hasn't signed up for the program." in out
    out = await chat("@carol /mentor profile @nobody")
    assert "I don't know a member called @nobody here." in out


async def test_pause_resume_and_automatic_resume(any_chat: Chat) -> None:
    chat = any_chat  # SQLite, and PostgreSQL when TEST_DATABASE_URL is set
    out = await chat("@alice /mentor pause 2")
    assert "You haven't signed up, so there is nothing to pause." in out
    await sign_up_mentee(chat, "alice")
    for bad in ("", "0", "27", "soon"):
        out = await chat(f"@alice /mentor pause {bad}".rstrip())
        assert "Say for how many weeks, from 1 to 26: e.g. /mentor pause 4." in out
    out = await chat("@alice /mentor resume")
    assert "You're not paused" in out
    out = await chat("@alice /mentor pause 2")
    assert "Paused until Mon 07 Dec 2026, 09:00 (UTC): no matching and no nudges until then." in out
    profile = await profile_of(chat, "alice")
    assert profile is not None and profile.status == "paused" and profile.paused_until is not None
    assert "Status: paused until Mon 07 Dec 2026" in await chat("@alice /mentor profile")
    out = await chat("@alice /mentor resume")
    assert "Welcome back! You're in matching again." in out
    profile = await profile_of(chat, "alice")
    assert profile is not None and (profile.status, profile.paused_until) == ("waiting", None)
    await chat("@alice /mentor pause 1w")
    out = await chat("wait 6d")
    assert "Your pause is over" not in out
    out = await chat("wait 1d")
    assert "[DM alice] Your pause is over — you're back in matching." in out
    profile = await profile_of(chat, "alice")
    assert profile is not None and (profile.status, profile.paused_until) == ("waiting", None)


async def test_leave_tells_the_moderators_and_allows_coming_back(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor help")  # carol is known as a moderator
    await sign_up_mentor(chat, "mia")
    out = await chat("@mia /mentor leave")
    assert "[only mia] You've left the program — thank you for taking part." in out
    assert "[DM carol] A member left the program: mia (mentor)." in out and "They had no active pairing." in out
    profile = await profile_of(chat, "mia")
    assert profile is not None and profile.status == "left" and profile.left_at is not None
    out = await chat("@mia /mentor leave")
    assert "You've left the program, so there is nothing to leave." in out
    out = await chat("@mia /mentor pause 2")
    assert "You've left the program, so there is nothing to pause." in out
    out = await chat("@mia /mentor edit")
    assert "You've left the program, so there is nothing to edit. /mentor join signs you up again." in out
    out = await chat("@mia /mentor join")
    assert "Let's sign you up" in out  # coming back is a fresh sign-up


async def test_forget_me_can_be_declined(chat: Chat) -> None:
    await sign_up_mentee(chat, "alice")
    out = await chat("@alice /mentor forget-me")
    assert "Delete all your data?" in out and "[1] Yes, delete my data  [2] No, keep it" in out
    out = await chat("@alice click No, keep it")
    assert "Nothing was deleted." in out
    assert await profile_of(chat, "alice") is not None


async def _scan(chat: Chat, needles: list[str]) -> list[str]:
    """Every column of every row of every table SQLModel knows, searched case-insensitively."""
    found: list[str] = []
    async with chat.bot.db.unit() as s:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await s.execute(select(table))).all():
                for column, value in zip(table.columns.keys(), row, strict=True):
                    text = str(value).casefold()
                    for needle in needles:
                        if needle.casefold() in text:
                            found.append(f"{table.name}.{column}: {needle} in {str(value)[:120]}")
    return found


async def test_forget_me_deletes_every_piece_of_personal_data(any_chat: Chat) -> None:
    chat = any_chat  # SQLite, and PostgreSQL when TEST_DATABASE_URL is set
    needles = ["quincy", "Quasar goal about", "parsers</b>", "Zanzibar Widgets", "Quokkalang"]
    await chat(
        "moderators: carol",
        "@carol /mentor help",
        '@carol /mentor poll "Would you join?" --closes 1d',
        "@quincy click I'd like a mentor",
        "@alice click I'd mentor",
        "wait 1d",
        "@quincy click Sign up as a mentee",
        "@quincy pick Rust",
        "@quincy Quokkalang",
        '@quincy Quasar goal about "compilers" & <b>parsers</b>, to write my own',
        "@quincy 2",
        "@quincy Berlin",
        "@quincy click 4",
        "@quincy click 3–6 months",
        "@quincy click Weekly",
        "@quincy click Chat",
        "@quincy pick English",
        "@quincy alice",
        "@quincy Zanzibar Widgets",
        "@quincy click Yes, introduce me",
        "@quincy click Confirm",
    )
    await sign_up_mentee(chat, "alice", team="Zanzibar Widgets GmbH")  # alice's own words stay hers
    alice = await member_named(chat, "alice")
    quincy = await member_named(chat, "quincy")
    async with chat.bot.db.unit() as s:  # alice avoids quincy
        from storage.tables import Profile

        alice_profile = (await s.execute(select(Profile).where(Profile.member_id == alice.id))).scalar_one()
        alice_profile.do_not_match = [quincy.id]
    await chat("@quincy /mentor leave")  # a moderator notice naming quincy is stored
    assert await _scan(chat, needles)  # the data really is there before
    await chat("@quincy /mentor join", "@quincy click Mentee", "@quincy pick Go", "@quincy Quokkalang again")
    out = await chat("@quincy /mentor forget-me", "@quincy click Yes, delete my data")
    assert "[only quincy] Done: your profile, answers, votes and name are deleted from my records." in out
    assert "[edited #general] Interest poll (closed) #1" in out  # the tally no longer names them
    assert "quincy" not in out.split("[edited #general]")[1].split("[only quincy]")[0]
    leftovers = [f for f in await _scan(chat, needles) if "Zanzibar Widgets GmbH" not in f]
    assert leftovers == [], leftovers
    async with chat.bot.db.unit() as s:
        member = await s.get(Member, quincy.id)
        assert member is not None and member.display_name == "forgotten member"
        assert (await s.execute(select(PollVote).where(PollVote.member_id == quincy.id))).first() is None
        assert all(r.destination_target != "quincy" for r in (await s.execute(select(OutboxMessage))).scalars())
    profile = await profile_of(chat, "alice")
    assert profile is not None and profile.do_not_match == [] and profile.team == "Zanzibar Widgets GmbH"
    # Coming back later is a new member with a clean slate.
    out = await chat("@quincy /mentor profile")
    assert "You haven't signed up yet." in out
    assert await intake_of(chat, "alice") is not None


async def test_forget_me_blanks_their_words_in_messages_to_others(chat: Chat) -> None:
    """A stored message to a channel that quotes the member (JSON-escaped) is scrubbed, not deleted."""
    from bot.core import messages as msg
    from bot.core.ports import Destination
    from bot.delivery.outbox import Outbox
    from storage.tables import Community

    goal = 'Write a "tiny" C compiler\\with tests'
    await sign_up_mentee(chat, "quincy", goals=goal)
    member = await member_named(chat, "quincy")
    async with chat.bot.db.unit() as s:
        community = (await s.execute(select(Community))).scalar_one()
        quoted = msg.message(
            msg.text("Moderators: ", msg.UserText("quincy"), " wrote ", msg.UserText(goal)), "Other words stay."
        )
        row = await Outbox(s, community.id, chat.now).post(Destination.channel("#mods"), quoted)  # type: ignore[arg-type]
    row_id = row.id  # inserted when the transaction committed
    await chat("@quincy /mentor forget-me", "@quincy click Yes, delete my data")
    async with chat.bot.db.unit() as s:
        kept = await s.get(OutboxMessage, row_id)
        assert kept is not None and kept.payload is not None
        text = msg.from_json(kept.payload).plain_text()
    assert text == "Moderators: forgotten member wrote forgotten member\nOther words stay."
    assert await _scan(chat, ["quincy", "tiny"]) == []
    assert member.id is not None


async def test_forget_me_reaches_pairings_checkins_goals_notes_and_feedback(chat: Chat) -> None:
    from tests.support.community import sign_up

    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "maria", "mentor", topics_offered=["Topic0"])
    await sign_up(chat, "quincy", "mentee", topics_wanted=["Topic0"], goals="Quokka compilers", team="Quokka Corp")
    out = await chat("@carol /mentor match", "@carol /mentor match approve")
    assert "1 introduction" in out
    await chat(
        "@quincy click We've had our kick-off",
        '@quincy /mentor goal set "Quokka goal of mine"',
        '@maria /mentor goal update "quincy picked an issue"',
        "wait 14d",
        "@quincy click We met",
        "@quincy note Quokka check-in note",
        "@maria /mentor wrap-up",
        "@maria click Yes, wrap up",
        "@quincy click 5",
        "@quincy Quokka calls kept me going",
        "@quincy skip",
        "@quincy click Yes, under another name",
        "@quincy Quokka fan",
        "@maria click 4",
        "@maria quincy was a joy to mentor",
        "@maria skip",
        "@maria click No",
    )
    needles = ["quincy", "quokka"]
    assert len(await _scan(chat, needles)) > 5  # notes, goal, feedback, profile, messages
    await chat("@quincy /mentor forget-me", "@quincy click Yes, delete my data")
    assert await _scan(chat, needles) == []
    async with chat.bot.db.unit() as s:
        from storage.tables import Feedback, Pairing

        assert (await s.execute(select(Pairing.status))).scalar_one() == "completed"  # counts remain
        ratings = sorted((await s.execute(select(Feedback.rating))).scalars())
        assert ratings == [4, 5]  # aggregate feedback without identity


async def test_leave_with_an_active_pairing_ends_it_and_tells_partner_and_moderators_once(chat: Chat) -> None:
    from tests.support.community import sign_up

    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "maria", "mentor", topics_offered=["Topic0"])
    await sign_up(chat, "ann", "mentee", topics_wanted=["Topic0"])
    await chat("@carol /mentor match", "@carol /mentor match approve")
    out = await chat("@ann /mentor leave")
    assert "[only ann] You've left the program" in out
    assert "[DM maria]" in out  # the partner is told
    assert out.count("left the program; 1 active pairing ended") == 1
    assert "A member left the program" not in out  # no second notice
    async with chat.bot.db.unit() as s:
        from storage.tables import Pairing

        assert (await s.execute(select(Pairing.status))).scalar_one() != "active"


async def test_resuming_while_paired_returns_to_active(chat: Chat) -> None:
    from tests.support.community import sign_up

    await chat("moderators: carol")
    await sign_up(chat, "maria", "mentor", topics_offered=["Topic0"])
    await sign_up(chat, "ann", "mentee", topics_wanted=["Topic0"])
    await chat("@carol /mentor match", "@carol /mentor match approve")
    await chat("@ann /mentor pause 2")
    assert (await profile_of(chat, "ann")).status == "paused"  # type: ignore[union-attr]
    await chat("@ann /mentor resume")
    assert (await profile_of(chat, "ann")).status == "active"  # type: ignore[union-attr]
