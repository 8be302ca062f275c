"""Organiser announcements to a seminar's registrants, and unsubscribing from them.

An announcement is written as a draft in the admin, previewed, then sent once:
:func:`announcement_send` writes one outbox row per distinct address in the same
transaction that marks it sent, so it can never go out twice. Each row carries a
``List-Unsubscribe`` header (RFC 2369) with one-click unsubscribing (RFC 8058): the
link holds the signed, lower-cased address, so it works without signing in, and keeps
working in old emails (no expiry). An unsubscribed address gets no more
announcements; confirmations, reminders and change notices are transactional and
still go out, without the header.
"""

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext_lazy

from notifications.mail import header_text
from notifications.models import Announcement, EmailOptOut, OutgoingEmail
from notifications.services import deliver_after_commit, tidy_text, times_for
from webinars.models import Registration, Seminar
from webinars.timezones import uk_clock_change_note

UNSUBSCRIBE_SALT = "kizuna.notifications.unsubscribe"
ONE_CLICK_BODY = "List-Unsubscribe=One-Click"
# Statuses an announcement may be sent to; confirmed unless the organiser says otherwise.
ANNOUNCEMENT_STATUSES = (
    Registration.Status.CONFIRMED,
    Registration.Status.WAITLISTED,
    Registration.Status.CANCELLED,
)
DEFAULT_STATUSES = [Registration.Status.CONFIRMED]
# OutgoingEmail.dedupe_key holds 200 characters; an address can have 254.
DEDUPE_KEY_MAX_LENGTH = 200
# Rows written per INSERT (PostgreSQL allows 65,535 parameters per statement).
WRITE_BATCH_SIZE = 500
# When one address has several registrations, the one with the most current status speaks.
_STATUS_PREFERENCE = {
    Registration.Status.CONFIRMED: 0,
    Registration.Status.WAITLISTED: 1,
    Registration.Status.CANCELLED: 2,
}
# Stands in for the recipient's unsubscribe link while one rendering serves many people.
UNSUBSCRIBE_PLACEHOLDER = "kizuna-unsubscribe-url-placeholder"


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


# --- Unsubscribe links ---------------------------------------------------------


def _signer() -> signing.Signer:
    # A Signer, not a TimestampSigner: the link in an email years old must still work.
    # Keys rotated through SECRET_KEY_FALLBACKS keep verifying old links.
    return signing.Signer(salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(*, email: str) -> str:
    """The URL-safe signed token for ``email`` (case does not matter)."""
    return _signer().sign_object(email.strip().lower())


def unsubscribe_email(*, token: str) -> str | None:
    """The address a token was made for, or None when the token is forged or damaged."""
    try:
        email = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    return email if isinstance(email, str) and email else None


def unsubscribe_url(*, email: str) -> str:
    """The absolute unsubscribe link for ``email``, as the emails carry it."""
    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(email=email)])
    return settings.SITE_URL + path


