"""The resource library: short guides shipped with mentorbot, plus what a program file adds.

Each shipped guide is one Markdown file under `guides/`, with front matter between two
`---` lines (`title`, `audience` mentor/mentee/both, `topics` from the taxonomy,
`milestone`) and the guide itself as the body. The program file's `[[resources]]` add
guides (a `text`, or a `link` to somewhere else), replace a shipped one (the same
`key`) and `[library] hide` takes shipped ones away. `search` is what
`/mentor resources [words]` asks: titles, keys and topics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

GUIDES = Path(__file__).with_name("guides")
MILESTONES = ("signup", "kickoff", "first_goal", "midpoint", "wrapup")
RESOURCE_ROLES = ("mentor", "mentee", "all")
AUDIENCES = {"mentor": "mentor", "mentee": "mentee", "both": "all", "all": "all"}
MAX_BODY = 1500  # one message on every platform (Discord: 2000 characters)
_KEY = re.compile(r"^[a-z0-9][a-z0-9\-]{0,39}$")  # keys travel in button ids


class ResourceProblem(Exception):
    """A resource entry or guide file cannot be used; `where` names the place in the file."""

    def __init__(self, where: tuple[str | int, ...], problem: str) -> None:
        super().__init__(problem)
        self.where = where
        self.problem = problem


@dataclass(frozen=True)
class Resource:
    """One guide: its own text (`body`) or a `link` elsewhere, for a role, a milestone and/or topics."""

    title: str
    link: str = ""
    role: str = "all"  # mentor, mentee, all
    milestone: str | None = "signup"  # None: only on demand (`/mentor resources`)
    topics: tuple[str, ...] = ()
    key: str = ""
    body: str = ""

    @property
    def topic(self) -> str | None:
        return self.topics[0] if self.topics else None

    def for_topics(self, wanted: Iterable[str]) -> bool:
        """Untagged guides are for everyone; tagged ones for members with one of the topics."""
        return not self.topics or bool(set(self.topics) & set(wanted))


def slug(text: str) -> str:
    """A key from a title: "Closing well" → "closing-well"."""
    words = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return words[:40].rstrip("-") or "resource"


def fold(text: str) -> str:
    return " ".join(text.casefold().split())


# --- the shipped guides ---------------------------------------------------------------


def parse_guide(text: str, key: str) -> Resource:
    """One guide file: front matter, then the body. Raises ResourceProblem."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---" or "---" not in [line.strip() for line in lines[1:]]:
        raise ResourceProblem((key,), "must start with front matter between two '---' lines")
    end = 1 + [line.strip() for line in lines[1:]].index("---")
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or name.strip() not in ("title", "audience", "topics", "milestone"):
            raise ResourceProblem((key,), f"front matter line {line.strip()!r}: use title, audience, topics, milestone")
        meta[name.strip()] = value.strip()
    body = "\n".join(lines[end + 1 :]).strip()
    if not meta.get("title"):
        raise ResourceProblem((key, "title"), "is missing")
    audience = meta.get("audience", "")
    if audience not in AUDIENCES:
        raise ResourceProblem((key, "audience"), "must be mentor, mentee or both")
    milestone = meta.get("milestone") or None
    if milestone is not None and milestone not in MILESTONES:
        raise ResourceProblem((key, "milestone"), f"must be one of {', '.join(MILESTONES)}")
    topics = tuple(t.strip() for t in meta.get("topics", "").split(",") if t.strip())
    if milestone is None and not topics:
        raise ResourceProblem((key,), "needs a milestone or at least one topic, or nobody would find it")
    if not body or len(body) > MAX_BODY:
        raise ResourceProblem((key,), f"the text must be 1–{MAX_BODY} characters (it is {len(body)})")
    return Resource(meta["title"], "", AUDIENCES[audience], milestone, topics, key, body)


@lru_cache(maxsize=1)
def shipped() -> tuple[Resource, ...]:
    """Every guide file shipped in the package, in file-name order."""
    return tuple(parse_guide(path.read_text(encoding="utf-8"), path.stem) for path in sorted(GUIDES.glob("*.md")))


# --- the program file's part ----------------------------------------------------------

_ENTRY = {"title", "link", "text", "role", "milestone", "topic", "topics", "key"}


def _text(entry: dict[str, Any], name: str, where: tuple[str | int, ...], limit: int) -> str:
    value = entry.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise ResourceProblem(where + (name,), f"must be a text in quotes of at most {limit} characters")
    return value.strip()


