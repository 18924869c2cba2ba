"""The fake Slack's HTTP server: lifecycle, Web API dispatch (auth, recorded calls, injected faults),
response URLs and upload URLs. The parts live in the mixins it is composed of."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

from aiohttp import web

from adapters.slack.settings import manifest_bot_scopes

from .limits import FaultInjection
from .socket_mode import SocketMode
from .state import FakeChannel, SlackApiFault, WorkspaceState
from .web_api import WebApiMethods
from .wire import APP_TOKEN, BOT_TOKEN, BOT_USER_ID, MAX_MESSAGE_TEXT, TEAM_ID, Call


class FakeSlack(WorkspaceState, FaultInjection, WebApiMethods, SocketMode):
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
        # What Slack reports in every response's x-oauth-scopes header: the token's granted scopes.
        self.granted_scopes: list[str] = list(manifest_bot_scopes())

    # --- lifecycle ---------------------------------------------------------

    async def start(self) -> FakeSlack:
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

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        """What AsyncWebClient(base_url=…) needs (with the trailing slash)."""
        return f"{self.url}/api/"

    def response_url(self, rid: str | None = None) -> str:
        return f"{self.url}/response/{rid or uuid.uuid4().hex[:12]}"

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
            return web.json_response({"ok": False, "error": fault.error, **fault.extra})
        return web.json_response({"ok": True, **result}, headers={"x-oauth-scopes": ",".join(self.granted_scopes)})

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
