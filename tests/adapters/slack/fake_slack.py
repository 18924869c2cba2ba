"""A local fake of the Slack Web API, response URLs, file uploads and Socket Mode.

It listens on 127.0.0.1 on an ephemeral port so the real `slack_sdk` / `slack_bolt`
clients can be pointed at it through `AsyncWebClient(base_url=fake.api_url)`; the
adapter code under test is not changed in any way.

What it models, because the adapter depends on it:
- arguments as JSON, form or query string (slack_sdk uses all three);
- the bot token in `Authorization: Bearer …` (unknown or revoked → `invalid_auth` /
  `token_revoked`);
- channels (public, IM, MPIM) with members, archived flag, messages, pins, metadata;
- Block Kit limits, so an over-long message is rejected like Slack rejects it
  (`invalid_blocks`), which lets the renderer be tested against the same rules;
- fault injection: `rate_limit(method, retry_after)` answers HTTP 429 with a
  `Retry-After` header, `fail(method, error)` answers `{"ok": false, "error": …}`;
- response_url endpoints (`/response/<id>`) that record what Bolt's `respond()` sends;
- Socket Mode: `apps.connections.open` returns a local `ws://` URL; `push()` sends an
  envelope over that websocket and returns the app's acknowledgement.

`signed_headers()` signs an HTTP body exactly as Slack does (v0 HMAC-SHA256 of
"v0:{timestamp}:{body}") so tests can post to the app's `/slack/events` endpoint.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

TEAM_ID = "T0MENTOR"
TEAM_NAME = "Mentor Community"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0MENTOR"
BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
SIGNING_SECRET = "fake-signing-secret"

# Block Kit limits Slack enforces (https://api.slack.com/reference/block-kit).
MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # a Home tab or a modal
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_ACTION_ELEMENTS = 25
MAX_OPTIONS = 100
MAX_MESSAGE_TEXT = 40_000  # chat.postMessage `text` is truncated/refused beyond this


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None, **extra: str
) -> dict[str, str]:
    """Headers Slack sends with an HTTP request: timestamp + v0 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
    headers.update(extra)
    return headers


@dataclass
class Call:
    """One recorded Web API call."""

    method: str
    args: dict[str, Any]
    token: str | None
    ok: bool = True
    error: str | None = None


@dataclass
class FakeChannel:
    id: str
    name: str = ""
    is_im: bool = False
    is_mpim: bool = False
    is_archived: bool = False
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
            "is_member": BOT_USER_ID in self.members,
        }


