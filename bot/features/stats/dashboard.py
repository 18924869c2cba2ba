"""The moderator dashboard: `/mentor stats` and `/mentor export`.

The program guide (section 9, "Measure what matters"): instead of a dollar ROI,
leadership sees active participants, relationships active and completed,
sign-ups and what each campaign brought, new members joining, and the balance
between the skills mentors offer and mentees seek — with imbalances flagged so
corrective action can start. One message answers all of that at a glance, with
a chart attached; every figure is an aggregate, never a member's answer.

`/mentor export` sends the moderator the underlying rows as CSV files in a
private message (members who used forget-me are not in them).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.heavy import Prep
from bot.core.messages import Message, UserText
from bot.core.parsing import Arity, ParseError, format_when, parse_args, parse_duration
from bot.core.ports import Destination
from bot.core.program import Program
from bot.delivery.pictures import drawer_name, picture_worker
from bot.features.circles.figures import circle_figures
from bot.features.events.figures import event_figures
from bot.features.recruit.alumni import recruiting_summary
from bot.features.stats.chart import CHART_TOPICS, chart_figures, draw_dashboard_chart
from bot.features.stats.export import PreparedExport, export_directory, write_export
from bot.features.stats.figures import SMALL, Dashboard, Filters, TopicBalance, shown_share
from bot.features.stats.queries import build_dashboard
from storage.tables import ChoiceState, MenteeChoice, Profile

STATS_SPEC = {"since": Arity.ONE, "campaign": Arity.ONE}
SHOW_TOPICS = 8
FLAG_TOPICS = 3
_SOURCE = re.compile(r"^(poll:\d{1,12}|campaign:[\w\-]{1,40}|greeting|direct)$")


# --- arguments ---------------------------------------------------------------------


def parse_since(raw: str, now: datetime, tz: str) -> datetime:
    """`2026-09-01` (start of that day, community time) or `30d` / `8w` (that long ago)."""
    text = raw.strip().lower()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise ParseError(f"{raw!r} is not a real date (YYYY-MM-DD).") from exc
        since = datetime.combine(day, time(0, 0), ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))
    else:
        try:
            since = now - parse_duration(text)
        except ParseError as exc:
            raise ParseError(f"--since takes a date like 2026-09-01 or a span like 30d or 8w, not {raw!r}.") from exc
    if since > now:
        raise ParseError(f"--since {raw} is in the future; the dashboard shows what already happened.")
    return since


def parse_campaign(raw: str) -> str:
    """`spring` → campaign:spring; `poll:3`/`poll3`/`#3`, `greeting`, `direct` as they are."""
    text = raw.strip().lower().lstrip("#")
    if text.isdigit() or re.fullmatch(r"poll\s*[:#]?\s*\d+", text):
        return "poll:" + re.sub(r"\D", "", text)
    if text.startswith("campaign:"):
        text = text.split(":", 1)[1]
    elif text in ("greeting", "direct"):
        return text
    source = f"campaign:{text}"
    if not _SOURCE.match(source):
        raise ParseError(
            "--campaign takes a campaign name (as in /mentor announce --campaign), poll:<id>, greeting or direct."
        )
    return source


# --- /mentor stats ------------------------------------------------------------------


async def stats_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("see the program dashboard")
    parsed = parse_args(args, STATS_SPEC)
    # The chart is drawn on delivery; the picture worker starts now, alongside the queries below.
    picture_worker(ctx.settings.picture_worker).prepare()
    if parsed.positional:
        raise ParseError("Try /mentor stats, /mentor stats --since 2026-09-01 or /mentor stats --campaign spring.")
    since_raw, campaign_raw = parsed.one("since"), parsed.one("campaign")
    filters = Filters(
        since=parse_since(since_raw, ctx.now, ctx.tz) if since_raw else None,
        source=parse_campaign(campaign_raw) if campaign_raw else None,
    )
    if isinstance(ctx.prepared, PreparedStats) and ctx.prepared.board.filters == filters:
        board, recruiting = ctx.prepared.board, ctx.prepared.recruiting  # queried in the heavy-work worker
    else:
        board = await build_dashboard(ctx.session, ctx.community_id, ctx.now, filters)
        recruiting = tuple(await recruiting_summary(ctx.session, ctx.community_id, ctx.program))
    message = await render_dashboard(ctx, board)
    await queue_chart(ctx, board)
    return [Message(message.parts + recruiting + (msg.text("The chart is on its way to your DMs."),))]


@dataclass(frozen=True)
class PreparedStats:
    """What the worker queried: the dashboard's figures and the Recruiting section."""

    board: Dashboard
    recruiting: tuple[msg.Part, ...]


