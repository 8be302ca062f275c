"""The core domain's models, one module per area; import them from here."""

from webinars.models.catalogue import (
    DEFAULT_REMINDER_OFFSETS_MINUTES,
    AudienceQuota,
    Seminar,
    SeminarQuerySet,
    SeminarSpeaker,
    Series,
    Speaker,
    Topic,
    default_reminder_offsets,
    validate_reminder_offsets,
)
from webinars.models.certificates import Certificate
from webinars.models.follows import Follow, FollowQuerySet
from webinars.models.recordings import (
    Recording,
    RecordingChapter,
    RecordingMaterial,
    RecordingProgress,
    RecordingQuerySet,
    RecordingView,
    TranscriptCue,
)
from webinars.models.registrations import (
    ConsentRecord,
    JoinClick,
    Registration,
    RegistrationAct,
    RegistrationQuerySet,
    RegistrationQuestion,
    RegistrationToken,
    registration_token_hash,
)
from webinars.models.surveys import SurveyQuestion, SurveyResponse

__all__ = [
    "DEFAULT_REMINDER_OFFSETS_MINUTES",
    "AudienceQuota",
    "Certificate",
    "ConsentRecord",
    "Follow",
    "FollowQuerySet",
    "JoinClick",
    "Recording",
    "RecordingChapter",
    "RecordingMaterial",
    "RecordingProgress",
    "RecordingQuerySet",
    "RecordingView",
    "Registration",
    "RegistrationAct",
    "RegistrationQuerySet",
    "RegistrationQuestion",
    "RegistrationToken",
    "Seminar",
    "SeminarQuerySet",
    "SeminarSpeaker",
    "Series",
    "Speaker",
    "SurveyQuestion",
    "SurveyResponse",
    "Topic",
    "TranscriptCue",
    "default_reminder_offsets",
    "registration_token_hash",
    "validate_reminder_offsets",
]
