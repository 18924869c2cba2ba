"""A test clock in platform seconds (a float, like `time.monotonic`) that moves only when
someone sleeps on it: a pacer under test "waits" without waiting, and a fake can read the
same time to judge whether a request came early."""

from __future__ import annotations


class SleepClock:
    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.slept: list[float] = []  # every sleep asked for, in order

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.slept.append(seconds)
        self.now += seconds
