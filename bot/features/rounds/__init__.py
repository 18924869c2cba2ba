"""Matching rounds: a proposal for moderators to review, then introductions and kick-off reminders.

The engine itself is the pure `bot.features.matching`; this feature loads profiles,
shows the proposal, takes the moderators' edits and introduces the approved pairs.
"""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature, Sweep
from bot.features.rounds import (
    approval,
    blocks,
    choice,
    choice_close,
    introductions,
    proposal,
    reminders,
    review,
    schedule,
)

_PAIR = Arg("pair", ArgKind.INT, "Pair number in the proposal", required=True, min_value=1, max_value=100_000)


def feature() -> Feature:
    return Feature(
        name="rounds",
        commands=(
            Command(
                "match",
                "match [--dry-run] [--every 4w] [--rematch] [--stop] [--choice|--assign]",
                "compute a matching round to review (never introduces until approved)",
                review.match_command,
                moderator_only=True,
                discord="match run",
                prepare=proposal.prepare_round,
                args=(
                    Arg("dry-run", ArgKind.FLAG, "Only show what the round would look like"),
                    Arg("every", ArgKind.WHEN, "Run a round on a schedule, e.g. 4w", option=True, max_length=20),
                    Arg("rematch", ArgKind.FLAG, "Allow pairs who were matched before"),
                    Arg("stop", ArgKind.FLAG, "Stop the scheduled rounds"),
                    Arg("choice", ArgKind.FLAG, "Mentees pick from shortlists this round"),
                    Arg("assign", ArgKind.FLAG, "Approve pairs this round (when the program uses choice)"),
                ),
                examples=("match", "match --every 4w"),
            ),
            Command(
                "match approve",
                "match approve",
                "approve the current round and send the introductions",
                review.approve_command,
                moderator_only=True,
            ),
            Command(
                "match drop",
                "match drop <n>",
                "drop pair n from the current proposal",
                review.drop_command,
                moderator_only=True,
                args=(_PAIR,),
            ),
            Command(
                "match swap",
                "match swap <n> <m>",
                "swap the mentors of pairs n and m",
                review.swap_command,
                moderator_only=True,
                args=(
                    _PAIR,
                    Arg("other", ArgKind.INT, "The other pair's number", required=True, min_value=1, max_value=100_000),
                ),
                examples=("match swap 2 5",),
            ),
            Command(
                "match recompute",
                "match recompute",
                "compute the current round again",
                review.recompute_command,
                moderator_only=True,
                prepare=proposal.prepare_recompute,
            ),
            Command(
                "match discard",
                "match discard",
                "drop the proposal, or stop a round introducing",
                review.discard_command,
                moderator_only=True,
            ),
            Command(
                "match show",
                "match show",
                "show the current round with every pair",
                review.show_command,
                moderator_only=True,
            ),
            Command(
                "match close",
                "match close",
                "close the open choice round early (asks to confirm)",
                choice_close.close_command,
                moderator_only=True,
            ),
            Command(
                "choice",
                "choice",
                "your shortlist of mentors in the open choice round",
                choice.choice_command,
                discord="choice show",
            ),
            Command(
                "choice none",
                'choice none ["reason"]',
                "none of your suggested mentors fits (the reason is optional)",
                choice.none_command,
                args=(Arg("reason", ArgKind.TEXT, "Why (optional; moderators see it)", max_length=choice.REASON_MAX),),
            ),
            Command(
                "block",
                'block @a @b ["reason"]',
                "never propose these two members to each other (reason: moderators only)",
                blocks.block_command,
                moderator_only=True,
                args=(
                    Arg("member", ArgKind.MEMBER, "One of the two", required=True),
                    Arg("other", ArgKind.MEMBER, "The other", required=True),
                    Arg("reason", ArgKind.TEXT, "Why (moderators only)", max_length=blocks.REASON_MAX),
                ),
                examples=('block @ann @maria "worked together before"',),
            ),
            Command(
                "unblock",
                "unblock @a @b",
                "allow two blocked members to be proposed again",
                blocks.unblock_command,
                moderator_only=True,
                args=(
                    Arg("member", ArgKind.MEMBER, "One of the two", required=True),
                    Arg("other", ArgKind.MEMBER, "The other", required=True),
                ),
            ),
            Command(
                "blocks", "blocks", "pairs that are never proposed, and why", blocks.blocks_command, moderator_only=True
            ),
        ),
        components=(
            ComponentRoute("round", review.on_round_component, prepare=proposal.prepare_recompute),
            ComponentRoute("pair", introductions.on_pair_component),
            ComponentRoute("choice", choice.on_choice_component),
            ComponentRoute("chosen", choice.on_chosen_component),
        ),
        sweeps=(
            Sweep(
                "introduce approved pairs",
                lambda session, now, env: approval.introduce_pending(
                    session, now, proposal.round_policy(env.program), env.program
                ),
                approval.next_pending,
            ),
            Sweep(
                "kick-off reminders",
                lambda session, now, env: introductions.remind_kickoffs(
                    session, now, env.settings, proposal.round_policy(env.program)
                ),
                introductions.next_kickoff_due,
            ),
            Sweep(
                "scheduled matching rounds",
                lambda session, now, env: schedule.run_scheduled_rounds(
                    session, now, env.settings, proposal.round_policy(env.program), env.program, env.prepared
                ),
                schedule.next_scheduled_round,
                prepare=schedule.prepare_scheduled_rounds,
            ),
            Sweep(
                "choice rounds at their deadline",
                lambda session, now, env: choice_close.close_due_choice_rounds(
                    session, now, proposal.round_policy(env.program), env.program
                ),
                choice_close.next_choice_deadline,
            ),
            Sweep(
                "rounds waiting for approval",
                lambda session, now, env: reminders.remind_unapproved_rounds(
                    session, now, proposal.round_policy(env.program)
                ),
                reminders.next_round_reminder,
            ),
        ),
    )
