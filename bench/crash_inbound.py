"""Crash test, inbound: kill -9 the real `mentorbot run` 0–50 ms after it acknowledged a member.

The bot runs as a real process (`mentorbot run`: adapters.cli main, forked from a server
that did its imports once, bench/warm_run.py) against a local fake of Slack (HTTP mode,
signed requests) or of Discord (REST + gateway) on a SQLite file; the fake runs in this
driver, so it outlives every kill, as the platform would. Each trial:

1. a member acts — a DM answer in the middle of an intake, a slash command
   (`/mentor poll "…"`), a click (a vote on a standing poll) or a form submission
   (the poll modal) — and as soon as it is acknowledged (Slack: the HTTP request is
   answered 200; Discord: the interaction callback, i.e. the deferral; a Discord DM
   has no ack: from its dispatch) the process is `kill -9`ed after a random 0–50 ms;
2. a new process starts on the same database (the next trial runs on it too);
3. once it has settled, the trial checks: the action was applied (not lost), applied
   once (not twice), the member got the answer (response URL / DM), and for the DM
   the conversation is at the next question, not further.

Prints one JSON line per platform and kind with `trials`, `lost`, `twice`, `no_reply`,
`wrong_question`, `killed_mid_work` (the kill came before the work behind the ack was finished:
its inbox row was still open) (Discord DMs also `not_received`: killed before the gateway message
reached the process at all — a new gateway session does not replay it; nothing was
acknowledged, so that is not a loss of ours).

    .venv/bin/python -m bench.crash_inbound [--trials 100] [--platform slack discord] [--kinds dm command click form]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.features.polls.form import POLL_FORM as POLL
from tests.support.bench_api import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeDiscord,
    FakeSlack,
    block_action,
    buttons,
    dm_event,
    invocation,
    select_action,
    signed_headers,
    slash_command,
    view_submission,
)

ROOT = Path(__file__).resolve().parents[1]

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
POLL_FORM = POLL.id  # the poll form as the core names it (Slack callback_id, Discord custom_id)
GOALS_QUESTION = "what do you hope to get out of mentoring?"
OTHER_QUESTION = "Anything to add that isn't on the list?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Forked:
    """A bot process forked by bench/warm_run.py (which lets the kernel reap it)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            self.returncode = -1
        return self.returncode

    def wait(self) -> None:
        while self.poll() is None:
            time.sleep(0.005)


class Bot:
    """`mentorbot run` (Slack HTTP) as a child process; `kill` is SIGKILL."""

    def __init__(self, work: Path, api_url: str) -> None:
        self.db = work / "mentorbot.db"
        self.port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "DATABASE_URL"))},
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api_url,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.db}",
            "MENTORBOT_DATA_DIR": str(work / "data"),
            "MENTORBOT_SWEEP_SECONDS": "2",
            "LOG_LEVEL": "WARNING",
        }
        self.url = f"http://127.0.0.1:{self.port}/slack/events"
        self.process: Forked | None = None
        self.forks: subprocess.Popen[bytes] | None = None
        self.platform = "slack"
        self.log = open(os.environ.get("CRASH_BOT_LOG") or work / "bot.log", "ab")

    def launch(self) -> None:
        """Start `mentorbot run`, forked from a process that imported it once (bench/warm_run.py)."""
        if self.forks is None:
            # Popen returns once the server is forked; the bench stops it at the end.
            self.forks = subprocess.Popen(
                [sys.executable, "-m", "bench.warm_run", self.platform],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.log,
            )
            assert self.forks.stdout is not None
            if self.forks.stdout.readline().strip() != b"ready":
                raise RuntimeError("the fork server did not start; see bot.log")
        assert self.forks.stdin is not None and self.forks.stdout is not None
        self.forks.stdin.write(b"go\n")
        self.forks.stdin.flush()
        self.process = Forked(int(self.forks.stdout.readline()))

    def stop_warm(self) -> None:
        if self.forks is not None:
            self.forks.kill()  # our own child, by its pid
            self.forks.wait()
            self.forks = None

    async def start(self, session: aiohttp.ClientSession) -> None:
        self.launch()
        assert self.process is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the bot exited with {self.process.returncode}; see bot.log")
            try:
                async with session.post(self.url, data="", headers={}) as resp:
                    if resp.status == 401:  # listening (an unsigned request is refused)
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        raise RuntimeError("the bot did not start listening")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db, timeout=30) as conn:
            return conn.execute(sql, args).fetchall()


