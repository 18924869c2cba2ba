"""The moderators' lists: `/mentor pairs` and `/mentor members`, filtered, sorted and paged.

A page is `PAGE` rows, each with a button to act on it (a pair: view, then end or
rematch; a member: their profile). The page number and the filter ride in the
component id (`mentor:pairs:<page>:page:<filter>`, ≤ 100 characters), so Next and
Previous work after a restart. Moderators only, always scoped to the community.

Filter codes: pairs — `r` at risk, `e<days>` ending within days, `m<member id>`,
`t<topic>`, `a` all active; members — `w` waiting, `p` paused, `rmentor`/`rmentee`,
`t<topic>`, `a` everyone still in the program.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, or_, select
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import col

from bot.core import messages as msg
from bot.core.messages import Button, Message, Part, UserText
from bot.core.parsing import Arity, ParseError, parse_args, parse_duration
from bot.core.router import ComponentId
from bot.features.overview.moderator import list_id, names_of, pair_id
from bot.features.overview.status import Viewer, short_day
from bot.features.profile.profile import STATUS_WORDS, find_member
from storage.tables import Member, Pairing, PairingStatus, Profile, ProfileStatus

PAGE = 10
PAIRS_SPEC = {"at-risk": Arity.FLAG, "ending": Arity.ONE, "topic": Arity.ONE}
MEMBERS_SPEC = {"waiting": Arity.FLAG, "paused": Arity.FLAG, "topic": Arity.ONE, "role": Arity.ONE}
MAX_ENDING_DAYS = 366


def member_button_id(member_id: int) -> str:
    return str(ComponentId("mmember", str(member_id), "profile"))


def _one_filter(chosen: list[str], usage: str) -> None:
    if len(chosen) > 1:
        raise ParseError(f"Choose one filter at a time: {usage}")


async def pairs_filter(viewer: Viewer, args: list[str]) -> str:
    """The command's arguments as a filter code (checked, so a bad filter is told at once)."""
    parsed = parse_args(args, PAIRS_SPEC)
    usage = "/mentor pairs [--at-risk | --ending 30d | @member | --topic T]"
    chosen = [k for k in ("at-risk", "ending", "topic") if parsed.options.get(k)] + (
        ["member"] if parsed.positional else []
    )
    _one_filter(chosen, usage)
    if parsed.flag("at-risk"):
        return "r"
    if parsed.one("ending"):
        days = parse_duration(parsed.one("ending") or "").days
        if not 1 <= days <= MAX_ENDING_DAYS:
            raise ParseError("--ending takes a span of days to a year, e.g. 30d or 8w.")
        return f"e{days}"
    if parsed.one("topic"):
        return "t" + _topic(viewer, parsed.one("topic") or "")
    if parsed.positional:
        member = await find_member(viewer.session, viewer.community_id, " ".join(parsed.positional))
        if member is None:
            raise ParseError("I don't know that member here. Mention them, e.g. /mentor pairs @sam.")
        return f"m{member.id}"
    return "a"


def members_filter(viewer: Viewer, args: list[str]) -> str:
    parsed = parse_args(args, MEMBERS_SPEC)
    usage = "/mentor members [--waiting | --paused | --topic T | --role mentor|mentee]"
    if parsed.positional:
        raise ParseError(f"Try {usage}")
    chosen = [k for k in MEMBERS_SPEC if parsed.options.get(k)]
    _one_filter(chosen, usage)
    if parsed.flag("waiting"):
        return "w"
    if parsed.flag("paused"):
        return "p"
    role = (parsed.one("role") or "").casefold()
    if role:
        if role not in ("mentor", "mentee"):
            raise ParseError("--role takes mentor or mentee.")
        return f"r{role}"
    if parsed.one("topic"):
        return "t" + _topic(viewer, parsed.one("topic") or "")
    return "a"


def _topic(viewer: Viewer, raw: str) -> str:
    topic = viewer.program.find_topic(raw)
    if topic is None:
        close = viewer.program.suggest_topics(raw)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ParseError(f"{raw[:40]!r} is not a topic of the program.{hint}")
    return topic.name


def _lists_topic(column: Mapped[Any], topic: str) -> ColumnElement[bool]:
    # JSON lists stored as text on SQLite and PostgreSQL alike; the quoted name is one element
    # (LIKE's own wildcards in a topic name are escaped).
    quoted = json.dumps(topic).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(column, String).like(f"%{quoted}%", escape="\\")


# --- pairs ---------------------------------------------------------------------------


