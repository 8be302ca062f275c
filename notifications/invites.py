"""Calendar invites for fan-outs: each distinct calendar is built once, not once per person.

Building an invite (event, description, VTIMEZONE blocks) costs far more than the rest
of an email. In a fan-out (reminders, change and cancellation notices, announcements)
every recipient's invite is the same calendar but for the ``ATTENDEE`` line: the
personal join link is still ``JOIN_TOKEN_PLACEHOLDER`` when rows are
written (the real token is minted at sending time). :class:`InviteBook` builds each
distinct calendar once with a placeholder attendee and swaps in each recipient's
line, byte for byte what :func:`webinars.ical.build_invite` would have written.
"""

from django.conf import settings
from django.utils import translation

from webinars.ical import (
    InviteMethod,
    InvitePartstat,
    build_invite,
    invite_attendee_line,
    organizer_name,
)
from webinars.models import Seminar

_PLACEHOLDER_ATTENDEE = "attendee-placeholder@kizuna.invalid"


class InviteBook:
    """Invites for one fan-out. Keep one instance per batch of emails, not globally.

    The cache key holds everything the calendar depends on but the attendee: the
    seminar (pk and its current sequence), the method, the sequence written, the
    links, the participation status and the active language (the description is
    translated). A seminar edited between two calls gets a new key through its
    sequence only for calendar changes, so do not reuse one book across edits.
    """

    def __init__(self) -> None:
        self._templates: dict[tuple, tuple[bytes, bytes]] = {}

    def invite(
        self,
        *,
        seminar: Seminar,
        method: InviteMethod,
        attendee_email: str,
        attendee_name: str = "",
        join_url: str | None = None,
        partstat: InvitePartstat = "ACCEPTED",
        sequence: int | None = None,
    ) -> str:
        """The invite :func:`~webinars.ical.build_invite` would build for this recipient."""
        sequence = seminar.sequence if sequence is None else sequence
        key = (
            seminar.pk,
            seminar.sequence,
            method,
            sequence,
            join_url,
            partstat,
            translation.get_language(),
        )
        parts = self._templates.get(key)
        if parts is None:
            parts = self._templates[key] = self._build(
                seminar=seminar,
                method=method,
                join_url=join_url,
                partstat=partstat,
                sequence=sequence,
            )
        before, after = parts
        line = invite_attendee_line(
            attendee_email=attendee_email, attendee_name=attendee_name, partstat=partstat
        )
        return (before + line + after).decode()

    @property
    def built(self) -> int:
        """How many calendars this book has built (for tests and benchmarks)."""
        return len(self._templates)

    def _build(
        self, *, seminar: Seminar, partstat: InvitePartstat, **fields
    ) -> tuple[bytes, bytes]:
        body = build_invite(
            seminar=seminar,
            organizer_email=settings.ORGANISER_CONTACT_EMAIL,
            organizer_name=organizer_name(seminar),
            attendee_email=_PLACEHOLDER_ATTENDEE,
            partstat=partstat,
            **fields,
        )
        line = invite_attendee_line(attendee_email=_PLACEHOLDER_ATTENDEE, partstat=partstat)
        before, found, after = body.partition(line)
        if not found:  # pragma: no cover - guards a change in how icalendar serialises
            raise RuntimeError("The invite's ATTENDEE line was not where it was expected.")
        return before, after
