"""The moderator dashboard: figures counted by the database, a chart, and CSV export."""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, Feature, Sweep
from bot.features.stats import dashboard, export, export_files


def feature() -> Feature:
    return Feature(
        name="stats",
        commands=(
            Command(
                "stats",
                "stats [--since 2026-09-01|30d] [--campaign NAME]",
                "the program dashboard with a chart (aggregates only)",
                dashboard.stats_command,
                moderator_only=True,
                prepare=dashboard.prepare_stats,
                args=(
                    Arg(
                        "since",
                        ArgKind.WHEN,
                        "Count from a date or span ago, e.g. 2026-09-01 or 30d",
                        option=True,
                        max_length=40,
                    ),
                    Arg("campaign", ArgKind.TEXT, "Only sign-ups from this campaign", option=True, max_length=40),
                ),
                examples=("stats", "stats --since 30d"),
            ),
            Command(
                "export",
                "export",
                "members, pairings and check-ins as CSV files, sent to your DMs",
                dashboard.export_command,
                moderator_only=True,
                prepare=export.prepare_export,
            ),
        ),
        # Exports hold personal data: their copies are deleted after the retention (housekeeping).
        sweeps=(Sweep("export retention", export_files.sweep_old_exports),),
    )
