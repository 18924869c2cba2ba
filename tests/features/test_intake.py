"""The intake conversation end to end, through the console chat."""

from dataclasses import replace
from pathlib import Path

from adapters.console.session import COMMUNITY
from bot.core.events import Actor, ComponentAction
from bot.core.settings import Settings
from tests.support.chat import Chat
from tests.support.db import DatabaseFactory
from tests.support.intake_flows import (
    intake_of,
    member_named,
    mentee_answers,
    profile_of,
    sign_up_mentee,
    sign_up_mentor,
)


async def test_full_mentee_intake(any_chat: Chat) -> None:
    chat = any_chat  # SQLite, and PostgreSQL when TEST_DATABASE_URL is set
    out = await chat("@alice /mentor join")
    assert "[only alice] I've sent you a DM — the sign-up continues there." in out
    assert "[DM alice] Let's sign you up for Community Mentorship Program." in out
    assert "Would you like to mentor someone, be mentored, or both?" in out
    assert "[1] Mentor  [2] Mentee  [3] Both" in out
    out = await chat("@alice click Mentee")
    assert "(2/15) Which topics do you want to grow in?" in out
    out = await chat(*mentee_answers("alice"))
    assert "(4/15) In your own words: what do you hope to get out of mentoring?" in out
    assert "(15/15) Last one: when I find your match, may I introduce you" in out
    summary = out.split("[DM alice] Your sign-up")[1]
    for row in (
        "Role: Mentee",
        "Topics you want: Python, Rust",
        "Other topics: Elixir",
        "Goals: Ship my first open-source contribution this spring",
        "Career stage: Mid-career (3–7 years), 5 years",
        "Timezone: Europe/Berlin",
        "Hours a month: 4 hours a month",
        "Program length: 3–6 months",
        "Meeting cadence: Weekly",
        "Communication: Video calls",
        "Languages: English, German",
        "Team/organisation: Acme",
    ):
        assert row in summary
    assert "Topics you mentor" not in summary and "Mentees at once" not in summary
    assert "[1] Confirm  [2] Edit" in summary
    out = await chat("@alice click Confirm")
    assert "[DM alice] You're signed up as a mentee — thank you!" in out
    assert "Getting ready to meet your mentor — /mentor resources mentee-preparation" in out
    assert "A mentor's first conversation" not in out  # resources are per role
    profile = await profile_of(chat, "alice")
    assert profile is not None
    assert (profile.role, profile.status, profile.source, profile.consent) == ("mentee", "waiting", "direct", True)
    assert profile.topics_wanted == ["Python", "Rust"] and profile.topics_offered == []
    assert profile.goals == "Ship my first open-source contribution this spring"
    assert (profile.career_stage, profile.years_experience, profile.timezone) == ("mid", 5, "Europe/Berlin")
    assert (profile.hours_per_month, profile.program_length, profile.cadence, profile.communication) == (
        4,
        "3-6",
        "weekly",
        "video",
    )
    assert profile.languages == ["English", "German"] and profile.team == "Acme" and profile.topics_other == "Elixir"
    intake = await intake_of(chat, "alice")
    assert intake is not None and intake.status == "confirmed" and intake.answers == {} and intake.remind_at is None


async def test_full_mentor_intake(chat: Chat) -> None:
    out = await sign_up_mentor(chat, "mia")
    assert "(2/16) Which topics could you mentor someone in?" in out
    assert "(4/16) In your own words: what could you help a mentee with?" in out
    assert "How many mentees could you take on at the same time?" in out and "[1] 1  [2] 2  [3] 3" in out
    assert "Timezone: UTC+2" in out and "Mentees at once: 2" in out and "Goals" not in out.split("Your sign-up")[1]
    assert "You're signed up as a mentor" in out
    assert "A mentor's first conversation — /mentor resources mentor-first-conversation" in out
    profile = await profile_of(chat, "mia")
    assert profile is not None
    assert (profile.role, profile.capacity, profile.timezone, profile.career_stage) == (
        "mentor",
        2,
        "Etc/GMT-2",
        "senior",
    )
    assert profile.topics_offered == ["Python", "Go"] and profile.can_help_with.startswith("Code review")
    assert (profile.cadence, profile.communication, profile.program_length) == ("biweekly", "chat", "6-9")


