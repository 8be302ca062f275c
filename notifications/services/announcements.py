"""Organiser announcements to a seminar's registrants.

An announcement is written as a draft in the admin, previewed, then sent once:
:func:`announcement_send` writes one outbox row per distinct address in the same
transaction that marks it sent, so it can never go out twice. Each row carries a
one-click ``List-Unsubscribe`` header (:mod:`notifications.services.unsubscribes`);
unsubscribed addresses get no more announcements.
"""

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from notifications.mail import header_text
from notifications.models import Announcement, OutgoingEmail
from notifications.services.outbox import LeanRow, RenderBatch, emails_write, lean_row
from notifications.services.rendering import render_email, seminar_email_context
from notifications.services.unsubscribes import (
    UNSUBSCRIBE_PLACEHOLDER,
    opted_out_exists,
    recipient_bodies_fill,
    unsubscribe_headers,
    unsubscribe_url,
)
from webinars.models import Registration, Seminar

# Statuses an announcement may be sent to; confirmed unless the organiser says otherwise.
ANNOUNCEMENT_STATUSES = (
    Registration.Status.CONFIRMED,
    Registration.Status.WAITLISTED,
    Registration.Status.CANCELLED,
)
DEFAULT_STATUSES = [Registration.Status.CONFIRMED]
# OutgoingEmail.dedupe_key holds 200 characters; an address can have 254.
DEDUPE_KEY_MAX_LENGTH = 200
# When one address has several registrations, the one with the most current status speaks.
_STATUS_PREFERENCE = {
    Registration.Status.CONFIRMED: 0,
    Registration.Status.WAITLISTED: 1,
    Registration.Status.CANCELLED: 2,
}


class AnnouncementError(Exception):
    """An announcement that cannot be sent; the message says why, for the organiser."""

    message = gettext_lazy("This announcement cannot be sent.")

    def __str__(self) -> str:
        return str(self.message)


class AnnouncementAlreadySent(AnnouncementError):
    message = gettext_lazy("This announcement was already sent; it was not sent again.")


class AnnouncementSeminarNotPublished(AnnouncementError):
    message = gettext_lazy("The seminar is a draft: publish it before writing to its registrants.")


class AnnouncementWithoutStatuses(AnnouncementError):
    message = gettext_lazy("Choose at least one registration status to write to.")


class AnnouncementWithoutRecipients(AnnouncementError):
    message = gettext_lazy(
        "Nobody would receive this announcement: no registrant with the chosen statuses and "
        "audience types (who has not unsubscribed). Nothing was sent."
    )


# --- Who receives an announcement ------------------------------------------------


def announcement_recipients(*, announcement: Announcement) -> list[Registration]:
    """One registration per distinct address the announcement goes to, oldest first.

    The seminar's registrations with the chosen statuses and audience types (none chosen
    means every type), minus unsubscribed addresses. An address registered twice (a
    cancelled place, then a new one) is written to once, as its most current
    registration. One query, whatever the number of registrants.
    """
    seminar = announcement.seminar
    statuses = [status for status in announcement.statuses if status in ANNOUNCEMENT_STATUSES]
    if not statuses:
        return []
    registrations = (
        Registration.objects.filter(seminar_id=announcement.seminar_id, status__in=statuses)
        .exclude(opted_out_exists(OuterRef("email")))
        .select_related("audience_type")
        .order_by("created_at", "pk")
    )
    if announcement.pk:
        # An empty list in the draft means everyone; the subquery keeps this one query.
        chosen_types = announcement.audience_types.values("pk")
        registrations = registrations.filter(
            Exists(chosen_types.filter(pk=OuterRef("audience_type_id")))
            | ~Exists(announcement.audience_types.all())
        )
    chosen: dict[str, Registration] = {}
    for registration in registrations:
        registration.seminar = seminar
        email = registration.email.strip().lower()
        current = chosen.get(email)
        if current is None or (
            _STATUS_PREFERENCE[registration.status] <= _STATUS_PREFERENCE[current.status]
        ):
            chosen[email] = registration
    return sorted(chosen.values(), key=lambda r: (r.created_at, r.pk))


@dataclass(frozen=True)
class RecipientGroup:
    """How many recipients have one status and audience type: a line of the preview."""

    status: str
    audience_type: str
    count: int


def recipient_breakdown(recipients: list[Registration]) -> list[RecipientGroup]:
    """Recipients counted by status, then audience type, in the order the admin lists them."""
    counts = Counter(
        (registration.status, registration.audience_type.name) for registration in recipients
    )
    labels = dict(Registration.Status.choices)
    order = {status: position for position, status in enumerate(ANNOUNCEMENT_STATUSES)}
    return [
        RecipientGroup(status=str(labels[status]), audience_type=name, count=count)
        for (status, name), count in sorted(counts.items(), key=lambda i: (order[i[0][0]], i[0][1]))
    ]


def opted_out_count(*, announcement: Announcement) -> int:
    """Registrants the chosen statuses would reach but who unsubscribed (the preview says so)."""
    statuses = [status for status in announcement.statuses if status in ANNOUNCEMENT_STATUSES]
    emails = Registration.objects.filter(
        seminar_id=announcement.seminar_id, status__in=statuses
    ).filter(opted_out_exists(OuterRef("email")))
    if announcement.pk and announcement.audience_types.exists():
        emails = emails.filter(audience_type__in=announcement.audience_types.all())
    return emails.annotate(lower_email=Lower("email")).values("lower_email").distinct().count()


# --- Rendering and sending ---------------------------------------------------------


