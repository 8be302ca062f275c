"""Unsubscribing from non-transactional mail: signed links, one-click headers, opt-outs.

Announcements and recording follow-ups carry a ``List-Unsubscribe`` header (RFC 2369)
with one-click unsubscribing (RFC 8058): the link holds the signed, lower-cased
address, so it works without signing in, and keeps working in old emails (no expiry).
An unsubscribed address gets no more of those; confirmations, reminders and change
notices are transactional and still go out, without the header.
"""

from collections.abc import Mapping

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, F
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.html import escape

from notifications.models import EmailOptOut, OutgoingEmail
from webinars.models import ConsentRecord, Registration

UNSUBSCRIBE_SALT = "kizuna.notifications.unsubscribe"
ONE_CLICK_BODY = "List-Unsubscribe=One-Click"
# Stands in for the recipient's unsubscribe link while one rendering serves many people.
UNSUBSCRIBE_PLACEHOLDER = "kizuna-unsubscribe-url-placeholder"


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
    """Stop announcements, recording follow-ups and surveys to ``email``; repeating changes nothing.

    ``source`` records how: "one-click", "page" or "admin".
    """
    email = email.strip().lower()
    # Non-transactional mail still waiting in the outbox (queued, or retrying after a
    # temporary SMTP failure) must not reach someone who has just said stop.
    OutgoingEmail.objects.filter(
        kind__in=[
            OutgoingEmail.Kind.ANNOUNCEMENT,
            OutgoingEmail.Kind.RECORDING_AVAILABLE,
            OutgoingEmail.Kind.SURVEY,
            OutgoingEmail.Kind.SURVEY_FOLLOWUP,
        ],
        status=OutgoingEmail.Status.QUEUED,
        to_email__iexact=email,
    ).update(status=OutgoingEmail.Status.CANCELLED, last_error="the recipient unsubscribed")
    existing = EmailOptOut.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing
    try:
        # A savepoint: a concurrent opt-out of the same address wins, and ours returns it.
        with transaction.atomic():
            opt_out = EmailOptOut.objects.create(email=email, source=source[:20])
            _consent_ledger_append(
                email=email, given=False, source=ConsentRecord.Source.UNSUBSCRIBE
            )
            return opt_out
    except IntegrityError:
        return EmailOptOut.objects.get(email__iexact=email)


def email_opt_in(*, email: str) -> bool:
    """Send announcements to ``email`` again; False when it had not opted out."""
    email = email.strip().lower()
    with transaction.atomic():
        deleted, _by_model = EmailOptOut.objects.filter(email__iexact=email).delete()
        if deleted:
            _consent_ledger_append(email=email, given=True, source=ConsentRecord.Source.RESUBSCRIBE)
    return bool(deleted)


def _consent_ledger_append(*, email: str, given: bool, source: str) -> None:
    """An address-wide choice goes into the ledger of each registration made with it."""
    ConsentRecord.objects.append(
        registration_ids=list(
            Registration.objects.filter(email=email, anonymised_at=None).values_list(
                "pk", flat=True
            )
        ),
        consents={ConsentRecord.Consent.NON_TRANSACTIONAL_EMAIL: given},
        source=source,
    )


# --- One rendering, many recipients -------------------------------------------


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
