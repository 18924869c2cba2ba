"""The dashboard chart: a PNG a moderator can read in a chat preview.

Two panels, ~1200×700 px with large type: sign-ups per week and active
relationships over time (left), and supply vs demand for the busiest topics
(right, grouped bars). matplotlib is imported inside `render_chart` and told to
use the off-screen Agg backend there, so importing this module costs nothing and
never touches a display.

The chart is drawn when its message is delivered (`bot.delivery.pictures`), in a
worker: `chart_figures` is what the outbox row stores, `draw_dashboard_chart`
draws from it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.delivery.pictures import drawer
from bot.features.stats.figures import Dashboard, Filters, TopicBalance, WeekPoint

if TYPE_CHECKING:  # only for type checkers: matplotlib is imported when a chart is drawn
    from matplotlib.axes import Axes

WIDTH_IN, HEIGHT_IN, DPI = 12.0, 7.0, 100  # 1200 × 700 px
CHART_TOPICS = 8
CHART_VERSION = 3  # part of cached charts' names: bump when the drawing changes
COLORS = {"signups": "#4C72B0", "active": "#DD8452", "offering": "#55A868", "free": "#8FD19E", "waiting": "#C44E52"}


def _label(text: str, limit: int = 18) -> str:
    """Topic names come from members: shorten them and keep `$` from switching on math mode."""
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return short.replace("$", r"\$")


def chart_figures(board: Dashboard) -> dict[str, Any]:
    """Everything the chart shows, as JSON-ready values (aggregates only, like the dashboard)."""
    return {
        "v": CHART_VERSION,
        "weeks": [[w.week_start.isoformat(), w.signups, w.active_relationships] for w in board.weeks],
        "topics": [
            [t.topic, t.mentors_offering, t.mentors_free, t.mentees_waiting] for t in board.topics[:CHART_TOPICS]
        ],
        "pairings": dict(board.by_pairing_status),
        "never_met": dict(board.never_met),
    }


@drawer
def draw_dashboard_chart(figures: dict[str, Any], path: Path) -> None:
    """Draw the dashboard chart from `chart_figures` (runs in the picture worker)."""
    board = Dashboard(
        now=datetime.now(UTC),
        filters=Filters(),
        weeks=[WeekPoint(date.fromisoformat(day), int(s), int(a)) for day, s, a in figures["weeks"]],
        topics=[TopicBalance(str(t), int(o), int(f), int(w)) for t, o, f, w in figures["topics"]],
        by_pairing_status={str(k): int(v) for k, v in figures.get("pairings", {}).items()},
        never_met={str(k): int(v) for k, v in figures.get("never_met", {}).items()},
    )
    render_chart(board, path)


def render_chart(board: Dashboard, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # off-screen; set here, never at import time
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({"font.size": 14, "axes.titlesize": 17, "axes.labelsize": 15, "legend.fontsize": 13}):
        # A bare Figure (no pyplot): nothing global to clean up, safe in a long-running bot.
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        _over_time(left, board)
        _supply_demand(right, board)
        for axis in (left, right):
            axis.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
            axis.grid(axis="y", alpha=0.3)
            axis.spines[["top", "right"]].set_visible(False)
        fig.suptitle("Mentorship program", fontsize=20, fontweight="bold")
        # Outcomes as counts: a pair that never met is not shown as completed.
        outcomes = board.outcomes
        fig.text(
            0.5,
            0.905,
            f"Relationships: {outcomes['active']} active · {outcomes['completed']} completed · "
            f"{outcomes['ended early']} ended early · {outcomes['ended without meeting']} ended without meeting",
            ha="center",
            fontsize=13,
        )
        # Fixed margins instead of tight_layout: the layout pass cost as much as drawing the chart.
        fig.subplots_adjust(left=0.07, right=0.985, bottom=0.21, top=0.86, wspace=0.22)
        fig.savefig(path, format="png", dpi=DPI)
    return path


def _over_time(ax: Axes, board: Dashboard) -> None:
    weeks = board.weeks
    ax.set_title("Sign-ups and active relationships")
    ax.set_xlabel("Week starting")
    ax.set_ylabel("Members / relationships")
    if not weeks:
        ax.text(0.5, 0.5, "No sign-ups yet", ha="center", va="center", transform=ax.transAxes)
        return
    x = list(range(len(weeks)))
    ax.bar(x, [w.signups for w in weeks], color=COLORS["signups"], label="Sign-ups that week")
    ax.plot(
        x,
        [w.active_relationships for w in weeks],
        color=COLORS["active"],
        linewidth=3,
        marker="o",
        markersize=4,
        label="Active relationships",
    )
    step = max(1, len(weeks) // 6)
    ticks = x[::step]
    ax.set_xticks(ticks, [weeks[i].week_start.strftime("%d %b") for i in ticks], rotation=30, ha="right")
    tallest = max(max(w.signups, w.active_relationships) for w in weeks)
    ax.set_ylim(0, max(1, tallest) * 1.3)
    ax.legend(loc="upper left", frameon=False)


def _supply_demand(ax: Axes, board: Dashboard) -> None:
    topics = sorted(board.topics[:CHART_TOPICS], key=lambda t: -t.shortfall)
    ax.set_title("Skills: mentors vs mentees waiting")
    ax.set_ylabel("People")
    if not topics:
        ax.text(0.5, 0.5, "No topics yet", ha="center", va="center", transform=ax.transAxes)
        return
    width = 0.27
    x = list(range(len(topics)))
    ax.bar(
        [i - width for i in x],
        [t.mentors_offering for t in topics],
        width,
        color=COLORS["offering"],
        label="Mentors offering",
    )
    ax.bar(x, [t.mentors_free for t in topics], width, color=COLORS["free"], label="…with free capacity")
    ax.bar(
        [i + width for i in x],
        [t.mentees_waiting for t in topics],
        width,
        color=COLORS["waiting"],
        label="Mentees waiting",
    )
    ax.set_xticks(x, [_label(t.topic) for t in topics], rotation=30, ha="right")
    ax.set_xlabel("Topic (largest shortfall first)")
    tallest = max(max(t.mentors_offering, t.mentees_waiting) for t in topics)
    ax.set_ylim(0, max(1, tallest) * 1.4)  # headroom so the legend never hides a bar
    ax.legend(loc="upper right", frameon=False)