class SlackApiFault(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class FakeSlack:
    """Start with `await fake.start()`; stop with `await fake.stop()` (or `async with`)."""

    def __init__(self, *, team_id: str = TEAM_ID, bot_token: str = BOT_TOKEN) -> None:
        self.team_id = team_id
        self.tokens: dict[str, str] = {bot_token: team_id}  # token -> team
        self.revoked: set[str] = set()
        self.app_tokens: set[str] = {APP_TOKEN}
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, FakeChannel] = {}
        self.calls: list[Call] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # bodies posted to response URLs
        self.response_rejections: list[dict[str, Any]] = []  # response URL bodies Slack would refuse
        self.uploads: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, set[str]] = {}
        self.oauth_codes: dict[str, dict[str, Any]] = {}
        self.homes: dict[str, dict[str, Any]] = {}  # user id -> the Home view published last
        self.modals: list[dict[str, Any]] = []  # views opened with views.open
        self._faults: dict[str, list[tuple[str, Any]]] = {}
        self._delays: dict[str, float] = {}
        self._periodic: dict[str, tuple[int, int]] = {}
        self._counts: dict[str, int] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.socket_connected = asyncio.Event()
        self.socket_acks: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.add_user(BOT_USER_ID, "mentorbot", is_bot=True)

    # --- lifecycle ---------------------------------------------------------

    async def start(self) -> "FakeSlack":
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{rid}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> "FakeSlack":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        """What AsyncWebClient(base_url=…) needs (with the trailing slash)."""
        return f"{self.url}/api/"

    def response_url(self, rid: str | None = None) -> str:
        return f"{self.url}/response/{rid or uuid.uuid4().hex[:12]}"

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
        self, channel_id: str, name: str, *, members: tuple[str, ...] = (), bot_member: bool = True
    ) -> FakeChannel:
        chan = FakeChannel(channel_id, name, members=set(members))
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

    # --- fault injection ---------------------------------------------------

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 429 with Retry-After."""
        self._faults.setdefault(method, []).extend([("429", retry_after)] * times)

    def rate_limit_every(self, method: str, every: int, retry_after: int = 1) -> None:
        """Every `every`-th call of `method` answers 429 (a steady background of limits)."""
        self._periodic[method] = (every, retry_after)

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """The next `times` calls of `method` answer {"ok": false, "error": error}."""
        self._faults.setdefault(method, []).extend([("error", error)] * times)

    def http_error(self, method: str, status: int = 500, times: int = 1) -> None:
        self._faults.setdefault(method, []).extend([("http", status)] * times)

    def delay(self, method: str, seconds: float) -> None:
        self._delays[method] = seconds

    # --- queries for tests --------------------------------------------------

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        return self.channels[channel_id].messages

    def im_with(self, user_id: str) -> FakeChannel | None:
        return next(
            (c for c in self.channels.values() if c.is_im and c.members == {BOT_USER_ID, user_id}), None
        )

    def pinned(self, channel_id: str) -> list[dict[str, Any]]:
        chan = self.channels[channel_id]
        return [m for ts in chan.pins if (m := chan.find(ts)) is not None]

    # --- HTTP: Web API -----------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    args.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                args.update({k: v for k, v in form.items() if isinstance(v, str)})
        return args

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else args.pop("token", None)
        call = Call(method, args, token)
        self.calls.append(call)
        if method in self._delays:
            await asyncio.sleep(self._delays[method])
        faults = self._faults.get(method)
        self._counts[method] = self._counts.get(method, 0) + 1
        if method in self._periodic and not faults:
            every, retry_after = self._periodic[method]
            if self._counts[method] % every == 0:
                faults = [("429", retry_after)]
                self._faults[method] = faults
        if faults:
            kind, value = faults.pop(0)
            if kind == "429":
                call.ok, call.error = False, "ratelimited"
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(value)}
                )
            if kind == "http":
                call.ok, call.error = False, f"http_{value}"
                return web.Response(status=value, text="upstream trouble")
            call.ok, call.error = False, value
            return web.json_response({"ok": False, "error": value})
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            call.ok, call.error = False, "unknown_method"
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        try:
            if method == "apps.connections.open":
                if token not in self.app_tokens:
                    raise SlackApiFault("invalid_auth")
                team = None
            elif method == "oauth.v2.access":
                team = None
            else:
                team = self._team_for(token)
            result = handler(args, team)
        except SlackApiFault as fault:
            call.ok, call.error = False, fault.error
            return web.json_response({"ok": False, "error": fault.error})
        return web.json_response({"ok": True, **result})

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

    @staticmethod
    def _json_arg(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value

    def _check_blocks(self, blocks: Any, limit: int = MAX_BLOCKS) -> list[dict[str, Any]] | None:
        """Reject what Slack would reject, with Slack's error name."""
        blocks = self._json_arg(blocks)
        if blocks is None:
            return None
        if not isinstance(blocks, list) or len(blocks) > limit:
            raise SlackApiFault("invalid_blocks")
        for block in blocks:
            kind = block.get("type")
            if kind == "section":
                txt = block.get("text", {}).get("text", "")
                fields = block.get("fields", [])
                if len(txt) > MAX_SECTION_TEXT or len(fields) > MAX_FIELDS:
                    raise SlackApiFault("invalid_blocks")
                if any(len(f.get("text", "")) > MAX_FIELD_TEXT for f in fields):
                    raise SlackApiFault("invalid_blocks")
                if not txt and not fields:
                    raise SlackApiFault("invalid_blocks")
            elif kind == "actions":
                elements = block.get("elements", [])
                if not elements or len(elements) > MAX_ACTION_ELEMENTS:
                    raise SlackApiFault("invalid_blocks")
                ids = [e.get("action_id", "") for e in elements]
                if len(set(ids)) != len(ids):
                    raise SlackApiFault("invalid_blocks")
                for element in elements:
                    if len(element.get("action_id", "")) > MAX_ACTION_ID:
                        raise SlackApiFault("invalid_blocks")
                    if element.get("type") == "button":
                        if len(element["text"]["text"]) > MAX_BUTTON_TEXT:
                            raise SlackApiFault("invalid_blocks")
                        if len(element.get("value", "")) > 2000:
                            raise SlackApiFault("invalid_blocks")
                    elif element.get("type") in ("static_select", "multi_static_select"):
                        options = element.get("options", [])
                        if not options or len(options) > MAX_OPTIONS:
                            raise SlackApiFault("invalid_blocks")
                        if any(len(o["text"]["text"]) > 75 or len(o["value"]) > 150 for o in options):
                            raise SlackApiFault("invalid_blocks")
            elif kind == "context":
                if not block.get("elements") or len(block["elements"]) > 10:
                    raise SlackApiFault("invalid_blocks")
            elif kind not in ("divider", "header", "image"):
                raise SlackApiFault("invalid_blocks")
        return blocks

    def _message(self, chan: FakeChannel, args: dict[str, Any], ts: str) -> dict[str, Any]:
        if not args.get("text") and not args.get("blocks"):
            raise SlackApiFault("no_text")
        if len(str(args.get("text") or "")) > MAX_MESSAGE_TEXT:
            raise SlackApiFault("msg_too_long")
        msg: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self.team_id,
            "text": args.get("text", ""),
            "blocks": self._check_blocks(args.get("blocks")) or [],
        }
        metadata = self._json_arg(args.get("metadata"))
        if metadata:
            msg["metadata"] = metadata
        return msg

    # Web API methods: m_<method with dots as underscores>(args, team) -> response fields.

    def m_auth_test(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        return {
            "url": "https://mentor-community.slack.com/",
            "team": TEAM_NAME,
            "user": "mentorbot",
            "team_id": team,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def m_chat_postMessage(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        chan = self._postable(args.get("channel"))
        msg = self._message(chan, args, self._next_ts())
        chan.messages.append(msg)
        return {"channel": chan.id, "ts": msg["ts"], "message": msg}

    def m_chat_update(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        chan = self._channel(args.get("channel"))
        if chan.is_archived:
            raise SlackApiFault("is_archived")
        old = chan.find(str(args.get("ts")))
        if old is None:
            raise SlackApiFault("message_not_found")
        if old.get("user") != BOT_USER_ID:
            raise SlackApiFault("cant_update_message")
        new = self._message(chan, args, old["ts"])
        if "metadata" not in new and "metadata" in old:
            new["metadata"] = old["metadata"]
        new["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        old.clear()
        old.update(new)
        return {"channel": chan.id, "ts": new["ts"], "text": new["text"], "message": new}

    def m_chat_postEphemeral(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        chan = self._postable(args.get("channel"))
        user = args.get("user")
        if user not in self.users:
            raise SlackApiFault("user_not_found")
        if not chan.is_im and user not in chan.members:
            raise SlackApiFault("user_not_in_channel")
        msg = self._message(chan, args, self._next_ts())
        msg["channel"], msg["to_user"] = chan.id, user
        self.ephemerals.append(msg)
        return {"message_ts": msg["ts"]}

    def m_conversations_open(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        if args.get("channel"):
            return {"channel": {"id": self._channel(args["channel"]).id}}
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            raise SlackApiFault("users_list_not_supplied")
        if len(users) > 8:
            raise SlackApiFault("too_many_users")
        if len(users) == 1:
            chan = self._open_im(users[0])
        else:
            for user_id in users:
                if user_id not in self.users:
                    raise SlackApiFault("user_not_found")
                if self.users[user_id].get("deleted"):
                    raise SlackApiFault("user_disabled")
            members = {BOT_USER_ID, *users}
            found = next((c for c in self.channels.values() if c.is_mpim and c.members == members), None)
            if found is None:
                found = FakeChannel(f"G{next(self._ids):07d}", is_mpim=True, members=members)
                found.name = "mpdm-" + "--".join(sorted(users)) + "-1"
                self.channels[found.id] = found
            chan = found
        return {"no_op": False, "already_open": False, "channel": {"id": chan.id}}

    def m_conversations_info(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        return {"channel": self._channel(args.get("channel")).info()}

    def m_conversations_history(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        chan = self._channel(args.get("channel"))
        if BOT_USER_ID not in chan.members:
            raise SlackApiFault("not_in_channel")
        limit = int(args.get("limit") or 100)
        include_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        newest_first = list(reversed(chan.messages))[:limit]
        out = []
        for msg in newest_first:
            copy = dict(msg)
            if not include_metadata:
                copy.pop("metadata", None)
            out.append(copy)
        return {"messages": out, "has_more": len(chan.messages) > limit}

    def m_pins_add(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        chan = self._postable(args.get("channel"))
        ts = str(args.get("timestamp"))
        if chan.find(ts) is None:
            raise SlackApiFault("message_not_found")
        if ts in chan.pins:
            raise SlackApiFault("already_pinned")
        chan.pins.append(ts)
        return {}

    def m_pins_remove(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        chan = self._channel(args.get("channel"))
        ts = str(args.get("timestamp"))
        if ts not in chan.pins:
            raise SlackApiFault("no_pin")
        chan.pins.remove(ts)
        return {}

    def m_views_publish(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        view = self._json_arg(args.get("view"))
        user = args.get("user_id")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackApiFault("invalid_arguments")
        if user not in self.users:
            raise SlackApiFault("user_not_found")
        self._check_blocks(view.get("blocks") or [], MAX_VIEW_BLOCKS)
        if len(json.dumps(view)) > 250_000:  # Slack's view payload ceiling
            raise SlackApiFault("invalid_arguments")
        self.homes[user] = view
        return {"view": {"id": f"V{next(self._ids)}", **view}}

    def m_views_open(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        view = self._json_arg(args.get("view"))
        if not args.get("trigger_id") or not isinstance(view, dict) or view.get("type") != "modal":
            raise SlackApiFault("invalid_arguments")
        if len(view.get("title", {}).get("text", "")) > 24 or len(view.get("blocks") or []) > MAX_VIEW_BLOCKS:
            raise SlackApiFault("invalid_arguments")
        self.modals.append(view)
        return {"view": {"id": f"V{next(self._ids)}", **view}}

    def m_users_info(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            raise SlackApiFault("user_not_found")
        return {"user": user}

    def m_usergroups_users_list(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        group = self.usergroups.get(str(args.get("usergroup")))
        if group is None:
            raise SlackApiFault("no_such_subteam")
        return {"users": sorted(group)}

    def m_files_getUploadURLExternal(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        if not args.get("filename") or not args.get("length"):
            raise SlackApiFault("invalid_arguments")
        file_id = f"F{next(self._ids):07d}"
        self.uploads[file_id] = {
            "id": file_id,
            "name": args["filename"],
            "length": int(args["length"]),
            "alt_txt": args.get("alt_txt"),
            "data": None,
            "channels": [],
        }
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def m_files_completeUploadExternal(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        files = self._json_arg(args.get("files")) or []
        done = []
        channel_id = args.get("channel_id")
        chan = self._postable(channel_id) if channel_id else None
        for item in files:
            upload = self.uploads.get(item.get("id"))
            if upload is None or upload["data"] is None:
                raise SlackApiFault("file_not_found")
            upload["title"] = item.get("title")
            if chan is not None:
                upload["channels"].append(chan.id)
            done.append({"id": upload["id"], "name": upload["name"], "title": upload.get("title")})
        if chan is not None:
            chan.messages.append(
                {
                    "type": "message",
                    "subtype": "file_share",
                    "ts": self._next_ts(),
                    "user": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "text": args.get("initial_comment", ""),
                    "files": done,
                }
            )
        return {"files": done}

    def m_apps_connections_open(self, args: dict[str, Any], team: None) -> dict[str, Any]:
        return {"url": f"ws://{self.url.removeprefix('http://')}/socket?ticket={uuid.uuid4().hex}"}

    def m_oauth_v2_access(self, args: dict[str, Any], team: None) -> dict[str, Any]:
        grant = self.oauth_codes.pop(str(args.get("code")), None)
        if grant is None:
            raise SlackApiFault("invalid_code")
        return grant

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

    # --- HTTP: response_url and upload URL ----------------------------------

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_rid"] = request.match_info["rid"]
        # Slack applies the same Block Kit rules to response_url bodies as to chat.postMessage.
        try:
            self._check_blocks(body.get("blocks"))
            if len(body.get("text") or "") > MAX_MESSAGE_TEXT:
                raise SlackApiFault("msg_too_long")
        except SlackApiFault as fault:
            self.response_rejections.append({**body, "_error": fault.error})
            return web.Response(status=400, text=fault.error)
        self.responses.append(body)
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404)
        upload["data"] = await request.read()
        return web.Response(text=f"OK - {len(upload['data'])}")

    # --- Socket Mode --------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID},
            }
        )
        self.socket_connected.set()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                ack = json.loads(msg.data)
                self.socket_acks.append(ack)
                future = self._acks.pop(ack.get("envelope_id", ""), None)
                if future is not None and not future.done():
                    future.set_result(ack)
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self.socket_connected.clear()
        return ws

    async def push(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """Send one Socket Mode envelope and wait for the app's ack."""
        await asyncio.wait_for(self.socket_connected.wait(), timeout)
        envelope_id = str(uuid.uuid4())
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "timeout" if retry_attempt else ""
        await self._sockets[-1].send_json(envelope)
        return await asyncio.wait_for(future, timeout)


def form_body(fields: dict[str, Any]) -> str:
    """A slash command body as Slack sends it (application/x-www-form-urlencoded)."""
    return urlencode(fields)


def payload_body(payload: dict[str, Any]) -> str:
    """An interactivity body as Slack sends it: payload=<url-encoded JSON>."""
    return urlencode({"payload": json.dumps(payload)})


def fixture_slash_payload(text: str, response_url: str) -> dict[str, Any]:
    """A slash command as Socket Mode delivers it (the form fields as a JSON object)."""
    from pathlib import Path

    fields = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "slack" / "slash_command.json").read_text())
    fields.update(text=text, response_url=response_url)
    return fields
