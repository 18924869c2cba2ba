"""`mentorbot` command line: run, console, demo, migrate, backup, restore.

`mentorbot run` starts the platform configured in the environment (`.env`):
Slack when Slack settings are present, Discord when DISCORD_TOKEN is set, else
the local console on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from bot.core.settings import ConfigError, Settings

SLACK_KEYS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID")


def choose_platform(env: Mapping[str, str]) -> str:
    if any(env.get(k, "").strip() for k in SLACK_KEYS):
        return "slack"
    if env.get("DISCORD_TOKEN", "").strip():
        return "discord"
    return "console"


# Libraries that log request bodies or SQL parameters (members' texts) below WARNING.
# LOG_LEVEL=DEBUG is for mentorbot's own lines, which log ids, never contents.
CHATTY_LIBRARIES = (
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "slack_sdk",
    "slack_bolt",
    "discord",
    "aiohttp",
    "websockets",
    "alembic",
    "apscheduler",
)
OUR_PACKAGES = ("adapters", "bot", "storage", "bench", "__main__")


def _ours_or_a_warning(record: logging.LogRecord) -> bool:
    # Some libraries copy the root level onto loggers outside their own namespace (Bolt's
    # "<app name>:<middleware>" loggers), so capping their namespaces is not enough.
    return record.levelno >= logging.WARNING or record.name.split(".", 1)[0] in OUR_PACKAGES


def configure_logging(level: str, stream: IO[str] | None = None, log_format: str = "plain") -> logging.Handler:
    """One format on stderr (plain, or JSON lines with LOG_FORMAT=json; tokens masked in both);
    other libraries' lines only from WARNING up."""
    from adapters.ops.logs import PLAIN, JsonFormatter, MaskingFormatter

    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else MaskingFormatter(PLAIN))
    root = logging.getLogger()
    for old in list(root.handlers):  # configured once per process, even when main() runs again
        if getattr(old, "mentorbot", False):
            root.removeHandler(old)
    handler.addFilter(_ours_or_a_warning)
    handler.mentorbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY_LIBRARIES:  # also spares them formatting lines nobody will see
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return handler


def keep_private(settings: Settings) -> None:
    """Data at rest is the owner's only: every file this process creates is 0600 and every
    folder 0700 (the SQLite database with its WAL and SHM, charts, CSV exports), and what an
    earlier version left readable is tightened at start-up."""
    os.umask(0o077)
    data_dir = Path(settings.data_dir)
    for path in [data_dir, *(data_dir.rglob("*") if data_dir.is_dir() else [])]:
        _tighten(path)
    url = settings.database_url
    if url.startswith("sqlite") and ":memory:" not in url and "///" in url:
        database = Path(url.split("///", 1)[1])
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            _tighten(path)


def _tighten(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o700)
        elif path.is_file() and not path.is_symlink():
            path.chmod(0o600)
    except OSError:  # not ours (a shared folder): leave it, the umask still covers new files
        pass


