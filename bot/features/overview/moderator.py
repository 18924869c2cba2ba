"""The moderator's card: the program at a glance and what is waiting for them.

Shown by `/mentor overview` and under the member card on a moderator's Slack App
Home. Every read is bounded: the headline figures come from the snapshot a sweep
keeps fresh (`snapshot`), the lists read a page of rows through indexes, so the
card costs the same for 100 members or 100,000.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import col

from bot.core import messages as msg
from bot.core.messages import Button, ButtonStyle, Message, Part, UserText
from bot.core.parsing import format_when
from bot.core.ports import DestinationKind
from bot.core.router import ComponentId
from bot.features.overview.snapshot import snapshot_for
from bot.features.overview.status import Viewer, short_day
from storage.tables import (
    MatchRound,
    Member,
    OutboxMessage,
    OutboxStatus,
    Pairing,
    PairingStatus,
    Poll,
    PollStatus,
    ProposedPair,
    RoundStatus,
)

AT_RISK_PAGE = 5
SHOWN = 5  # open polls and delivery problems listed; the rest are counted
PROBLEMS_SINCE = timedelta(days=7)

PageId = Callable[[int], str]


def pair_id(pairing_id: int, verb: str) -> str:
    return str(ComponentId("mpair", str(pairing_id), verb))


def list_id(kind: str, flt: str, page: int = 1) -> str:
    """`mentor:pairs:<page>:page:<filter>` — the page and filter ride in the id."""
    return str(ComponentId(kind, str(page), "page", flt[:70]))


async def moderator_card(viewer: Viewer, page: int, page_id: PageId) -> Message:
    parts: list[Part] = [msg.text(msg.Strong("Program at a glance"))]
    parts.extend(await _glance(viewer))
    parts.append(msg.Divider())
    parts.extend(await _round(viewer))
    parts.extend(await _at_risk(viewer, page, page_id))
    parts.extend(await _polls(viewer))
    parts.extend(await _problems(viewer))
    parts.append(msg.text("Lists: /mentor pairs, /mentor members (with filters)."))
    parts.extend(
        (
            Button("Pairs at risk", list_id("pairs", "r")),
            Button("Pairs ending in 30 days", list_id("pairs", "e30")),
            Button("Waiting members", list_id("members", "w")),
            Button("Paused members", list_id("members", "p")),
        )
    )
    return Message(tuple(parts))


async def _glance(viewer: Viewer) -> list[Part]:
    snapshot = await snapshot_for(viewer.session, viewer.community_id)
    if snapshot is None:
        return [msg.text("The headline figures are being counted; they appear here within a minute or two.")]
    f = snapshot.figures
    rate = f"{f['response_rate']}%" if f.get("response_rate") is not None else "no check-ins yet"
    rows: tuple[tuple[str, tuple[msg.Span, ...]], ...] = (
        ("Signed up", (f"{f.get('signups', 0)} ({f.get('mentors', 0)} mentoring, {f.get('mentees', 0)} mentored)",)),
        (
            "Waiting / paired / paused",
            (f"{f.get('waiting', 0)} / {f.get('active_members', 0)} / {f.get('paused', 0)}",),
        ),
        ("Pairs active / completed", (f"{f.get('pairs_active', 0)} / {f.get('pairs_completed', 0)}",)),
        ("At risk", (str(f.get("at_risk", 0)),)),
        ("Check-in response", (rate,)),
        ("Goals set / reached", (f"{f.get('goals_set', 0)} / {f.get('goals_done', 0)}",)),
    )
    parts: list[Part] = [msg.Fields(rows)]
    short = f.get("shortfall_topics") or []
    if short:
        parts.append(msg.text("Mentors needed in: ", UserText(", ".join(short)), "."))
    parts.append(
        msg.text(f"Counted {format_when(snapshot.computed_at, viewer.tz)}; /mentor stats for the full dashboard.")
    )
    return parts


async def _round(viewer: Viewer) -> list[Part]:
    round_ = (
        await viewer.session.execute(
            select(MatchRound)
            .where(
                col(MatchRound.community_id) == viewer.community_id,
                col(MatchRound.status) == RoundStatus.PROPOSED.value,
                col(MatchRound.dry_run) == False,  # noqa: E712
            )
            .order_by(col(MatchRound.id).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if round_ is None:
        return [msg.text("No matching round is waiting for approval. /mentor match computes one.")]
    pairs = (
        await viewer.session.execute(
            select(func.count())
            .select_from(ProposedPair)
            .where(col(ProposedPair.round_id) == round_.id, col(ProposedPair.dropped) == False)  # noqa: E712
        )
    ).scalar_one()
    waited = (viewer.now - round_.created_at).days
    return [
        msg.text(
            msg.Strong(f"Round #{round_.id} awaits approval"),
            f": {pairs} pair{'s' if pairs != 1 else ''}, proposed {short_day(round_.created_at, viewer.tz)}"
            + (f" ({waited} days ago)." if waited >= 1 else "."),
        ),
        Button("Approve", str(ComponentId("round", str(round_.id), "approve")), ButtonStyle.PRIMARY),
        Button("Show", str(ComponentId("ovw", str(round_.id), "round"))),
    ]


async def _at_risk(viewer: Viewer, page: int, page_id: PageId) -> list[Part]:
    where = (
        col(Pairing.community_id) == viewer.community_id,
        col(Pairing.status) == PairingStatus.ACTIVE.value,
        col(Pairing.at_risk_reported_at).is_not(None),
    )
    total = (await viewer.session.execute(select(func.count()).select_from(Pairing).where(*where))).scalar_one()
    if not total:
        return [msg.text("No pair is at risk.")]
    pages = (total + AT_RISK_PAGE - 1) // AT_RISK_PAGE
    page = min(max(page, 1), pages)
    rows = (
        (
            await viewer.session.execute(
                select(Pairing)
                .where(*where)
                .order_by(col(Pairing.at_risk_reported_at).desc(), col(Pairing.id))
                .offset((page - 1) * AT_RISK_PAGE)
                .limit(AT_RISK_PAGE)
            )
        )
        .scalars()
        .all()
    )
    names = await names_of(viewer, {p.mentee_member_id for p in rows} | {p.mentor_member_id for p in rows})
    parts: list[Part] = [
        msg.text(msg.Strong(f"At-risk pairs: {total}"), f" (page {page} of {pages})" if pages > 1 else "")
    ]
    for p in rows:
        assert p.id is not None and p.at_risk_reported_at is not None
        parts.append(
            msg.text(
                f"#{p.id} ",
                UserText(names.get(p.mentee_member_id, "?")),
                " ← ",
                UserText(names.get(p.mentor_member_id, "?")),
                f" · reported {short_day(p.at_risk_reported_at, viewer.tz)}"
                " · suggested: message both, then end or rematch",
            )
        )
    parts.extend(Button(f"Act on #{p.id}", pair_id(p.id, "show")) for p in rows if p.id is not None)
    if page > 1:
        parts.append(Button("Previous", page_id(page - 1)))
    if page < pages:
        parts.append(Button("Next", page_id(page + 1)))
    return parts


async def _polls(viewer: Viewer) -> list[Part]:
    where = (col(Poll.community_id) == viewer.community_id, col(Poll.status) == PollStatus.OPEN.value)
    total = (await viewer.session.execute(select(func.count()).select_from(Poll).where(*where))).scalar_one()
    if not total:
        return [msg.text("No poll is open.")]
    polls = (
        (await viewer.session.execute(select(Poll).where(*where).order_by(col(Poll.closes_at)).limit(SHOWN)))
        .scalars()
        .all()
    )
    parts: list[Part] = [msg.text(msg.Strong(f"Open polls: {total}"))]
    for poll in polls:
        parts.append(
            msg.text(f"#{poll.id} ", UserText(poll.question), f" · closes {short_day(poll.closes_at, viewer.tz)}")
        )
    return parts


async def _problems(viewer: Viewer) -> list[Part]:
    where = (
        col(OutboxMessage.status) == OutboxStatus.FAILED.value,
        col(OutboxMessage.not_before) >= viewer.now - PROBLEMS_SINCE,
        col(OutboxMessage.community_id) == viewer.community_id,
    )
    total = (await viewer.session.execute(select(func.count()).select_from(OutboxMessage).where(*where))).scalar_one()
    if not total:
        return [msg.text("No delivery problems this week.")]
    rows = (
        await viewer.session.execute(
            select(
                col(OutboxMessage.destination_kind),
                col(OutboxMessage.destination_target),
                col(OutboxMessage.last_error),
                col(OutboxMessage.not_before),
            )
            .where(*where)
            .order_by(col(OutboxMessage.not_before).desc())
            .limit(SHOWN)
        )
    ).all()
    dm_users = {target for kind, target, _, _ in rows if kind == DestinationKind.DM.value}
    known = (
        dict(
            (
                await viewer.session.execute(
                    select(col(Member.platform_user_id), col(Member.display_name)).where(
                        col(Member.community_id) == viewer.community_id,
                        col(Member.platform_user_id).in_(dm_users),
                    )
                )
            ).all()
        )
        if dm_users
        else {}
    )
    parts: list[Part] = [msg.text(msg.Strong(f"Delivery problems this week: {total}"))]
    for kind, target, error, when in rows:
        code = (error or "failed").split(":")[0][:60]
        where_to: list[msg.Span] = (
            ["DM to ", UserText(known.get(target, "a member"))]
            if kind == DestinationKind.DM.value
            else [f"a {kind.replace('_', ' ')}"]
        )
        parts.append(msg.text(f"{short_day(when, viewer.tz)} · ", *where_to, f" · {code}"))
    return parts


async def names_of(viewer: Viewer, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await viewer.session.execute(
        select(col(Member.id), col(Member.display_name)).where(
            col(Member.community_id) == viewer.community_id, col(Member.id).in_(ids)
        )
    )
    return {i: n for i, n in rows.all() if i is not None}  # (never None: a stored key)