def unsubscribe_headers(*, url: str) -> dict[str, str]:
    """``List-Unsubscribe`` with one-click (RFC 8058) for a non-transactional email."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK_BODY}


def masked_email(email: str) -> str:
    """``a***@example.org``: enough for people to recognise their address, not to read it."""
    local, at, domain = email.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


# --- Opting out and in -----------------------------------------------------------


def is_opted_out(*, email: str) -> bool:
    return EmailOptOut.objects.filter(email__iexact=email.strip()).exists()


def opted_out_exists(email_ref: F) -> Exists:
    """True in a query where the address ``email_ref`` (e.g. ``OuterRef("email")``) unsubscribed.

    Case-insensitive, like every opt-out check, and one subquery: the recipient lists
    stay one query whatever the number of registrants.
    """
    return Exists(
        EmailOptOut.objects.annotate(lower_email=Lower("email")).filter(
            lower_email=Lower(email_ref)
        )
    )


def email_opt_out(*, email: str, source: str) -> EmailOptOut:
    """Stop announcements and recording follow-ups to ``email``; repeating changes nothing.

    ``source`` records how: "one-click", "page" or "admin".
    """
    email = email.strip().lower()
    # Non-transactional mail still waiting in the outbox (queued, or retrying after a
    # temporary SMTP failure) must not reach someone who has just said stop.
    OutgoingEmail.objects.filter(
        kind__in=[OutgoingEmail.Kind.ANNOUNCEMENT, OutgoingEmail.Kind.RECORDING_AVAILABLE],
        status=OutgoingEmail.Status.QUEUED,
        to_email__iexact=email,
    ).update(status=OutgoingEmail.Status.CANCELLED, last_error="the recipient unsubscribed")
    existing = EmailOptOut.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing
    try:
        # A savepoint: a concurrent opt-out of the same address wins, and ours returns it.
        with transaction.atomic():
            return EmailOptOut.objects.create(email=email, source=source[:20])
    except IntegrityError:
        return EmailOptOut.objects.get(email__iexact=email)


def email_opt_in(*, email: str) -> bool:
    """Send announcements to ``email`` again; False when it had not opted out."""
    deleted, _by_model = EmailOptOut.objects.filter(email__iexact=email.strip()).delete()
    return bool(deleted)


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


def recipient_bodies_fill(
    *, body_text: str, body_html: str, values: Mapping[str, str]
) -> tuple[str, str]:
    """Text and HTML bodies with each placeholder replaced by this recipient's value.

    One rendering serves everyone reading the same wording; the placeholders stand in
    for what differs per person (name, unsubscribe link). Values are escaped in the HTML.
    """
    for placeholder, value in values.items():
        body_text = body_text.replace(placeholder, value)
        body_html = body_html.replace(placeholder, escape(value))
    return body_text, body_html


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
        context = {
            "announcement": announcement,
            "seminar": seminar,
            "subject": announcement.subject,
            "message": announcement.body.strip(),
            "times": times_for(registration),
            "clock_change_note": uk_clock_change_note(seminar.starts_at),
            "seminar_url": seminar.public_url,
            "contact_email": settings.ORGANISER_CONTACT_EMAIL,
            "unsubscribe_url": unsubscribe or UNSUBSCRIBE_PLACEHOLDER,
        }
        path = "notifications/email/announcement"
        return RenderedAnnouncement(
            subject=header_text(render_to_string(f"{path}.subject.txt", context))[:300],
            body_text=tidy_text(render_to_string(f"{path}.txt", context)),
            body_html=render_to_string(f"{path}.html", context),
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
    audience, the keys already written); writes take one INSERT per ``WRITE_BATCH_SIZE``
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
        created = OutgoingEmail.objects.bulk_create(rows, batch_size=WRITE_BATCH_SIZE)
        # Batched tasks, each delivering over one SMTP connection, after the commit.
        deliver_after_commit([row.pk for row in created])
        locked.sent_at = now
        locked.recipient_count = len(written) + len(created)
        locked.save(update_fields=["sent_at", "recipient_count"])
    announcement.sent_at = locked.sent_at
    announcement.recipient_count = locked.recipient_count
    return len(created)


def _announcement_rows(
    *, announcement: Announcement, recipients: list[Registration], written: set[str]
) -> list[OutgoingEmail]:
    # People reading the same language in the same zone read the same email but for the
    # unsubscribe link: render once per (language, zone), then put each person's link in.
    renderings: dict[tuple[str, str], RenderedAnnouncement] = {}
    rows = []
    for registration in recipients:
        email = registration.email.strip().lower()
        dedupe_key = announcement_dedupe_key(announcement_id=announcement.pk, email=email)
        if dedupe_key in written:
            continue
        language = registration.language or settings.LANGUAGE_CODE
        group = (language, registration.time_zone)
        if group not in renderings:
            renderings[group] = announcement_render(
                announcement=announcement, registration=registration
            )
        url = unsubscribe_url(email=email)
        rendered = renderings[group].for_recipient(url)
        rows.append(
            OutgoingEmail(
                kind=OutgoingEmail.Kind.ANNOUNCEMENT,
                to_email=email,
                to_name=header_text(registration.name)[:150],
                language=language,
                registration=registration,
                seminar=announcement.seminar,
                subject=rendered.subject,
                body_text=rendered.body_text,
                body_html=rendered.body_html,
                headers=unsubscribe_headers(url=url),
                dedupe_key=dedupe_key,
                next_attempt_at=timezone.now(),
            )
        )
    return rows
