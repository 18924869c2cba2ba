"""Which Slack mode the environment selects, and what a bad setup says."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from adapters.slack.settings import DEFAULT_API_URL, SlackConfigError, SlackSettings


def test_socket_mode_when_an_app_token_is_set() -> None:
    s = SlackSettings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert s.socket_mode and not s.oauth and s.api_url == DEFAULT_API_URL


def test_http_mode_with_signing_secret_port_and_api_url() -> None:
    s = SlackSettings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "sec",
            "PORT": "8080",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
        }
    )
    assert not s.socket_mode and s.port == 8080 and s.api_url == "http://127.0.0.1:9/api/"


def test_oauth_mode_needs_signing_secret_and_key() -> None:
    env = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x", "SLACK_SIGNING_SECRET": "sec"}
    with pytest.raises(SlackConfigError, match="MENTORBOT_SECRET_KEY"):
        SlackSettings.from_env(env)
    s = SlackSettings.from_env({**env, "MENTORBOT_SECRET_KEY": Fernet.generate_key().decode()})
    assert s.oauth and not s.socket_mode and "chat:write" in s.scopes


def test_incomplete_setups_say_what_is_missing() -> None:
    with pytest.raises(SlackConfigError, match="SLACK_APP_TOKEN"):
        SlackSettings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"})
    with pytest.raises(SlackConfigError, match="SLACK_BOT_TOKEN"):
        SlackSettings.from_env({"SLACK_APP_TOKEN": "xapp-1"})
    with pytest.raises(SlackConfigError, match="PORT"):
        SlackSettings.from_env({"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "s", "PORT": "eighty"})


def test_moderators_from_slack_and_core_keys() -> None:
    s = SlackSettings.from_env(
        {"SLACK_BOT_TOKEN": "x", "SLACK_APP_TOKEN": "y", "SLACK_MODERATOR_IDS": "U1, U2", "MENTORBOT_MODERATORS": "U3"}
    )
    assert s.moderator_ids == {"U1", "U2", "U3"}
