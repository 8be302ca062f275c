"""The notifications app's write layer, one module per kind of notice; import from here.

This module is the public entry: the rest of the app (tasks, admin, views, commands)
and webinars' services (the one way from webinars into notifications, to queue mail in
the same transaction as the change that causes it) import these names, never the
modules behind them.

- :mod:`.outbox` writes rows (rendered, or lean for the worker to render) and hands
  them to Celery after commit; :mod:`.composing` renders lean rows in the worker;
- :mod:`.delivery` claims, sends and records them; :mod:`.links` mints link tokens at
  sending time; :mod:`.rendering` is what every email shows the same way;
- one module per kind of notice: :mod:`.registrations`, :mod:`.reminders`,
  :mod:`.seminar_changes`, :mod:`.cancellations`, :mod:`.speakers`,
  :mod:`.recordings`, :mod:`.announcements`, :mod:`.alerts` (new seminars to their
  followers), :mod:`.surveys` (after the seminar, and months later), and
  :mod:`.unsubscribes` for opting out.
"""

from notifications.models import OutgoingEmail
from notifications.services.alerts import (
    AlertRun,
    alert_items_withdraw,
    follow_confirmation_queue,
    seminar_alert_record,
    seminar_alerts_run,
)
from notifications.services.announcements import (
    ANNOUNCEMENT_STATUSES,
    DEFAULT_STATUSES,
    AnnouncementAlreadySent,
    AnnouncementError,
    AnnouncementSeminarNotPublished,
    AnnouncementWithoutRecipients,
    AnnouncementWithoutStatuses,
    RecipientGroup,
    announcement_check,
    announcement_recipients,
    announcement_render,
    announcement_send,
    opted_out_count,
    recipient_breakdown,
    seminar_announceable,
)
from notifications.services.cancellations import seminar_cancelled_emails_queue
from notifications.services.composing import email_render, emails_render
from notifications.services.delivery import (
    MAX_RETRY_COUNTDOWN_SECONDS,
    DeliveryOutcome,
    DeliveryPass,
    email_deliver,
    emails_deliver,
    emails_deliver_due,
)
from notifications.services.links import (
    JOIN_TOKEN_PLACEHOLDER,
    LINK_TOKEN_PLACEHOLDER,
    with_link_token,
)
from notifications.services.outbox import (
    NotSent,
    deliver_after_commit,
    email_queue,
    email_resend,
    enqueue_delivery,
    lean_email_queue,
)
from notifications.services.recordings import recording_followups_queue
from notifications.services.registrations import (
    registration_email_queue,
    registration_links_email_queue,
)
from notifications.services.reminders import (
    ReminderScan,
    reminders_dispatch,
    reminders_dispatch_summary,
)
from notifications.services.seminar_changes import (
    ChangeNoticeRun,
    seminar_change_notices_run,
    seminar_change_notices_send,
    seminar_change_notices_summary,
    seminar_change_record,
)
from notifications.services.speakers import (
    speaker_ids_cancelled,
    speaker_invited,
    speaker_invites_queue,
    speaker_invites_withdraw,
    speaker_links_uninvited,
    speaker_reminders_dispatch,
    speaker_removed_queue,
    speaker_update_queue,
)
from notifications.services.surveys import SurveyDispatch, surveys_dispatch
from notifications.services.unsubscribes import (
    ONE_CLICK_BODY,
    email_opt_in,
    email_opt_out,
    is_opted_out,
    masked_email,
    unsubscribe_email,
    unsubscribe_url,
)

# The outbox row these services return, and its kinds for callers that name one (e.g. a
# registration's confirmation): the rest of the model stays behind this entry.
EmailKind = OutgoingEmail.Kind

__all__ = [
    "ANNOUNCEMENT_STATUSES",
    "DEFAULT_STATUSES",
    "JOIN_TOKEN_PLACEHOLDER",
    "LINK_TOKEN_PLACEHOLDER",
    "MAX_RETRY_COUNTDOWN_SECONDS",
    "ONE_CLICK_BODY",
    "AlertRun",
    "AnnouncementAlreadySent",
    "AnnouncementError",
    "AnnouncementSeminarNotPublished",
    "AnnouncementWithoutRecipients",
    "AnnouncementWithoutStatuses",
    "ChangeNoticeRun",
    "DeliveryOutcome",
    "DeliveryPass",
    "EmailKind",
    "NotSent",
    "OutgoingEmail",
    "RecipientGroup",
    "ReminderScan",
    "SurveyDispatch",
    "alert_items_withdraw",
    "announcement_check",
    "announcement_recipients",
    "announcement_render",
    "announcement_send",
    "deliver_after_commit",
    "email_deliver",
    "email_opt_in",
    "email_opt_out",
    "email_queue",
    "email_render",
    "email_resend",
    "emails_deliver",
    "emails_deliver_due",
    "emails_render",
    "enqueue_delivery",
    "follow_confirmation_queue",
    "is_opted_out",
    "lean_email_queue",
    "masked_email",
    "opted_out_count",
    "recipient_breakdown",
    "recording_followups_queue",
    "registration_email_queue",
    "registration_links_email_queue",
    "reminders_dispatch",
    "reminders_dispatch_summary",
    "seminar_alert_record",
    "seminar_alerts_run",
    "seminar_announceable",
    "seminar_cancelled_emails_queue",
    "seminar_change_notices_run",
    "seminar_change_notices_send",
    "seminar_change_notices_summary",
    "seminar_change_record",
    "speaker_ids_cancelled",
    "speaker_invited",
    "speaker_invites_queue",
    "speaker_invites_withdraw",
    "speaker_links_uninvited",
    "speaker_reminders_dispatch",
    "speaker_removed_queue",
    "speaker_update_queue",
    "surveys_dispatch",
    "unsubscribe_email",
    "unsubscribe_url",
    "with_link_token",
]
