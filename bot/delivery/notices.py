"""What the moderators are told when the outbox gives up on a row (`report_failure`).

A permanent failure is reported once per failed row, in plain words with what to do; a
closed DM once per episode (doors.py). A community-space add or removal that fails for a
missing permission or scope is reported once a day per space and problem — one sentence
that says how to reinstall or re-invite, not one per member — and never names the member.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.messages import Message
from bot.core.ports import Destination, Operation, PermanentFailure
from bot.delivery import doors
from bot.delivery.outbox import Outbox, destination_of, moderator_destinations
from storage.tables import Community, Member, OutboxMessage

NOTICE_PREFIX = "notice:"  # moderator notices about failures are never themselves reported
INTRODUCTION_PREFIX = "intro:"  # the dedupe key of a pair's introduction (rounds/introductions.py)
SPACE_OPERATIONS = (Operation.SPACE_ADD.value, Operation.SPACE_REMOVE.value)


async def report_failure(session: AsyncSession, row: OutboxMessage, failure: PermanentFailure, now: datetime) -> None:
    """Make a permanent failure visible to the moderators (once per failed row)."""
    community = await session.get(Community, row.community_id)
    assert community is not None
    who = ""
    tell_moderators = True
    assert community.id is not None
    outbox = Outbox(session, community.id, now)
    if row.operation in SPACE_OPERATIONS:
        await _report_space_failure(session, outbox, community, row, failure, now)
        return
    if failure.unreachable_user_id:
        member = (
            await session.execute(
                select(Member).where(
                    col(Member.community_id) == community.id,
                    col(Member.platform_user_id) == failure.unreachable_user_id,
                )
            )
        ).scalar_one_or_none()
        if member is not None:
            # Moderators hear of a closed door once per episode, not once per message.
            tell_moderators = doors.failed_dm(member)
            session.add(member)
            who = member.display_name
            if row.dedupe_key and row.dedupe_key.startswith(INTRODUCTION_PREFIX):
                await _tell_partners(outbox, row, member)
    if row.dedupe_key and row.dedupe_key.startswith(NOTICE_PREFIX):
        return  # a notice about a notice would loop
    if not tell_moderators:
        return
    if who:
        what = msg.text("I could not send a direct message to ", msg.UserText(who), " — their DMs are closed to me. ")
        advice = (
            "Ask them to allow direct messages from this app. I will not try again until they use the bot, "
            "and I will not report them again until then."
        )
    else:
        what = msg.text(
            f"A message to {row.destination_kind} {row.destination_target} could not be delivered ({failure.code}"
            + ("" if not failure.detail else ": "),
            msg.UserText(failure.detail[:300]),  # the platform's own words, escaped like any outside text
            "). ",
        )
        advice = _ADVICE.get(failure.code, "Check that the bot still has access there.")
    notice = Message((msg.text(msg.Strong("Delivery problem")), what, msg.text(advice)))
    for destination in await moderator_destinations(session, community):
        await outbox.post(destination, notice, dedupe_key=f"{NOTICE_PREFIX}{row.id}:{destination.target}")


async def _tell_partners(outbox: Outbox, row: OutboxMessage, unreachable: Member) -> None:
    """An introduction did not reach one of the pair: the others hear it from us, not from silence."""
    for user_id in destination_of(row).user_ids:
        if user_id == unreachable.platform_user_id:
            continue
        await outbox.post(
            Destination.dm(user_id),
            Message(
                (
                    msg.text(
                        "Your introduction could not reach ",
                        msg.UserText(unreachable.display_name),
                        " — their direct messages are closed to me. The moderators know. "
                        "Say hello to them yourself in the community, and ask them to allow DMs from this app.",
                    ),
                )
            ),
            dedupe_key=f"{NOTICE_PREFIX}partner:{row.id}:{user_id}",
        )


_ADVICE = {
    "channel_not_found": (
        "The channel no longer exists or the bot cannot see it; invite the bot or choose another channel."
    ),
    "not_in_channel": "Invite the bot to that channel (/invite) and try again.",
    "is_archived": "That channel is archived; unarchive it or use another channel.",
    "cannot_dm_bot": "That user is a bot and cannot receive direct messages.",
    "token_revoked": "The bot's token was revoked; reinstall the app.",
    "missing_access": "The bot lacks permission in that channel; check its role.",
    "missing_manage_events": (
        "The event is posted, but Discord refused to add it to the server's Events: the bot lacks the "
        "Manage Events permission. Re-invite it with `mentorbot discord-invite` (the link now asks for it) "
        "or give its role Manage Events in Server Settings → Roles."
    ),
    "message_not_found": "The message was deleted on the platform, so it could not be changed or pinned.",
}


async def _report_space_failure(
    session: AsyncSession,
    outbox: Outbox,
    community: Community,
    row: OutboxMessage,
    failure: PermanentFailure,
    now: datetime,
) -> None:
    """A member could not be added to (or removed from) a community space: once a day per space and problem."""
    channel, _ = destination_of(row).space
    doing = "add members to" if row.operation == Operation.SPACE_ADD.value else "remove members from"
    advice = _SPACE_ADVICE.get(failure.code, "Check that the bot can still see that channel and manage its members.")
    notice = Message(
        (
            msg.text(msg.Strong("Community space problem")),
            msg.text(f"I could not {doing} the space {channel} ({failure.code}). {advice}"),
            msg.text(
                "Afterwards, members who opted in can be added with /mentor spaces join (they can run it themselves)."
            ),
        )
    )
    for destination in await moderator_destinations(session, community):
        key = f"{NOTICE_PREFIX}space:{channel}:{failure.code}:{now:%Y-%m-%d}:{destination.target}"
        await outbox.post(destination, notice, dedupe_key=key[:200])


_SPACE_ADVICE = {
    # Slack
    "missing_scope": (
        "mentorbot lacks the Slack scope for it: channels:manage (a public channel) or groups:write (a private "
        "one). Reinstall the app from the updated manifest (adapters/slack/manifest.yml) to grant them."
    ),
    "not_in_channel": "mentorbot is not in that channel: invite it there first (/invite @mentorbot).",
    "channel_not_found": (
        "The channel named in program.toml [spaces] does not exist or mentorbot cannot see it: fix the id, "
        "or invite mentorbot to the private channel."
    ),
    "is_archived": "That channel is archived: unarchive it or name another in program.toml [spaces].",
    "restricted_action": "A workspace setting stops apps from managing that channel's members.",
    # Discord
    "missing_permissions": (
        "mentorbot needs Manage Roles to let members see the space (a member permission overwrite on that "
        "channel). Re-invite it with `mentorbot discord-invite` (the link now asks for it), or give its role "
        "Manage Permissions on that channel only (Edit Channel → Permissions)."
    ),
    "missing_access": "mentorbot cannot see that channel: give its role View Channel there.",
}