async def post(session: aiohttp.ClientSession, bot: Bot, body: str, content: dict[str, str]) -> int:
    async with session.post(bot.url, data=body, headers={**content, **signed_headers(body)}) as resp:
        return resp.status


async def until(predicate: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return bool(predicate())


def unfinished(bot: Bot) -> int:
    """1 when the kill landed before the work behind the last saved event was finished."""
    rows = bot.query("SELECT finished_at FROM inbox WHERE kind != 'direct' ORDER BY id DESC LIMIT 1")
    return int(bool(rows) and rows[0][0] is None)


def replied(fake: FakeSlack, rid: str) -> bool:
    return any(r["_rid"] == rid for r in fake.responses)


class Trials:
    def __init__(self, fake: FakeSlack, bot: Bot, session: aiohttp.ClientSession, rng: random.Random) -> None:
        self.fake, self.bot, self.session, self.rng = fake, bot, session, rng
        self.poll: dict[str, Any] | None = None
        self.n = 0

    async def act_and_kill(self, body: str, content: dict[str, str]) -> None:
        """Send, and kill 0–50 ms after the 200; then start the next process."""
        status = await post(self.session, self.bot, body, content)
        if status == 200:
            await asyncio.sleep(self.rng.uniform(0.0, 0.05))
        self.bot.kill()
        if status != 200:
            raise RuntimeError(f"the bot answered {status}, not an ack")
        self.mid_work = unfinished(self.bot)
        await self.bot.start(self.session)

    def member(self) -> str:
        self.n += 1
        user = f"U{self.n:07d}"
        self.fake.add_user(user, f"Member {self.n}")
        return user

    async def command(self) -> dict[str, int]:
        question = f"Q{self.n}-{self.rng.randrange(10**9)}"
        rid = f"cmd-{question}"
        body = slash_command(
            f'poll "{question}" --closes 3d',
            user_id="U0CAROL",
            channel_id="C0MENTOR",
            response_url=self.fake.response_url(rid),
        )
        self.n += 1
        await self.act_and_kill(body, FORM)
        count = lambda: self.bot.query("SELECT count(*) FROM poll WHERE question = ?", question)[0][0]  # noqa: E731
        await until(lambda: count() >= 1 and replied(self.fake, rid))
        return {"lost": int(count() == 0), "twice": int(count() > 1), "no_reply": int(not replied(self.fake, rid))}

    async def form(self) -> dict[str, int]:
        question = f"F{self.n}-{self.rng.randrange(10**9)}"
        body = view_submission(
            {"question": question, "closes": "3d"}, user_id="U0CAROL", channel_id="C0MENTOR", callback_id=POLL_FORM
        )
        self.n += 1
        before = len(self.fake.ephemerals)
        await self.act_and_kill(body, FORM)
        count = lambda: self.bot.query("SELECT count(*) FROM poll WHERE question = ?", question)[0][0]  # noqa: E731
        told = lambda: len(self.fake.ephemerals) > before  # noqa: E731
        await until(lambda: count() >= 1 and told())
        return {"lost": int(count() == 0), "twice": int(count() > 1), "no_reply": int(not told())}

    async def standing_poll(self) -> dict[str, Any]:
        if self.poll is None:
            body = slash_command(
                'poll "Would you join?" --closes 30d',
                user_id="U0CAROL",
                channel_id="C0MENTOR",
                response_url=self.fake.response_url("standing"),
            )
            assert await post(self.session, self.bot, body, FORM) == 200
            await until(lambda: bool(self.fake.messages("C0MENTOR")))
            self.poll = self.fake.messages("C0MENTOR")[0]
        return self.poll

    async def click(self) -> dict[str, int]:
        poll = await self.standing_poll()
        user = self.member()
        rid = f"vote-{user}"
        action = next(iter(buttons(poll).values()))
        body = block_action(
            action, user_id=user, channel_id="C0MENTOR", message_ts=poll["ts"], response_url=self.fake.response_url(rid)
        )
        await self.act_and_kill(body, FORM)
        votes = lambda: self.bot.query(  # noqa: E731
            "SELECT count(*) FROM poll_vote v JOIN member m ON m.id = v.member_id WHERE m.platform_user_id = ?", user
        )[0][0]
        await until(lambda: votes() >= 1 and replied(self.fake, rid))
        return {"lost": int(votes() == 0), "twice": int(votes() > 1), "no_reply": int(not replied(self.fake, rid))}

    async def dm(self) -> dict[str, int]:
        """A member mid-intake types the answer to 'anything to add?'; the next question must follow, once."""
        user = self.member()
        assert (
            await post(
                self.session,
                self.bot,
                slash_command(
                    "join", user_id=user, channel_id="C0MENTOR", response_url=self.fake.response_url(f"join-{user}")
                ),
                FORM,
            )
            == 200
        )
        # Getting the member to the question is set-up, not the trial: a slow machine gets time.
        if not await until(lambda: self.fake.im_with(user) is not None and bool(self.fake.im_with(user).messages), 90):
            return {"setup_failed": 1}
        im = self.fake.im_with(user)
        role = im.messages[-1]
        assert (
            await post(
                self.session,
                self.bot,
                block_action(
                    buttons(role)["Mentee"],
                    user_id=user,
                    channel_id=im.id,
                    message_ts=role["ts"],
                    response_url=self.fake.response_url(f"r-{user}"),
                ),
                FORM,
            )
            == 200
        )
        if not await until(lambda: len(im.messages) >= 2, 90):
            return {"setup_failed": 1}
        topics = im.messages[-1]
        select = next(
            e for b in topics["blocks"] if b["type"] == "actions" for e in b["elements"] if "select" in e["type"]
        )
        assert (
            await post(
                self.session,
                self.bot,
                select_action(
                    select["action_id"],
                    ["Python"],
                    multi=True,
                    user_id=user,
                    channel_id=im.id,
                    message_ts=topics["ts"],
                    response_url=self.fake.response_url(f"t-{user}"),
                ),
                FORM,
            )
            == 200
        )
        if not await until(lambda: OTHER_QUESTION in im.messages[-1].get("text", ""), 90):
            return {"setup_failed": 1}
        answer = f"Elixir{self.n}"
        await self.act_and_kill(dm_event(answer, user_id=user, channel_id=im.id, event_id=f"EvCRASH{self.n:07d}"), JSON)

        def intake() -> tuple[str, str]:
            rows = self.bot.query(
                "SELECT i.step, i.answers FROM intake i JOIN member m ON m.id = i.member_id"
                " WHERE m.platform_user_id = ?",
                user,
            )
            return (rows[0][0], rows[0][1]) if rows else ("", "")

        asked = lambda: sum(GOALS_QUESTION in m.get("text", "") for m in im.messages)  # noqa: E731
        await until(lambda: answer in intake()[1] and asked() >= 1)
        step, answers = intake()
        return {
            "lost": int(answer not in answers),
            "twice": int(answers.count(answer) > 1 or asked() > 1),
            "no_reply": int(asked() == 0),
            "wrong_question": int(step != self.goals_step),
        }


# --- Discord ------------------------------------------------------------------------------


class DiscordBot(Bot):
    """`mentorbot run` (Discord) as a child process against the fake Discord."""

    def __init__(self, work: Path, fake: Any) -> None:
        super().__init__(work, "")
        self.fake = fake
        self.platform = "discord"
        for key in [k for k in self.env if k.startswith("SLACK_")]:
            del self.env[key]
        self.env.update(DISCORD_TOKEN=fake.token, DISCORD_API_BASE=fake.api_base)

    async def start(self, session: aiohttp.ClientSession) -> None:
        await self.fake.drop_connections()
        self.launch()
        await self.fake.wait_connected(timeout=60)


class DiscordTrials:
    def __init__(
        self, fake: Any, bot: DiscordBot, session: aiohttp.ClientSession, rng: random.Random, guild: Any
    ) -> None:
        self.fake, self.bot, self.session, self.rng, self.guild = fake, bot, session, rng, guild
        self.general = next(iter(guild.channels))
        self.poll: dict[str, Any] | None = None
        self.n = 0
        self.goals_step = "goals"

    async def kill_after_defer(self, interaction: dict[str, Any]) -> None:
        await self.fake.wait_for_call(
            "POST", rf"^/interactions/{interaction['id']}/{interaction['token']}/callback$", timeout=30
        )
        await asyncio.sleep(self.rng.uniform(0.0, 0.05))
        self.bot.kill()
        self.mid_work = unfinished(self.bot)
        await self.bot.start(self.session)

    def completed(self, interaction: dict[str, Any]) -> bool:
        token = interaction["token"]
        return any(
            c.method in ("PATCH", "POST") and c.path.startswith(f"/webhooks/{self.fake.application_id}/{token}")
            for c in self.fake.calls
        )

    async def slash(self, user_id: str, text: str) -> dict[str, Any]:
        """A core command in the text syntax, as a member picks and types it in Discord's tree."""
        top, sub, options = invocation(text)
        return await self.fake.slash(self.guild, self.general, user_id, sub, options, command=top)

    def polls(self, question: str) -> int:
        return self.bot.query("SELECT count(*) FROM poll WHERE question = ?", question)[0][0]

    async def command(self) -> dict[str, int]:
        self.n += 1
        question = f"Q{self.n}-{self.rng.randrange(10**9)}"
        interaction = await self.slash(self.guild.owner_id, f'poll "{question}" --closes 3d')
        await self.kill_after_defer(interaction)
        await until(lambda: self.polls(question) >= 1 and self.completed(interaction))
        return {
            "lost": int(self.polls(question) == 0),
            "twice": int(self.polls(question) > 1),
            "no_reply": int(not self.completed(interaction)),
        }

    async def form(self) -> dict[str, int]:
        self.n += 1
        question = f"F{self.n}-{self.rng.randrange(10**9)}"
        interaction = await self.fake.submit_modal(
            self.guild,
            self.general,
            self.guild.owner_id,
            POLL_FORM,
            {"question": question, "closes": "3d"},
        )
        await self.kill_after_defer(interaction)
        await until(lambda: self.polls(question) >= 1 and self.completed(interaction))
        return {
            "lost": int(self.polls(question) == 0),
            "twice": int(self.polls(question) > 1),
            "no_reply": int(not self.completed(interaction)),
        }

    async def standing_poll(self) -> dict[str, Any]:
        if self.poll is None:
            await self.slash(self.guild.owner_id, 'poll "Would you join?" --closes 30d')
            await until(lambda: any(m.get("components") for m in self.fake.channel_messages(self.general)))
            self.poll = next(m for m in self.fake.channel_messages(self.general) if m.get("components"))
        return self.poll

    async def click(self) -> dict[str, int]:
        poll = await self.standing_poll()
        self.n += 1
        user = self.fake.add_member(self.guild, f"member{self.n}")
        custom_id = poll["components"][0]["components"][0]["custom_id"]
        interaction = await self.fake.click(self.guild, user.id, poll["id"], custom_id)
        await self.kill_after_defer(interaction)
        votes = lambda: self.bot.query(  # noqa: E731
            "SELECT count(*) FROM poll_vote v JOIN member m ON m.id = v.member_id WHERE m.platform_user_id = ?", user.id
        )[0][0]
        await until(lambda: votes() >= 1 and self.completed(interaction))
        return {"lost": int(votes() == 0), "twice": int(votes() > 1), "no_reply": int(not self.completed(interaction))}

    async def dm(self) -> dict[str, int]:
        """Mid-intake the member types 'anything to add?'; killed 0–50 ms after the message is dispatched."""
        self.n += 1
        user = self.fake.add_member(self.guild, f"member{self.n}")
        await self.slash(user.id, "join")
        dms = lambda: self.fake.channel_messages(self.fake.dm_channels.get(user.id, "-"))  # noqa: E731
        # Getting the member to the question is set-up, not the trial: a slow machine gets time.
        if not await until(lambda: any("Would you like to mentor" in m["content"] for m in dms()), 90):
            return {"setup_failed": 1}
        role = next(m for m in dms() if "Would you like to mentor" in m["content"])
        mentee = next(
            c["custom_id"] for row in role["components"] for c in row["components"] if c.get("label") == "Mentee"
        )
        await self.fake.click(None, user.id, role["id"], mentee)
        if not await until(lambda: any("Which topics" in m["content"] for m in dms()), 90):
            return {"setup_failed": 1}
        topics = next(m for m in dms() if "Which topics" in m["content"])
        select = next(c["custom_id"] for row in topics["components"] for c in row["components"] if c["type"] == 3)
        await self.fake.click(None, user.id, topics["id"], select, ["Python"])
        if not await until(lambda: any(OTHER_QUESTION in m["content"] for m in dms()), 90):
            return {"setup_failed": 1}
        answer = f"Elixir{self.n}"
        await self.fake.dm_to_bot(user.id, answer)
        await asyncio.sleep(self.rng.uniform(0.0, 0.05))
        self.bot.kill()
        saved = bool(self.bot.query("SELECT count(*) FROM inbox WHERE kind = 'dm' AND member_key = ?", user.id)[0][0])
        self.mid_work = unfinished(self.bot) if saved else 0
        await self.bot.start(self.session)

        def intake() -> tuple[str, str]:
            rows = self.bot.query(
                "SELECT i.step, i.answers FROM intake i JOIN member m ON m.id = i.member_id"
                " WHERE m.platform_user_id = ?",
                user.id,
            )
            return (rows[0][0], rows[0][1]) if rows else ("", "")

        asked = lambda: sum(GOALS_QUESTION in m["content"] for m in dms())  # noqa: E731
        if saved:
            await until(lambda: answer in intake()[1] and asked() >= 1)
        step, answers = intake()
        return {
            "lost": int(saved and answer not in answers),
            "not_received": int(not saved),
            "twice": int(answers.count(answer) > 1 or asked() > 1),
            "no_reply": int(saved and asked() == 0),
            "wrong_question": int(saved and step != self.goals_step),
        }


async def run_discord(trials: int, kinds: list[str], seed: int) -> None:
    rng = random.Random(seed)
    fake = await FakeDiscord().start()
    guild = fake.add_guild("Mentor Guild", channels=("general",))
    with tempfile.TemporaryDirectory() as tmp:
        bot = DiscordBot(Path(tmp), fake)
        async with aiohttp.ClientSession() as session:
            await bot.start(session)
            t = DiscordTrials(fake, bot, session, rng, guild)
            await report(t, bot, fake, trials, kinds, "discord")


async def report(t: Any, bot: Bot, fake: Any, trials: int, kinds: list[str], platform: str) -> None:
    totals: dict[str, dict[str, Any]] = {
        k: {"kind": k, "platform": platform, "trials": 0, "lost": 0, "twice": 0, "no_reply": 0, "wrong_question": 0}
        for k in kinds
    }
    started = time.perf_counter()
    try:
        for trial in range(trials):
            for kind in kinds:
                t.mid_work = 0
                result = await getattr(t, kind)()
                result.setdefault("killed_mid_work", t.mid_work)
                total = totals[kind]
                total["trials"] += 1
                for key, value in result.items():
                    total[key] = total.get(key, 0) + value
            if (trial + 1) % 5 == 0:
                print(
                    json.dumps(
                        {
                            "platform": platform,
                            "trials_so_far": trial + 1,
                            **{
                                k: {x: v for x, v in r.items() if x not in ("kind", "platform")}
                                for k, r in totals.items()
                            },
                        }
                    ),
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        bot.kill()
        bot.stop_warm()
        await fake.stop()
    for total in totals.values():
        total["seconds"] = round(time.perf_counter() - started, 1)
        print(json.dumps(total), flush=True)


async def run_slack(trials: int, kinds: list[str], seed: int) -> None:
    rng = random.Random(seed)
    fake = FakeSlack()
    fake.add_user("U0CAROL", "Carol Admin", is_admin=True)
    fake.add_channel("C0MENTOR", "mentorship", members=("U0CAROL",))
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        bot = Bot(Path(tmp), fake.api_url)
        async with aiohttp.ClientSession() as session:
            await bot.start(session)
            t = Trials(fake, bot, session, rng)
            t.goals_step = "goals"
            await report(t, bot, fake, trials, kinds, "slack-http")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument(
        "--kinds", nargs="+", choices=("dm", "command", "click", "form"), default=["dm", "command", "click", "form"]
    )
    parser.add_argument("--platform", nargs="+", choices=("slack", "discord"), default=["slack", "discord"])
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    for platform in args.platform:
        asyncio.run((run_slack if platform == "slack" else run_discord)(args.trials, args.kinds, args.seed))


if __name__ == "__main__":
    main()
