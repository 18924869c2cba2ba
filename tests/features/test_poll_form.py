"""The poll form is validated once, in the core, for every platform that shows it."""

from sqlalchemy import select

from adapters.console.session import COMMUNITY
from bot.core.events import FormSubmission
from bot.features.polls.form import POLL_FORM
from storage.tables import Poll
from tests.support.chat import Chat


async def submit(chat: Chat, user: str, fields: dict[str, str]) -> str:
    await chat("moderators: carol")
    await chat.session._send(
        user, FormSubmission(COMMUNITY, chat.session.actor(user), POLL_FORM.id, fields, channel_id="general"), "general"
    )
    return chat.take()


async def test_the_form_posts_the_same_poll_as_the_command(chat: Chat) -> None:
    out = await submit(
        chat,
        "carol",
        {
            "question": 'Join a "mentor circle"?',
            "options": "Mentor, with a plan\n\nMentee « new »\n",
            "closes": "3d",
            "anonymous": "yes",
        },
    )
    assert "[only carol] Poll #1 is posted and pinned here" in out
    async with chat.bot.db.unit() as s:
        poll = (await s.execute(select(Poll))).scalar_one()
    assert poll.question == 'Join a "mentor circle"?'
    # One line per choice: a comma inside a choice stays in it, on every platform.
    assert [o["label"] for o in poll.options] == ["Mentor, with a plan", "Mentee « new »"]
    assert poll.anonymous and poll.channel_id == "general"


async def test_an_option_like_question_is_text_not_an_option(chat: Chat) -> None:
    out = await submit(chat, "carol", {"question": "--anonymous", "options": "", "closes": "", "anonymous": "no"})
    assert "Poll #1 is posted" in out
    async with chat.bot.db.unit() as s:
        poll = (await s.execute(select(Poll))).scalar_one()
    assert poll.question == "--anonymous" and not poll.anonymous


async def test_bad_fields_get_a_polite_answer_and_change_nothing(chat: Chat) -> None:
    out = await submit(chat, "carol", {"question": "  ", "anonymous": "no"})
    assert "Please write the poll question." in out
    out = await submit(chat, "carol", {"question": "Mentoring?", "anonymous": "perhaps"})
    assert "Answer yes or no for anonymous." in out
    out = await submit(chat, "carol", {"question": "Mentoring?", "closes": "yesterday-ish"})
    assert "[only carol]" in out and "Poll #" not in out
    out = await submit(chat, "alice", {"question": "Mentoring?"})
    assert "Only moderators can" in out
    async with chat.bot.db.unit() as s:
        assert (await s.execute(select(Poll))).first() is None


async def test_the_form_has_a_public_field_and_names_are_hidden_unless_it_says_yes(chat: Chat) -> None:
    assert [f.name for f in POLL_FORM.fields] == ["question", "options", "closes", "public", "anonymous"]
    await submit(chat, "carol", {"question": "Private by default?"})
    out = await submit(chat, "carol", {"question": "Shown?", "public": "yes"})
    assert "Poll #2 is posted" in out
    out = await submit(chat, "carol", {"question": "Both?", "public": "yes", "anonymous": "yes"})
    assert "Choose one" in out
    out = await submit(chat, "carol", {"question": "Odd?", "public": "maybe"})
    assert "Answer yes or no for showing voters' names." in out
    async with chat.bot.db.unit() as s:
        polls = (await s.execute(select(Poll).order_by(Poll.id))).scalars().all()
    assert [(p.question, p.show_voters) for p in polls] == [("Private by default?", False), ("Shown?", True)]
