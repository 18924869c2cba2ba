"""Meetings that happen and effort that is recognised: the log, finding a time, certificates, the pulse."""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature, Sweep
from bot.features.meetings import certificate, files, log, pulse, schedule, thanks


def feature() -> Feature:
    return Feature(
        name="meetings",
        commands=(
            Command(
                "log",
                'log <length> ["note"] [--on <date>]',
                "log a meeting with your partner (no length: your pair's log)",
                log.log_command,
                args=(
                    Arg("length", ArgKind.TEXT, "How long you met, e.g. 45m or 1h30m", max_length=20),
                    Arg("note", ArgKind.TEXT, "One line for the two of you (optional)", max_length=log.NOTE_MAX),
                    Arg("on", ArgKind.WHEN, "The day you met: 2026-12-01, yesterday (default today)", option=True),
                ),
                examples=('log 45m "résumé review" --on 2026-12-01',),
            ),
            Command(
                "schedule",
                "schedule [cancel]",
                "find a time to meet your partner (cancel: cancel the booked one)",
                schedule.schedule_command,
                args=(Arg("action", ArgKind.CHOICE, "cancel the booked meeting", choices=("cancel",)),),
            ),
            Command(
                "availability",
                'availability ["Mon-Fri 18:00-20:00; Sat 10-14"]',
                "when you are usually free each week (your time); none: what I have",
                schedule.availability_command,
                args=(Arg("times", ArgKind.TEXT, "e.g. Mon-Fri 18:00-20:00; Sat 10-14", max_length=200),),
            ),
            Command(
                "certificate",
                "certificate",
                "a PDF certificate of your mentorship: dates, logged hours, a verification code",
                certificate.certificate_command,
            ),
            Command(
                "thanks",
                "thanks on|off",
                "be thanked by name (or not) in the monthly thank-you post for mentors",
                thanks.thanks_command,
                args=(Arg("choice", ArgKind.CHOICE, "on: name me; off: don't", required=True, choices=("on", "off")),),
            ),
            Command(
                "verify",
                "verify <code>",
                "check a certificate's verification code",
                certificate.verify_command,
                moderator_only=True,
                args=(Arg("code", ArgKind.TEXT, "The code printed on the certificate", required=True, max_length=20),),
                examples=("verify MB-7KQ2-X9PA",),
            ),
        ),
        components=(
            ComponentRoute("met", log.on_met_component),
            ComponentRoute("slot", schedule.on_slot_component),
            ComponentRoute("cert", certificate.on_certificate_component),
            ComponentRoute("pulse", pulse.on_pulse_component),
        ),
        text_handler=pulse.on_direct_text,
        text_priority=12,  # `pulse …` is explicit: asked before typed answers and free-text notes take the words
        sweeps=(
            # Invites and certificates hold personal data: copies go after the retention (housekeeping).
            Sweep("attachment retention", files.sweep_old_attachments),
            Sweep(
                "monthly thanks",
                # The program file's thanks channel, else the participants' space (if it has one).
                lambda session, now, env: thanks.post_due_thanks(
                    session, now, env.program.thanks_channel or env.program.participants_space
                ),
                thanks.next_thanks_due,
            ),
            Sweep(
                "meeting reminders",
                lambda session, now, env: schedule.send_due_reminders(session, now),
                schedule.next_reminder_due,
            ),
        ),
    )
