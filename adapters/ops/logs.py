"""Logging set-up: plain text by default, `LOG_FORMAT=json` for one JSON object per line.

A JSON line has time, level, logger and message, plus whichever of event_kind, community,
event_id, outbox_id and duration_ms the caller passed in `extra=`. Exceptions keep their
type and stack but not their message (it may quote member input), and anything shaped
like a Slack or Discord token is masked in every line, plain or JSON.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime

FIELDS = ("event_kind", "community", "event_id", "outbox_id", "duration_ms")
PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Slack tokens (xoxb-, xoxp-, xapp-, …) and Discord bot tokens (three dot-separated base64 parts).
_TOKEN = re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+|\b[\w-]{23,28}\.[\w-]{6,7}\.[\w-]{27,40}\b")


def mask_tokens(text: str) -> str:
    return _TOKEN.sub("[token]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_tokens(record.getMessage()),
        }
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
            # The frames say where; the exception's own message may quote what a member typed.
            line["stack"] = mask_tokens("".join(traceback.format_tb(record.exc_info[2])))
        return json.dumps(line, ensure_ascii=False, default=str)


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_tokens(super().format(record))


def configure_logging(level: str, log_format: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else MaskingFormatter(PLAIN))
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, logging.StreamHandler) and not isinstance(old, logging.FileHandler):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
