"""`mentorbot doctor`: check what operators get wrong, print a checklist with the fix for
every failure, and exit non-zero when anything failed.

Each check is small and independent; a failed check never stops the others (a bad token
still lets the database be checked). Tokens and secrets are never printed.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp

CLOCK_SKEW_LIMIT = 60.0  # seconds; Slack refuses signed requests more than 5 minutes off
MEMBERS_INTENT_FLAGS = (1 << 14) | (1 << 15)  # GATEWAY_GUILD_MEMBERS(_LIMITED) on the application
# What the bot does in each channel: private threads for group introductions; alerts (embeds) for moderators.
INTRO_NEEDS = {"view_channel": True, "send_messages": True, "create_private_threads": True,
               "send_messages_in_threads": True}  # fmt: skip
MODERATOR_NEEDS = {"view_channel": True, "send_messages": True, "embed_links": True}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""
    fix: str = ""

    def lines(self) -> list[str]:
        mark = "ok  " if self.ok else "FAIL"
        out = [f"[{mark}] {self.name}" + (f": {self.detail}" if self.detail else "")]
        if not self.ok and self.fix:
            out.append(f"       fix: {self.fix}")
        return out


class Doctor:
    def __init__(self, env: Mapping[str, str], platform: str) -> None:
        self.env, self.platform = env, platform
        self.checks: list[Check] = []
        self.platform_dates: list[float] = []  # server Date headers, seconds since the epoch, minus local time
        self.moderator_channels: list[str] = []  # Discord channels set with /mentor-admin modchannel

    def add(self, name: str, ok: bool, detail: str = "", fix: str = "") -> None:
        self.checks.append(Check(name, ok, detail, fix))

    @property
    def healthy(self) -> bool:
        return all(c.ok for c in self.checks)

    async def run(self) -> list[Check]:
        from bot.core.settings import ConfigError, Settings

        try:
            settings = Settings.from_env(self.env)
        except ConfigError as exc:
            self.add("configuration", False, str(exc), "correct that key in .env (see .env.example)")
            settings = None
        else:
            self.add("configuration", True, "core keys valid")
        platform = self.platform
        if settings is not None:
            self._program(settings.program_path)
            await self._database(settings.database_url)
            self._data_dir(settings.data_dir)
        if platform == "slack":
            await self._slack()
        elif platform == "discord":
            await self._discord()
        else:
            self.add("platform", True, "none configured: `mentorbot run` starts the local console")
        self._clock()
        return self.checks

    # --- core ----------------------------------------------------------------

    def _program(self, path: str | None) -> None:
        from bot.core.program import ProgramError, load_program

        try:
            load_program(path)
        except ProgramError as exc:
            self.add("program file", False, str(exc), "fix the file, or unset MENTORBOT_PROGRAM for the shipped one")
            return
        self.add("program file", True, path or "the shipped program.toml")

    async def _database(self, url: str) -> None:
        from alembic.script import ScriptDirectory
        from sqlalchemy import text

        from storage.db import Database
        from storage.migrate import alembic_config

        db = Database(url)
        shown = db.url.render_as_string(hide_password=True)
        if db.is_sqlite and db.url.database not in (None, "", ":memory:") and not self._sqlite_file(db.url.database):
            await db.dispose()
            return
        try:
            async with db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                exists = await conn.run_sync(lambda c: c.dialect.has_table(c, "alembic_version"))
                current = set()
                if exists:
                    current = {r[0] for r in (await conn.execute(text("SELECT version_num FROM alembic_version")))}
                if await conn.run_sync(lambda c: c.dialect.has_table(c, "community")):
                    self.moderator_channels = [
                        str(r[0])
                        for r in await conn.execute(
                            text(
                                "SELECT DISTINCT moderator_channel_id FROM community "
                                "WHERE platform = 'discord' AND moderator_channel_id IS NOT NULL"
                            )
                        )
                    ]
        except Exception as exc:  # any driver error: unreachable, refused, bad credentials
            self.add(
                "database reachable",
                False,
                f"{shown}: {type(exc).__name__}",
                "check DATABASE_URL and that the server runs",
            )
            return
        finally:
            await db.dispose()
        self.add("database reachable", True, shown)
        heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
        self.add(
            "migrations at head",
            current == heads,
            f"at {', '.join(sorted(current)) or 'nothing'}; head is {', '.join(sorted(heads))}",
            "back up (`mentorbot backup PATH`), then run `mentorbot migrate`",
        )

    def _sqlite_file(self, name: str) -> bool:
        """The SQLite file exists (else there is nothing to connect to) and only its owner can read it."""
        path = Path(name).expanduser()
        if not path.exists():
            self.add("database reachable", False, f"no SQLite file at {path}", "run `mentorbot migrate`")
            return False
        mode = stat.S_IMODE(path.stat().st_mode)
        self.add(
            "database file permissions",
            mode & 0o077 == 0,
            f"{path} is {mode:04o}",
            f"chmod 600 {path} (it holds member data)",
        )
        return True

    def _data_dir(self, raw: str) -> None:
        path = Path(raw).expanduser()
        if not path.exists():
            self.add("data directory", True, f"{path} will be created (0700) on first use")
            return
        if not path.is_dir() or not os.access(path, os.W_OK):
            self.add("data directory", False, f"{path} is not a writable directory", f"mkdir -m 700 {path}")
            return
        mode = stat.S_IMODE(path.stat().st_mode)
        self.add(
            "data directory",
            mode & 0o077 == 0,
            f"{path} is {mode:04o}",
            f"chmod 700 {path} (exports hold personal data)",
        )

    def _clock(self) -> None:
        if not self.platform_dates:
            self.add("clock", True, "no platform to compare with; keep NTP running")
            return
        skew = max(self.platform_dates, key=abs)
        self.add(
            "clock",
            abs(skew) <= CLOCK_SKEW_LIMIT,
            f"{skew:+.0f} s from the platform's clock",
            "enable time synchronisation (e.g. `timedatectl set-ntp true`)",
        )

    def _note_date(self, headers: Mapping[str, str]) -> None:
        raw = headers.get("Date")
        if raw:
            try:
                self.platform_dates.append(parsedate_to_datetime(raw).timestamp() - time.time())
            except (TypeError, ValueError):
                pass

    # --- Slack ---------------------------------------------------------------

    async def _slack(self) -> None:
        from adapters.slack.settings import SlackConfigError, SlackSettings, manifest_bot_scopes

        try:
            slack = SlackSettings.from_env(self.env)
        except SlackConfigError as exc:
            self.add("Slack configuration", False, str(exc), "set the keys it names (README: Run it in Slack)")
            return
        mode = "OAuth (HTTP) mode" if slack.oauth else ("Socket Mode" if slack.app_token else "HTTP mode")
        self.add("Slack configuration", True, mode)
        await self._request_mode(slack)
        if not slack.app_token:
            self.add(
                "Slack signing secret",
                bool(slack.signing_secret),
                "present" if slack.signing_secret else "missing",
                "set SLACK_SIGNING_SECRET (Basic Information → Signing Secret)",
            )
        if slack.oauth:
            self._fernet_key(slack.secret_key)
            return  # tokens live per workspace in the database; nothing single to test
        try:
            body, headers = await _post(f"{slack.api_url}auth.test", {"Authorization": f"Bearer {slack.bot_token}"})
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.add(
                "Slack auth.test", False, f"cannot reach {slack.api_url} ({type(exc).__name__})", "check the network"
            )
            return
        self._note_date(headers)
        if not body.get("ok"):
            self.add(
                "Slack auth.test",
                False,
                f"Slack says {body.get('error', 'not ok')}",
                "copy the Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN; reinstall the app if it was revoked",
            )
            return
        self.add("Slack auth.test", True, f"bot {body.get('user_id', '?')} in team {body.get('team_id', '?')}")
        granted = {s.strip() for s in headers.get("x-oauth-scopes", "").split(",") if s.strip()}
        missing = [s for s in manifest_bot_scopes() if s not in granted]
        self.add(
            "Slack scopes",
            not missing,
            "all the manifest's scopes granted" if not missing else f"missing {', '.join(missing)}",
            "add them under OAuth & Permissions (or re-apply adapters/slack/manifest.yml) and reinstall the app",
        )

    async def _request_mode(self, slack: Any) -> None:
        """How Slack reaches the bot. Socket Mode: Slack must accept the app-level token for a
        connection. HTTP mode: the request URL entered in the app's settings must reach a bot
        that knows the signing secret — tried with a signed url_verification when
        SLACK_REQUEST_URL says what that URL is (the bot must be running)."""
        if slack.app_token:
            try:
                body, _ = await _post(
                    f"{slack.api_url}apps.connections.open", {"Authorization": f"Bearer {slack.app_token}"}
                )
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.add("Slack request mode", False, f"cannot reach Slack ({type(exc).__name__})", "check the network")
                return
            self.add(
                "Slack request mode",
                bool(body.get("ok")),
                "Socket Mode: Slack opens connections for the app-level token"
                if body.get("ok")
                else f"Socket Mode: apps.connections.open says {body.get('error', 'not ok')}",
                "turn on Socket Mode (Settings → Socket Mode) and put an app-level token with connections:write "
                "(Basic Information → App-Level Tokens) in SLACK_APP_TOKEN; or unset SLACK_APP_TOKEN for HTTP mode",
            )
            return
        url = (self.env.get("SLACK_REQUEST_URL") or "").strip()
        listening = f"the bot listens on {slack.host}:{slack.port}/slack/events"
        if not url:
            self.add(
                "Slack request mode",
                True,
                f"HTTP mode: {listening}; set SLACK_REQUEST_URL (the URL in the app's settings) to have it tried",
            )
            return
        fix = (
            f"the app's Request URLs (Slash Commands, Interactivity, Event Subscriptions) must be {url}, "
            f"forwarded by your proxy to {slack.host}:{slack.port}; start the bot before this check"
        )
        status, answer = await _url_verification(url, slack.signing_secret or "")
        if status == 200 and answer:
            self.add("Slack request mode", True, f"HTTP mode: {url} answers Slack's signed challenge")
        elif status == 401:
            self.add(
                "Slack request mode",
                False,
                f"HTTP mode: {url} refused the signature (401)",
                "the bot answering there has another SLACK_SIGNING_SECRET; copy it again from Basic Information",
            )
        else:
            said = f"answered {status}" if status else "did not answer"
            self.add("Slack request mode", False, f"HTTP mode: {url} {said}", fix)

    def _fernet_key(self, key: str | None) -> None:
        from cryptography.fernet import Fernet

        try:
            Fernet((key or "").encode())
        except ValueError:
            self.add(
                "MENTORBOT_SECRET_KEY",
                False,
                "not a Fernet key",
                "generate one (see .env.example) — "
                "a new key makes stored tokens unreadable, so workspaces must reinstall",
            )
            return
        self.add("MENTORBOT_SECRET_KEY", True, "a valid Fernet key")

    # --- Discord -------------------------------------------------------------

    async def _discord(self) -> None:
        from adapters.discord.settings import DiscordSettings
        from bot.core.settings import ConfigError

        try:
            discord = DiscordSettings.from_env(self.env)
        except ConfigError as exc:
            self.add("Discord configuration", False, str(exc), "correct that key in .env (see .env.example)")
            return
        self.add("Discord configuration", True)
        auth = {"Authorization": f"Bot {discord.token}"}
        try:
            status, me, headers = await _get(f"{discord.api_base}/users/@me", auth)
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.add(
                "Discord token", False, f"cannot reach {discord.api_base} ({type(exc).__name__})", "check the network"
            )
            return
        self._note_date(headers)
        if status != 200:
            self.add(
                "Discord token",
                False,
                f"Discord answered {status}",
                "copy the token from the Developer Portal (Bot → Reset Token) into DISCORD_TOKEN",
            )
            return
        self.add("Discord token", True, f"bot user {me.get('id', '?')}")
        status, app, _ = await _get(f"{discord.api_base}/oauth2/applications/@me", auth)
        if status != 200:
            self.add("Discord application", False, f"Discord answered {status}", "check the token's application")
            return
        configured = (self.env.get("DISCORD_APPLICATION_ID") or "").strip()
        self.add(
            "Discord application id",
            not configured or configured == str(app.get("id")),
            f"application {app.get('id')}" + (f", DISCORD_APPLICATION_ID={configured}" if configured else ""),
            f"set DISCORD_APPLICATION_ID={app.get('id')} or leave it empty",
        )
        await self._command_tree(discord, auth, str(app.get("id")))
        if discord.intro_channel_id is not None:
            await self._intro_channel(discord.api_base, auth, str(discord.intro_channel_id), str(me.get("id")))
        for channel_id in self.moderator_channels:
            await self._channel_check(
                "Discord moderators' channel", discord.api_base, auth, channel_id, str(me.get("id")), MODERATOR_NEEDS
            )
        if discord.members_intent:
            flags = int(app.get("flags") or 0)
            self.add(
                "Discord Server Members intent",
                bool(flags & MEMBERS_INTENT_FLAGS),
                "enabled" if flags & MEMBERS_INTENT_FLAGS else "DISCORD_MEMBERS_INTENT=1 but not enabled for the bot",
                "Developer Portal → Bot → Privileged Gateway Intents → Server Members, or set DISCORD_MEMBERS_INTENT=0",
            )

    async def _command_tree(self, discord: Any, auth: dict[str, str], app_id: str) -> None:
        """The commands Discord shows members are the ones this version reads."""
        from adapters.ops.discord_tree import expected_commands, tree_differences

        scope = f"/guilds/{discord.guild_id}" if discord.guild_id is not None else ""
        status, registered, _ = await _get_list(f"{discord.api_base}/applications/{app_id}{scope}/commands", auth)
        if status != 200:
            self.add("Discord command tree", False, f"Discord answered {status}", "check the token's application")
            return
        differences = tree_differences(expected_commands(discord), registered)
        where = f"server {discord.guild_id}" if discord.guild_id is not None else "global"
        self.add(
            "Discord command tree",
            not differences,
            f"in sync ({where})" if not differences else f"{'; '.join(differences[:3])} ({where})",
            "start this version of the bot once: it syncs the commands when their definition changed; if it says "
            f"'unchanged', delete {discord.data_dir}/discord-commands-{app_id}-*.sha256 and start it again",
        )

    async def _intro_channel(self, base: str, auth: dict[str, str], channel_id: str, bot_id: str) -> None:
        """Group introductions open private threads in DISCORD_INTRO_CHANNEL_ID: the bot needs to
        see the channel, create private threads and post in them."""
        await self._channel_check("Discord intro channel", base, auth, channel_id, bot_id, INTRO_NEEDS)

    async def _channel_check(
        self, name: str, base: str, auth: dict[str, str], channel_id: str, bot_id: str, needs: dict[str, bool]
    ) -> None:
        import discord as discord_py

        from adapters.ops.discord_permissions import channel_permissions

        fix_missing = f"give the bot's role these permissions in channel {channel_id} (channel settings → Permissions)"
        status, channel, _ = await _get(f"{base}/channels/{channel_id}", auth)
        if status != 200:
            fix = (
                "set DISCORD_INTRO_CHANNEL_ID to a text channel the bot can see, or unset it"
                if name == "Discord intro channel"
                else "let the bot see that channel, or pick another with /mentor-admin modchannel"
            )
            self.add(name, False, f"channel {channel_id}: Discord answered {status}", fix)
            return
        guild_id = str(channel.get("guild_id"))
        status_roles, roles, _ = await _get_list(f"{base}/guilds/{guild_id}/roles", auth)
        status_member, member, _ = await _get(f"{base}/guilds/{guild_id}/members/{bot_id}", auth)
        if status_roles != 200 or status_member != 200:
            self.add(name, False, "the bot is not a member of that server", "invite the bot again")
            return
        have = channel_permissions(
            guild_id, roles, member.get("roles") or [], bot_id, channel.get("permission_overwrites") or []
        )
        need = discord_py.Permissions(**needs)
        missing = [perm for perm, on in discord_py.Permissions(need.value & ~have) if on] if have != -1 else []
        self.add(
            name,
            not missing,
            f"#{channel.get('name', channel_id)}: "
            + ("permissions ok" if not missing else f"missing {', '.join(missing)}"),
            fix_missing,
        )


async def _url_verification(url: str, signing_secret: str) -> tuple[int, bool]:
    """POST Slack's signed url_verification challenge; (status, whether it came back). 0: no answer."""
    import json
    import secrets

    from slack_sdk.signature import SignatureVerifier

    challenge = secrets.token_urlsafe(16)
    body = json.dumps({"type": "url_verification", "token": "doctor", "challenge": challenge})
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(signing_secret).generate_signature(timestamp=stamp, body=body) or "",
    }
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
            async with http.post(url, data=body, headers=headers) as response:
                return response.status, challenge in await response.text()
    except (aiohttp.ClientError, TimeoutError):
        return 0, False