async def test_every_wrong_answer_gets_a_reason_and_the_question_again(chat: Chat) -> None:
    await chat("@bob /mentor join")  # bob exists, so alice can name him later
    await chat("@alice /mentor join")
    cases = [
        ("@alice teacher", "Choose Mentor, Mentee or Both", "Would you like to mentor someone"),
        ("@alice click Both", None, None),
        (
            "@alice Pyton",
            "I don't have the topic “Pyton” in the list. Did you mean Python?",
            "Which topics could you mentor",
        ),
        ("@alice js, py", None, None),  # aliases: JavaScript, Python
        ("@alice Cobol", "I don't have the topic “Cobol” in the list.", "Which topics do you want to grow in?"),
        ("@alice rust", None, None),
        ("@alice " + "x" * 301, "That is 301 characters; please keep it under 300.", "Anything to add"),
        ("@alice skip", None, None),
        ("@alice Lots", "write at least 10 characters", "what could you help a mentee with?"),
        ("@alice Frontend performance and accessibility reviews", None, None),
        ("@alice meh", "write at least 10 characters", "what do you hope to get out of mentoring?"),
        ("@alice Become a better backend engineer", None, None),
        ("@alice 99", "more years than a career usually has", "Where are you in your career?"),
        ("@alice wizard", "Choose a career stage from the buttons", "Where are you in your career?"),
        ("@alice 2 years", None, None),
        ("@alice Nowhereville", "I don't know the timezone “Nowhereville”.", "Which timezone are you in?"),
        ("@alice UTC+15", "I don't know the timezone “UTC+15”.", "Which timezone are you in?"),
        ("@alice PST", None, None),
        ("@alice evenings mostly", "I can't read that as days and hours", "When are you usually free"),
        ("@alice Mon 20-18", "I can't read that as days and hours", "When are you usually free"),
        ("@alice Mon-Fri 17:00-20:00; Sat 10-14", None, None),
        ("@alice 0", "between 1 and 40", "how many hours a month"),
        ("@alice lots", "between 1 and 40", "how many hours a month"),
        ("@alice 6", None, None),
        ("@alice forever", "Choose one of: 3–6 months, 6–9 months, 9–12 months", "How long would you like"),
        ("@alice 2", None, None),  # the second button: 6–9 months
        ("@alice daily", "Choose one of: Weekly, Every 2 weeks, Monthly", "How often would you like to meet?"),
        ("@alice monthly", None, None),
        ("@alice smoke signals", "Choose one of: Chat, Video calls, In person", "How do you prefer to talk?"),
        ("@alice in person", None, None),
        (
            "@alice Klingon",
            "The program runs in English, German, Spanish, French; “Klingon” is not one of them.",
            "Which languages",
        ),
        ("@alice english", None, None),
        ("@alice 7", "Choose a number of mentees from 1 to 3.", "How many mentees could you take on"),
        ("@alice 3", None, None),
        ("@alice nobody-here", "I don't know a member called “nobody-here” here.", "should not be paired with"),
        ("@alice alice", "That's you!", "should not be paired with"),
        ("@alice @bob", None, None),
        ("@alice " + "t" * 121, "That is 121 characters; please keep it under 120.", "Which team or organisation"),
        ("@alice Globex", None, None),
        ("@alice click No", "Introductions are how the program works", "may I introduce you"),
        ("@alice maybe", "Answer yes or no", "may I introduce you"),
        ("@alice yes", None, None),
    ]
    for line, reason, question in cases:
        before = await intake_of(chat, "alice")
        out = await chat(line)
        assert "! line" not in out, (line, out)
        if reason is None:
            continue
        assert reason in out, (line, out)
        assert question in out, (line, out)  # the same question again
        after = await intake_of(chat, "alice")
        assert before is not None and after is not None
        assert (after.step, after.answers) == (before.step, before.answers), line  # nothing stored changed
    assert "[DM alice] Your sign-up" in out
    out = await chat("@alice click Confirm")
    assert "You're signed up as a mentor and a mentee" in out
    profile = await profile_of(chat, "alice")
    bob = await member_named(chat, "bob")
    assert profile is not None
    assert profile.topics_offered == ["JavaScript", "Python"] and profile.topics_wanted == ["Rust"]
    assert (profile.years_experience, profile.career_stage, profile.timezone) == (2, "early", "America/Los_Angeles")
    assert (profile.program_length, profile.cadence, profile.communication) == ("6-9", "monthly", "in_person")
    assert profile.capacity == 3 and profile.do_not_match == [bob.id] and profile.team == "Globex"