def check_platform_settings(settings: Settings, env: Mapping[str, str]) -> None:
    """Read every setting `run` will need now, so a problem is one line and exit 2 at once,
    before migrations, imports of the platform SDK or a connection attempt."""
    from bot.core.program import load_program

    load_program(settings.program_path)
    platform = choose_platform(env)
    if platform == "slack":
        from adapters.slack.settings import SlackSettings

        SlackSettings.from_env(env)
    elif platform == "discord":
        from adapters.discord.settings import DiscordSettings

        DiscordSettings.from_env(env)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mentorbot", description="A mentorship program bot for Slack and Discord.")
    parser.add_argument("--version", action="version", version=f"mentorbot {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the platform configured in .env (else the local console)")
    console = sub.add_parser("console", help="a local community in the terminal (also runs scripts)")
    console.add_argument("--db", help="SQLite file to use (default: DATABASE_URL, else ./mentorbot.db)")
    console.add_argument("--script", help="run the lines of this file, then exit")
    console.add_argument("--start", help="start the clock at this ISO time, e.g. 2026-11-23T09:00Z (scripts)")
    console.add_argument(
        "--transcript",
        help="append every delivered message to this file; a restarted console reads it back "
        "so nothing is delivered twice (the console platform's memory, like a real platform's)",
    )
    demo = sub.add_parser(
        "demo", help="simulate a whole program in a fresh database; print the dashboard, write chart and CSVs"
    )
    demo.add_argument("--members", type=int, default=200, help="community size (default 200)")
    demo.add_argument("--months", type=int, default=6, help="months to simulate (default 6)")
    demo.add_argument("--seed", type=int, default=7, help="random seed: the same seed gives the same program")
    demo.add_argument("--out", default="demo-output", help="directory for stats.txt, dashboard.png and the CSVs")
    migrate = sub.add_parser(
        "migrate", help="bring the database schema up to date (says what it will apply; backs up SQLite first)"
    )
    migrate.add_argument("--dry-run", action="store_true", help="only print the migrations that would run")
    sub.add_parser("discord-invite", help="print the invite URL for the Discord bot (least permissions)")
    backup = sub.add_parser("backup", help="copy the database to PATH (safe while the bot runs; file mode 0600)")
    backup.add_argument("path")
    restore = sub.add_parser("restore", help="replace the database with the backup at PATH (stop the bot first)")
    restore.add_argument("path")
    sub.add_parser("doctor", help="check configuration, database, platform and permissions, with a fix for each")
    restore.add_argument("--force", action="store_true", help="overwrite a database that already holds data")
    make = sub.add_parser("makemigration", help="(developers) write a migration from the table definitions")
    make.add_argument("message")
    make.add_argument("--id", required=True, help="revision id, e.g. 0005_intake")
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mentorbot")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    from dotenv import load_dotenv

    load_dotenv(Path.cwd() / ".env")
    args = _parser().parse_args(argv)
    env = dict(os.environ)
    if args.command == "doctor":  # before the settings: a bad key is one of the things it reports
        return _doctor(env)
    try:
        settings = Settings.from_env(env)
        if args.command == "run":
            check_platform_settings(settings, env)
    except ConfigError as exc:
        print(f"mentorbot: configuration problem: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, log_format=settings.log_format)
    keep_private(settings)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter is not news
    try:
        return asyncio.run(_dispatch(args, settings, env))
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:
        print(f"mentorbot: configuration problem: {exc}", file=sys.stderr)
        return 2


async def _dispatch(args: argparse.Namespace, settings: Settings, env: dict[str, str]) -> int:
    if args.command == "migrate":
        from adapters.ops.migrate import migrate
        from storage.db import Database

        done = await migrate(settings, dry_run=args.dry_run)
        db = Database(settings.database_url)
        _private_sqlite_file(db.is_sqlite, db.url.database)
        await db.dispose()
        return done
    if args.command == "makemigration":
        from storage.db import Database
        from storage.migrate import autogenerate, upgrade

        db = Database(settings.database_url)
        await upgrade(db)
        await autogenerate(db, args.message, args.id)
        await db.dispose()
        return 0
    if args.command in ("backup", "restore"):
        return _backup_or_restore(args, settings)
    if args.command == "console":
        return await _console(args, settings)
    if args.command == "discord-invite":
        from adapters.discord.invite import invite_url_from_env

        print(await invite_url_from_env(env))
        return 0
    if args.command == "demo":
        return await _demo(args, settings)
    platform = choose_platform(env)
    if platform in ("slack", "discord"):
        await _migrate_in_child(settings, env)
    if platform == "slack":
        from adapters.slack.main import serve as serve_slack

        await serve_slack(settings, env)
        return 0
    if platform == "discord":
        from adapters.discord.main import serve as serve_discord

        await serve_discord(settings, env)
        return 0
    return await _console(argparse.Namespace(db=None, script=None, start=None, transcript=None), settings)


async def _migrate_in_child(settings: Settings, env: dict[str, str]) -> None:
    """Bring the schema up to date in a short-lived `mentorbot migrate` process, so the
    long-running bot never loads Alembic (~10 MB it would hold for its whole life).
    If the child fails, `bootstrap` migrates in this process and reports the problem."""
    from storage.db import Database
    from storage.migrate import is_current

    db = Database(settings.database_url)
    try:
        if await is_current(db):
            return
    finally:
        await db.dispose()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli",
        "migrate",
        env=env | {"DATABASE_URL": settings.database_url},
        stdout=asyncio.subprocess.DEVNULL,
    )
    if await child.wait() != 0:
        logging.getLogger(__name__).warning("the migration process failed; migrating in this one")


