"""Link tokens in emails: stored as a placeholder, minted when the email is sent.

The outbox never holds a working manage or join link: rendered emails carry
``LINK_TOKEN_PLACEHOLDER`` and :func:`with_link_token` puts a fresh token in its place
(bodies and calendar, refolded as icalendar folds) on the copy that goes to the server.
"""

import copy
import re

from django.conf import settings
from django.urls import reverse

from notifications.models import OutgoingEmail
from webinars.models import RegistrationToken

# Stands in the stored email for the registrant's link token (URL-safe, never a real one).
LINK_TOKEN_PLACEHOLDER = "kizuna-link-token-minted-when-sent"


def registration_links(*, join: bool = True) -> tuple[str, str | None]:
    """The (manage, join) URLs every registrant email carries, with the placeholder token.

    Call inside ``translation.override`` of the reader's language. ``join=False`` gives
    no join URL (None), for emails about a place that does not let one join.
    """
    token = LINK_TOKEN_PLACEHOLDER
    manage_url = settings.SITE_URL + reverse("webinars:registration_manage", args=[token])
    join_url = None
    if join:
        join_url = settings.SITE_URL + reverse("webinars:registration_join", args=[token])
    return manage_url, join_url


def with_link_token(email: OutgoingEmail, *, token: str | None = None) -> OutgoingEmail:
    """The email as it is sent: a fresh link token in place of the placeholder.

    Returns an unsaved copy; the stored row keeps the placeholder, so the outbox
    (and anyone who can read it) never holds a working manage or join link. A batch
    passes the ``token`` it minted for this row (:func:`link_tokens_mint`).
    """
    if not needs_link_token(email):
        return email
    if token is None:
        token = RegistrationToken.objects.issue(registration=email.registration)
    sent = copy.copy(email)
    sent.body_text = email.body_text.replace(LINK_TOKEN_PLACEHOLDER, token)
    sent.body_html = email.body_html.replace(LINK_TOKEN_PLACEHOLDER, token)
    if email.calendar_body:
        sent.calendar_body = _calendar_with_token(email.calendar_body, token)
    return sent


def needs_link_token(email: OutgoingEmail) -> bool:
    bodies = (email.body_text, email.body_html, email.calendar_body)
    return email.registration_id is not None and any(LINK_TOKEN_PLACEHOLDER in b for b in bodies)


def link_tokens_mint(emails: list[OutgoingEmail]) -> dict[int, str]:
    """One fresh link token per email that carries links, all written in one INSERT."""
    carrying = [email for email in emails if needs_link_token(email)]
    tokens = RegistrationToken.objects.issue_many(
        registration_ids=[email.registration_id for email in carrying]
    )
    return {email.pk: token for email, token in zip(carrying, tokens, strict=True)}


ICAL_FOLD_OCTETS = 74
# A folded iCalendar line break: CRLF (or LF) followed by one space or tab.
_ICAL_FOLD = re.compile(r"\r?\n[ \t]")
# Where one content line ends and the next begins (a line break not followed by a fold).
_ICAL_LINE_END = re.compile(r"(?<=\n)(?![ \t])")


def _calendar_with_token(calendar_body: str, token: str) -> str:
    """The calendar with the token in place of the placeholder, long lines folded again.

    Folding may have split the placeholder across lines: each content line holding it
    is unfolded, replaced and refolded as icalendar folds; the other lines stay as built.
    """
    lines = []
    for raw in _ICAL_LINE_END.split(calendar_body):
        unfolded = _ICAL_FOLD.sub("", raw)
        if LINK_TOKEN_PLACEHOLDER in unfolded:
            content = unfolded.rstrip("\r\n")
            ending = unfolded[len(content) :]
            raw = _ical_fold(content.replace(LINK_TOKEN_PLACEHOLDER, token)) + ending
        lines.append(raw)
    return "".join(lines)


def _ical_fold(line: str) -> str:
    """``line`` folded exactly as icalendar folds it, without its per-character loop.

    Segments of at most 74 octets (a continuation after its leading space), never cutting
    a UTF-8 character; an escape character (``\\`` or ``^``) never ends a segment, it
    starts the next one.
    """
    data = line.encode()
    segments = []
    start = 0
    while len(data) - start > ICAL_FOLD_OCTETS:
        end = start + ICAL_FOLD_OCTETS
        while data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: the character goes on
            end -= 1
        if data[end - 1] in b"\\^":
            end -= 1
        segments.append(data[start:end])
        start = end
    segments.append(data[start:])
    return "\r\n ".join(segment.decode() for segment in segments)
