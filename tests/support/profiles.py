"""Example budgets for property tests that are expensive per example.

Most properties take their example count from the active Hypothesis profile
(`dev`: a few hundred, `ci`: 10,000; registered in tests/conftest.py). A property
that runs the whole bot or a solver per example caps it in both profiles:
`@settings(max_examples=capped(500))` runs min(500, the profile's count).

`ci_only(reason)` marks a case that repeats, at a larger size, what a cheaper case
next to it already checks: the `ci` profile runs it, `dev` skips it and says why.
"""

from __future__ import annotations

import pytest
from hypothesis import settings


def capped(limit: int) -> int:
    """At most `limit` examples, and never more than the active profile allows."""
    return min(limit, settings.default.max_examples)


def full_strength() -> bool:
    """True under the `ci` profile (or any profile at least as strong)."""
    return settings.default.max_examples >= settings.get_profile("ci").max_examples


def ci_only(reason: str) -> pytest.MarkDecorator:
    """Skip in `dev`; `reason` names the cheaper case that covers the same path there."""
    return pytest.mark.skipif(not full_strength(), reason=f"ci profile only: {reason}")
