"""Certificates members ask for: program, role, dates, logged hours, mentees, CPD hours and a code.

`/mentor certificate` (or the button in the completion message) issues one for the member's
mentorships in this community: the hours are what the pair's session log says. Each has a
verification code a moderator checks with `/mentor-admin verify <code>`. Forget-me deletes
the member's log entries and revokes their certificates, so a code stops verifying.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, Message, UserText
from bot.core.parsing import ParseError
from bot.core.ports import Destination
from bot.core.router import ComponentId
from bot.features.meetings.certificate_pdf import CertificateText, render_certificate
from bot.features.meetings.files import attachment_path, forget_attachments, write_private
from bot.features.recruit.training import LESSON_MINUTES, lessons_done
from storage.meeting_log import logged_for
from storage.tables import Availability, Certificate, MeetingLog, Member, Pairing, PublicThanks
from storage.tables.meetings import hours

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def new_code() -> str:
    """`MB-7KQ2-X9PA`: 40 random bits, easy to read out."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"MB-{chars[:4]}-{chars[4:]}"


def certificate_button(member_id: int) -> Button:
    """The choice in the completion message."""
    return Button("Get my certificate (PDF)", str(ComponentId("cert", str(member_id), "get")))


async def _pairings_of(session: AsyncSession, community_id: int, member_id: int) -> list[Pairing]:
    return list(
        (
            await session.execute(
                select(Pairing)
                .where(
                    col(Pairing.community_id) == community_id,
                    or_(col(Pairing.mentee_member_id) == member_id, col(Pairing.mentor_member_id) == member_id),
                )
                .order_by(col(Pairing.started_at))
            )
        )
        .scalars()
        .all()
    )


def _length(minutes: int) -> str:
    return f"{minutes} minutes" if minutes < 60 else f"{hours(minutes)} hours"


async def issue_certificate(ctx: Ctx) -> list[Message]:
    """Make the member's certificate and send it to their DM as a PDF."""
    pairings = await _pairings_of(ctx.session, ctx.community_id, ctx.member_id)
    if not pairings:
        raise InvalidInput("A certificate is for members who have been in a mentorship; you haven't been paired yet.")
    mentoring = [p for p in pairings if p.mentor_member_id == ctx.member_id]
    role = "mentor" if mentoring else "mentee"
    logged = await logged_for(ctx.session, [p.id for p in pairings if p.id is not None])
    started = pairings[0].started_at
    ended = max((p.ended_at or ctx.now) for p in pairings)
    mentees = len({p.mentee_member_id for p in mentoring})
    certificate = Certificate(
        community_id=ctx.community_id,
        member_id=ctx.member_id,
        code=new_code(),
        role=role,
        started_on=started,
        ended_on=ended,
        minutes=logged.minutes,
        mentees=mentees,
        issued_at=ctx.now,
    )
    ctx.session.add(certificate)
    await ctx.session.flush()
    zone = ZoneInfo(ctx.tz)
    trained = await lessons_done(ctx.session, ctx.community_id, ctx.member_id, ctx.program) if mentoring else 0
    training_minutes = trained * LESSON_MINUTES  # mentor training counts towards CPD like mentoring time
    cpd = ""
    if ctx.program.cpd_per_hour:
        cpd = f"{hours(round((logged.minutes + training_minutes) * ctx.program.cpd_per_hour))} {ctx.program.cpd_label}"
    text = CertificateText(
        name=ctx.member.display_name,
        program=ctx.program.name,
        role=role,
        dates=f"{started.astimezone(zone):%d %b %Y} – {ended.astimezone(zone):%d %b %Y}",
        hours=f"{hours(logged.minutes)} hours of mentoring logged ({msg.plural(logged.meetings, 'meeting')})",
        mentees=f"mentored {msg.plural(mentees, 'mentee')}" if role == "mentor" else "",
        cpd=cpd,
        code=certificate.code,
        issued=f"{ctx.now.astimezone(zone):%d %b %Y}",
        training=f"{_length(training_minutes)} of mentor training ({msg.plural(trained, 'lesson')})" if trained else "",
    )
    pdf = await asyncio.to_thread(render_certificate, text)  # CPU work off the event loop
    name = f"certificate-{certificate.code}.pdf"
    path = write_private(attachment_path(ctx.settings.data_dir, ctx.community_id, ctx.member_id, name, ctx.now), pdf)
    await ctx.outbox.post(
        Destination.dm(ctx.actor.user_id),
        Message(
            (
                msg.text(
                    msg.Strong("Your certificate"),
                    f" — {role}, {text.dates}, {hours(logged.minutes)} h logged. Verification code {certificate.code}.",
                ),
                msg.File(str(path), "certificate.pdf"),
            )
        ),
        dedupe_key=f"certificate:{certificate.id}",
    )
    return [msg.message("Your certificate (PDF) is on its way to your DMs.")]


