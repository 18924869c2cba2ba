"""LOG_FORMAT=json: one object per line with the fields an operator searches by; plain by
default; member texts, exception messages and tokens never in a line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.ops.logs import JsonFormatter, MaskingFormatter, mask_tokens

ROOT = Path(__file__).resolve().parents[3]
SECRET_GOAL = "my very private goal about my divorce"


def record(msg: str, *args: object, exc: BaseException | None = None, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("bot.delivery.deliverer", logging.ERROR, __file__, 1, msg, args, None)
    if exc is not None:
        try:
            raise exc
        except BaseException:
            rec.exc_info = sys.exc_info()
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_a_json_line_has_the_searchable_fields() -> None:
    rec = record("delivery of outbox row %s raised", 42, outbox_id=42, community=7, event_kind="post", duration_ms=3.5)
    line = json.loads(JsonFormatter().format(rec))
    assert line["level"] == "ERROR" and line["logger"] == "bot.delivery.deliverer"
    assert line["message"] == "delivery of outbox row 42 raised"
    assert (line["outbox_id"], line["community"], line["event_kind"], line["duration_ms"]) == (42, 7, "post", 3.5)
    assert line["time"].endswith("+00:00")


def test_exceptions_keep_their_type_and_stack_but_not_their_message() -> None:
    rec = record("handling failed", exc=ValueError(f"could not parse {SECRET_GOAL!r}"))
    text = JsonFormatter().format(rec)
    line = json.loads(text)
    assert line["error"] == "ValueError" and "test_logs.py" in line["stack"]
    assert SECRET_GOAL not in text


@pytest.mark.parametrize(
    "token",
    [
        "-".join(
            ["xoxb", "1234567890", "0987654321", "AbCdEfGhIjKlMnOp"]
        ),  # built here: no token-shaped literal in the repo
        "xapp-1-A0123-456-abcdef",
        "MTA1234567890123456789012.GaBcDe.abcdefghijklmnopqrstuvwxyz012345",
    ],
)
def test_tokens_are_masked_in_both_formats(token: str) -> None:
    rec = record("connecting with %s", token)
    assert token not in JsonFormatter().format(rec)
    assert token not in MaskingFormatter("%(message)s").format(rec)
    assert mask_tokens(f"a {token} b") == "a [token] b"


def run_console(tmp_path: Path, log_format: str | None) -> subprocess.CompletedProcess[str]:
    script = (
        f'moderators: carol\n@carol /mentor poll "Join?" --closes 1d\n@alice click 2\n@alice {SECRET_GOAL}\nwait 1d\n'
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "DEBUG"}
    if log_format:
        env["LOG_FORMAT"] = log_format
    args = ["console", "--db", str(tmp_path / "x.db"), "--start", "2026-11-23T09:00Z"]
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, input=script, timeout=120,
    )  # fmt: skip


def test_the_console_logs_json_lines_without_member_text(tmp_path: Path) -> None:
    result = run_console(tmp_path, "json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(row) for row in result.stderr.splitlines() if row.strip()]
    assert lines, "DEBUG logging wrote nothing"
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert SECRET_GOAL not in result.stderr
    assert "Poll results #1" in result.stdout  # the program itself ran


def test_plain_is_the_default_and_a_bad_format_is_refused(tmp_path: Path) -> None:
    plain = run_console(tmp_path, None)
    assert plain.returncode == 0
    assert not any(row.startswith("{") for row in plain.stderr.splitlines())
    bad = run_console(tmp_path, "xml")
    assert bad.returncode == 2 and "LOG_FORMAT='xml' must be plain or json" in bad.stderr
