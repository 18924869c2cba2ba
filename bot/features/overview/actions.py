"""Commands and buttons of the overview: `/mentor me`, `/mentor overview`, the lists,
and the buttons on the cards (each one re-checks who may press it)."""

from __future__ import annotations

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, ButtonStyle, Message
from bot.core.questions import Answer, Question, one, typed_choice
from bot.core.questions import ask as ask_question
from bot.core.router import ComponentId
from bot.features.intake.conversation import edit_command, get_profile, join_command
from bot.features.milestones.milestones import list_resources
from bot.features.overview.home import opened
from bot.features.overview.lists import member_button_id, members_filter, members_page, pairs_filter, pairs_page
from bot.features.overview.moderator import moderator_card, pair_id
from bot.features.overview.status import PAUSE_WEEKS, Viewer, me_id, member_card
from bot.features.pairs.moderation import pair_command
from bot.features.pairs.pairs import describe_pairing, members_of
from bot.features.profile.profile import leave_command, pause_command, render_profile, resume_command
from bot.features.rounds.review import show_command
from storage.tables import Member, Pairing, PairingStatus


def viewer_of(ctx: Ctx) -> Viewer:
    return Viewer(ctx.session, ctx.community, ctx.member, ctx.now, ctx.program, ctx.is_moderator)


def overview_page_id(page: int) -> str:
    return str(ComponentId("ovw", str(page), "page"))


