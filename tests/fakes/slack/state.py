"""The fake workspace's state: users, channels with messages and pins, tokens, and the
queries tests make about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .wire import APP_ID, BOT_USER_ID, Call


@dataclass
class FakeChannel:
    id: str
    name: str = ""
    is_im: bool = False
    is_mpim: bool = False
    is_archived: bool = False
    is_private: bool = False  # a private channel (once a "group"): invite/kick need groups:write
    members: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)  # pinned message ts, in order

    def find(self, ts: str) -> dict[str, Any] | None:
        return next((m for m in self.messages if m["ts"] == ts), None)

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not (self.is_im or self.is_mpim),
            "is_im": self.is_im,
            "is_mpim": self.is_mpim,
            "is_archived": self.is_archived,
            "is_private": self.is_private,
            "is_member": BOT_USER_ID in self.members,
        }


class SlackApiFault(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra  # more fields of the error response, e.g. missing_scope's needed/provided


class WorkspaceState:
    """World building and queries over the workspace (mixed into FakeSlack)."""

    # --- world building ----------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
        tz: str | None = "Europe/Amsterdam",
    ) -> dict[str, Any]:
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name.lower().replace(" ", "."),
            "deleted": deleted,
            "real_name": name,
            "tz": tz,
            "tz_offset": 3600 if tz else 0,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_bot": is_bot,
            "profile": {"display_name": name, "real_name": name},
        }
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        members: tuple[str, ...] = (),
        bot_member: bool = True,
        private: bool = False,
    ) -> FakeChannel:
        chan = FakeChannel(channel_id, name, members=set(members), is_private=private)
        if bot_member:
            chan.members.add(BOT_USER_ID)
        self.channels[channel_id] = chan
        return chan

    def archive(self, channel_id: str) -> None:
        self.channels[channel_id].is_archived = True

    def add_token(self, token: str, team_id: str) -> None:
        self.tokens[token] = team_id

    def revoke(self, token: str) -> None:
        self.revoked.add(token)

    # --- queries for tests --------------------------------------------------

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        return self.channels[channel_id].messages

    def im_with(self, user_id: str) -> FakeChannel | None:
        return next((c for c in self.channels.values() if c.is_im and c.members == {BOT_USER_ID, user_id}), None)

    def pinned(self, channel_id: str) -> list[dict[str, Any]]:
        chan = self.channels[channel_id]
        return [m for ts in chan.pins if (m := chan.find(ts)) is not None]

    def _team_for(self, token: str | None) -> str:
        if not token:
            raise SlackApiFault("not_authed")
        if token in self.revoked:
            raise SlackApiFault("token_revoked")
        if token not in self.tokens:
            raise SlackApiFault("invalid_auth")
        return self.tokens[token]

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ts):06d}"

    def _channel(self, channel_id: Any) -> FakeChannel:
        if not channel_id or channel_id not in self.channels:
            if isinstance(channel_id, str) and channel_id in self.users:
                return self._open_im(channel_id)  # chat.postMessage(channel=U…) opens the DM
            raise SlackApiFault("channel_not_found")
        return self.channels[channel_id]

    def _postable(self, channel_id: Any) -> FakeChannel:
        chan = self._channel(channel_id)
        if chan.is_archived:
            raise SlackApiFault("is_archived")
        if BOT_USER_ID not in chan.members:
            raise SlackApiFault("not_in_channel")
        return chan

    def _open_im(self, user_id: str) -> FakeChannel:
        if user_id == BOT_USER_ID:
            raise SlackApiFault("cannot_dm_bot")
        user = self.users.get(user_id)
        if user is None:
            raise SlackApiFault("user_not_found")
        if user.get("deleted"):
            raise SlackApiFault("user_disabled")
        if user.get("is_bot"):
            raise SlackApiFault("cannot_dm_bot")
        existing = self.im_with(user_id)
        if existing is not None:
            return existing
        chan = FakeChannel(f"D{next(self._ids):07d}", is_im=True, members={BOT_USER_ID, user_id})
        self.channels[chan.id] = chan
        return chan

    def grant_oauth_code(self, code: str, *, team_id: str, team_name: str, bot_token: str, scope: str) -> None:
        """Prepare what oauth.v2.access answers for `code` (Slack's documented shape)."""
        self.add_token(bot_token, team_id)
        self.oauth_codes[code] = {
            "access_token": bot_token,
            "token_type": "bot",
            "scope": scope,
            "bot_user_id": BOT_USER_ID,
            "app_id": APP_ID,
            "team": {"id": team_id, "name": team_name},
            "enterprise": None,
            "authed_user": {"id": "U0INSTALLER"},
            "is_enterprise_install": False,
        }