async def _get_list(url: str, headers: dict[str, str]) -> tuple[int, list[dict[str, Any]], Mapping[str, str]]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        async with http.get(url, headers=headers) as response:
            body = await response.json(content_type=None) if response.status == 200 else []
            return response.status, (body if isinstance(body, list) else []), response.headers


async def _post(url: str, headers: dict[str, str]) -> tuple[dict[str, Any], Mapping[str, str]]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        async with http.post(url, headers=headers) as response:
            body = await response.json(content_type=None)
            return (body if isinstance(body, dict) else {}), response.headers


async def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, Any], Mapping[str, str]]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        async with http.get(url, headers=headers) as response:
            body = await response.json(content_type=None) if response.status == 200 else {}
            return response.status, (body if isinstance(body, dict) else {}), response.headers


async def doctor(env: Mapping[str, str], platform: str) -> tuple[bool, list[str]]:
    """Run every check for `platform` ("slack", "discord" or "console", as `mentorbot run`
    would choose); the checklist's lines and whether all passed."""
    doc = Doctor(env, platform)
    checks = await doc.run()
    lines = [line for check in checks for line in check.lines()]
    failed = sum(not c.ok for c in checks)
    lines.append("mentorbot doctor: all checks passed" if not failed else f"mentorbot doctor: {failed} check(s) failed")
    return doc.healthy, lines
