"""One package per part of the mission, in the order a member meets them.

polls → intake → profile → rounds (with the pure `matching` engine) → pairs →
checkins → goals → milestones → completion; `stats` and `admin` are the
moderators'. Each package's `__init__.py` declares its `Feature` (commands,
components, forms, direct-text handler, sweeps); `bot.bootstrap` collects them.
"""
