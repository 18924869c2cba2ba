"""Inbound vocabulary: what members do, independent of any chat platform.

Adapters translate a Slack payload or a Discord interaction into one of these
frozen dataclasses and hand it to `bot.mentorbot.MentorBot.handle`. Each carries the
community (workspace / guild / console session), the actor and the channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CommunityRef:
    """Which community an event belongs to: ('slack', 'T0123'), ('discord', '8123…')."""

    platform: str
    external_id: str
    name: str = ""


@dataclass(frozen=True)
class Actor:
    """The member who acted, as the platform describes them."""

    user_id: str
    display_name: str
    # True when the platform itself says so (workspace admin/owner, Manage Server).
    platform_moderator: bool = False
    timezone: str | None = None  # IANA name when the platform profile has one
    is_bot: bool = False


@dataclass(frozen=True)
class SlashCommand:
    community: CommunityRef
    actor: Actor
    channel_id: str
    text: str  # everything after "/mentor"
    event_id: str = ""  # platform id for de-duplication, when there is one


@dataclass(frozen=True)
class ComponentAction:
    """A button click or a select choice. `values` holds the chosen option values."""

    community: CommunityRef
    actor: Actor
    channel_id: str
    component_id: str
    values: tuple[str, ...] = ()
    message_ref: str = ""  # platform id of the message that carried the component
    in_dm: bool = False
    event_id: str = ""


@dataclass(frozen=True)
class FormSubmission:
    community: CommunityRef
    actor: Actor
    form_id: str
    fields: dict[str, str] = field(default_factory=dict)
    event_id: str = ""
    channel_id: str = ""  # where the form was opened from (a poll is posted there)


@dataclass(frozen=True)
class DirectText:
    """A direct message from a member to the bot."""

    community: CommunityRef
    actor: Actor
    channel_id: str
    text: str
    event_id: str = ""


@dataclass(frozen=True)
class MemberJoined:
    community: CommunityRef
    actor: Actor
    event_id: str = ""


Event = SlashCommand | ComponentAction | FormSubmission | DirectText | MemberJoined
