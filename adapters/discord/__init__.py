"""Discord adapter: the real discord.py client, app commands, restart-safe components and a Messenger."""