def _private_sqlite_file(is_sqlite: bool, name: str | None) -> None:
    """The SQLite file holds member data: owner-only, as `mentorbot doctor` checks."""
    if is_sqlite and name not in (None, "", ":memory:"):
        path = Path(str(name))
        if path.exists():
            path.chmod(0o600)


def _doctor(env: dict[str, str]) -> int:
    from adapters.ops.doctor import doctor

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    healthy, lines = asyncio.run(doctor(env, choose_platform(env)))
    print("\n".join(lines))
    return 0 if healthy else 1


def _backup_or_restore(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.ops.backup import OpsError, backup, restore

    try:
        if args.command == "backup":
            outcome = backup(settings.database_url, Path(args.path))
        else:
            outcome = restore(settings.database_url, Path(args.path), force=args.force)
    except OpsError as exc:
        print(f"mentorbot: {exc}", file=sys.stderr)
        return 1
    print("\n".join(outcome.lines))
    return 0


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.console.demo import run_demo

    if not 10 <= args.members <= 100_000 or not 1 <= args.months <= 24:
        print("mentorbot: demo needs --members between 10 and 100000 and --months between 1 and 24", file=sys.stderr)
        return 2
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))  # the demo's own output is the story
    result = await run_demo(args.members, args.months, args.seed, Path(args.out), settings=settings)
    print(result.stats_text)
    print()
    print(
        f"Simulated {args.members} members over {args.months} months in {result.seconds:.1f} s "
        f"({result.counts['events']} member actions, "
        f"{result.transcript_lines} chat lines in {result.out_dir / 'transcript.txt'})."
    )
    written = [p for p in [result.chart, result.out_dir / "stats.txt", *result.csv_files] if p is not None]
    print("Wrote: " + ", ".join(str(p) for p in written))
    return 0


async def _console(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from adapters.console.session import ConsoleSession

    if args.db:
        db_path = await asyncio.to_thread(Path(args.db).resolve)
        settings = replace(settings, database_url=f"sqlite+aiosqlite:///{db_path}")
    start = None
    if args.start:
        try:
            start = datetime.fromisoformat(args.start.replace("Z", "+00:00"))
        except ValueError:
            print(f"mentorbot: --start {args.start!r} is not an ISO time like 2026-11-23T09:00Z", file=sys.stderr)
            return 2
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
    transcript = Path(args.transcript) if getattr(args, "transcript", None) else None
    session = await ConsoleSession.open(settings, start=start, transcript=transcript)
    try:
        if args.script:
            try:
                lines = (await asyncio.to_thread(Path(args.script).read_text, encoding="utf-8")).splitlines()
            except OSError as exc:
                print(f"mentorbot: cannot read {args.script}: {exc.strerror}", file=sys.stderr)
                return 2
            await session.run_script(lines)
            return 0
        if not sys.stdin.isatty():
            await session.run_script(sys.stdin.read().splitlines())
            return 0
        return await _interactive(session)
    finally:
        await session.close()


async def _interactive(session: ConsoleSession) -> int:  # type: ignore[name-defined]  # noqa: F821
    from adapters.console.session import ScriptError

    session.default_user = "you"
    if not session.chat.moderators:
        session.chat.moderators = {"you"}
    print(
        "mentorbot console — you are 'you' (a moderator) in #general.\n"
        'Try: /mentor help · /mentor poll "Would you join a mentorship program?" --closes 3d\n'
        "Act as someone else with @alice …, click buttons with 'click 1', move time with 'wait 3d', quit with Ctrl-D."
    )
    while True:
        try:
            line = await asyncio.to_thread(input, "> ")
        except EOFError:
            print()
            return 0
        try:
            await session.run_line(line)
        except ScriptError as exc:
            print(f"! {exc}")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
