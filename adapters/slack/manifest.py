"""What `manifest.yml` says about `/mentor`, generated from the core's command table.

`tests/adapters/slack/test_slack_manifest.py` fails when the committed manifest's
usage hint differs from `usage_hint()`; paste the printed value into manifest.yml
(`python -m adapters.slack.manifest`).
"""

from __future__ import annotations

from bot.core.feature import Feature


def usage_hint(features: list[Feature]) -> str:
    """The members' first words, in table order: the hint Slack shows while typing `/mentor`."""
    words: list[str] = ["help"]
    for feature in features:
        for command in feature.commands:
            first = command.name.split()[0]
            if not command.moderator_only and first not in words:
                words.append(first)
    return " | ".join(words)


if __name__ == "__main__":  # pragma: no cover - a maintainer's helper
    from bot.bootstrap import all_features

    print(usage_hint(all_features()))