async def prepare_stats(prep: Prep) -> PreparedStats | None:
    """`/mentor stats` in a large community: the dashboard queries (a million check-ins take
    seconds) and the recruiting counts (tens of milliseconds over 80k profiles) run in the
    heavy-work worker on its own connection, not on the event loop inside a transaction that
    holds SQLite's write lock (bot/core/heavy.py). With options: in place."""
    if prep.args:
        return None
    prepared: PreparedStats = await prep.run(
        build_dashboard_job, prep.community_id, prep.now, Filters(since=None, source=None), prep.program
    )
    return prepared


async def build_dashboard_job(
    session: AsyncSession, community_id: int, now: datetime, filters: Filters, program: Program
) -> PreparedStats:
    """Runs in the worker."""
    board = await build_dashboard(session, community_id, now, filters)
    return PreparedStats(board, tuple(await recruiting_summary(session, community_id, program)))


async def queue_chart(ctx: Ctx, board: Dashboard) -> None:
    """The chart goes to the moderator's DM through the outbox and is drawn by the deliverer.

    Drawing takes about as long as every dashboard query together, so the answer
    never waits for it; the outbox row holds the chart's figures, so a restart
    before delivery loses nothing. The file is named by what the chart shows:
    asking again before anything changed sends the chart already drawn."""
    figures = chart_figures(board)
    shown = json.dumps(figures, sort_keys=True)
    path = (
        Path(ctx.settings.data_dir)
        / "charts"
        / f"stats-{ctx.community_id}-{hashlib.sha256(shown.encode()).hexdigest()[:20]}.png"
    )
    alt = (
        f"Chart: sign-ups per week and active relationships over time; mentors offering vs mentees waiting for the top "
        f"{min(len(board.topics), CHART_TOPICS)} topics."
    )
    heading = msg.text(msg.Strong("Program dashboard chart"), f" — {format_when(board.now, ctx.tz).split(',')[0]}")
    image = msg.Image(str(path), alt, "mentorship-dashboard.png", drawer_name(draw_dashboard_chart), shown)
    await ctx.outbox.post(Destination.dm(ctx.actor.user_id), Message((heading, image)))


def _pct(part: int, whole: int) -> str:
    return shown_share(part, whole) if whole else "—"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


