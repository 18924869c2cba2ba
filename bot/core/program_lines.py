"""Finding the line of the program file that a semantic problem refers to, so the error an
operator reads names it ("program.toml, line 42: topics[3].aliases must be …"). TOML parsers
report syntax errors with a line but know nothing of our rules, hence this best-effort scan."""

from __future__ import annotations

import re

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([\w.\-]+)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([\w.\-]+)\s*\]")
_KEY_LINE = re.compile(r'^\s*"?([\w\-]+)"?\s*=')


def locate(text: str, where: tuple[str | int, ...]) -> int | None:
    """The 1-based line that `where` (e.g. ("topics", 3, "aliases")) refers to, best effort."""
    parts = list(where)
    key = parts.pop() if parts and isinstance(parts[-1], str) else None
    index = next((p for p in parts if isinstance(p, int)), None)
    table = ".".join(p for p in parts if isinstance(p, str))
    current, current_index = "", None
    counters: dict[str, int] = {}
    header_line: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        array = _ARRAY_HEADER.match(line)
        plain = None if array else _TABLE_HEADER.match(line)
        header = array or plain
        if header:
            current = header.group(1)
            if array:
                counters[current] = counters.get(current, 0) + 1
                current_index = counters[current] - 1
            else:
                current_index = None
            if current == table and (index is None or current_index == index):
                if key is None:
                    return number
                header_line = header_line or number
            if key is not None and current == (f"{table}.{key}" if table else key):
                return number  # the key is itself a table: `[intake]`, `[[topic]]`
            continue
        found = _KEY_LINE.match(line)
        if key is not None and found and found.group(1) == key and current == table:
            if index is None or current_index == index:
                return number
        if key is None and table and found and found.group(1) == table and current == "":
            return number  # an inline array or table: `topics = [...]`
    return header_line