@dataclass(frozen=True)
class RenderedAnnouncement:
    subject: str
    body_text: str
    body_html: str

    def for_recipient(self, url: str) -> "RenderedAnnouncement":
        body_text, body_html = recipient_bodies_fill(
            body_text=self.body_text,
            body_html=self.body_html,
            values={UNSUBSCRIBE_PLACEHOLDER: url},
        )
        return RenderedAnnouncement(subject=self.subject, body_text=body_text, body_html=body_html)


def announcement_render(
    *, announcement: Announcement, registration: Registration, unsubscribe: str | None = None
) -> RenderedAnnouncement:
    """Subject, text and HTML of the announcement as ``registration`` reads it.

    In the registrant's language, with the seminar's times as the other emails show
    them (and in the registrant's own zone). The organiser's message is plain text: the
    HTML part escapes it, keeps its line breaks and turns its URLs into links.
    """
    seminar = registration.seminar
    language = registration.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = seminar_email_context(
            seminar=seminar,
            own_zone=registration.time_zone,
            announcement=announcement,
            subject=announcement.subject,
            message=announcement.body.strip(),
            unsubscribe_url=unsubscribe or UNSUBSCRIBE_PLACEHOLDER,
        )
        rendered = render_email("announcement", context)
    return RenderedAnnouncement(
        subject=header_text(rendered["subject"])[:300],
        body_text=rendered["body_text"],
        body_html=rendered["body_html"],
    )


def announcement_dedupe_key(*, announcement_id: int, email: str) -> str:
    """``announcement:<id>:<address>``; a digest instead of an address too long for the column."""
    key = f"announcement:{announcement_id}:{email.strip().lower()}"
    if len(key) <= DEDUPE_KEY_MAX_LENGTH:
        return key
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"announcement:{announcement_id}:sha256:{digest}"


def announcement_check(*, announcement: Announcement) -> None:
    """Raise the :class:`AnnouncementError` that stops a draft from being sent, if any."""
    if announcement.sent_at is not None:
        raise AnnouncementAlreadySent
    if not seminar_announceable(announcement.seminar):
        raise AnnouncementSeminarNotPublished
    if not [status for status in announcement.statuses if status in ANNOUNCEMENT_STATUSES]:
        raise AnnouncementWithoutStatuses


def seminar_announceable(seminar: Seminar) -> bool:
    """Published seminars, and cancelled ones that were published, have registrants to tell."""
    return seminar.is_published or (seminar.is_cancelled and seminar.published_at is not None)


def announcement_send(*, announcement: Announcement, now: datetime | None = None) -> int:
    """Write the announcement to the outbox, one row per recipient, and mark it sent; count them.

    One transaction with the announcement row locked, so a double-clicked "Send" sends
    once: the second call finds it sent and raises :class:`AnnouncementAlreadySent`. Rows
    are delivered after commit. Reads do not grow with the audience (the lock, the
    audience, the keys already written); writes take one INSERT per ``outbox.WRITE_BATCH_SIZE``
    rows. Raises an :class:`AnnouncementError` when there is nothing to send.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Announcement.objects.select_for_update(of=("self",))
            .select_related("seminar__series")
            .get(pk=announcement.pk)
        )
        announcement_check(announcement=locked)
        recipients = announcement_recipients(announcement=locked)
        if not recipients:
            raise AnnouncementWithoutRecipients
        written = set(
            OutgoingEmail.objects.filter(
                seminar_id=locked.seminar_id,
                kind=OutgoingEmail.Kind.ANNOUNCEMENT,
                dedupe_key__startswith=f"announcement:{locked.pk}:",
            )
            .order_by()
            .values_list("dedupe_key", flat=True)
        )
        rows = _announcement_rows(announcement=locked, recipients=recipients, written=written)
        # Batched tasks, each delivering over one SMTP connection, after the commit.
        created = emails_write(rows)
        locked.sent_at = now
        locked.recipient_count = len(written) + len(created)
        locked.save(update_fields=["sent_at", "recipient_count"])
    announcement.sent_at = locked.sent_at
    announcement.recipient_count = locked.recipient_count
    return len(created)


def _announcement_rows(
    *, announcement: Announcement, recipients: list[Registration], written: set[str]
) -> list[LeanRow]:
    """Lean rows, one per recipient not yet written: :func:`announcement_email_render`
    writes each message when it is sent."""
    rows = []
    for registration in recipients:
        email = registration.email.strip().lower()
        dedupe_key = announcement_dedupe_key(announcement_id=announcement.pk, email=email)
        if dedupe_key in written:
            continue
        rows.append(
            lean_row(
                kind=OutgoingEmail.Kind.ANNOUNCEMENT,
                to_email=email,
                to_name=registration.name,
                language=registration.language,
                registration_id=registration.pk,
                seminar_id=announcement.seminar_id,
                snapshot={"announcement": announcement.pk},
                headers=unsubscribe_headers(url=unsubscribe_url(email=email)),
                dedupe_key=dedupe_key,
            )
        )
    return rows


def announcement_email_render(email: OutgoingEmail, batch: RenderBatch) -> dict[str, object]:
    """One recipient's announcement as it is sent.

    People reading the same language in the same zone read the same email but for the
    unsubscribe link: a batch renders it once per (announcement, language, zone) and
    puts each person's link in. A registration erased since reads as a recipient
    without a zone, in the row's language.
    """
    announcement = batch.once(
        ("announcement", email.snapshot["announcement"]),
        lambda: Announcement.objects.get(pk=email.snapshot["announcement"]),
    )
    registration = email.registration
    zone = registration.time_zone if registration is not None else ""
    group = ("announcement", announcement.pk, email.language, zone)
    rendered = batch.once(
        group,
        lambda: announcement_render(
            announcement=announcement,
            registration=registration
            or Registration(seminar=email.seminar, language=email.language),
        ),
    )
    return asdict(rendered.for_recipient(unsubscribe_url(email=email.to_email)))