async def render_dashboard(ctx: Ctx, board: Dashboard) -> Message:
    parts: list[msg.Part] = [_heading(ctx, board)]
    if board.filters.source and board.signups == 0:
        parts.append(await _unknown_campaign_hint(ctx, board.filters.source))

    parts.append(msg.text(msg.Strong("Sign-ups")))
    roles, status = board.by_role, board.by_status
    parts.append(
        msg.Fields(
            (
                (
                    "Signed up",
                    (
                        f"{board.signups} — mentors {roles.get('mentor', 0)} · "
                        f"mentees {roles.get('mentee', 0)} · both {roles.get('both', 0)}",
                    ),
                ),
                (
                    "Status now",
                    (
                        f"waiting {status.get('waiting', 0)} · active {status.get('active', 0)} · "
                        f"paused {status.get('paused', 0)} · left {status.get('left', 0)}",
                    ),
                ),
                ("New in the last 30 days", (str(board.new_recent),)),
            )
        )
    )

    parts.append(msg.text(msg.Strong("Relationships")))
    median = f"{board.median_days:.0f} days" if board.median_days is not None else "— (none completed yet)"
    if board.median_days is not None and board.completed_counted < SMALL:
        median = "fewer than 3 completed"
    outcomes = board.outcomes
    parts.append(
        msg.Fields(
            (
                ("Active", (str(outcomes["active"]),)),
                ("Completed", (str(outcomes["completed"]),)),
                ("Ended early", (str(outcomes["ended early"]),)),
                ("Ended without meeting", (str(outcomes["ended without meeting"]),)),
                ("Median length (completed)", (median,)),
                (
                    "Kick-offs held",
                    (f"{board.kickoffs_held} of {board.pairings} ({_pct(board.kickoffs_held, board.pairings)})",),
                ),
                ("Meetings logged", (_meetings_per_pair(board),)),
                ("Hours of mentoring this quarter", (f"{board.minutes_this_quarter / 60:.1f}",)),
            )
        )
    )

    circles = await circle_figures(ctx.session, ctx.community_id)
    if circles:
        parts.append(msg.text(msg.Strong("Mentoring circles"), " — counted apart from the pairs above"))
        parts.append(msg.text(circles))
    choices = await choice_figures(ctx)
    if choices:
        parts.append(msg.text(msg.Strong("Choice rounds"), " — what mentees did with their shortlists"))
        parts.append(msg.text(choices))

    events = await event_figures(ctx.session, ctx.community_id, ctx.now)
    if events:
        parts.append(msg.text(msg.Strong("Community events"), " — attendance is who said they are going"))
        parts.append(msg.text(events))

    parts.append(msg.text(msg.Strong("Campaigns"), " — where sign-ups came from"))
    if not board.sources:
        parts.append(msg.text("No sign-ups yet."))
    for source in board.sources:
        parts.append(
            msg.text(*_source_words(source.source, source.poll_question), f": {_plural(source.signups, 'sign-up')}")
        )
    for conv in board.conversions:
        parts.append(
            msg.text(
                f"Poll #{conv.poll_id} conversion: {conv.would_join} said they'd mentor or be mentored → "
                f"{conv.signed_up} signed up ({_pct(conv.signed_up, conv.would_join)})"
            )
        )

    parts.append(msg.text(msg.Strong("Skills"), " — mentors offering (with free capacity) vs mentees waiting"))
    if not board.topics:
        parts.append(msg.text("No topics yet."))
    for topic in board.topics[:SHOW_TOPICS]:
        parts.append(
            msg.text(
                UserText(topic.topic),
                f": {topic.mentors_offering} offering ({topic.mentors_free} free) · {topic.mentees_waiting} waiting",
            )
        )
    if len(board.topics) > SHOW_TOPICS:
        parts.append(msg.text(f"…and {len(board.topics) - SHOW_TOPICS} more topics (see the export)."))
    for flag in imbalances(board.topics):
        parts.append(flag)

    parts.append(msg.text(msg.Strong("Health")))
    answered = board.checkins_answered
    met = board.checkin_answers.get("met", 0)
    rating = (
        f"{board.average_rating:.1f} / 5 ({_plural(board.ratings, 'rating')})"
        if board.average_rating is not None
        else "— (no ratings yet)"
    )
    if board.average_rating is not None and board.ratings < SMALL:
        rating = "fewer than 3 ratings (not shown: it would identify them)"
    parts.append(
        msg.Fields(
            (
                (
                    "Check-ins answered",
                    (f"{answered} of {board.checkins_sent} ({_pct(answered, board.checkins_sent)})",),
                ),
                ('Answered "We met"', (f"{met} of {answered} answers ({_pct(met, answered)})",)),
                ("At-risk pairs now", (str(board.at_risk),)),
                ("Goals", (f"{board.goals_set} set · {board.goals_done} completed",)),
                ("Average feedback rating", (rating,)),
                ("Half-way pulse", (_pulse(board),)),
                ("Testimonials available", (f"{board.testimonials} (/mentor testimonials)",)),
            )
        )
    )

    parts.append(msg.text(msg.Strong("Community")))
    if not board.joins_reported:
        parts.append(
            msg.text("This platform has not reported members joining, so new-member figures are not available.")
        )
    elif board.program_started is None:
        parts.append(msg.text("The program has not started yet (no poll or sign-up)."))
    else:
        started = format_when(board.program_started, ctx.tz).split(",")[0]
        parts.append(
            msg.Fields(
                (
                    (f"Joined since the program started ({started})", (str(board.joined_since_start),)),
                    (
                        "Of them took part (voted or signed up)",
                        (f"{board.joined_took_part} ({_pct(board.joined_took_part, board.joined_since_start)})",),
                    ),
                )
            )
        )
    return Message(tuple(parts))


async def choice_figures(ctx: Ctx) -> str:
    """First suggestion / alternative / none, over every choice round (empty when there was none)."""
    rows = (
        await ctx.session.execute(
            select(col(MenteeChoice.state), col(MenteeChoice.rank), col(MenteeChoice.optimal_pick)).where(
                col(MenteeChoice.community_id) == ctx.community_id
            )
        )
    ).all()
    if not rows:
        return ""
    first = sum(1 for _, rank, optimal in rows if rank is not None and optimal)
    alternative = sum(1 for _, rank, optimal in rows if rank is not None and not optimal)
    none = sum(1 for state, _, _ in rows if state == ChoiceState.NONE.value)
    fell_back = sum(1 for state, _, _ in rows if state == ChoiceState.FELL_BACK.value)
    return (
        f"{_plural(len(rows), 'shortlist')}: chose the first suggestion {first} · an alternative {alternative} · "
        f"none of them {none}; fell back to the optimum {fell_back}"
    )


def _heading(ctx: Ctx, board: Dashboard) -> msg.Text:
    spans: list[msg.Span] = [
        msg.Strong("Mentorship program dashboard"),
        f" — {format_when(board.now, ctx.tz).split(',')[0]}",
    ]
    if board.filters.since:
        spans.append(f" · since {format_when(board.filters.since, ctx.tz).split(',')[0]}")
    if board.filters.source:
        spans.extend([" · ", *_source_label(board.filters.source)])
    spans.append(". Aggregates only; /mentor export for the rows.")
    return msg.Text(tuple(spans))


def _source_label(source: str) -> tuple[msg.Span, ...]:
    """A source as the moderator names it: campaign spring, poll #3, the welcome message, /mentor join."""
    kind, _, name = source.partition(":")
    if kind == "campaign":
        return ("campaign ", UserText(name))
    if kind == "poll":
        return (f"poll #{name}",)
    plain = {"greeting": "the welcome message", "direct": "/mentor join"}.get(source)
    return (plain,) if plain else (UserText(source),)


async def _unknown_campaign_hint(ctx: Ctx, source: str) -> msg.Text:
    known = (
        (
            await ctx.session.execute(
                select(col(Profile.source))
                .where(col(Profile.community_id) == ctx.community_id)
                .group_by(col(Profile.source))
                .order_by(func.count().desc())
                .limit(8)
            )
        )
        .scalars()
        .all()
    )
    campaigns = sorted(k.split(":", 1)[1] for k in known if k.startswith("campaign:"))
    others = [k for k in known if not k.startswith("campaign:")]
    spans: list[msg.Span] = ["No sign-ups came from ", *_source_label(source), ". Known campaigns: "]
    spans.append(
        UserText(", ".join(campaigns)) if campaigns else "none yet (/mentor announce --campaign NAME starts one)"
    )
    if others:
        spans.append("; other sources: ")
        for n, other in enumerate(others):
            spans.extend(([", "] if n else []) + list(_source_label(other)))
    spans.append(".")
    return msg.Text(tuple(spans))


def _source_words(source: str, question: str | None) -> tuple[msg.Span, ...]:
    if source.startswith("poll:"):
        if question:
            return (f"Poll #{source[5:]} “", UserText(question), "”")
        return (f"Poll #{source[5:]}",)
    if source.startswith("campaign:ask-") and source[13:].isdigit():
        return (f"Recruiting post for shortage alert #{source[13:]}",)
    if source.startswith("campaign:"):
        return ("Announcement “", UserText(source.split(":", 1)[1]), "”")
    if source == "greeting":
        return ("Welcome message to new members",)
    if source == "direct":
        return ("Direct (/mentor join)",)
    return (UserText(source),)


def _pulse(board: Dashboard) -> str:
    if board.pulse_average is None:
        return "— (no answers yet)"
    if board.pulses < SMALL:
        return "fewer than 3 answers (not shown: it would identify them)"
    return f"{board.pulse_average:.1f} / 5 ({_plural(board.pulses, 'answer')}, {board.pulses_low} low)"


def _meetings_per_pair(board: Dashboard) -> str:
    if not board.pairs_logging:
        return str(board.meetings_logged)
    return f"{board.meetings_logged} ({board.meetings_logged / board.pairings:.1f} per pair)" if board.pairings else "0"


def imbalances(topics: list[TopicBalance]) -> list[msg.Text]:
    """The worst shortfalls of mentors, each with what to do about it."""
    short = sorted((t for t in topics if t.shortfall > 0), key=lambda t: (-t.shortfall, t.topic.casefold()))[
        :FLAG_TOPICS
    ]
    flags: list[msg.Text] = []
    for t in short:
        wants = "wants" if t.mentees_waiting == 1 else "want"
        offer = "offers" if t.mentors_offering == 1 else "offer"
        flags.append(
            msg.text(
                msg.Strong("Imbalance: "),
                f"{_plural(t.mentees_waiting, 'mentee')} {wants} ",
                UserText(t.topic),
                f"; {_plural(t.mentors_offering, 'mentor')} {offer} it, {t.mentors_free} with free capacity — recruit ",
                UserText(t.topic),
                " mentors.",
            )
        )
    return flags


# --- /mentor export --------------------------------------------------------------------


async def export_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("export the program data")
    if args:
        raise ParseError("/mentor export takes no options; it sends members, pairings and check-ins as CSV files.")
    if isinstance(ctx.prepared, PreparedExport):  # written off the event loop (a large community)
        export = ctx.prepared.export
    else:
        export = await write_export(
            ctx.session, ctx.community_id, export_directory(ctx.settings.data_dir, ctx.community_id, ctx.now)
        )
    directory = export.members.parent
    c = export.counts
    files = tuple(msg.File(str(path), path.name) for path in export.files)
    await ctx.outbox.post(
        Destination.dm(ctx.actor.user_id),
        Message(
            (
                msg.text(
                    msg.Strong("Program export"),
                    f" — {_plural(c['members'], 'member')}, {_plural(c['pairings'], 'pairing')} "
                    f"({c['never_met']} ended without meeting), {_plural(c['checkins'], 'check-in')}.",
                ),
                msg.text("Members who used forget-me are left out. These files hold personal data: keep them private."),
                *files,
            )
        ),
        dedupe_key=f"export:{directory.name}",
    )
    return [msg.message("The export (members.csv, pairings.csv, checkins.csv) is on its way to your DMs.")]


__all__ = ["stats_command", "export_command"]
