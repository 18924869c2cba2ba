"""Local fakes of the platforms (Slack's Web API and Socket Mode, Discord's REST API and gateway) that
the real slack-bolt/slack_sdk and discord.py clients talk to on 127.0.0.1."""

# How long a test waits for something that should happen before it calls it a failure: a bound
# for a hung test, never a speed target (those live in bench/). Generous, because `make test`
# runs more workers than cores and a busy machine may take seconds to start a bot.
PATIENCE = 60.0