async def certificate_command(ctx: Ctx, args: list[str]) -> list[Message]:
    if args:
        raise ParseError("/mentor certificate takes no options: it covers all your mentorships here.")
    return await issue_certificate(ctx)


async def on_certificate_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """`mentor:cert:<member>:get` — the button in the member's own completion message."""
    if cid.verb != "get" or cid.key != str(ctx.member_id):
        raise NotFound(
            "I can't find that certificate offer for you (it was someone else's); /mentor certificate makes yours."
        )
    return await issue_certificate(ctx)


async def verify_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor-admin verify <code>` — moderators check a certificate someone shows them."""
    ctx.require_moderator("verify certificates")
    if len(args) != 1:
        raise ParseError("Give the code printed on the certificate: /mentor-admin verify MB-XXXX-XXXX.")
    code = args[0].strip().upper()
    certificate = (
        await ctx.session.execute(
            select(Certificate).where(col(Certificate.code) == code, col(Certificate.community_id) == ctx.community_id)
        )
    ).scalar_one_or_none()
    if certificate is None:
        return [msg.message(f"No certificate with the code {code} was issued in this community.")]
    if certificate.revoked_at is not None:
        return [msg.message(f"Certificate {code} is no longer valid: the member asked to be forgotten.")]
    member = await ctx.session.get(Member, certificate.member_id)
    zone = ZoneInfo(ctx.tz)
    mentees = f", {msg.plural(certificate.mentees, 'mentee')}" if certificate.role == "mentor" else ""
    return [
        msg.message(
            msg.text(
                msg.Strong(f"Valid: {code}"),
                " — ",
                UserText(member.display_name if member else "?"),
                f", {certificate.role}, {certificate.started_on.astimezone(zone):%d %b %Y} – "
                f"{certificate.ended_on.astimezone(zone):%d %b %Y}, {hours(certificate.minutes)} h logged{mentees}; "
                f"issued {certificate.issued_at.astimezone(zone):%d %b %Y}.",
            )
        )
    ]


async def forget_meetings(
    session: AsyncSession, data_dir: str, community_id: int, member_id: int, now: datetime
) -> None:
    """Forget-me: their log entries, availability and thanks consent go, notes in their pairs are blanked,
    their certificates are revoked (a code no longer verifies) and their files deleted."""
    pairing_ids = select(col(Pairing.id)).where(
        or_(col(Pairing.mentee_member_id) == member_id, col(Pairing.mentor_member_id) == member_id)
    )
    await session.execute(delete(MeetingLog).where(col(MeetingLog.logged_by_member_id) == member_id))
    await session.execute(update(MeetingLog).where(col(MeetingLog.pairing_id).in_(pairing_ids)).values(note=""))
    await session.execute(delete(Availability).where(col(Availability.member_id) == member_id))
    await session.execute(delete(PublicThanks).where(col(PublicThanks.member_id) == member_id))
    await session.execute(
        update(Certificate)
        .where(col(Certificate.member_id) == member_id, col(Certificate.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    forget_attachments(data_dir, community_id, member_id)