def _page(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise InvalidInput("That page button is not valid any more; run the command again.")
    return int(raw)


# --- commands ---------------------------------------------------------------------------


async def me_command(ctx: Ctx, args: list[str]) -> list[Message]:
    return [await member_card(viewer_of(ctx))]


async def overview_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("see the moderators' overview")
    return [await moderator_card(viewer_of(ctx), 1, overview_page_id)]


async def pairs_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("list pairs")
    viewer = viewer_of(ctx)
    return [await pairs_page(viewer, await pairs_filter(viewer, args), 1)]


async def members_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("list members")
    viewer = viewer_of(ctx)
    return [await members_page(viewer, members_filter(viewer, args), 1)]


LEAVE = "me.leave"


def parse_leave(text: str, strict: bool) -> tuple[Answer, ...]:
    verb = typed_choice(
        text,
        {"leave-yes": ("yes leave", "leave", "leave the program"), "stay": ("stay", "cancel", "no stay")},
        yes="leave-yes",
        no="stay",
        strict=strict,
    )
    return one(verb)


LEAVE_QUESTION = Question(
    LEAVE, "me", ("leave-yes", "stay"), parse_leave, "Leave the program? Reply yes, leave — or no to stay."
)


# --- buttons -------------------------------------------------------------------------------


async def on_me(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """The member card's buttons act on whoever clicks them, never on the card's owner."""
    verb = cid.verb
    if verb == "join":
        return await join_command(ctx, [])
    if verb == "edit":
        return await edit_command(ctx, [])
    if verb == "resume":
        return await resume_command(ctx, [])
    if verb == "resources":
        return await list_resources(ctx, [])
    if verb == "pause":
        weeks = values[0] if values else ""
        if weeks not in PAUSE_WEEKS:
            raise InvalidInput("Choose how many weeks from the list, or type /mentor pause <weeks>.")
        return await pause_command(ctx, [weeks])
    if verb == "leave":
        if await get_profile(ctx.session, ctx.community_id, ctx.member_id) is None:
            return [msg.message("You haven't signed up, so there is nothing to leave.")]
        await ask_question(ctx.session, ctx.community_id, [ctx.member_id], LEAVE, cid.key, ctx.now)
        return [
            msg.message(
                "Leave the program? Any active pairing ends and your partner is told. Your answers are kept "
                "until you use /mentor forget-me.",
                Button("Yes, leave", me_id("leave-yes"), ButtonStyle.DANGER),
            )
        ]
    if verb == "leave-yes":
        return await leave_command(ctx, [])
    if verb == "stay":  # typed "no" to the leave question
        return [msg.message("Good — you stay in the program; nothing changed.")]
    raise InvalidInput("That button is not valid any more. /mentor me shows your current card.")


async def on_home(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """`mentor:home:<page>:open|page` — the Slack adapter publishes the answer as the Home tab."""
    return [await opened(viewer_of(ctx), _page(cid.key))]


async def on_overview(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    ctx.require_moderator("use the moderators' overview")
    if cid.verb == "round":
        return await show_command(ctx, [])
    if cid.verb == "page":
        return [await moderator_card(viewer_of(ctx), _page(cid.key), overview_page_id)]
    raise InvalidInput("That button is not valid any more. /mentor overview shows the current state.")


async def on_list_page(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    ctx.require_moderator(f"list {cid.kind}")
    page = _page(cid.key)
    if cid.kind == "pairs":
        return [await pairs_page(viewer_of(ctx), cid.arg or "a", page)]
    return [await members_page(viewer_of(ctx), cid.arg or "a", page)]


async def _pairing(ctx: Ctx, raw: str) -> Pairing:
    pairing = await ctx.session.get(Pairing, int(raw)) if raw.isdigit() else None
    if pairing is None or pairing.community_id != ctx.community_id:
        raise NotFound("That pairing is not here any more. /mentor pairs lists the current ones.")
    return pairing


async def on_pair(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """A pair from a list: view it, then end or rematch it (each asks once more first)."""
    ctx.require_moderator("manage pairings")
    pairing = await _pairing(ctx, cid.key)
    assert pairing.id is not None
    if cid.verb == "show":
        described = await describe_pairing(ctx, pairing)
        mentee, mentor = await members_of(ctx.session, pairing)
        assert mentee.id is not None and mentor.id is not None
        buttons: tuple[msg.Part, ...] = (
            Button("Mentee's profile", member_button_id(mentee.id)),
            Button("Mentor's profile", member_button_id(mentor.id)),
        )
        if pairing.status == PairingStatus.ACTIVE.value:
            buttons += (
                Button("End", pair_id(pairing.id, "end"), ButtonStyle.DANGER),
                Button("End and rematch", pair_id(pairing.id, "rematch")),
            )
            hint = msg.text(f'Note what you did: /mentor pair {pairing.id} note "…"')
            return [Message(described.parts + (hint,) + buttons)]
        return [Message(described.parts + buttons)]
    if cid.verb in ("end", "rematch"):
        what = "End" if cid.verb == "end" else "End and rematch"
        return [
            msg.message(
                f"{what} pairing #{pairing.id}? Both members are told"
                + (", and the mentee gets priority in the next round." if cid.verb == "rematch" else "."),
                Button(f"Yes, {what.lower()}", pair_id(pairing.id, f"{cid.verb}-yes"), ButtonStyle.DANGER),
            )
        ]
    if cid.verb in ("end-yes", "rematch-yes"):
        return await pair_command(ctx, [str(pairing.id), cid.verb.removesuffix("-yes")])
    raise InvalidInput("That button is not valid any more. /mentor pairs lists the current pairs.")


async def on_member(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    ctx.require_moderator("see another member's profile")
    member = await ctx.session.get(Member, int(cid.key)) if cid.key.isdigit() else None
    if member is None or member.community_id != ctx.community_id:
        raise NotFound("That member is not here any more.")
    assert member.id is not None
    profile = await get_profile(ctx.session, ctx.community_id, member.id)
    if profile is None:
        return [
            msg.message(msg.text(msg.UserText(member.display_name), " has no profile (not signed up, or forgotten)."))
        ]
    reply = await render_profile(ctx, member, profile, own=False)
    return [Message(reply.parts + (Button("Their pairs", str(ComponentId("pairs", "1", "page", f"m{member.id}"))),))]
