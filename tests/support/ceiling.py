"""A platform's rate ceiling, enforced and measured inside the local fakes.

Slack allows about one chat.postMessage per second per channel and gives every
other method a per-minute tier; Discord gives each channel a bucket and the bot a
global limit. `Ceiling` models both the same way so a fake can:

- *enforce* them: a call earlier than the channel's pace, earlier than a
  Retry-After the fake gave, or beyond a method's tier window is a **violation**
  (recorded, and answered 429 like the platform would);
- add a **storm**: a seeded fraction of otherwise-allowed calls is answered 429
  with a Retry-After, and the channel may not be called again before it runs out;
- say what the best possible client could have done (`ideal_seconds`): per
  channel, one accepted call per `pace` plus every Retry-After it was given; per
  tier, the window's quota. `drain_ratio = ideal / elapsed` compares a run with it.

`tolerance` absorbs loopback jitter between a client's clock and the fake's (a
request that arrives 10 ms early because the previous one was slow in transit is
not a client bug); it is reported with every figure.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class Verdict(Enum):
    ALLOW = "allow"
    STORM = "storm"  # an injected 429 the client must wait out
    EARLY = "early"  # a violation: the client did not wait as told


@dataclass
class Decision:
    verdict: Verdict
    retry_after: float = 0.0
    reason: str = ""


@dataclass
class Violation:
    method: str
    key: str | None
    early_by: float
    reason: str


@dataclass
class Ceiling:
    """Per-key pacing, per-method tier windows and a seeded 429 storm."""

    pace: float = 1.0  # seconds between accepted calls on one key (channel)
    paced_methods: frozenset[str] = frozenset()
    tiers: dict[str, tuple[int, float]] = field(default_factory=dict)  # method -> (calls, window s)
    storm_fraction: float = 0.0
    storm_retry_after: float = 1.0
    storm_methods: frozenset[str] = frozenset()
    seed: int = 9
    tolerance: float = 0.05
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._next_allowed: dict[str, float] = {}
        self._windows: dict[str, deque[float]] = {}
        self.accepted: dict[str, int] = {}
        self.storm_waits: dict[str, float] = {}
        self.tier_accepted: dict[str, int] = {}
        self.violations: list[Violation] = []
        self.storms = 0

    def check(self, method: str, key: str | None) -> Decision:
        """Decide one call; record what it means for the ceiling."""
        now = self.clock()
        paced = key is not None and method in self.paced_methods
        if paced:
            assert key is not None
            allowed_at = self._next_allowed.get(key, float("-inf"))
            if now < allowed_at - self.tolerance:
                early = allowed_at - now
                self.violations.append(Violation(method, key, early, "before the channel's pace or Retry-After"))
                return Decision(Verdict.EARLY, early, "early")
        if method in self.tiers:
            limit, window = self.tiers[method]
            calls = self._windows.setdefault(method, deque())
            while calls and calls[0] <= now - window + self.tolerance:
                calls.popleft()
            if len(calls) >= limit:
                wait = calls[0] + window - now
                self.violations.append(Violation(method, key, wait, "beyond the method's tier"))
                return Decision(Verdict.EARLY, wait, "tier")
        if paced and method in self.storm_methods and self._random.random() < self.storm_fraction:
            assert key is not None
            self.storms += 1
            self._next_allowed[key] = now + self.storm_retry_after
            self.storm_waits[key] = self.storm_waits.get(key, 0.0) + self.storm_retry_after
            return Decision(Verdict.STORM, self.storm_retry_after, "storm")
        if paced:
            assert key is not None
            self._next_allowed[key] = now + self.pace
            self.accepted[key] = self.accepted.get(key, 0) + 1
        if method in self.tiers:
            self._windows[method].append(now)
            self.tier_accepted[method] = self.tier_accepted.get(method, 0) + 1
        return Decision(Verdict.ALLOW)

    def ideal_seconds(self) -> float:
        """The shortest time in which a perfect client gets every accepted call through."""
        per_key = [max(0, n - 1) * self.pace + self.storm_waits.get(key, 0.0) for key, n in self.accepted.items()]
        per_tier = [
            max(0, n - self.tiers[m][0]) * self.tiers[m][1] / self.tiers[m][0] for m, n in self.tier_accepted.items()
        ]
        return max([0.0, *per_key, *per_tier])

    def ceiling_rate(self) -> float:
        """Accepted paced calls per second at the ideal schedule."""
        ideal = self.ideal_seconds()
        total = sum(self.accepted.values())
        return total / ideal if ideal else float("inf")
