"""What moderators do with a shortage alert: Post it, Edit it first, or Dismiss it.

Post sends the recruiting message to the alert's channel (the channel of the newest
poll), or to the channel where `/mentor recruit post <id>` is typed: the moderator's
choice. Edit opens a form where the platform has modals (the console types
`/mentor recruit edit <id> "…"`). Every action checks moderator rights here, in the core.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.feature import Form, FormField
from bot.core.messages import Message, UserText
from bot.core.parsing import ParseError
from bot.core.ports import Destination
from bot.core.router import ComponentId
from bot.features.recruit.asks import ask_for_alert
from bot.features.recruit.shortage import alert_message, campaign_of, recruiting_post
from storage.tables import OutboxMessage, RecruitAlert

MAX_TEXT = 1500
EDIT_FORM = Form(
    id="mentor:rcr:*:edit",  # one form for every alert: the opened modal carries the alert's id
    title="Edit the recruiting message",
    submit="Save",
    fields=(
        FormField(
            "text",
            "The message members will see",
            required=True,
            long=True,
            max_length=MAX_TEXT,
            placeholder="What mentors gain, the time it takes, who is waiting",
        ),
    ),
)


async def _alert(ctx: Ctx, raw: str) -> RecruitAlert:
    alert = await ctx.session.get(RecruitAlert, int(raw)) if raw.isdigit() else None
    if alert is None or alert.community_id != ctx.community_id:
        raise InvalidInput("There is no such shortage alert. /mentor recruit asks lists the open ones.")
    return alert


async def _refresh(ctx: Ctx, alert: RecruitAlert) -> None:
    """Show the alert's new state wherever it was posted to the moderators."""
    rows = (
        (
            await ctx.session.execute(
                select(OutboxMessage).where(
                    col(OutboxMessage.community_id) == ctx.community_id,
                    col(OutboxMessage.dedupe_key).startswith(f"recruit-alert:{alert.id}:"),
                )
            )
        )
        .scalars()
        .all()
    )
    for row in rows:
        await ctx.outbox.update(row, alert_message(alert, ctx.program.recruiting.shortage_margin))


async def post_alert(ctx: Ctx, alert: RecruitAlert, channel_id: str | None) -> list[Message]:
    if alert.status == "posted":
        return [msg.message(f"Alert #{alert.id} is already posted (campaign “{campaign_of(alert)}”).")]
    if not channel_id:
        return [
            msg.message(
                f"Where should it go? Type /mentor recruit post {alert.id} in the channel where members should see it."
            )
        ]
    alert.status = "posted"
    alert.channel_id = channel_id
    alert.decided_by = ctx.member_id
    alert.decided_at = ctx.now
    ctx.session.add(alert)
    await ctx.outbox.post(
        Destination.channel(channel_id), recruiting_post(ctx.program, alert), dedupe_key=f"recruit-post:{alert.id}"
    )
    await _refresh(ctx, alert)
    return [
        msg.message(
            msg.text(
                "The recruiting message for ",
                UserText(alert.topic),
                f" is posted. Sign-ups from its button count for the campaign “{campaign_of(alert)}” in /mentor stats.",
            )
        )
    ]


async def edit_alert(ctx: Ctx, alert: RecruitAlert, text: str) -> list[Message]:
    text = text.strip()
    if not text:
        raise InvalidInput("Write the message members should see.")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"The message is {len(text)} characters; keep it under {MAX_TEXT}.")
    if alert.status != "open":
        raise InvalidInput(f"Alert #{alert.id} is already {alert.status}; there is nothing left to edit.")
    alert.text = text
    ctx.session.add(alert)
    await _refresh(ctx, alert)
    return [msg.message("Saved. The alert shows the new message; Post sends it.")]


async def on_alert(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    ctx.require_moderator("act on shortage alerts")
    alert = await _alert(ctx, cid.key)
    if cid.verb == "post":
        return await post_alert(ctx, alert, alert.channel_id)
    if cid.verb == "edit":  # no modal opened here (console): say what to type
        return [msg.message(f'Type /mentor recruit edit {alert.id} "the new message" — then Post.')]
    if cid.verb == "dismiss":
        if alert.status == "open":
            alert.status = "dismissed"
            alert.decided_by = ctx.member_id
            alert.decided_at = ctx.now
            ctx.session.add(alert)
            await _refresh(ctx, alert)
        return [msg.message(f"Alert #{alert.id} dismissed.")]
    if cid.verb == "ask":
        return await ask_for_alert(ctx, alert)
    raise InvalidInput("That button is from an older version of the alert.")


async def on_alert_form(ctx: Ctx, cid: ComponentId, fields: dict[str, str]) -> list[Message]:
    ctx.require_moderator("edit recruiting messages")
    return await edit_alert(ctx, await _alert(ctx, cid.key), fields.get("text") or "")


async def post_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("post recruiting messages")
    if len(args) != 1:
        raise ParseError("Name the alert: /mentor recruit post 3, typed in the channel where it should appear.")
    if ctx.in_dm:
        raise InvalidInput("Type it in the channel where members should see the message, not in a DM.")
    return await post_alert(ctx, await _alert(ctx, args[0]), ctx.channel_id)


async def edit_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("edit recruiting messages")
    if len(args) < 2:
        raise ParseError('Name the alert and write the message: /mentor recruit edit 3 "We need Go mentors…"')
    return await edit_alert(ctx, await _alert(ctx, args[0]), " ".join(args[1:]))


async def open_alerts(ctx: Ctx) -> list[RecruitAlert]:
    return list(
        (
            await ctx.session.execute(
                select(RecruitAlert)
                .where(col(RecruitAlert.community_id) == ctx.community_id, col(RecruitAlert.status) == "open")
                .order_by(col(RecruitAlert.id))
            )
        )
        .scalars()
        .all()
    )


async def asks_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("see shortage alerts")
    if args:
        raise ParseError("/mentor recruit asks takes no options; it shows the open shortage alerts.")
    found = await open_alerts(ctx)
    if not found:
        return [
            msg.message(
                "No open shortage alerts. When a topic's waiting mentees outnumber its free mentor places, "
                "one arrives in the moderators' channel."
            )
        ]
    return [alert_message(alert, ctx.program.recruiting.shortage_margin) for alert in found[:5]]
