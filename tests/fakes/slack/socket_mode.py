"""Socket Mode, the fake's gateway: a websocket that says hello, and envelopes pushed
to the app whose acknowledgements tests wait for."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes import PATIENCE

from .wire import APP_ID


class SocketMode:
    """The `/socket` websocket and `push()` (mixed into FakeSlack)."""

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
        timeout: float = PATIENCE,
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
