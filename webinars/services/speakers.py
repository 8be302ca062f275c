"""Write operations on a seminar's speakers, beyond the admin's own saving of the links."""

from collections.abc import Iterable

from django.db import transaction

from notifications import services as notices
from webinars.models import Seminar, SeminarSpeaker, Speaker
from webinars.services.seminars import (
    seminar_sequence_raise,
    seminar_speakers_announced,
    seminar_speakers_invite,
)


@transaction.atomic
def seminar_speakers_notify(
    *,
    seminar: Seminar,
    added: Iterable[SeminarSpeaker] = (),
    updated: Iterable[SeminarSpeaker] = (),
    removed: Iterable[Speaker] = (),
) -> list[notices.OutgoingEmail]:
    """Tell speakers of a published seminar that they were added, moved to a new link, or removed.

    Call after the links were saved (``added`` and ``updated`` are saved links;
    ``updated`` are those whose ``join_url`` changed; ``removed`` are the speakers
    whose link was deleted). Drafts, cancelled and finished seminars send nothing:
    a draft's speakers are invited when it is published. Removals go first, so the
    invites written after them carry the seminar's latest SEQUENCE. Every SEQUENCE
    raise happens here, before the email that needs it is written. Returns the
    outbox rows written.
    """
    current = Seminar.objects.select_for_update().select_related("series").get(pk=seminar.pk)
    if not seminar_speakers_announced(current):
        return []
    emails = []
    for speaker in removed:
        emails.extend(_speaker_remove(seminar=current, speaker=speaker))
    for notify, links in ((_speaker_link_change, updated), (_speaker_add, added)):
        for link in links:
            if link.seminar_id != current.pk:
                raise ValueError(f"Speaker link {link.pk} belongs to another seminar.")
            # The locked, current row: its SEQUENCE is what the invite must carry.
            link.seminar = current
            emails.extend(notify(seminar=current, link=link))
    seminar.sequence = current.sequence
    return emails


def _speaker_add(*, seminar: Seminar, link: SeminarSpeaker) -> list[notices.OutgoingEmail]:
    return seminar_speakers_invite(seminar=seminar, links=[link])


def _speaker_link_change(*, seminar: Seminar, link: SeminarSpeaker) -> list[notices.OutgoingEmail]:
    """The new join link as an updated invite; the invite itself if they had none yet."""
    if not link.speaker.email.strip():
        return []
    if not notices.speaker_invited(link=link):
        return seminar_speakers_invite(seminar=seminar, links=[link])
    # Clients ignore an update whose SEQUENCE did not grow.
    seminar_sequence_raise(seminar=seminar)
    return [notices.speaker_update_queue(link=link)]


def _speaker_remove(*, seminar: Seminar, speaker: Speaker) -> list[notices.OutgoingEmail]:
    """Withdraw what has not gone out; a CANCEL, at a raised SEQUENCE, if something had."""
    if not speaker.email.strip():
        return []
    if not notices.speaker_invites_withdraw(seminar=seminar, speaker=speaker):
        return []
    seminar_sequence_raise(seminar=seminar)
    return [notices.speaker_removed_queue(seminar=seminar, speaker=speaker)]
