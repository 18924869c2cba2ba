"""`mentorbot demo`: a whole mentorship program, simulated in a minute.

A synthetic community in a fresh SQLite database runs through the real core
with the console adapter and a manual clock: an interest poll with votes,
sign-ups from the poll's invitations and from an announcement campaign (and a
welcome message for members who join meanwhile), matching rounds approved by a
moderator, introductions, months of check-ins answered the way real members
answer them (many do, some say "Not yet", a few ask for help, some never
reply), goals, at-risk pairs a moderator ends, completions with feedback and
testimonials. At the end it prints `/mentor stats` and writes the chart and the
CSV export to the output directory.

Members act by handing events to `MentorBot.handle` directly — exactly what an
adapter does — instead of typing console lines, and read what the bot sent them
from the console chat. Everything the bot sends goes through the outbox and the
console messenger; the printed transcript is captured (its size is reported),
not shown line by line.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.console.chat import ChatMessage
from adapters.console.session import COMMUNITY, ConsoleSession
from bot.core.events import ComponentAction, DirectText, Event, MemberJoined, SlashCommand
from bot.core.messages import File, Image, Message, label_text
from bot.core.ports import Destination
from bot.core.program import DEFAULT_PATH
from bot.core.settings import Settings

START = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # a Monday morning
MODERATOR = "carol"
MOD_CHANNEL = "#moderators"
CHANNEL = "#general"
CAMPAIGN = "autumn"
# Members look at their DMs every other day: answers arrive a day or two after a check-in,
# and the simulation needs half as many sweeps as with daily steps.
STEP_DAYS = 2
# The bot sweeps once a simulated day, at 09:00 UTC (daytime for every simulated city): due
# items go out within a day, as with a deployed bot's periodic sweep, instead of stopping
# the clock at every item's own due time (hundreds of stops a simulated week).
TICK = timedelta(days=1)

FIRST_NAMES = (
    "ada",
    "ben",
    "chloe",
    "dev",
    "elif",
    "farid",
    "grace",
    "hugo",
    "ines",
    "jon",
    "kemi",
    "lars",
    "mei",
    "nils",
    "olu",
    "priya",
    "quinn",
    "rosa",
    "sami",
    "tara",
    "umar",
    "vera",
    "wen",
    "ximena",
    "yusuf",
    "zara",
)
# Mentors offer the common skills; mentees ask for the fashionable ones: the dashboard should show it.
# Topic names are the shipped program file's taxonomy (intake accepts only those).
MENTOR_TOPICS = (
    ("Python", 30),
    ("Web frontend", 16),
    ("Backend & APIs", 14),
    ("Career growth", 18),
    ("DevOps & cloud", 12),
    ("Data science", 8),
    ("Machine learning", 4),
    ("Public speaking", 6),
    ("Leadership", 8),
)
MENTEE_TOPICS = (
    ("Machine learning", 28),
    ("Data science", 22),
    ("Python", 16),
    ("Career growth", 14),
    ("Web frontend", 8),
    ("Backend & APIs", 5),
    ("DevOps & cloud", 5),
    ("Public speaking", 5),
    ("Leadership", 3),
)
HELP_TEXTS = (
    "Code review, career moves and how to learn a new stack quickly",
    "Preparing talks and writing for a technical audience",
    "Moving from individual contributor to lead",
    "Getting a first job in tech and growing in it",
)
CITIES = ("Berlin", "London", "Madrid", "Lagos", "Lisbon", "Warsaw")
WORKED = (
    "Regular calls kept me accountable",
    "Honest feedback on my portfolio",
    "Learning how reviews work in a real team",
    "Having someone to ask the questions I was shy about",
    "We set small goals and actually finished them",
    "Practising interviews together",
    "Seeing how an experienced engineer plans their week",
)
GOALS = (
    "Ship my first open-source pull request",
    "Give a lightning talk at the meetup",
    "Finish the ML course project",
    "Get my CV and portfolio ready",
    "Deploy a side project with CI",
    "Prepare for a senior interview loop",
)


@dataclass
class Persona:
    name: str
    wish: str  # what they would vote: mentor, mentee, both or none
    engagement: str  # engaged, flaky or ghost
    topics_offered: list[str]
    topics_wanted: list[str]
    joins_late: bool = False  # joins the community during the program (welcome message campaign)


@dataclass
class DemoResult:
    out_dir: Path
    stats_text: str
    chart: Path | None
    csv_files: list[Path]
    transcript_lines: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...], k: int) -> list[str]:
    names, weights = zip(*table, strict=True)
    chosen: list[str] = []
    while len(chosen) < k:
        pick = rng.choices(names, weights)[0]
        if pick not in chosen:
            chosen.append(pick)
    return chosen


def make_personas(members: int, rng: random.Random) -> list[Persona]:
    personas: list[Persona] = []
    for i in range(members):
        name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]}{i // len(FIRST_NAMES) + 1}"
        # Most of a community watches; about a third would take part (and fewer follow through).
        wish = rng.choices(("mentor", "mentee", "both", "none"), (11, 22, 3, 64))[0]
        engagement = rng.choices(("engaged", "flaky", "ghost"), (62, 26, 12))[0]
        offered = _weighted(rng, MENTOR_TOPICS, rng.randint(1, 3)) if wish in ("mentor", "both") else []
        wanted = _weighted(rng, MENTEE_TOPICS, rng.randint(1, 2)) if wish in ("mentee", "both") else []
        personas.append(Persona(name, wish, engagement, offered, wanted, joins_late=rng.random() < 0.12))
    return personas


Action = Callable[[], Awaitable[None]]


class Demo:
    """Plays every member of the community, day by day."""

    def __init__(
        self, session: ConsoleSession, lines: list[str], personas: list[Persona], months: int, rng: random.Random
    ) -> None:
        self.session = session
        self.lines = lines
        self.personas = {p.name: p for p in personas}
        self.days = max(30, round(months * 30.4))
        self.rng = rng
        self.seen = 0  # console chat messages already read by the simulated members
        self.todo: dict[int, list[Action]] = {}
        self.day = 0
        self.signed_up: set[str] = set()
        self.handled = 0
        self.stuck = 0  # sign-ups that did not finish (should stay 0)

    # --- acting through the core -----------------------------------------------------

    @property
    def bot(self) -> Any:
        assert self.session.bot is not None
        return self.session.bot

    async def act(self, event: Event, reply_to: Destination | None) -> list[Message]:
        """What an adapter does: hand the event to the core and show the private replies."""
        replies = await self.bot.handle(event)
        self.handled += 1
        if reply_to is not None:
            for reply in replies:
                self.session.chat.post(reply_to, reply)
        return replies

    async def command(self, user: str, text: str, channel: str = CHANNEL) -> list[Message]:
        event = SlashCommand(COMMUNITY, self.session.actor(user), channel, text)
        return await self.act(event, Destination.ephemeral(channel, user))

    async def click(self, user: str, where: ChatMessage | None, component_id: str) -> list[Message]:
        channel = where.channel if where is not None else f"dm:{user}"
        event = ComponentAction(
            COMMUNITY,
            self.session.actor(user),
            channel,
            component_id,
            message_ref=where.ref if where is not None else "",
            in_dm=channel.startswith("dm:"),
        )
        return await self.act(event, Destination.dm(user))

    async def say(self, user: str, text: str) -> list[Message]:
        return await self.act(DirectText(COMMUNITY, self.session.actor(user), f"dm:{user}", text), Destination.dm(user))

    async def deliver(self) -> None:
        await self.session.deliver()

    def later(self, days: int, action: Action) -> None:
        self.todo.setdefault(self.day + max(0, days), []).append(action)

    # --- the program ---------------------------------------------------------------------

    async def run(self) -> None:
        chat = self.session.chat
        chat.moderators = {MODERATOR}
        await self.command(MODERATOR, "modchannel", MOD_CHANNEL)
        await self.command(MODERATOR, 'poll "Would you join a mentorship program this autumn?" --closes 5d')
        await self.deliver()
        poll_ref = chat.messages[-1]
        for persona in self.personas.values():
            if persona.joins_late:
                self.later(self.rng.randint(7, max(8, self.days - 40)), self._joins(persona))
            elif persona.wish != "none" and self.rng.random() < 0.75 or self.rng.random() < 0.2:
                # those who want in mostly vote; a fifth of the others vote "Not now"
                self.later(self.rng.randint(0, 3), self._votes(persona, poll_ref))
        self.later(12, self._announce)
        first_round = 16
        for day in range(first_round, max(first_round + 1, self.days - 45), 28):
            self.later(day, self._match_round)
        for step_day in range(0, self.days + 1, STEP_DAYS):
            self.day = step_day
            for day in sorted(d for d in self.todo if d <= self.day):
                for action in self.todo.pop(day):
                    await action()
            await self.deliver()
            # Members read what reached them since the last step and react; the bot answers,
            # and whatever that queues goes out with the next sweep.
            await self._read_new_messages()
            await self.session.advance_in_ticks(timedelta(days=STEP_DAYS), TICK)
        await self._read_new_messages()

    def _joins(self, persona: Persona) -> Action:
        async def joins() -> None:
            # The welcome DM (campaign "greeting") arrives through the outbox; _react decides.
            await self.act(MemberJoined(COMMUNITY, self.session.actor(persona.name)), None)

        return joins

    def _votes(self, persona: Persona, poll: ChatMessage) -> Action:
        async def votes() -> None:
            labels = {"mentor": "I'd mentor", "mentee": "I'd like a mentor", "both": "Both", "none": "Not now"}
            button = next(b for b in poll.message.buttons if label_text(b.label) == labels[persona.wish])
            await self.click(persona.name, poll, button.component_id)

        return votes

    async def _announce(self) -> None:
        """A moderator's announcement campaign reaches members the poll did not."""
        await self.command(MODERATOR, f'announce --campaign {CAMPAIGN} "Applications are open for the autumn round."')
        # A few sign up on their own with /mentor join, without any campaign.
        for persona in self.personas.values():
            if persona.wish != "none" and not persona.joins_late and self.rng.random() < 0.06:
                self.later(self.rng.randint(1, 30), self._sign_up_action(persona, None))

    def _sign_up_action(self, persona: Persona, button: tuple[ChatMessage, str] | None) -> Action:
        async def go() -> None:
            await self.sign_up(persona, button)

        return go

    async def sign_up(self, persona: Persona, button: tuple[ChatMessage, str] | None) -> None:
        """The real intake conversation: a sign-up button (poll, announcement, welcome) or /mentor join,
        then the member answers each question the bot asks in their DM until they are signed up."""
        if persona.name in self.signed_up:
            return
        self.signed_up.add(persona.name)
        if button is not None:
            replies = await self.click(persona.name, button[0], button[1])
        else:
            replies = await self.command(persona.name, "join")
        await self.deliver()  # the first question arrives by DM through the outbox
        question = self._last_dm_text(persona.name) + "\n" + "\n".join(r.plain_text() for r in replies)
        for _ in range(30):  # a bound: every step either advances or explains what to type
            if "You're signed up" in question or "already signed up" in question:
                return
            confirm = [b for r in replies for b in r.buttons if label_text(b.label) == "Confirm"]
            if confirm:  # the summary: they read it and click Confirm
                replies = await self.click(persona.name, None, confirm[0].component_id)
            else:
                replies = await self.say(persona.name, self._answer(persona, question))
            question = "\n".join(r.plain_text() for r in replies)
        self.stuck += 1

    def _last_dm_text(self, user: str) -> str:
        for message in reversed(self.session.chat.messages):
            if message.header == f"DM {user}":
                return message.message.plain_text()
        return ""

    def _answer(self, persona: Persona, question: str) -> str:
        """What this member types for the question the bot just asked (the last one in the text)."""
        q = question.casefold()
        rng = self.rng
        pick = [
            ("may i introduce you", "yes"),
            ("mentor someone, be mentored, or both", persona.wish if persona.wish != "none" else "mentee"),
            ("topics could you mentor", ", ".join(persona.topics_offered or ["Career growth"])),
            ("topics do you want to grow", ", ".join(persona.topics_wanted or ["Career growth"])),
            ("isn't on the list", "skip"),
            ("what do you hope to get out of mentoring", rng.choice(GOALS)),
            ("what could you help a mentee with", rng.choice(HELP_TEXTS)),
            (
                "where are you in your career",
                str(rng.randint(8, 20) if persona.wish in ("mentor", "both") else rng.randint(0, 4)),
            ),
            ("which timezone", rng.choice(CITIES)),
            ("hours a month", str(rng.choice((2, 4, 6)))),
            ("how long would you like", rng.choices(("3-6", "6-9"), (80, 20))[0]),
            ("how often would you like to meet", rng.choices(("biweekly", "weekly", "monthly"), (60, 10, 30))[0]),
            ("how do you prefer to talk", rng.choices(("video", "chat"), (80, 20))[0]),
            ("which languages", "English"),
            ("how many mentees could you take", str(rng.choice((1, 2, 2, 3)))),
            ("should not be paired with", "skip"),
            ("team or organisation", "skip"),
        ]
        # The bot's last question wins (a reply may first explain what was wrong with an answer).
        best = max(pick, key=lambda kv: q.rfind(kv[0]))
        return best[1] if q.rfind(best[0]) >= 0 else "skip"

    async def _match_round(self) -> None:
        await self.command(MODERATOR, "match", MOD_CHANNEL)
        await self.command(MODERATOR, "match approve", MOD_CHANNEL)

    # --- members reading what the bot sent them --------------------------------------------

    async def _read_new_messages(self) -> None:
        messages = self.session.chat.messages
        batch = messages[self.seen :]
        self.seen = len(messages)
        for message in batch:
            await self._react(message)
        self.seen = len(messages)  # the private replies to these actions need no reaction

    async def _react(self, message: ChatMessage) -> None:
        buttons = message.message.buttons
        first = buttons[0].component_id if buttons else ""
        if first.startswith("mentor:join:"):
            await self._invited(message)
        elif first.startswith("mentor:checkin:"):
            await self._checkin(message)
        elif first.startswith("mentor:pair:") and first.endswith(":confirm"):
            await self._introduced(message)
        elif first.startswith("mentor:feedback:") and ":rate:" in first:
            await self._feedback(message)
        elif message.header == MOD_CHANNEL and message.message.plain_text().startswith("At-risk pair #"):
            await self._at_risk(message)

    def _user_of(self, message: ChatMessage) -> Persona | None:
        return self.personas.get(message.header[3:]) if message.header.startswith("DM ") else None

    async def _invited(self, message: ChatMessage) -> None:
        """Sign-up buttons: a poll invitation or welcome DM to one member, or the announcement to everyone."""
        readers = (
            [self._user_of(message)]
            if message.header.startswith("DM ")
            else [p for p in self.personas.values() if not p.joins_late]
        )
        campaign = message.message.buttons[0].component_id.split(":")[2]
        follow = {"greeting": 0.5}.get(campaign, 0.8 if campaign.startswith("poll.") else 0.45)
        for persona in readers:
            if (
                persona is None
                or persona.wish == "none"
                or persona.name in self.signed_up
                or self.rng.random() > follow
            ):
                continue
            role = (
                "mentee"
                if persona.wish == "mentee"
                else "mentor"
                if persona.wish == "mentor"
                else self.rng.choice(("mentor", "mentee"))
            )
            buttons = [b for b in message.message.buttons if b.component_id.endswith(f":{role}")]
            if buttons:
                self.later(self.rng.randint(0, 3), self._sign_up_action(persona, (message, buttons[0].component_id)))

    async def _introduced(self, message: ChatMessage) -> None:
        users = message.header[3:].split("+")
        people = [self.personas[u] for u in users if u in self.personas]
        if len(people) != 2:
            return
        mentee, mentor = people
        pairing_key = message.message.buttons[0].component_id.split(":")[2]
        kickoff = next(b.component_id for b in message.message.buttons if b.component_id.endswith(":kickoff"))
        keen = sum(p.engagement == "engaged" for p in people) + 0.5 * sum(p.engagement == "flaky" for p in people)
        if self.rng.random() < 0.25 + 0.35 * keen:

            async def kick_off() -> None:
                await self.click(mentor.name, message, kickoff)
                if mentee.engagement != "ghost" and self.rng.random() < 0.8:
                    goal = self.rng.choice(GOALS)
                    await self.command(mentee.name, f'goal set "{goal}" --pair {pairing_key}')
                    if mentee.engagement == "engaged" and self.rng.random() < 0.7:
                        self.later(self.rng.randint(20, 70), self._goal_done(mentee.name, pairing_key))

            self.later(self.rng.randint(1, 9), kick_off)

    def _goal_done(self, user: str, pairing_key: str) -> Action:
        async def done() -> None:
            await self.command(user, f'goal update "Half-way there" --pair {pairing_key}')
            await self.command(user, f"goal done --pair {pairing_key}")

        return done

    async def _checkin(self, message: ChatMessage) -> None:
        persona = self._user_of(message)
        if persona is None:
            return
        answer_rate = {"engaged": 0.85, "flaky": 0.45, "ghost": 0.04}[persona.engagement]
        if self.rng.random() > answer_rate:
            return  # ignored: the bot will ask less often
        weights = {"engaged": (82, 15, 3), "flaky": (48, 46, 6), "ghost": (20, 70, 10)}[persona.engagement]
        verb = self.rng.choices(("met", "not_yet", "need_help"), weights)[0]
        button = next(b for b in message.message.buttons if b.component_id.endswith(f":{verb}"))
        await self.click(persona.name, message, button.component_id)

    async def _feedback(self, message: ChatMessage) -> None:
        persona = self._user_of(message)
        if persona is None:
            return
        if self.rng.random() > {"engaged": 0.85, "flaky": 0.5, "ghost": 0.15}[persona.engagement]:
            return
        ratings = {"engaged": (0, 1, 6, 35, 58), "flaky": (3, 12, 35, 35, 15), "ghost": (20, 30, 30, 15, 5)}[
            persona.engagement
        ]
        rating = self.rng.choices((1, 2, 3, 4, 5), ratings)[0]
        rate = next(b for b in message.message.buttons if b.component_id.endswith(f":rate:{rating}"))
        await self.click(persona.name, message, rate.component_id)
        worked = self.rng.choice(WORKED) if rating >= 3 and self.rng.random() < 0.7 else "skip"
        await self.say(persona.name, worked)
        replies = await self.say(persona.name, "skip")
        quote = [b for r in replies for b in r.buttons if ":quote:" in b.component_id]
        if quote:
            choice = self.rng.choices(("name", "anon", "no"), (50, 25, 25))[0]
            button = next(b for b in quote if b.component_id.endswith(f":quote:{choice}"))
            await self.click(persona.name, None, button.component_id)

    async def _at_risk(self, message: ChatMessage) -> None:
        """The moderator ends about a third of at-risk pairs (the mentee gets priority next round)."""
        number = message.message.plain_text().split("#", 1)[1].split(":", 1)[0]
        if number.isdigit() and self.rng.random() < 0.35:
            self.later(self.rng.randint(1, 5), self._end_pair(number))

    def _end_pair(self, number: str) -> Action:
        async def end() -> None:
            await self.command(MODERATOR, f"pair {number} rematch", MOD_CHANNEL)

        return end


