"""The OAuth installation store on SQLite and PostgreSQL: encrypted save, find, delete."""

from __future__ import annotations

from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import text

from adapters.slack.installation_store import DbInstallationStore
from storage.migrate import upgrade


async def test_save_find_update_delete(any_factory) -> None:  # type: ignore[no-untyped-def]
    db = any_factory()
    await upgrade(db)
    key = Fernet.generate_key().decode()
    store = DbInstallationStore(db, key, client_id="1111.2222", cache_seconds=0)
    try:
        await store.async_save(
            Installation(
                app_id="A0MENTOR",
                team_id="T0A",
                team_name="Alpha",
                bot_token="xoxb-alpha-1",
                bot_id="B1",
                bot_user_id="U0BOT",
                bot_scopes="chat:write,commands",
                user_id="U0ADMIN",
            )
        )
        bot = await store.async_find_bot(enterprise_id=None, team_id="T0A")
        assert bot is not None and bot.bot_token == "xoxb-alpha-1" and bot.bot_scopes == ["chat:write", "commands"]
        async with db.engine.connect() as conn:
            raw = (await conn.execute(text("SELECT bot_token_encrypted FROM slack_installation"))).scalar_one()
        assert "xoxb" not in raw

        # Reinstalling replaces the token in place (one row per workspace).
        await store.async_save(Installation(team_id="T0A", bot_token="xoxb-alpha-2", user_id="U0ADMIN"))
        assert (await store.async_find_bot(enterprise_id=None, team_id="T0A")).bot_token == "xoxb-alpha-2"
        installation = await store.async_find_installation(enterprise_id=None, team_id="T0A")
        assert installation is not None and installation.user_id == "U0ADMIN"

        # Another app (client id) never sees this workspace's token.
        other = DbInstallationStore(db, key, client_id="9999.0000")
        assert await other.async_find_bot(enterprise_id=None, team_id="T0A") is None
        # A wrong key reads as "not installed" rather than crashing.
        wrong = DbInstallationStore(db, Fernet.generate_key().decode(), client_id="1111.2222")
        assert await wrong.async_find_bot(enterprise_id=None, team_id="T0A") is None

        await store.async_delete_installation(enterprise_id=None, team_id="T0A", user_id="U0ADMIN")
        assert await store.async_find_bot(enterprise_id=None, team_id="T0A") is not None  # user tokens only
        await store.async_delete_bot(enterprise_id=None, team_id="T0A")
        assert await store.async_find_bot(enterprise_id=None, team_id="T0A") is None
    finally:
        await db.dispose()
