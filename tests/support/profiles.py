"""Example budgets for property tests that are expensive per example.

Most properties take their example count from the active Hypothesis profile
(`dev`: a few hundred, `ci`: 10,000; registered in tests/conftest.py). A property
that runs the whole bot or a solver per example caps it in both profiles:
`@settings(max_examples=capped(500))` runs min(500, the profile's count).
"""

from __future__ import annotations

from hypothesis import settings


def capped(limit: int) -> int:
    """At most `limit` examples, and never more than the active profile allows."""
    return min(limit, settings.default.max_examples)
