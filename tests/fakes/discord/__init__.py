"""A local fake of Discord's REST API and gateway, for driving the real discord.py client.

It listens on 127.0.0.1 on an ephemeral port. Point discord.py at it with
``Route.BASE = fake.api_base`` (the adapter does that from DISCORD_API_BASE); the
gateway URL is then learned from ``GET /gateway/bot`` like on Discord.

What it does, and only as far as the adapter needs:

* REST: ``/users/@me``, ``/oauth2/applications/@me``, ``/gateway/bot``, application
  command bulk overwrite (global and guild), interaction callbacks and webhook
  follow-ups, create-DM, create/edit/get messages (with ``nonce``/``enforce_nonce``
  de-duplication), pins, private threads and thread members. Every response
  carries exactly ``Content-Type: application/json`` because discord.py only
  decodes JSON when the header is exactly that.
* Every REST call is recorded (`calls`) with its method, path, query and JSON body,
  so tests can inspect payloads such as ``allowed_mentions``.
* Failure injection: `rate_limit` answers the next N matching calls with 429 +
  ``retry_after`` + rate-limit headers; `close_dms` makes messages to a member's
  DM channel fail with 403 / code 50007 like Discord does.
* Gateway: HELLO (op 10), IDENTIFY (op 2) → READY + GUILD_CREATE, heartbeat
  (op 1) → ACK (op 11), RESUME (op 6) → RESUMED. Frames are compressed with
  ``zlib-stream`` when the client asks for it (``?compress=zlib-stream``), as discord.py does.
  Tests push INTERACTION_CREATE (slash command, button, select, modal submit) and
  MESSAGE_CREATE (a DM to the bot) with the helpers at the bottom.

Layout: `wire` (permission bits, recorded calls, message limits, `pinged`), `state`
(users, guilds, the call log), `limits` (rate limits and injected failures), `rest`
(dispatch and small routes), `messages`, `interactions` (member actions and the
bot's answers), `gateway`, and `server` (the aiohttp app composing them).
"""

from .server import FakeDiscord
from .state import FakeGuild, FakeUser
from .wire import ADMINISTRATOR, MANAGE_GUILD, MEMBER_PERMISSIONS, RecordedCall, message_body_problem, pinged

__all__ = [
    "ADMINISTRATOR",
    "MANAGE_GUILD",
    "MEMBER_PERMISSIONS",
    "FakeDiscord",
    "FakeGuild",
    "FakeUser",
    "RecordedCall",
    "message_body_problem",
    "pinged",
]
