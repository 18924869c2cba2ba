"""Slack adapter: slack-bolt app (Socket Mode or HTTP), Block Kit renderer and messenger."""