async def pairs_page(viewer: Viewer, flt: str, page: int) -> Message:
    mentee = aliased(Profile)
    mentor = aliased(Profile)
    query = select(Pairing).where(
        col(Pairing.community_id) == viewer.community_id, col(Pairing.status) == PairingStatus.ACTIVE.value
    )
    title = "Active pairs"
    order: list[ColumnElement[Any] | Mapped[Any]] = [
        col(Pairing.at_risk_reported_at).is_(None),
        col(Pairing.ends_on),
        col(Pairing.id),
    ]
    if flt == "r":
        query, title = query.where(col(Pairing.at_risk_reported_at).is_not(None)), "Pairs at risk"
        order = [col(Pairing.at_risk_reported_at).desc(), col(Pairing.id)]
    elif flt.startswith("e") and flt[1:].isdigit():
        days = int(flt[1:])
        query, title = (
            query.where(col(Pairing.ends_on) <= viewer.now + timedelta(days=days)),
            f"Pairs ending within {days} days",
        )
        order = [col(Pairing.ends_on), col(Pairing.id)]
    elif flt.startswith("m") and flt[1:].isdigit():
        who = int(flt[1:])
        query = query.where(or_(col(Pairing.mentee_member_id) == who, col(Pairing.mentor_member_id) == who))
        title = "Pairs of " + (await names_of(viewer, {who})).get(who, "that member")
    elif flt.startswith("t"):
        topic = flt[1:]
        query = (
            query.join(mentee, col(mentee.member_id) == col(Pairing.mentee_member_id))
            .join(mentor, col(mentor.member_id) == col(Pairing.mentor_member_id))
            .where(or_(_lists_topic(col(mentee.topics_wanted), topic), _lists_topic(col(mentor.topics_offered), topic)))
        )
        title = f"Pairs about {topic}"
    total = (await viewer.session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    pages = max(1, (total + PAGE - 1) // PAGE)
    page = min(max(page, 1), pages)
    rows = (await viewer.session.execute(query.order_by(*order).offset((page - 1) * PAGE).limit(PAGE))).scalars().all()
    names = await names_of(viewer, {p.mentee_member_id for p in rows} | {p.mentor_member_id for p in rows})
    parts: list[Part] = [msg.text(msg.Strong(f"{title}: {total}"), f" (page {page} of {pages})" if pages > 1 else "")]
    if not rows:
        parts.append(msg.text("None right now."))
    for p in rows:
        assert p.id is not None
        risk = f" · at risk since {short_day(p.at_risk_reported_at, viewer.tz)}" if p.at_risk_reported_at else ""
        parts.append(
            msg.text(
                f"#{p.id} ",
                UserText(names.get(p.mentee_member_id, "?")),
                " ← ",
                UserText(names.get(p.mentor_member_id, "?")),
                f" · ends {short_day(p.ends_on, viewer.tz)}{risk}",
            )
        )
    parts.extend(Button(f"#{p.id}", pair_id(p.id, "show")) for p in rows if p.id is not None)
    parts.extend(_nav("pairs", flt, page, pages))
    return Message(tuple(parts))


# --- members --------------------------------------------------------------------------


async def members_page(viewer: Viewer, flt: str, page: int) -> Message:
    query = (
        select(Profile, Member)
        .join(Member, col(Member.id) == Profile.member_id)
        .where(col(Profile.community_id) == viewer.community_id, col(Profile.status) != ProfileStatus.LEFT.value)
    )
    title = "Members in the program"
    # Waiting longest first (they need a match most), then paused, then by name.
    order: list[ColumnElement[Any] | Mapped[Any]] = [
        (col(Profile.status) != ProfileStatus.WAITING.value),
        col(Profile.waiting_since),
        func.lower(Member.display_name),
        col(Member.id),
    ]
    if flt == "w":
        query, title = query.where(col(Profile.status) == ProfileStatus.WAITING.value), "Waiting for a match"
    elif flt == "p":
        query, title = query.where(col(Profile.status) == ProfileStatus.PAUSED.value), "Paused"
        order = [col(Profile.paused_until), col(Member.id)]
    elif flt in ("rmentor", "rmentee"):
        role = flt[1:]
        query, title = query.where(col(Profile.role).in_((role, "both"))), f"{role.capitalize()}s"
    elif flt.startswith("t"):
        topic = flt[1:]
        query = query.where(
            or_(_lists_topic(col(Profile.topics_offered), topic), _lists_topic(col(Profile.topics_wanted), topic))
        )
        title = f"Members interested in {topic}"
    total = (await viewer.session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    pages = max(1, (total + PAGE - 1) // PAGE)
    page = min(max(page, 1), pages)
    rows = (await viewer.session.execute(query.order_by(*order).offset((page - 1) * PAGE).limit(PAGE))).all()
    parts: list[Part] = [msg.text(msg.Strong(f"{title}: {total}"), f" (page {page} of {pages})" if pages > 1 else "")]
    if not rows:
        parts.append(msg.text("None right now."))
    for profile, member in rows:
        status = STATUS_WORDS.get(profile.status, profile.status)
        if profile.status == ProfileStatus.WAITING.value and profile.waiting_since:
            status += f" since {short_day(profile.waiting_since, viewer.tz)}"
        elif profile.status == ProfileStatus.PAUSED.value and profile.paused_until:
            status += f" until {short_day(profile.paused_until, viewer.tz)}"
        parts.append(msg.text(UserText(member.display_name), f" · {profile.role} · {status}"))
    parts.extend(
        Button(UserText(member.display_name[:40]), member_button_id(member.id))
        for _, member in rows
        if member.id is not None
    )
    parts.extend(_nav("members", flt, page, pages))
    return Message(tuple(parts))


def _nav(kind: str, flt: str, page: int, pages: int) -> list[Part]:
    nav: list[Part] = []
    if page > 1:
        nav.append(Button("Previous", list_id(kind, flt, page - 1)))
    if page < pages:
        nav.append(Button("Next", list_id(kind, flt, page + 1)))
    return nav
