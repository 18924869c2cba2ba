"""Bolt's OAuth installation store and state store, kept in mentorbot's own database.

- Bot tokens are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) using
  MENTORBOT_SECRET_KEY before they are written; the table holds ciphertext only.
  Rotating the key means reinstalling (a wrong key reads as "not installed").
- mentorbot asks only for bot scopes, so this is a bot-only store: the installer's
  user id is kept for auditing, never a user token.
- `app_uninstalled` / `tokens_revoked` reach `async_delete_*` through Bolt's
  built-in token revocation listeners, which remove the row.
- Both also schedule the purge of the workspace's data after the grace period
  (bot/features/admin/purge.py); saving an installation again cancels it.
- `async_find_bot` is called by Bolt's authorize middleware *before* a listener
  can ack, so found bots are cached briefly in memory; deletes clear the cache.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete, select

from bot.features.admin.purge import Uninstalls
from storage.db import Database
from storage.tables.slack import SlackInstallation, SlackOAuthState

log = logging.getLogger(__name__)


class TokenCipher:
    """Encrypts bot tokens at rest with a Fernet key from the environment."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                "MENTORBOT_SECRET_KEY must be a Fernet key (32 url-safe base64 bytes); "
                "generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from exc

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, ciphertext: str) -> str | None:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            log.error("a stored Slack token cannot be decrypted (was MENTORBOT_SECRET_KEY changed?)")
            return None


def _now() -> datetime:
    return datetime.now(UTC)


