"""Metrics the core keeps as it works: a matching round is timed, and no metric carries
member data (checked over the whole registry after a full example program)."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import REGISTRY, generate_latest

from tests.support.chat import Chat

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def rounds_timed() -> float:
    return REGISTRY.get_sample_value("mentorbot_matching_round_duration_seconds_count") or 0.0


async def test_a_matching_round_is_timed_and_no_label_names_a_member(chat: Chat) -> None:
    before = rounds_timed()
    out = await chat(*(EXAMPLES / "match.txt").read_text(encoding="utf-8").splitlines())
    assert "2 pairs, average fit" in out
    assert rounds_timed() >= before + 1
    values = {v for family in REGISTRY.collect() for sample in family.samples for v in sample.labels.values()}
    mentorbot = {v for family in REGISTRY.collect() if family.name.startswith("mentorbot") for s in family.samples
                 for v in s.labels.values()}  # fmt: skip
    for member in ("alice", "bob", "dana", "eve", "ivan", "fay", "Rust", "rust"):
        # whole words: a label such as "event" must not count as the member "eve"
        assert not any(re.search(rf"(?<![a-z]){member}(?![a-z])", value) for value in mentorbot), member
    assert "mentorbot_matching_round_duration_seconds" in generate_latest().decode()
    assert values  # the registry was read


def test_disabled_metrics_record_nothing() -> None:
    """`metrics.disable()` (the ack bench's "without metrics" side) makes every call a no-op;
    run in its own process because it changes the module for the whole process."""
    import subprocess
    import sys

    code = (
        "from prometheus_client import generate_latest\n"
        "from bot.core import metrics\n"
        "metrics.disable()\n"
        "metrics.EVENTS_HANDLED.labels('slack', 'command', 'ok').inc()\n"
        "metrics.DELIVERY_LATENCY.labels('slack').observe(0.2)\n"
        "metrics.INBOX_DEPTH.set(3)\n"
        "with metrics.MATCHING_ROUND_DURATION.time():\n"
        "    pass\n"
        "text = generate_latest().decode()\n"
        "assert 'mentorbot_events_handled_total{' not in text, text\n"
        "assert 'mentorbot_delivery_latency_seconds_count{' not in text, text\n"
        "assert 'mentorbot_inbox_depth 3' not in text, text\n"
        "print('ok')\n"
    )
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr
