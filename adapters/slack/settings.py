"""Slack-specific settings, read from the environment by the adapter itself.

Which way mentorbot talks to Slack follows from which keys are set:

- `SLACK_APP_TOKEN` (xapp-…)            → Socket Mode: no public URL needed.
- otherwise `SLACK_SIGNING_SECRET`      → HTTP mode: Slack posts to PORT /slack/events.
- `SLACK_CLIENT_ID` + `SLACK_CLIENT_SECRET` → OAuth mode (HTTP): many workspaces install
  the app through /slack/install; bot tokens live encrypted in mentorbot's database
  (key: `MENTORBOT_SECRET_KEY`). Without them, `SLACK_BOT_TOKEN` is the one workspace.

`SLACK_API_URL` changes the Web API base URL (tests point it at a local fake).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.settings import ConfigError

DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"


class SlackConfigError(ConfigError):
    """The Slack keys in the environment do not describe a runnable setup (the CLI prints it and exits 2)."""


def _ids(raw: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (raw or "").split(",") if part.strip())


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str | None = None
    app_token: str | None = None
    signing_secret: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    secret_key: str | None = None  # Fernet key for bot tokens at rest (OAuth mode)
    api_url: str = DEFAULT_API_URL
    # Loopback by default: Slack only posts to HTTPS, so something on this machine (a
    # reverse proxy, a tunnel) terminates TLS and forwards here; binding every interface
    # would expose the plain-HTTP port to the network for no gain. A container sets
    # HOST=0.0.0.0 because its own network namespace is the boundary there.
    host: str = "127.0.0.1"
    port: int = 3000
    moderator_ids: frozenset[str] = field(default_factory=frozenset)
    moderator_group: str | None = None  # a Slack user group id (S…); needs usergroups:read
    scopes: tuple[str, ...] = ()  # OAuth mode: bot scopes requested at install
    install_path: str = "/slack/install"
    redirect_path: str = "/slack/oauth_redirect"
    user_cache_seconds: float = 600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SlackSettings:
        def get(key: str) -> str | None:
            value = env.get(key, "").strip()
            return value or None

        api_url = get("SLACK_API_URL") or DEFAULT_API_URL
        if not api_url.endswith("/"):
            api_url += "/"
        try:
            port = int(get("PORT") or 3000)
        except ValueError as exc:
            raise SlackConfigError(f"PORT must be a number, not {env.get('PORT')!r}") from exc
        settings = cls(
            bot_token=get("SLACK_BOT_TOKEN"),
            app_token=get("SLACK_APP_TOKEN"),
            signing_secret=get("SLACK_SIGNING_SECRET"),
            client_id=get("SLACK_CLIENT_ID"),
            client_secret=get("SLACK_CLIENT_SECRET"),
            secret_key=get("MENTORBOT_SECRET_KEY"),
            api_url=api_url,
            host=get("HOST") or "127.0.0.1",
            port=port,
            moderator_ids=_ids(get("SLACK_MODERATOR_IDS")) | _ids(get("MENTORBOT_MODERATORS")),
            moderator_group=get("SLACK_MODERATOR_GROUP"),
            scopes=tuple(sorted(_ids(get("SLACK_SCOPES")))) or manifest_bot_scopes(),
        )
        settings.validate()
        return settings

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token) and not self.oauth

    def validate(self) -> None:
        if self.oauth:
            if not self.signing_secret:
                raise SlackConfigError("OAuth mode needs SLACK_SIGNING_SECRET (Slack posts to /slack/events)")
            if not self.secret_key:
                raise SlackConfigError(
                    "OAuth mode stores bot tokens encrypted: set MENTORBOT_SECRET_KEY "
                    "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
                )
            _check_fernet_key(self.secret_key)
            return
        if not self.bot_token:
            raise SlackConfigError("set SLACK_BOT_TOKEN (xoxb-…), or SLACK_CLIENT_ID/SECRET for OAuth mode")
        if not self.app_token and not self.signing_secret:
            raise SlackConfigError("set SLACK_APP_TOKEN for Socket Mode or SLACK_SIGNING_SECRET for HTTP mode")


def _check_fernet_key(key: str) -> None:
    """Refuse a key that is not 32 url-safe base64 bytes now, not at the first install."""
    from cryptography.fernet import Fernet

    try:
        Fernet(key.encode())
    except (ValueError, TypeError) as exc:
        raise SlackConfigError(
            "MENTORBOT_SECRET_KEY is not a Fernet key (32 url-safe base64 bytes); generate one with "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        ) from exc


def manifest_bot_scopes() -> tuple[str, ...]:
    """The bot scopes of adapters/slack/manifest.yml (what OAuth installs request)."""
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(__file__).with_name("manifest.yml")).read_text())
    return tuple(manifest["oauth_config"]["scopes"]["bot"])