def _entry(entry: Any, where: tuple[str | int, ...], topic_names: set[str]) -> Resource:
    if not isinstance(entry, dict):
        raise ResourceProblem(where, "must be a [[resources]] entry")
    for name in entry:
        if name not in _ENTRY:
            raise ResourceProblem(where + (name,), f"unknown key {name!r}. Known keys: {', '.join(sorted(_ENTRY))}.")
    title = _text(entry, "title", where, 150)
    if not title:
        raise ResourceProblem(where + ("title",), "'title' is missing")
    role = AUDIENCES.get(_text(entry, "role", where, 10) or "all")
    if role is None:
        raise ResourceProblem(where + ("role",), f"must be one of {', '.join(RESOURCE_ROLES)} (or both)")
    milestone: str | None = _text(entry, "milestone", where, 20) or "signup"  # the program file's old default
    if milestone not in (*MILESTONES, "none"):
        raise ResourceProblem(
            where + ("milestone",), f"must be one of {', '.join(MILESTONES)} or none (it is {milestone!r})"
        )
    milestone = None if milestone == "none" else milestone
    raw_topics = entry.get("topics", [entry["topic"]] if "topic" in entry else [])
    if not isinstance(raw_topics, list) or not all(isinstance(t, str) for t in raw_topics):
        raise ResourceProblem(where + ("topics",), 'must be a list of topic names, e.g. ["Python"]')
    for topic in raw_topics:
        if topic not in topic_names:
            raise ResourceProblem(
                where + ("topic" if "topic" in entry else "topics",), f"{topic!r} is not one of the [[topics]] names"
            )
    link = _text(entry, "link", where, 500)
    if link and not re.match(r"^(https?://|mailto:)\S+$", link):
        raise ResourceProblem(where + ("link",), "must be a web address starting with https:// (or mailto:)")
    body = _text(entry, "text", where, MAX_BODY)
    if not link and not body:
        raise ResourceProblem(where, "give it a 'link' or a 'text'")
    key = _text(entry, "key", where, 40) or slug(title)
    if not _KEY.match(key):
        raise ResourceProblem(where + ("key",), "use up to 40 lower-case letters, digits or '-'")
    return Resource(title, link, role, milestone, tuple(raw_topics), key, body)


def build_library(data: dict[str, Any], topic_names: set[str]) -> tuple[Resource, ...]:
    """The shipped guides (for this taxonomy), then the program file's changes."""
    settings = data.get("library", {})
    if not isinstance(settings, dict):
        raise ResourceProblem(("library",), "must be a [library] table")
    for name in settings:
        if name not in ("shipped", "hide"):
            raise ResourceProblem(("library", name), f"unknown key {name!r}. Known keys: hide, shipped.")
    use_shipped = settings.get("shipped", True)
    if not isinstance(use_shipped, bool):
        raise ResourceProblem(("library", "shipped"), "must be true or false")
    hide = settings.get("hide", [])
    if not isinstance(hide, list) or not all(isinstance(h, str) for h in hide):
        raise ResourceProblem(("library", "hide"), 'must be a list of guide keys, e.g. ["closing-well"]')
    known = {r.key for r in shipped()}
    for name in hide:
        if name not in known:
            raise ResourceProblem(("library", "hide"), f"{name!r} is not a shipped guide ({', '.join(sorted(known))})")
    library: dict[str, Resource] = {}
    for resource in shipped() if use_shipped else ():
        topics = tuple(t for t in resource.topics if t in topic_names)
        if resource.key in hide or (resource.topics and not topics):
            continue  # a topic this community does not offer: nobody could reach it
        library[resource.key] = replace(resource, topics=topics)
    entries = data.get("resources", [])
    if not isinstance(entries, list):
        raise ResourceProblem(("resources",), "must be a list of [[resources]] entries")
    for index, entry in enumerate(entries):
        resource = _entry(entry, ("resources", index), topic_names)
        library[resource.key] = resource  # the same key replaces a shipped guide
    return tuple(library.values())


# --- finding ---------------------------------------------------------------------------


def search(resources: Iterable[Resource], words: str, topic: str | None = None) -> list[Resource]:
    """Resources whose key or title is `words`, else whose title or topics contain them.

    `topic` is the taxonomy name `words` stands for (aliases resolved by the caller).
    """
    wanted = fold(words)
    pool = list(resources)
    exact = [r for r in pool if r.key == wanted or fold(r.title) == wanted]
    if exact:
        return exact
    return [
        r
        for r in pool
        if wanted in fold(r.title)
        or (topic is not None and topic in r.topics)
        or any(wanted in fold(t) for t in r.topics)
    ]
