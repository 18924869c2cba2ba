"""Every SQLModel table of mentorbot. Importing this package registers them all
on `SQLModel.metadata` (Alembic and the schema tests rely on that)."""

from storage.tables.choices import ChoiceOffer, ChoiceState, MenteeChoice  # noqa: F401
from storage.tables.core import (  # noqa: F401
    Community,
    InboxEvent,
    Member,
    OutboxMessage,
    OutboxStatus,
    WorkerHeartbeat,
)
from storage.tables.events import CommunityEvent, EventRsvp, EventStatus  # noqa: F401
from storage.tables.intake import Intake, IntakeStatus  # noqa: F401
from storage.tables.lifecycle import (  # noqa: F401
    AskedQuestion,
    CheckIn,
    CheckInAnswer,
    CheckInPlan,
    Feedback,
    FeedbackStep,
    Goal,
    GoalStatus,
    PairNote,
)
from storage.tables.meetings import (  # noqa: F401
    Availability,
    Certificate,
    MeetingLog,
    MeetingPlan,
    MeetingPlanStatus,
    PublicThanks,
    Pulse,
    ThanksPost,
)
from storage.tables.overview import HomeView, StatsSnapshot  # noqa: F401
from storage.tables.pairings import (  # noqa: F401
    MatchRound,
    PairBlock,
    Pairing,
    PairingStatus,
    ProposedPair,
    RoundSchedule,
    RoundStatus,
)
from storage.tables.platform import DmChannel, PacingSlot  # noqa: F401
from storage.tables.polls import Poll, PollStatus, PollVote  # noqa: F401
from storage.tables.profiles import Profile, ProfileStatus, Role  # noqa: F401
from storage.tables.recruit import MentorTraining, RecruitAlert, RecruitAsk, RecruitCheck  # noqa: F401
from storage.tables.slack import SlackInstallation, SlackOAuthState  # noqa: F401
from storage.tables.spaces import SpaceMember  # noqa: F401