async def run_demo(
    members: int = 200,
    months: int = 6,
    seed: int = 7,
    out_dir: Path = Path("demo-output"),
    *,
    settings: Settings | None = None,
) -> DemoResult:
    """Build the community, run the program, write stats, chart and CSVs into `out_dir`."""
    started = time.perf_counter()
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    db_path = (out_dir / "mentorbot-demo.db").resolve()
    for suffix in ("", "-wal", "-shm"):
        await asyncio.to_thread(Path(f"{db_path}{suffix}").unlink, missing_ok=True)
    base = settings or Settings()
    program_path = base.program_path
    if program_path is None:
        # The shipped program, with the welcome message for new members switched on (a campaign of its own).
        shipped = DEFAULT_PATH.read_text(encoding="utf-8")
        program_path = str((out_dir / "program.toml").resolve())
        await asyncio.to_thread(
            Path(program_path).write_text,
            shipped.replace("greeting_enabled = false", "greeting_enabled = true"),
            encoding="utf-8",
        )
    settings = replace(
        base,
        database_url=f"sqlite+aiosqlite:///{db_path}",
        data_dir=str((out_dir / "data").resolve()),
        program_path=program_path,
    )
    lines: list[str] = []
    session = await ConsoleSession.open(settings, start=START, out=lines.append)
    try:
        rng = random.Random(seed)
        demo = Demo(session, lines, make_personas(members, rng), months, rng)
        await demo.run()
        transcript = len(lines)
        replies = await demo.command(MODERATOR, "stats", MOD_CHANNEL)
        stats = replies[0] if replies else Message()
        await demo.deliver()  # the chart comes to the moderator's DM, drawn on delivery
        charted = next(
            (m.message for m in reversed(session.chat.messages) if any(isinstance(p, Image) for p in m.message.parts)),
            None,
        )
        chart = _copy_first(charted, Image, out_dir / "dashboard.png") if charted is not None else None
        export_replies = await demo.command(MODERATOR, "export", MOD_CHANNEL)
        await demo.deliver()
        exported = next(
            (m.message for m in reversed(session.chat.messages) if any(isinstance(p, File) for p in m.message.parts)),
            None,
        )
        csv_files = _copy_files(exported, out_dir) if exported is not None else []
        stats_text = "\n".join(line for line in _render(stats))
        (out_dir / "stats.txt").write_text(stats_text + "\n", encoding="utf-8")
        (out_dir / "transcript.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        del export_replies
        return DemoResult(
            out_dir=out_dir,
            stats_text=stats_text,
            chart=chart,
            csv_files=csv_files,
            transcript_lines=transcript,
            seconds=time.perf_counter() - started,
            counts={"members": members, "signed_up": len(demo.signed_up), "events": demo.handled, "stuck": demo.stuck},
        )
    finally:
        await session.close()


def _render(message: Message) -> list[str]:
    from adapters.console.chat import render_lines

    return [line for line in render_lines(message) if not line.strip().startswith("(image ")]


def _copy_first(message: Message, kind: type, target: Path) -> Path | None:
    for part in message.parts:
        if isinstance(part, kind):
            shutil.copyfile(part.path, target)  # type: ignore[attr-defined]
            return target
    return None


def _copy_files(message: Message, out_dir: Path) -> list[Path]:
    copied: list[Path] = []
    for part in message.parts:
        if isinstance(part, File):
            target = out_dir / part.filename
            shutil.copyfile(part.path, target)
            copied.append(target)
    return copied


__all__ = ["run_demo", "DemoResult", "make_personas"]