async def test_timezone_suggestions_are_buttons(chat: Chat) -> None:
    await chat("@alice /mentor join", "@alice click Mentee", *mentee_answers("alice")[:4])
    out = await chat("@alice Berlinn")
    assert "Did you mean Europe/Berlin?" in out and "[1] Use Europe/Berlin" in out
    out = await chat("@alice click Use Europe/Berlin")
    assert "When are you usually free to meet each week" in out
    intake = await intake_of(chat, "alice")
    assert intake is not None and intake.answers["tz"] == "Europe/Berlin"


async def test_timezone_from_the_platform_profile_can_be_kept(chat: Chat) -> None:
    plain = chat.session.actor
    chat.session.actor = lambda user: replace(plain(user), timezone="America/New_York")  # type: ignore[method-assign]
    out = await chat("@alice /mentor join", "@alice click Mentee", *mentee_answers("alice")[:4])
    assert "Your profile says America/New_York." in out and "[1] Keep America/New_York" in out
    await chat("@alice click Keep America/New_York")
    intake = await intake_of(chat, "alice")
    assert intake is not None and intake.answers["tz"] == "America/New_York" and intake.step == "avail"


async def test_back_skip_cancel_and_help(chat: Chat) -> None:
    out = await chat("@alice /mentor join", "@alice back")
    assert "This is the first question." in out and "Would you like to mentor someone" in out
    out = await chat("@alice skip")
    assert "This question can't be skipped" in out
    out = await chat("@alice help")
    assert "Help: Mentors share what they know" in out and "Type back for the previous question" in out
    await chat("@alice click Mentee", "@alice pick Python")
    out = await chat("@alice back")
    assert "Which topics do you want to grow in?" in out and "Your answer so far: Python" in out
    out = await chat("@alice rust")
    assert "Anything to add that isn't on the list?" in out
    out = await chat("@alice help")
    assert "This question is optional: type skip to leave it out." in out
    out = await chat("@alice click Skip")
    assert "what do you hope to get out of mentoring?" in out
    out = await chat("@alice Back")
    assert "Anything to add" in out
    out = await chat("@alice cancel")
    assert "[DM alice] Cancelled — I haven't signed you up and your answers are deleted." in out
    intake = await intake_of(chat, "alice")
    assert intake is not None and intake.status == "cancelled" and intake.answers == {} and intake.remind_at is None
    assert await profile_of(chat, "alice") is None
    out = await chat("@alice Rust please")  # no conversation any more: the general DM answer
    assert "Hi! I run this community's mentorship program." in out
    out = await chat("@alice /mentor join")
    assert "Let's sign you up" in out and "Would you like to mentor someone" in out  # a fresh start


async def test_resume_after_restart_and_after_a_week(chat: Chat) -> None:
    await chat("@alice /mentor join", "@alice click Mentee", "@alice pick Python")
    out = await chat("restart", "@alice Elixir")
    assert "(restarted" in out and "what do you hope to get out of mentoring?" in out
    out = await chat("wait 8d", "@alice /mentor join")
    assert (
        "[only alice] You're partway through signing up — I've sent you the question where we stopped, in a DM." in out
    )
    assert "[DM alice] Welcome back! We stopped here:" in out and "what do you hope to get out of mentoring?" in out
    out = await chat("@alice I'd like to learn to design APIs well")
    assert "Where are you in your career?" in out


async def test_two_reminders_then_quiet(any_chat: Chat) -> None:
    chat = any_chat  # SQLite, and PostgreSQL when TEST_DATABASE_URL is set
    await chat("@alice /mentor join", "@alice click Mentor")
    out = await chat("wait 47h")
    assert "You started signing up" not in out
    out = await chat("wait 1h")
    assert out.count("[DM alice] You started signing up for Community Mentorship Program") == 1
    assert "Which topics could you mentor someone in?" in out  # the open question, ready to answer
    out = await chat("wait 5d")
    assert out.count("You started signing up") == 1
    out = await chat("wait 30d")
    assert "You started signing up" not in out
    intake = await intake_of(chat, "alice")
    assert intake is not None and intake.reminders_sent == 2 and intake.remind_at is None
    out = await chat("@alice pick Rust")
    assert "Anything to add" in out  # still resumable


