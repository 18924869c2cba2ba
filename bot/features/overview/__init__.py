"""Overview: where each member stands, and the moderators' view of the whole program.

- `/mentor me` — the member's status card (status, partner, policy, goal, next
  check-in) with buttons for the common actions; the top of the Slack App Home.
- `/mentor overview` — the moderator's card: headline figures (a sweep keeps a
  snapshot fresh), the round awaiting approval, at-risk pairs, open polls,
  delivery problems; under the member card on a moderator's App Home.
- `/mentor pairs`, `/mentor members` — filtered, sorted, paged lists for moderators.
- Short forms: a goal, goal progress, and one typed profile answer (`/mentor edit goals`).
"""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature, Sweep
from bot.features.overview import actions, forms, home, snapshot


def feature() -> Feature:
    home.watch_changes()  # the Home's rows: their changes mark Homes stale (idempotent)
    return Feature(
        name="overview",
        commands=(
            Command("me", "me", "where you stand: status, partner, goal, next check-in, actions", actions.me_command),
            Command(
                "overview",
                "overview",
                "the program at a glance and what waits for a moderator",
                actions.overview_command,
                moderator_only=True,
            ),
            Command(
                "pairs",
                "pairs [--at-risk | --ending 30d | @member | --topic T]",
                "list active pairs, at-risk first, to act on",
                actions.pairs_command,
                moderator_only=True,
                args=(
                    Arg("member", ArgKind.MEMBER, "Only the pairs of this member"),
                    Arg("at-risk", ArgKind.FLAG, "Only pairs reported at risk"),
                    Arg(
                        "ending",
                        ArgKind.WHEN,
                        "Only pairs ending within this span, e.g. 30d",
                        option=True,
                        max_length=20,
                    ),
                    Arg("topic", ArgKind.TEXT, "Only pairs about this topic", option=True, max_length=60),
                ),
                examples=("pairs --at-risk", "pairs --ending 30d"),
            ),
            Command(
                "members",
                "members [--waiting | --paused | --topic T | --role mentor|mentee]",
                "list members in the program, longest waiting first",
                actions.members_command,
                moderator_only=True,
                args=(
                    Arg("waiting", ArgKind.FLAG, "Only members waiting for a match"),
                    Arg("paused", ArgKind.FLAG, "Only members on a break"),
                    Arg(
                        "topic", ArgKind.TEXT, "Only members offering or wanting this topic", option=True, max_length=60
                    ),
                    Arg(
                        "role",
                        ArgKind.CHOICE,
                        "Only mentors or only mentees",
                        option=True,
                        choices=("mentor", "mentee"),
                    ),
                ),
                examples=("members --waiting", "members --topic Python"),
            ),
        ),
        components=(
            ComponentRoute("me", actions.on_me),
            ComponentRoute("home", actions.on_home),
            ComponentRoute("ovw", actions.on_overview),
            ComponentRoute("pairs", actions.on_list_page),
            ComponentRoute("members", actions.on_list_page),
            ComponentRoute("mpair", actions.on_pair),
            ComponentRoute("mmember", actions.on_member),
            ComponentRoute("goalf", forms.on_form_button, form_handler=forms.submit_goal_form),
            ComponentRoute("editq", forms.on_form_button, form_handler=forms.submit_edit_form),
        ),
        questions=(actions.LEAVE_QUESTION,),
        forms=(forms.GOAL_FORM, forms.PROGRESS_FORM, *forms.EDIT_FORMS),
        sweeps=(
            Sweep(
                "headline figures",
                snapshot.refresh_snapshots,
                snapshot.next_snapshot_due,
                prepare=snapshot.prepare_snapshots,
            ),
            Sweep("App Home refresh", home.republish_due, home.next_republish),
        ),
    )
