"""The Web API methods the adapter calls (`m_<method>`), with Slack's Block Kit checks."""

from __future__ import annotations

import json
import uuid
from typing import Any

from .state import FakeChannel, SlackApiFault
from .wire import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    MAX_ACTION_ELEMENTS,
    MAX_ACTION_ID,
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_MESSAGE_TEXT,
    MAX_OPTIONS,
    MAX_SECTION_TEXT,
    MAX_VIEW_BLOCKS,
    TEAM_NAME,
)


class WebApiMethods:
    """One `m_<method with dots as underscores>` per Web API method (mixed into FakeSlack)."""

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

    def _managed(self, channel_id: Any) -> FakeChannel:
        """The channel of conversations.invite/kick, checked as Slack documents: a private channel the bot
        is not in is invisible (channel_not_found); a public one needs channels:manage, a private one
        groups:write (missing_scope, with needed/provided)."""
        chan = self.channels.get(channel_id) if isinstance(channel_id, str) else None
        if chan is None or chan.is_im or chan.is_mpim or (chan.is_private and BOT_USER_ID not in chan.members):
            raise SlackApiFault("channel_not_found")
        needed = "groups:write" if chan.is_private else "channels:manage"
        if needed not in self.granted_scopes:
            raise SlackApiFault("missing_scope", needed=needed, provided=",".join(self.granted_scopes))
        if chan.is_archived:
            raise SlackApiFault("is_archived")
        return chan

    def m_conversations_invite(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        chan = self._managed(args.get("channel"))
        if BOT_USER_ID not in chan.members:
            raise SlackApiFault("not_in_channel")  # the caller must be in the channel to invite
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            raise SlackApiFault("no_user")
        for user_id in users:
            if user_id == BOT_USER_ID:
                raise SlackApiFault("cant_invite_self")
            if user_id not in self.users or self.users[user_id].get("deleted"):
                raise SlackApiFault("user_not_found")
            if self.users[user_id].get("is_bot"):
                raise SlackApiFault("user_is_bot")
        if all(u in chan.members for u in users):
            raise SlackApiFault("already_in_channel")
        chan.members.update(users)
        return {"channel": chan.info()}

    def m_conversations_kick(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        chan = self._managed(args.get("channel"))
        user_id = str(args.get("user") or "")
        if not user_id:
            raise SlackApiFault("user_not_found")
        if user_id == BOT_USER_ID:
            raise SlackApiFault("cant_kick_self")
        if user_id not in chan.members:
            raise SlackApiFault("not_in_channel")
        chan.members.discard(user_id)
        return {}

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
