"""A small mentorship program as the bot of an earlier schema revision would have stored it.

One console community (the console adapter's own, so a `Chat` opened on the upgraded
database finds it): a moderator, a mentor and a mentee in an active pairing with one
answered check-in each and their next one due tomorrow, a waiting mentee who voted in an
open poll, an outbox with one sent and one pending message, and a row or two in every
other table.

Each row is written as the full row of today's schema; `insert_rows` keeps only the
tables and columns the database at hand has (columns added later are nullable or have a
server default, as the migrations that added them require), and inserts them with plain
SQL from the database's own reflected schema — never through today's models. Ids come
from the database, in insertion order, as the old code got them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Table, inspect, select

from tests.support.db import START

COMMUNITY = 1
CAROL, DANA, BOB, EVE = 1, 2, 3, 4  # member ids
PAIRING = 1
NEXT_CHECKIN = datetime(2026, 11, 24, 9, 0)  # the day after START: a sweep sends it
PENDING_TEXT = "Your mentorship starts soon"  # the pending outbox message (to bob)
POLL_QUESTION = "Would you join a winter mentorship program?"


def at(day: int, hour: int = 9) -> datetime:
    """A naive UTC time in November 2026, as the UTCDateTime columns store it."""
    return datetime(2026, 11, day, hour, 0)


def _text_payload(*spans: Any) -> str:
    import json

    return json.dumps([{"t": "text", "spans": list(spans)}], ensure_ascii=False)


def _profile(member: int, role: str, status: str, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "community_id": COMMUNITY,
        "member_id": member,
        "role": role,
        "status": status,
        "topics_offered": ["python"] if role != "mentee" else [],
        "topics_wanted": ["python"] if role != "mentor" else [],
        "topics_other": "",
        "goals": "Publish a package with tests" if role != "mentor" else "",
        "can_help_with": "Code review and testing" if role != "mentee" else "",
        "career_stage": "mid" if role == "mentee" else "senior",
        "years_experience": 3 if role == "mentee" else 12,
        "timezone": "Europe/Berlin",
        "hours_per_month": 4,
        "program_length": "3-6",
        "cadence": "biweekly",
        "communication": "video",
        "languages": ["en"],
        "capacity": 1,
        "accepts_async": False,
        "do_not_match": [],
        "team": "",
        "consent": True,
        "source": "direct",
        "signed_up_at": at(5),
        "updated_at": at(5),
        "waiting_since": at(5) if status == "waiting" else None,
        "paused_until": None,
        "left_at": None,
        "times_unmatched": 0,
        "next_round": "",
    }
    return row | extra


def _plan(member: int) -> dict[str, Any]:
    return {
        "community_id": COMMUNITY,
        "pairing_id": PAIRING,
        "member_id": member,
        "active": True,
        "next_checkin_at": NEXT_CHECKIN,
        "base_interval_days": 14,
        "interval_days": 14,
        "sent_count": 1,
        "awaiting_answer": False,
        "ignored_in_a_row": 0,
        "not_yet_in_a_row": 0,
    }


def _checkin(plan: int, member: int) -> dict[str, Any]:
    return {
        "community_id": COMMUNITY,
        "pairing_id": PAIRING,
        "plan_id": plan,
        "member_id": member,
        "sequence": 1,
        "sent_at": at(10),
        "answer": "met",
        "answered_at": at(10, 12),
        "note": "",
    }


# Parents before children; within a table, rows in id order (1, 2, …).
ROWS: dict[str, list[dict[str, Any]]] = {
    "community": [
        {
            "platform": "console",
            "external_id": "console",
            "name": "Console community",
            "timezone": "UTC",
            "moderator_channel_id": "#mods",
            "created_at": at(1),
        }
    ],
    "member": [
        {
            "community_id": COMMUNITY,
            "platform_user_id": name,
            "display_name": name,
            "timezone": None,
            "dm_status": "ok",
            "is_moderator": name == "carol",
            "created_at": at(1),
            "joined_at": at(1) if name == "eve" else None,
        }
        for name in ("carol", "dana", "bob", "eve")
    ],
    "outbox": [
        {  # the poll's post, delivered
            "community_id": COMMUNITY,
            "operation": "post",
            "destination_kind": "channel",
            "destination_target": "#general",
            "payload": _text_payload({"b": POLL_QUESTION}),
            "dedupe_key": "poll:1:post",
            "target_outbox_id": None,
            "status": "sent",
            "attempts": 1,
            "claim_token": 1,
            "not_before": at(2),
            "created_at": at(2),
            "sent_at": at(2),
            "message_ref": "m1",
            "last_error": None,
        },
        {  # queued just before the upgrade: it must still be delivered after it
            "community_id": COMMUNITY,
            "operation": "post",
            "destination_kind": "dm",
            "destination_target": "bob",
            "payload": _text_payload(PENDING_TEXT + ", ", {"u": "bob"}, "."),
            "dedupe_key": "upgrade:pending",
            "target_outbox_id": None,
            "status": "pending",
            "attempts": 0,
            "claim_token": 0,
            "not_before": at(22),
            "created_at": at(22),
            "sent_at": None,
            "message_ref": None,
            "last_error": None,
        },
    ],
    "seen_event": [{"community_id": COMMUNITY, "event_id": "console-e1", "seen_at": at(2)}],
    "poll": [
        {
            "community_id": COMMUNITY,
            "channel_id": "#general",
            "question": POLL_QUESTION,
            "options": [{"label": "I'd mentor", "role": "mentor"}, {"label": "I'd like a mentor", "role": "mentee"}],
            "anonymous": False,
            "show_voters": True,
            "created_by_member_id": CAROL,
            "created_at": at(2),
            "closes_at": datetime(2026, 12, 20, 9, 0),
            "closed_at": None,
            "status": "open",
            "post_outbox_id": 1,
        }
    ],
    "poll_vote": [{"poll_id": 1, "member_id": EVE, "option_index": 1, "voted_at": at(3)}],
    "slack_installation": [
        {
            "client_id": "111.222",
            "enterprise_id": "",
            "team_id": "T0OLD",
            "team_name": "Old workspace",
            "is_enterprise_install": False,
            "app_id": "A0OLD",
            "bot_id": "B0OLD",
            "bot_user_id": "U0BOT",
            "bot_scopes": "chat:write,commands",
            "bot_token_encrypted": "gAAAAA-not-a-real-token",
            "installer_user_id": "U0CAROL",
            "installed_at": at(1),
        }
    ],
    "slack_oauth_state": [{"state": "s-0123456789", "expires_at": at(1, 10)}],
    "profile": [
        _profile(DANA, "mentor", "active"),
        _profile(BOB, "mentee", "active"),
        _profile(EVE, "mentee", "waiting", source="poll:1"),
    ],
    "intake": [
        {
            "community_id": COMMUNITY,
            "member_id": member,
            "step": "summary",
            "answers": {"role": role},
            "source": "direct",
            "editing": False,
            "status": "confirmed",
            "started_at": at(5),
            "updated_at": at(5),
            "remind_at": None,
            "reminders_sent": 0,
        }
        for member, role in ((DANA, "mentor"), (BOB, "mentee"), (EVE, "mentee"))
    ],
    "match_round": [
        {
            "community_id": COMMUNITY,
            "status": "approved",
            "dry_run": False,
            "allow_rematch": False,
            "created_at": at(8),
            "created_by_member_id": CAROL,
            "approved_at": at(8, 10),
            "approved_by_member_id": CAROL,
            "summary": {"average_score": 0.8, "unmatched": []},
            "remind_at": None,
            "reminders_sent": 0,
        }
    ],
    "round_schedule": [
        {
            "community_id": COMMUNITY,
            "every_days": 90,
            "next_run_at": datetime(2027, 2, 1, 9),
            "created_by_member_id": CAROL,
        }
    ],
    "proposed_pair": [
        {
            "round_id": 1,
            "position": 1,
            "mentee_member_id": BOB,
            "mentor_member_id": DANA,
            "score": 0.8,
            "reasons": [{"criterion": "topics", "detail": "python"}],
            "dropped": False,
        }
    ],
    "pairing": [
        {
            "community_id": COMMUNITY,
            "round_id": 1,
            "mentee_member_id": BOB,
            "mentor_member_id": DANA,
            "status": "active",
            "score": 0.8,
            "reasons": [{"criterion": "topics", "detail": "python"}],
            "cadence": "biweekly",
            "communication": "video",
            "program_length": "3-6",
            "ends_on": datetime(2027, 3, 8, 9),
            "policy_confirmed_by": [BOB, DANA],
            "started_at": at(8, 10),
            "kickoff_at": at(9),
            "kickoff_due_at": None,
            "kickoff_reminders_sent": 0,
            "ended_at": None,
            "end_reason": "",
            "midpoint_at": datetime(2027, 1, 7, 9),
            "at_risk_reported_at": None,
            "policy_change": {},
            "reassess_choices": {},
        }
    ],
    "checkin_plan": [_plan(BOB), _plan(DANA)],
    "checkin": [_checkin(1, BOB), _checkin(2, DANA)],
    "goal": [
        {
            "community_id": COMMUNITY,
            "pairing_id": PAIRING,
            "number": 1,
            "text": "Publish my first package with tests",
            "by_date": datetime(2027, 1, 31, 9),
            "status": "open",
            "created_by_member_id": BOB,
            "created_at": at(10),
            "done_at": None,
        }
    ],
    "pair_note": [
        {
            "community_id": COMMUNITY,
            "pairing_id": PAIRING,
            "goal_id": 1,
            "member_id": BOB,
            "kind": "progress",
            "text": "Set up the project skeleton",
            "created_at": at(12),
        }
    ],
    "inbox": [
        {
            "platform": "console",
            "team_id": "console",
            "event_key": "console-e2",
            "member_key": "bob",
            "kind": "command",
            "payload": None,
            "received_at": at(12),
            "claimed_by": None,
            "claimed_until": None,
            "handled_at": at(12),
            "replies": None,
            "finished_at": at(12),
        }
    ],
    "pair_block": [
        {
            "community_id": COMMUNITY,
            "first_member_id": DANA,
            "second_member_id": EVE,
            "reason": "same team",
            "created_by_member_id": CAROL,
            "created_at": at(15),
        }
    ],
    "home_view": [
        {
            "community_id": COMMUNITY,
            "member_id": CAROL,
            "opened_at": at(16),
            "published_at": at(16),
            "stale": False,
            "page": 1,
        }
    ],
    "dm_channel": [
        {
            "platform": "console",
            "community_external_id": "console",
            "members": "bob",
            "channel_id": "D-bob",
            "opened_at": at(16),
        }
    ],
}

# Columns whose stored value a migration changes on purpose (checked by the test itself).
REWRITTEN = {("poll", "show_voters")}


def insert_rows(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Insert every row whose table exists, with the columns that exist; what was written."""
    tables = set(inspect(conn).get_table_names())
    metadata = MetaData()
    written: dict[str, list[dict[str, Any]]] = {}
    for name, rows in ROWS.items():
        if name not in tables:
            continue
        table = Table(name, metadata, autoload_with=conn)
        columns = {c.name for c in table.columns}
        kept = [{k: v for k, v in row.items() if k in columns} for row in rows]
        for number, row in enumerate(kept, start=1):
            result = conn.execute(table.insert().values(**row))
            if "id" in columns:  # ids come from the database, as they did for the old code
                assert result.inserted_primary_key[0] == number, (name, result.inserted_primary_key)
        written[name] = kept
    return written


def read_rows(conn: Connection, written: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The same rows as they read now (by id, else in the stored order), the written columns only."""
    tables = set(inspect(conn).get_table_names())
    metadata = MetaData()
    found: dict[str, list[dict[str, Any]]] = {}
    for name, rows in written.items():
        if name not in tables:
            continue
        table = Table(name, metadata, autoload_with=conn)
        query = select(table)
        if "id" in table.columns:
            query = query.where(table.c.id <= len(rows)).order_by(table.c.id)
        stored = [dict(r._mapping) for r in conn.execute(query)]
        found[name] = [{k: normal(row[k]) for k in rows[0]} for row in stored]
    return found


def normal(value: Any) -> Any:
    """One spelling for a value across drivers (aware datetimes to naive UTC, 0/1 to bool stays)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


assert START.replace(tzinfo=None) < NEXT_CHECKIN  # the check-in falls due after the bot starts
