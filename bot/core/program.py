"""The program file: what this community's mentorship program is and offers.

`program.toml` (path from MENTORBOT_PROGRAM, else the documented default shipped next to this
module) names the program and its purpose, the topics taxonomy with aliases, the lengths, cadences
and communication modes offered, career stages, languages, mentor capacity, the matching rules and
weights, the resource library (`bot.core.library`: shipped guides plus the file's own) and [meetings].

Read once at start-up into a frozen `Program`; any mistake (an unknown key too) stops start-up with file, line, problem.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from bot.core.library import MILESTONES as MILESTONES  # re-exported: the program file's vocabulary
from bot.core.library import RESOURCE_ROLES as RESOURCE_ROLES
from bot.core.library import Resource, ResourceProblem, build_library
from bot.core.meetings_config import MeetingsProblem, parse_meetings
from bot.core.program_lines import locate
from bot.core.settings import ConfigError
from bot.core.spaces_config import parse_spaces

DEFAULT_PATH = Path(__file__).with_name("program.toml")
MAX_LABEL = 75  # a button label must fit Slack's 75 characters
_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,23}$")  # choice keys travel in component ids


class ProgramError(ConfigError):
    """The program file cannot be used; the message names the line and the problem."""


@dataclass(frozen=True)
class Topic:
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice:
    """One offered option: `key` is stored and travels in button ids, `label` is shown."""

    key: str
    label: str


@dataclass(frozen=True)
class CareerStage(Choice):
    min_years: int | None = None  # None: never guessed from a number of years


@dataclass(frozen=True)
class MatchWeights:
    """`[matching.weights]`: the maximum points per matching criterion the file sets.

    The field names are the matching engine's criteria (a test keeps them equal); a criterion
    the file leaves out is None (the engine's default). Rounds turn it into `ScoreWeights`.
    """

    topics: float | None = None
    goals: float | None = None
    seniority: float | None = None
    waking_hours: float | None = None
    cadence: float | None = None
    program_length: float | None = None
    communication: float | None = None
    commitment: float | None = None
    waiting: float | None = None

    def given(self) -> dict[str, float]:
        """The criteria the program file sets, with their points."""
        return {name: value for name, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class Recruiting:
    """`[recruiting]`: when a shortage alerts the moderators, and how often one member may be asked."""

    shortage_margin: int = 3  # waiting mentees beyond the free mentor places that make a shortage
    alert_every_days: int = 7  # at most one alert per topic in this many days
    ask_every_days: int = 90  # one member is asked about one topic at most once in this many days
    max_asks: int = 25  # direct asks one moderator click sends


@dataclass(frozen=True)
class Program:
    name: str
    purpose: str
    audience: str
    topics: tuple[Topic, ...]
    lengths: tuple[Choice, ...]
    cadences: tuple[Choice, ...]
    communication: tuple[Choice, ...]
    career_stages: tuple[CareerStage, ...]
    languages: tuple[str, ...]
    mentor_capacity_min: int = 1
    mentor_capacity_max: int = 3
    max_timezone_difference_hours: int = 6
    exclude_same_team: bool = True
    kickoff_reminder_days: int = 7
    auto_approve: bool = False  # matching rounds start introductions without a moderator's review
    approval_reminder_days: tuple[int, ...] = (2, 5)  # a proposed round reminds the moderators then
    mode: str = "assign"  # "choice": mentees pick from shortlists (rounds/choice.py)
    choice_margin: int = 1  # a mentor is offered to at most free capacity + margin mentees
    choice_days: int = 7  # a choice round's deadline, days after its shortlists go out
    silence_accepts: bool = False  # a mentor who never answers a pick has accepted it
    weights: MatchWeights = MatchWeights()
    greeting_enabled: bool = False
    resources: tuple[Resource, ...] = ()
    waking_hours: tuple[int, int] = (8 * 60, 20 * 60)  # [meetings], in local minutes; see docs/meetings.md
    cpd_per_hour: float | None = None
    cpd_label: str = "CPD hours"
    thanks_channel: str = ""  # where the monthly "thank you, mentors" post goes ("" = not posted)
    participants_space: str = ""  # [spaces]: channel ids of the opt-in community spaces ("" = none)
    mentors_space: str = ""
    recruiting: Recruiting = Recruiting()
    source: str = "program.toml"

    # --- the taxonomy ----------------------------------------------------------

    def find_topic(self, text: str) -> Topic | None:
        """The topic named or aliased by `text` (case and spacing do not matter)."""
        wanted = _fold(text)
        for topic in self.topics:
            if _fold(topic.name) == wanted or any(_fold(a) == wanted for a in topic.aliases):
                return topic
        return None

    def suggest_topics(self, text: str, n: int = 3) -> list[str]:
        """Topic names close to `text`, for "did you mean …?" answers."""
        names: dict[str, str] = {}
        for topic in self.topics:
            names[_fold(topic.name)] = topic.name
            for alias in topic.aliases:
                names.setdefault(_fold(alias), topic.name)
        # 0.75: a typo ("pyton", "javscript") is suggested; a different word ("klingon") is not.
        close = difflib.get_close_matches(_fold(text), list(names), n=n * 2, cutoff=0.75)
        seen: list[str] = []
        for key in close:
            if names[key] not in seen:
                seen.append(names[key])
        return seen[:n]

    @property
    def topic_names(self) -> list[str]:
        return [t.name for t in self.topics]

    # --- choices and resources -------------------------------------------------

    def choice(self, group: str, key: str) -> Choice | None:
        return next((c for c in getattr(self, group) if c.key == key), None)

    def label(self, group: str, key: str) -> str:
        found = self.choice(group, key)
        return found.label if found else key

    def stage_for_years(self, years: int) -> CareerStage | None:
        fitting = [s for s in self.career_stages if s.min_years is not None and s.min_years <= years]
        return max(fitting, key=lambda s: s.min_years or 0) if fitting else None

    def resources_for(self, role: str, milestone: str, topics: list[str] | None = None) -> list[Resource]:
        """Resources for a member of `role` ("both" gets mentor and mentee material) at a milestone."""
        roles = {"all", role} | ({"mentor", "mentee"} if role == "both" else set())
        return [
            r for r in self.resources if r.milestone == milestone and r.role in roles and r.for_topics(topics or [])
        ]

    def resource(self, key: str) -> Resource | None:
        return next((r for r in self.resources if r.key == key), None)


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


# --- loading ----------------------------------------------------------------------


def load_program(path: str | Path | None = None) -> Program:
    """Read and check the program file (None: the shipped default)."""
    if path is None:
        return default_program()
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProgramError(f"MENTORBOT_PROGRAM={str(path)!r}: cannot read it ({exc.strerror})") from exc
    return parse_program(text, str(file))


@lru_cache(maxsize=1)
def default_program() -> Program:
    return parse_program(DEFAULT_PATH.read_text(encoding="utf-8"), str(DEFAULT_PATH))


class _Problem(Exception):
    def __init__(self, where: tuple[str | int, ...], problem: str) -> None:
        super().__init__(problem)
        self.where = where
        self.problem = problem


def _meetings(data: dict[str, Any]) -> dict[str, Any]:
    try:
        return parse_meetings(data.get("meetings", {}))
    except MeetingsProblem as exc:
        raise _Problem(("meetings", exc.key) if exc.key else ("meetings",), exc.problem) from exc


def _spaces(data: dict[str, Any]) -> dict[str, Any]:
    try:
        return parse_spaces(data.get("spaces", {}))
    except MeetingsProblem as exc:
        raise _Problem(("spaces", exc.key) if exc.key else ("spaces",), exc.problem) from exc


def parse_program(text: str, source: str = "program.toml") -> Program:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.14 has exc.lineno; older versions put "(at line N, column M)" in the text.
        problem = str(exc)
        line = getattr(exc, "lineno", None)
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)", problem)
        if found:
            line = line or int(found.group(1))
            problem = problem.replace(found.group(0), f" (column {found.group(2)})")
        problem = getattr(exc, "msg", None) or problem
        where = f" line {line}" if line else ""
        raise ProgramError(f"{source}{where}: {problem}") from exc
    try:
        return _build(data, source)
    except _Problem as exc:
        line = locate(text, exc.where)
        where = f" line {line}" if line else ""
        raise ProgramError(f"{source}{where}: {_dotted(exc.where)}: {exc.problem}") from exc


def _dotted(where: tuple[str | int, ...]) -> str:
    out = ""
    for part in where:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "the file"


_TOP = {
    "name",
    "purpose",
    "audience",
    "languages",
    "greeting_enabled",
    "lengths",
    "cadences",
    "communication",
    "career_stages",
    "matching",
    "topics",
    "resources",
    "meetings",
    "spaces",
    "library",
    "recruiting",
}
_MATCHING = {
    "mentor_capacity_min",
    "mentor_capacity_max",
    "max_timezone_difference_hours",
    "exclude_same_team",
    "kickoff_reminder_days",
    "auto_approve",
    "weights",
    "approval_reminder_days",
    "mode",
    "choice_margin",
    "choice_days",
    "silence_accepts",
}


def _unknown(table: dict[str, Any], known: set[str], where: tuple[str | int, ...]) -> None:
    for key in table:
        if key not in known:
            hint = difflib.get_close_matches(key, sorted(known), n=1)
            extra = f" Did you mean {hint[0]!r}?" if hint else f" Known keys: {', '.join(sorted(known))}."
            raise _Problem(where + (key,), f"unknown key {key!r}.{extra}")


def _str(
    table: dict[str, Any], key: str, where: tuple[str | int, ...], *, default: str | None = None, limit: int = 500
) -> str:
    if key not in table:
        if default is None:
            raise _Problem(where + (key,) if where else (key,), f"{key!r} is missing")
        return default
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise _Problem(where + (key,), "must be a non-empty text in quotes")
    if len(value) > limit:
        raise _Problem(where + (key,), f"is {len(value)} characters; keep it under {limit}")
    return value.strip()


def _int(table: dict[str, Any], key: str, where: tuple[str | int, ...], default: int, low: int, high: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Problem(where + (key,), "must be a whole number")
    if not low <= value <= high:
        raise _Problem(where + (key,), f"must be between {low} and {high} (it is {value})")
    return value


def _reminder_days(matching: dict[str, Any]) -> tuple[int, ...]:
    """`approval_reminder_days = [2, 5]`: rising whole days, at most 5 reminders; [] never reminds."""
    where = ("matching", "approval_reminder_days")
    days = matching.get("approval_reminder_days", [2, 5])
    if not isinstance(days, list) or any(isinstance(d, bool) or not isinstance(d, int) for d in days):
        raise _Problem(where, "must be a list of whole numbers of days, e.g. [2, 5]")
    if len(days) > 5 or any(not 1 <= d <= 60 for d in days) or days != sorted(set(days)):
        raise _Problem(where, "must rise, each between 1 and 60 days, at most 5 of them (e.g. [2, 5])")
    return tuple(days)


def _recruiting(data: dict[str, Any]) -> Recruiting:
    table = data.get("recruiting", {})
    if not isinstance(table, dict):
        raise _Problem(("recruiting",), "must be a [recruiting] table")
    _unknown(table, {f.name for f in fields(Recruiting)}, ("recruiting",))
    where = ("recruiting",)
    return Recruiting(
        _int(table, "shortage_margin", where, 3, 1, 1000),
        _int(table, "alert_every_days", where, 7, 1, 365),
        _int(table, "ask_every_days", where, 90, 7, 3650),
        _int(table, "max_asks", where, 25, 1, 200),
    )


def _mode(matching: dict[str, Any]) -> str:
    if (mode := matching.get("mode", "assign")) not in ("assign", "choice"):
        raise _Problem(("matching", "mode"), 'must be "assign" (moderators approve pairs) or "choice" (mentees pick)')
    return str(mode)


def _bool(table: dict[str, Any], key: str, where: tuple[str | int, ...], default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise _Problem(where + (key,), "must be true or false")
    return value


def _tables(data: dict[str, Any], key: str, *, required: bool = True) -> list[dict[str, Any]]:
    value = data.get(key)
    if value is None:
        if required:
            raise _Problem((key,), f"is missing; add at least one [[{key}]] entry")
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _Problem((key,), f"must be a list of [[{key}]] entries")
    if required and not value:
        raise _Problem((key,), f"needs at least one [[{key}]] entry")
    return value


def _choices(data: dict[str, Any], group: str) -> tuple[Choice, ...]:
    out: list[Choice] = []
    for index, entry in enumerate(_tables(data, group)):
        where: tuple[str | int, ...] = (group, index)
        _unknown(entry, {"key", "label"} | ({"min_years"} if group == "career_stages" else set()), where)
        key = _str(entry, "key", where)
        if not _KEY.match(key):
            raise _Problem(
                where + ("key",), "use 1–24 lower-case letters, digits, '-' or '_' (it travels in button ids)"
            )
        label = _str(entry, "label", where, limit=MAX_LABEL)
        if any(c.key == key for c in out):
            raise _Problem(where + ("key",), f"the key {key!r} is used twice")
        if group == "career_stages":
            min_years = entry.get("min_years")
            if min_years is not None and (
                isinstance(min_years, bool) or not isinstance(min_years, int) or not 0 <= min_years <= 60
            ):
                raise _Problem(where + ("min_years",), "must be a whole number of years (0–60)")
            out.append(CareerStage(key, label, min_years))
        else:
            out.append(Choice(key, label))
    if len(out) > 5 and group != "career_stages":
        raise _Problem((group,), "offer at most 5 choices (they are shown as buttons)")
    return tuple(out)


def _build(data: dict[str, Any], source: str) -> Program:
    _unknown(data, _TOP, ())
    name = _str(data, "name", (), limit=100)
    purpose = _str(data, "purpose", (), limit=1000)
    audience = _str(data, "audience", (), default="everyone in the community", limit=500)

    languages_raw = data.get("languages", ["English"])
    if (
        not isinstance(languages_raw, list)
        or not languages_raw
        or not all(isinstance(x, str) and x.strip() for x in languages_raw)
    ):
        raise _Problem(("languages",), 'must be a list of language names, e.g. ["English", "German"]')
    languages = tuple(x.strip() for x in languages_raw)
    if len({x.casefold() for x in languages}) != len(languages):
        raise _Problem(("languages",), "a language is listed twice")
    if len(languages) > 25:
        raise _Problem(("languages",), "offer at most 25 languages")

    topics: list[Topic] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(_tables(data, "topics")):
        where: tuple[str | int, ...] = ("topics", index)
        _unknown(entry, {"name", "aliases"}, where)
        topic_name = _str(entry, "name", where, limit=MAX_LABEL)
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise _Problem(where + ("aliases",), 'must be a list of words, e.g. ["js", "node"]')
        for word in [topic_name, *aliases]:
            folded = _fold(word)
            if folded in seen:
                raise _Problem(
                    where + ("aliases" if word != topic_name else "name",),
                    f"{word!r} already names the topic {seen[folded]!r}",
                )
            seen[folded] = topic_name
        topics.append(Topic(topic_name, tuple(a.strip() for a in aliases)))

    matching = data.get("matching", {})
    if not isinstance(matching, dict):
        raise _Problem(("matching",), "must be a [matching] table")
    _unknown(matching, _MATCHING, ("matching",))
    cap_min = _int(matching, "mentor_capacity_min", ("matching",), 1, 1, 10)
    cap_max = _int(matching, "mentor_capacity_max", ("matching",), 3, 1, 10)
    if cap_max < cap_min:
        raise _Problem(("matching", "mentor_capacity_max"), f"must be at least mentor_capacity_min ({cap_min})")
    if cap_max - cap_min > 4:
        raise _Problem(("matching", "mentor_capacity_max"), "offer at most 5 capacity choices (they are buttons)")
    weights_raw = matching.get("weights", {})
    if not isinstance(weights_raw, dict):
        raise _Problem(("matching", "weights"), "must be a [matching.weights] table")
    _unknown(weights_raw, {f.name for f in fields(MatchWeights)}, ("matching", "weights"))
    weights: dict[str, float] = {}
    for key, value in weights_raw.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value >= 0 and math.isfinite(value)):
            raise _Problem(("matching", "weights", key), "must be a number, 0 or more")
        weights[key] = float(value)

    try:
        resources = build_library(data, {t.name for t in topics})
    except ResourceProblem as exc:
        raise _Problem(exc.where, exc.problem) from exc

    return Program(
        name=name,
        purpose=purpose,
        audience=audience,
        topics=tuple(topics),
        lengths=_choices(data, "lengths"),
        cadences=_choices(data, "cadences"),
        communication=_choices(data, "communication"),
        career_stages=cast(tuple[CareerStage, ...], _choices(data, "career_stages")),  # built as CareerStage
        languages=languages,
        mentor_capacity_min=cap_min,
        mentor_capacity_max=cap_max,
        max_timezone_difference_hours=_int(matching, "max_timezone_difference_hours", ("matching",), 6, 0, 24),
        exclude_same_team=_bool(matching, "exclude_same_team", ("matching",), True),
        kickoff_reminder_days=_int(matching, "kickoff_reminder_days", ("matching",), 7, 1, 60),
        auto_approve=_bool(matching, "auto_approve", ("matching",), False),
        approval_reminder_days=_reminder_days(matching),
        mode=_mode(matching),
        choice_margin=_int(matching, "choice_margin", ("matching",), 1, 0, 3),
        choice_days=_int(matching, "choice_days", ("matching",), 7, 1, 30),
        silence_accepts=_bool(matching, "silence_accepts", ("matching",), False),
        weights=MatchWeights(**weights),
        greeting_enabled=_bool(data, "greeting_enabled", (), False),
        resources=resources,
        recruiting=_recruiting(data),
        **_meetings(data),
        **_spaces(data),
        source=source,
    )
