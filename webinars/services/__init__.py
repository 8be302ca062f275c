"""Write operations of the core domain, one module per area.

Import from here: ``from webinars.services import seminar_update``.
"""

from webinars.services.recordings import (
    private_file_delete_after_commit,
    recording_consent_record,
    recording_publish,
    recording_publish_problems,
    recording_search_index,
    recording_search_text,
    recording_transcript_attach,
    recording_transcript_remove,
    recording_unpublish,
    recording_view_record,
    recordings_search_reindex,
)
from webinars.services.registration_acts import (
    RegistrationAlreadyCancelled,
    registration_add_for_attendee,
    registration_cancel_for_attendee,
    registration_move_to_waitlist_for_attendee,
)
from webinars.services.registrations import (
    RegistrationResult,
    attendance_mark,
    calendar_token_renew,
    join_click_record,
    registration_cancel,
    registration_create,
    registration_links_renew,
    registration_move_to_waitlist,
    registration_promote,
    registration_token_issue,
    registration_update_details,
)
from webinars.services.seminars import (
    CALENDAR_FIELDS,
    seminar_cancel,
    seminar_create,
    seminar_duplicate,
    seminar_publish,
    seminar_sequence_raise,
    seminar_speakers_invite,
    seminar_update,
)
from webinars.services.speakers import seminar_speakers_notify

__all__ = [
    "CALENDAR_FIELDS",
    "RegistrationAlreadyCancelled",
    "RegistrationResult",
    "attendance_mark",
    "calendar_token_renew",
    "join_click_record",
    "private_file_delete_after_commit",
    "recording_consent_record",
    "recording_publish",
    "recording_publish_problems",
    "recording_search_index",
    "recording_search_text",
    "recording_transcript_attach",
    "recording_transcript_remove",
    "recording_unpublish",
    "recording_view_record",
    "recordings_search_reindex",
    "registration_add_for_attendee",
    "registration_cancel",
    "registration_cancel_for_attendee",
    "registration_create",
    "registration_links_renew",
    "registration_move_to_waitlist",
    "registration_move_to_waitlist_for_attendee",
    "registration_promote",
    "registration_token_issue",
    "registration_update_details",
    "seminar_cancel",
    "seminar_create",
    "seminar_duplicate",
    "seminar_publish",
    "seminar_sequence_raise",
    "seminar_speakers_invite",
    "seminar_speakers_notify",
    "seminar_update",
]