class DbInstallationStore(AsyncInstallationStore):
    def __init__(self, db: Database, secret_key: str, *, client_id: str, cache_seconds: float = 60.0) -> None:
        self.db = db
        self.cipher = TokenCipher(secret_key)
        self.client_id = client_id
        self.cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str], tuple[float, Bot]] = {}
        # Set by adapters/slack/main.py: schedules / cancels the workspace's purge (None: not wired).
        self.uninstalls: Uninstalls | None = None

    @classmethod
    def from_url(cls, database_url: str, secret_key: str, *, client_id: str) -> DbInstallationStore:
        return cls(Database(database_url), secret_key, client_id=client_id)

    @property
    def engine(self) -> Any:
        return self.db.engine

    @property
    def logger(self) -> logging.Logger:
        return log

    # --- writes -----------------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        await self._upsert(
            enterprise_id=installation.enterprise_id,
            team_id=installation.team_id,
            team_name=installation.team_name or "",
            is_enterprise_install=bool(installation.is_enterprise_install),
            app_id=installation.app_id or "",
            bot_id=installation.bot_id or "",
            bot_user_id=installation.bot_user_id or "",
            bot_scopes=",".join(installation.bot_scopes or []),
            bot_token=installation.bot_token,
            installer_user_id=installation.user_id or "",
            installed_at=installation.installed_at,
        )

    async def async_save_bot(self, bot: Bot) -> None:
        await self._upsert(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            team_name=bot.team_name or "",
            is_enterprise_install=bool(bot.is_enterprise_install),
            app_id=bot.app_id or "",
            bot_id=bot.bot_id or "",
            bot_user_id=bot.bot_user_id or "",
            bot_scopes=",".join(bot.bot_scopes or []),
            bot_token=bot.bot_token,
            installer_user_id="",
            installed_at=bot.installed_at,
        )

    async def _upsert(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        bot_token: str | None,
        installed_at: Any,
        **fields: Any,
    ) -> None:
        if not bot_token:
            log.warning("installation without a bot token ignored (team %s)", team_id)
            return
        key = (enterprise_id or "", team_id or "")
        when = datetime.fromtimestamp(float(installed_at), UTC) if isinstance(installed_at, (int, float)) else _now()
        async with self.db.unit() as session:
            row = (
                await session.execute(
                    select(SlackInstallation).where(
                        SlackInstallation.client_id == self.client_id,
                        SlackInstallation.enterprise_id == key[0],
                        SlackInstallation.team_id == key[1],
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                row = SlackInstallation(
                    client_id=self.client_id,
                    enterprise_id=key[0],
                    team_id=key[1],
                    bot_token_encrypted="",
                    installed_at=when,
                )
                session.add(row)
            for name, value in fields.items():
                if name == "installer_user_id" and not value:
                    continue  # save_bot does not know the installer; keep the old one
                setattr(row, name, value)
            row.bot_token_encrypted = self.cipher.encrypt(bot_token)
            row.installed_at = when
        self._cache.pop(key, None)
        if self.uninstalls is not None and key[1]:
            await self.uninstalls.returned("slack", key[1])  # installed again within the grace period

    # --- reads -------------------------------------------------------------------

    async def _row(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> SlackInstallation | None:
        # An org-wide install answers for every workspace of the org.
        team = "" if is_enterprise_install else (team_id or "")
        async with self.db.unit() as session:
            return (
                await session.execute(
                    select(SlackInstallation).where(
                        SlackInstallation.client_id == self.client_id,
                        SlackInstallation.enterprise_id == (enterprise_id or ""),
                        SlackInstallation.team_id == team,
                    )
                )
            ).scalar_one_or_none()

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        key = (enterprise_id or "", "" if is_enterprise_install else (team_id or ""))
        cached = self._cache.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        row = await self._row(enterprise_id, team_id, is_enterprise_install)
        if row is None:
            return None
        token = self.cipher.decrypt(row.bot_token_encrypted)
        if token is None:
            return None
        bot = Bot(
            app_id=row.app_id or None,
            enterprise_id=row.enterprise_id or None,
            team_id=row.team_id or None,
            team_name=row.team_name or None,
            bot_token=token,
            bot_id=row.bot_id,
            bot_user_id=row.bot_user_id,
            bot_scopes=row.bot_scopes,
            is_enterprise_install=row.is_enterprise_install,
            installed_at=row.installed_at.timestamp(),
        )
        self._cache[key] = (time.monotonic() + self.cache_seconds, bot)
        return bot

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        row = await self._row(enterprise_id, team_id, is_enterprise_install)
        if row is None:
            return None
        token = self.cipher.decrypt(row.bot_token_encrypted)
        if token is None:
            return None
        return Installation(
            app_id=row.app_id or None,
            enterprise_id=row.enterprise_id or None,
            team_id=row.team_id or None,
            team_name=row.team_name or None,
            bot_token=token,
            bot_id=row.bot_id,
            bot_user_id=row.bot_user_id,
            bot_scopes=row.bot_scopes,
            user_id=user_id or row.installer_user_id or "",
            is_enterprise_install=row.is_enterprise_install,
            installed_at=row.installed_at.timestamp(),
        )

    # --- deletes (app_uninstalled / tokens_revoked) -------------------------------

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._delete(enterprise_id, team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is not None:
            return  # no user tokens are stored; a revoked user token changes nothing here
        await self._delete(enterprise_id, team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._delete(enterprise_id, team_id)

    async def _delete(self, enterprise_id: str | None, team_id: str | None) -> None:
        key = (enterprise_id or "", team_id or "")
        async with self.db.unit() as session:
            await session.execute(
                delete(SlackInstallation).where(
                    SlackInstallation.client_id == self.client_id,
                    SlackInstallation.enterprise_id == key[0],
                    SlackInstallation.team_id == key[1],
                )
            )
        self._cache.pop(key, None)
        self._cache.pop((key[0], ""), None)
        if self.uninstalls is not None and key[1]:
            # app_uninstalled and tokens_revoked both land here, in either order: the first schedules.
            await self.uninstalls.removed("slack", key[1])
        log.info("Slack installation removed (enterprise %r, team %r)", enterprise_id, team_id)


class DbOAuthStateStore(AsyncOAuthStateStore):
    """One-time OAuth `state` values in the database (works with several workers)."""

    def __init__(self, db: Database, *, expiration_seconds: int = 600) -> None:
        self.db = db
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        async with self.db.unit() as session:
            session.add(SlackOAuthState(state=state, expires_at=_now() + timedelta(seconds=self.expiration_seconds)))
            # Forget states nobody came back with.
            await session.execute(delete(SlackOAuthState).where(SlackOAuthState.expires_at < _now()))
        return state

    async def async_consume(self, state: str) -> bool:
        async with self.db.unit() as session:
            row = await session.get(SlackOAuthState, state[:64])
            if row is None:
                return False
            await session.delete(row)
            return row.expires_at > _now()