async def test_an_answer_rearms_the_reminders(chat: Chat) -> None:
    await chat("@alice /mentor join", "@alice click Mentor", "wait 2d")
    await chat("@alice pick Rust")  # answering after the first reminder starts the count again
    out = await chat("wait 1d")
    assert "You started signing up" not in out
    out = await chat("wait 1d")
    assert out.count("You started signing up") == 1


async def test_buttons_of_others_and_of_earlier_questions(chat: Chat) -> None:
    await chat("@alice /mentor join", "@alice click Mentee")
    alice = await member_named(chat, "alice")
    click = ComponentAction(
        COMMUNITY, Actor("bob", "bob"), "dm:bob", f"mentor:intake:{alice.id}:role:mentor", in_dm=True
    )
    replies = await chat.bot.handle(click)
    assert "These buttons belong to someone else's sign-up." in replies[0].plain_text()
    intake = await intake_of(chat, "alice")
    assert intake is not None and intake.answers == {"role": "mentee"}
    stale = ComponentAction(
        COMMUNITY, Actor("alice", "alice"), "dm:alice", f"mentor:intake:{alice.id}:role:mentor", in_dm=True
    )
    text = (await chat.bot.handle(stale))[0].plain_text()
    assert "That button belongs to an earlier question. Here is where we are:" in text
    assert "Which topics do you want to grow in?" in text


async def test_edit_from_the_summary_returns_to_the_summary(chat: Chat) -> None:
    await chat("@alice /mentor join", "@alice click Mentee", *mentee_answers("alice"))
    out = await chat("@alice click Edit")
    assert "<What do you want to change?: Role, Topics you want, Other topics, Goals" in out
    out = await chat("@alice pick Timezone")
    assert "Which timezone are you in?" in out and "Your answer so far: Europe/Berlin" in out
    out = await chat("@alice Tokyo")
    assert "Your sign-up" in out and "Timezone: Asia/Tokyo" in out  # straight back, other answers kept
    assert "Goals: Ship my first open-source contribution this spring" in out
    await chat("@alice click Save")
    profile = await profile_of(chat, "alice")
    assert profile is not None and profile.timezone == "Asia/Tokyo" and profile.status == "waiting"


async def test_edit_after_signing_up(any_chat: Chat) -> None:
    chat = any_chat  # SQLite, and PostgreSQL when TEST_DATABASE_URL is set
    await sign_up_mentee(chat, "alice")
    out = await chat("@alice /mentor edit")
    assert "[only alice] I've sent you your answers in a DM — change them there." in out
    assert "[DM alice] Your sign-up" in out and "<What do you want to change?" in out and "[1] Save" in out
    out = await chat("@alice pick Goals", "@alice Learn to lead a small open-source project")
    assert "Goals: Learn to lead a small open-source project" in out
    out = await chat("@alice click Save")
    assert "Saved — your profile is updated." in out
    assert "Welcome to Community Mentorship Program" not in out  # resources are sent once, at sign-up
    profile = await profile_of(chat, "alice")
    assert profile is not None and profile.goals == "Learn to lead a small open-source project"
    assert profile.source == "direct" and profile.team == "Acme"
    out = await chat("@alice /mentor edit hours")
    assert "About how many hours a month" in out and "Your answer so far: 4 hours a month" in out
    out = await chat("@alice cancel")
    assert "Nothing changed — your profile stays as it was." in out
    profile = await profile_of(chat, "alice")
    assert profile is not None and profile.hours_per_month == 4
    out = await chat("@alice /mentor edit favourite colour")
    assert "I don't have a question called “favourite colour”." in out
    out = await chat("@bob /mentor edit")
    assert "You haven't signed up yet, so there is nothing to edit." in out


async def test_changing_role_while_editing_asks_the_new_questions(chat: Chat) -> None:
    await sign_up_mentee(chat, "alice")
    await chat("@alice /mentor edit role")
    out = await chat("@alice click Both")
    assert "Which topics could you mentor someone in?" in out
    out = await chat("@alice pick Rust")
    assert "what could you help a mentee with?" in out
    out = await chat("@alice Reviewing Rust code and explaining ownership")
    assert "How many mentees could you take on" in out
    out = await chat("@alice click 1", "@alice click Save")
    assert "Saved" in out
    profile = await profile_of(chat, "alice")
    assert profile is not None and profile.role == "both" and profile.topics_offered == ["Rust"]
    assert profile.topics_wanted == ["Python", "Rust"] and profile.capacity == 1


