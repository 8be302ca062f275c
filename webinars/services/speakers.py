"""Write operations on a seminar's speakers, beyond the admin's own saving of the links."""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction

from webinars.models import Seminar, SeminarSpeaker, Speaker

if TYPE_CHECKING:
    from notifications.models import OutgoingEmail


@transaction.atomic
def seminar_speakers_notify(
    *,
    seminar: Seminar,
    added: Iterable[SeminarSpeaker] = (),
    updated: Iterable[SeminarSpeaker] = (),
    removed: Iterable[Speaker] = (),
) -> list["OutgoingEmail"]:
    """Tell speakers of a published seminar that they were added, moved to a new link, or removed.

    Call after the links were saved (``added`` and ``updated`` are saved links;
    ``updated`` are those whose ``join_url`` changed; ``removed`` are the speakers
    whose link was deleted). Drafts, cancelled and finished seminars send nothing:
    a draft's speakers are invited when it is published. Removals go first, so the
    invites written after them carry the seminar's latest SEQUENCE. Returns the
    outbox rows written.
    """
    # Imported here: notifications depends on webinars, not the other way round at load.
    from notifications.speaker_notices import (
        speaker_invite_queue,
        speaker_removed_queue,
        speaker_update_queue,
    )

    current = Seminar.objects.select_for_update().select_related("series").get(pk=seminar.pk)
    if not current.is_published or current.is_past:
        return []
    emails = [speaker_removed_queue(seminar=current, speaker=speaker) for speaker in removed]
    for queue, links in ((speaker_update_queue, updated), (speaker_invite_queue, added)):
        for link in links:
            if link.seminar_id != current.pk:
                raise ValueError(f"Speaker link {link.pk} belongs to another seminar.")
            # The locked, current row: its SEQUENCE is what the invite must carry.
            link.seminar = current
            emails.append(queue(link=link))
    seminar.sequence = current.sequence
    return [email for email in emails if email is not None]
