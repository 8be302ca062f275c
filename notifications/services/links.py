"""Link tokens in emails: stored as placeholders, minted when the email is sent.

The outbox never holds a working link: rendered emails carry ``LINK_TOKEN_PLACEHOLDER``
where a manage token goes (``/r/…``) and ``JOIN_TOKEN_PLACEHOLDER`` where a join token
goes (``/j/…``), and :func:`with_link_token` puts fresh tokens in their place (bodies and
calendar, refolded as icalendar folds) on the copy that goes to the server.

A link does one thing (``RegistrationToken.Scope``): calendar invites carry only the
join link, whose token joins and nothing else; the manage link is in email bodies only.
"""

import copy
import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

from notifications.models import OutgoingEmail
from webinars.models import RegistrationToken

# Stand in the stored email for the registrant's tokens (URL-safe, never real ones).
LINK_TOKEN_PLACEHOLDER = "kizuna-link-token-minted-when-sent"
JOIN_TOKEN_PLACEHOLDER = "kizuna-join-token-minted-when-sent"
PLACEHOLDER_SCOPES = {
    LINK_TOKEN_PLACEHOLDER: RegistrationToken.Scope.MANAGE,
    JOIN_TOKEN_PLACEHOLDER: RegistrationToken.Scope.JOIN,
}


def registration_links(*, join: bool = True) -> tuple[str, str | None]:
    """The (manage, join) URLs every registrant email carries, with placeholder tokens.

    Call inside ``translation.override`` of the reader's language. ``join=False`` gives
    no join URL (None), for emails about a place that does not let one join. Only the
    join URL may go into a calendar invite. The URLs are the same for every reader of a
    language, so they are reversed once per site, URLconf and language, not per email
    (a fan-out renders thousands).
    """
    manage_url, join_url = _placeholder_links(
        settings.SITE_URL, settings.ROOT_URLCONF, get_urlconf(), get_script_prefix(), get_language()
    )
    return manage_url, join_url if join else None


@functools.lru_cache(maxsize=64)
def _placeholder_links(
    site_url: str, root_urlconf: str, urlconf: str | None, script_prefix: str, language: str
) -> tuple[str, str]:
    # Every argument is something reverse() depends on: the cache never serves stale URLs.
    return (
        site_url + reverse("webinars:registration_manage", args=[LINK_TOKEN_PLACEHOLDER]),
        site_url + reverse("webinars:registration_join", args=[JOIN_TOKEN_PLACEHOLDER]),
    )


def with_link_token(email: OutgoingEmail, *, tokens: dict[str, str] | None = None) -> OutgoingEmail:
    """The email as it is sent: a fresh token of the right scope for each placeholder.

    Returns an unsaved copy; the stored row keeps the placeholders, so the outbox (and
    anyone who can read it) never holds a working link. A batch passes the ``tokens``
    (scope to token) it minted for this row (:func:`link_tokens_mint`).
    """
    scopes = scopes_needed(email)
    if not scopes:
        return email
    if tokens is None:
        tokens = {
            scope: RegistrationToken.objects.issue(registration=email.registration, scope=scope)
            for scope in scopes
        }
    sent = copy.copy(email)
    for placeholder, scope in PLACEHOLDER_SCOPES.items():
        if scope not in scopes:
            continue
        token = tokens[scope]
        sent.body_text = sent.body_text.replace(placeholder, token)
        sent.body_html = sent.body_html.replace(placeholder, token)
        if sent.calendar_body:
            sent.calendar_body = _calendar_with_token(sent.calendar_body, placeholder, token)
    return sent


def scopes_needed(email: OutgoingEmail) -> list[str]:
    """The scopes of the tokens ``email`` needs, in a fixed order (none without a registration)."""
    if email.registration_id is None:
        return []
    bodies = (email.body_text, email.body_html, email.calendar_body)
    return [
        scope
        for placeholder, scope in PLACEHOLDER_SCOPES.items()
        if any(placeholder in body for body in bodies)
    ]


def link_tokens_mint(emails: list[OutgoingEmail]) -> dict[int, dict[str, str]]:
    """Fresh tokens for every email that carries links, all written in one INSERT."""
    wanted = [(email, scope) for email in emails for scope in scopes_needed(email)]
    tokens = RegistrationToken.objects.issue_many(
        links=[(email.registration_id, scope) for email, scope in wanted]
    )
    minted: dict[int, dict[str, str]] = {}
    for (email, scope), token in zip(wanted, tokens, strict=True):
        minted.setdefault(email.pk, {})[scope] = token
    return minted


ICAL_FOLD_OCTETS = 74


def _ical_unfold(text: str) -> str:
    """``text`` with every fold removed: a line break (CRLF or LF) then a space or tab.

    One pass over the lines, so that removing a fold never makes another one (what
    repeated ``str.replace`` calls could do with a stray CR).
    """
    if "\n " not in text and "\n\t" not in text:
        return text
    pieces = text.split("\n")
    continues = [piece[:1] in (" ", "\t") for piece in pieces]
    parts = []
    for index, piece in enumerate(pieces):
        if index + 1 < len(pieces) and continues[index + 1] and piece.endswith("\r"):
            piece = piece[:-1]  # the CR of this line's own break, part of the next fold
        if index and continues[index]:
            parts.append(piece[1:])
        else:
            parts.append("\n" + piece if index else piece)
    return "".join(parts)


def _calendar_with_token(calendar_body: str, placeholder: str, token: str) -> str:
    """The calendar with ``token`` in place of ``placeholder``, long lines folded again.

    Folding may have split the placeholder across lines: each content line holding it
    is unfolded, replaced and refolded as icalendar folds; the other lines stay as built.
    Written with string methods, not regular expressions: it runs once per message sent.
    """
    if placeholder not in _ical_unfold(calendar_body):
        return calendar_body
    pieces = calendar_body.split("\n")
    lines = []
    start = 0
    while start < len(pieces):
        # A content line: one physical line and the continuations (space or tab) after it.
        end = start + 1
        while end < len(pieces) and pieces[end][:1] in (" ", "\t"):
            end += 1
        raw = "\n".join(pieces[start:end])
        unfolded = _ical_unfold(raw)
        if placeholder in unfolded:
            content = unfolded.rstrip("\r")
            raw = _ical_fold(content.replace(placeholder, token)) + unfolded[len(content) :]
        lines.append(raw)
        start = end
    return "\n".join(lines)


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
