"""The manifest, the code's Web API calls and the Slack guide (docs/slack.md) agree on scopes and events.

METHOD_SCOPES is Slack's documented bot-token scope for each Web API method the
adapter may call. The test finds the calls in adapters/slack/*.py by reading the
source (`client.<method>(…)` on an AsyncWebClient), so adding a call without its
scope in manifest.yml — or a scope nobody needs — fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml
from slack_sdk.web.async_client import AsyncWebClient

ROOT = Path(__file__).resolve().parents[3]
ADAPTER = ROOT / "adapters" / "slack"
MANIFEST = yaml.safe_load((ADAPTER / "manifest.yml").read_text())

METHOD_SCOPES: dict[str, set[str]] = {
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    # A DM needs im:write, a group DM mpim:write; the adapter opens both kinds.
    "conversations.open": {"im:write", "mpim:write"},
    # The resend check reads channels, DMs and group DMs (private channels are skipped).
    "conversations.history": {"channels:history", "im:history", "mpim:history"},
    "conversations.info": {"channels:read"},
    # A mentoring circle's private channel: created and its members invited (private channels: groups:write).
    "conversations.create": {"groups:write"},
    # The community spaces ([spaces] in program.toml) too: a public channel needs channels:manage,
    # a private one groups:write (Slack's documented bot scopes for both methods); forget-me takes
    # a member out of their circle's channel.
    "conversations.invite": {"channels:manage", "groups:write"},
    "conversations.kick": {"channels:manage", "groups:write"},
    "pins.add": {"pins:write"},
    "pins.remove": {"pins:write"},
    "users.info": {"users:read"},
    "files.upload.v2": {"files:write"},  # getUploadURLExternal + completeUploadExternal
    "views.open": set(),
    "views.publish": set(),
    "auth.test": set(),
    "usergroups.users.list": {"usergroups:read"},
}
# Scopes only needed when an optional setting is used; docs/slack.md says so.
OPTIONAL_SCOPES = {"usergroups:read": "SLACK_MODERATOR_GROUP"}
# Scopes needed by what Slack sends rather than by a call.
EVENT_SCOPES = {"message.im": {"im:history"}, "team_join": {"users:read"}}
COMMAND_SCOPES = {"commands"}


def api_methods_called() -> set[str]:
    methods: set[str] = set()
    for path in ADAPTER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name = node.func.attr
            owner = ast.unparse(node.func.value)
            if not owner.endswith("client") or not hasattr(AsyncWebClient, name):
                continue
            if name in ("api_call",):
                continue
            methods.add("files.upload.v2" if name == "files_upload_v2" else name.replace("_", "."))
    return methods


def manifest_scopes() -> set[str]:
    return set(MANIFEST["oauth_config"]["scopes"]["bot"])


def test_every_called_method_has_a_known_scope() -> None:
    called = api_methods_called()
    assert {"chat.postMessage", "conversations.open", "pins.add", "users.info"} <= called
    unknown = called - METHOD_SCOPES.keys()
    assert not unknown, f"add the documented scope of {sorted(unknown)} to METHOD_SCOPES and the manifest"


def test_scopes_used_by_the_code_are_in_the_manifest() -> None:
    needed = set().union(*(METHOD_SCOPES[m] for m in api_methods_called()))
    needed |= COMMAND_SCOPES | set().union(
        *(EVENT_SCOPES.get(e, set()) for e in MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    )
    missing = needed - manifest_scopes() - OPTIONAL_SCOPES.keys()
    assert not missing, f"manifest.yml lacks {sorted(missing)}"


def test_manifest_asks_for_no_unused_scope() -> None:
    used = set().union(*(METHOD_SCOPES[m] for m in api_methods_called())) | COMMAND_SCOPES
    used |= set().union(*EVENT_SCOPES.values())
    unused = manifest_scopes() - used
    assert not unused, f"manifest.yml asks for scopes nothing uses: {sorted(unused)}"
    assert not (manifest_scopes() & OPTIONAL_SCOPES.keys()), "optional scopes stay out of the default manifest"


def test_manifest_declares_command_interactivity_and_events() -> None:
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert commands == ["/mentor"]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"message.im", "app_uninstalled", "tokens_revoked", "team_join", "app_home_opened"}
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    for url in (
        MANIFEST["features"]["slash_commands"][0]["url"],
        MANIFEST["settings"]["interactivity"]["request_url"],
        MANIFEST["settings"]["event_subscriptions"]["request_url"],
    ):
        assert url.endswith("/slack/events")


def test_slack_guide_lists_every_scope_and_event() -> None:
    section = (ROOT / "docs" / "slack.md").read_text()  # the README links it
    assert section.startswith("# Run it in Slack")
    for scope in manifest_scopes() | OPTIONAL_SCOPES.keys():
        assert f"`{scope}`" in section, f"docs/slack.md does not list {scope}"
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        assert f"`{event}`" in section, f"docs/slack.md does not list {event}"
    for key in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "MENTORBOT_SECRET_KEY",
        "SLACK_API_URL",
        "SLACK_MODERATOR_IDS",
        "SLACK_MODERATOR_GROUP",
        "PORT",
    ):
        assert key in section, f"docs/slack.md does not mention {key}"


def test_env_example_has_the_slack_keys() -> None:
    example = (ROOT / ".env.example").read_text()
    for key in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "MENTORBOT_SECRET_KEY",
        "SLACK_API_URL",
        "SLACK_MODERATOR_IDS",
        "SLACK_MODERATOR_GROUP",
        "PORT",
    ):
        assert re.search(rf"^#?\s*{key}=", example, re.M), key


def test_usage_hint_is_generated_from_the_command_table() -> None:
    from adapters.slack.manifest import usage_hint
    from bot.bootstrap import all_features

    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["usage_hint"] == usage_hint(all_features()), "run python -m adapters.slack.manifest"
    assert len(command["usage_hint"]) <= 1000