async def test_join_when_already_signed_up(chat: Chat) -> None:
    await sign_up_mentee(chat, "alice")
    out = await chat("@alice /mentor join")
    assert "You're already signed up as a mentee. /mentor profile shows your answers" in out


async def test_topics_over_25_are_split_into_several_lists(sqlite_factory: DatabaseFactory, tmp_path: Path) -> None:
    from bot.core.program import DEFAULT_PATH

    text = DEFAULT_PATH.read_text(encoding="utf-8")
    extra = "".join(f'\n[[topics]]\nname = "Topic {n:02d}"\n' for n in range(20))
    program = tmp_path / "program.toml"
    program.write_text(text + extra, encoding="utf-8")
    chat = await Chat.open(sqlite_factory, settings=Settings(program_path=str(program)))
    try:
        out = await chat("@alice /mentor join", "@alice click Mentee")
        assert "<Choose topics (1 of 2) (pick up to 25)" in out and "<Choose topics (2 of 2) (pick up to 14)" in out
        assert "[1] Done" in out
        out = await chat("@alice click Done")
        assert "Pick at least one topic first." in out
        out = await chat("@alice pick Python")
        assert "So far: Python. Pick more from the other lists, or click Done." in out
        alice = await member_named(chat, "alice")
        second = ComponentAction(
            COMMUNITY,
            Actor("alice", "alice"),
            "dm:alice",
            f"mentor:intake:{alice.id}:want:1",
            ("Topic 19",),
            in_dm=True,
        )
        replies = await chat.bot.handle(second)
        assert "So far: Python, Topic 19." in replies[0].plain_text()
        out = await chat("@alice click Done")
        assert "Anything to add" in out
        intake = await intake_of(chat, "alice")
        assert intake is not None and intake.answers["want"] == ["Python", "Topic 19"]
    finally:
        await chat.close()


async def test_the_example_script_runs_without_errors(sqlite_factory: DatabaseFactory) -> None:
    script = Path(__file__).resolve().parents[2] / "examples" / "intake.txt"
    chat = await Chat.open(sqlite_factory)
    try:
        out = await chat(*script.read_text(encoding="utf-8").splitlines())
        assert "! line" not in out
        assert "You're signed up as a mentee" in out and "You're signed up as a mentor" in out
    finally:
        await chat.close()


async def test_an_abandoned_edit_is_not_chased_with_reminders(chat: Chat) -> None:
    await sign_up_mentee(chat, "alice")
    await chat("@alice /mentor edit goals")
    out = await chat("wait 10d")
    assert "You started signing up" not in out
    profile = await profile_of(chat, "alice")
    assert profile is not None and profile.goals.startswith("Ship my first")
    out = await chat("@alice Learn to review code kindly and well")  # the edit can still be finished
    assert "Goals: Learn to review code kindly and well" in out


async def test_navigation_also_works_as_buttons(chat: Chat) -> None:
    """Adapters may show Back/Help/Cancel as buttons; the same ids work from any client."""
    await chat("@alice /mentor join", "@alice click Mentee")
    alice = await member_named(chat, "alice")

    async def press(verb: str) -> str:
        event = ComponentAction(
            COMMUNITY, Actor("alice", "alice"), "dm:alice", f"mentor:intake:{alice.id}:{verb}", in_dm=True
        )
        return (await chat.bot.handle(event))[0].plain_text()

    assert "Help: Pick what you want to learn" in await press("help")
    assert "Would you like to mentor someone" in await press("back")
    assert "That button belongs to an earlier question" in await press("skip:other")
    assert "Cancelled" in await press("cancel")
    intake = await intake_of(chat, "alice")
    assert intake is not None and intake.status == "cancelled"


async def test_join_with_a_role_or_by_saying_so_in_the_dm(chat: Chat) -> None:
    out = await chat("@alice /mentor join mentor")
    assert "Which topics could you mentor someone in?" in out and "Would you like to mentor" not in out
    out = await chat("@bob /mentor join teacher")
    assert "“teacher” is not a role. Use /mentor join, or /mentor join mentor|mentee|both." in out
    assert await intake_of(chat, "bob") is None
    out = await chat("@bob sign up")
    assert "[DM bob] Let's sign you up" in out and "Would you like to mentor someone" in out
    intake = await intake_of(chat, "bob")
    assert intake is not None and intake.source == "direct"
