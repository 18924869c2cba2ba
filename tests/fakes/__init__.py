"""Local fakes of the platforms (Slack's Web API and Socket Mode, Discord's REST API and gateway) that
the real slack-bolt/slack_sdk and discord.py clients talk to on 127.0.0.1."""
