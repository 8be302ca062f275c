"""The bytes of an outbox message as it goes over SMTP, written directly.

Django builds a message as a tree of ``email.mime`` objects and flattens it with the
``email`` package's generator, which re-encodes every header through
``email.header.Header`` and re-checks every part: about two thirds of a mail worker's
CPU time per message, measured over a 100,000-message reminder (bench/README.md). An
outbox message has one of three fixed shapes (see :mod:`notifications.mail`), so it is
written here straight to bytes, with the ``email`` package's own encoders for what needs
encoding: a header with non-ASCII text or too long for one line, a body with lines too
long for 8bit, the base64 of the attachment. The result parses to the same headers,
structure and content as Django's flattening (tests/notifications/test_wire.py checks
both against each other); :func:`message_bytes` returns None for any message outside
those shapes, and the caller then flattens it the usual way.
"""

from __future__ import annotations

import base64
import functools
import re
import secrets
from email.header import Header
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail.message import (
    ADDRESS_HEADERS,
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    BadHeaderError,
    sanitize_address,
    utf8_charset_qp,
)
from django.core.mail.utils import DNS_NAME

if TYPE_CHECKING:
    from notifications.mail import OutboxMessage

CRLF = "\r\n"
INVITE_FILENAME = "invite.ics"
# RFC 5322's recommended line length: longer header lines are folded, as Django's are.
HEADER_LINE_LENGTH = 78
_NEWLINES = re.compile(r"\r\n|\r|\n")


def message_bytes(message: OutboxMessage) -> bytes | None:
    """``message`` as RFC 5322 bytes with CRLF line ends, or None if it is not one of
    the outbox's shapes (then use ``message.message().as_bytes(linesep="\\r\\n")``)."""
    encoding = message.encoding or settings.DEFAULT_CHARSET
    if message.cc or message.bcc or encoding.lower() != "utf-8":
        return None
    html = _html_alternative(message)
    if html is False:
        return None
    if message.attachments:
        return None  # the invite's attachment is not among them: it is written below
    if html is None:
        if message.calendar_body:
            return None
        top_type, top_body = _text_part(message.body, "text/plain")
    else:
        # As Django: an empty plain text is left out, not sent as an empty part.
        parts = [_text_part(message.body, "text/plain")] if message.body else []
        parts.append(_text_part(html, "text/html"))
        if message.calendar_body:
            parts.append(
                _text_part(message.calendar_body, "text/calendar", method=message.calendar_method)
            )
        top_type, top_body = _multipart("alternative", parts)
        if message.calendar_body:
            top_type, top_body = _multipart(
                "mixed", [(top_type, top_body), _invite_part(message.calendar_body)]
            )
    head = [*top_type, "MIME-Version: 1.0" + CRLF, *_message_headers(message)]
    return "".join(head).encode("ascii") + CRLF.encode() + top_body


def envelope_sender(message: OutboxMessage) -> str:
    """The bare address the SMTP ``MAIL FROM`` names (the From header's address)."""
    return sender_address(message.from_email)


def envelope_recipients(message: OutboxMessage) -> list[str]:
    """The bare addresses the SMTP ``RCPT TO`` commands name: those build_message()
    made, or each recipient parsed and checked as Django's SMTP backend does."""
    if message.envelope_to is not None:
        return list(message.envelope_to)
    return [_checked_address(address) for address in message.recipients()]


@functools.lru_cache(maxsize=8)
def sender_address(from_email: str) -> str:
    """The bare address of a From value such as ``"JLGC Seminars <seminars@…>"``, checked
    as Django checks it (a malformed setting raises ValueError instead of sending from
    a wrong address); once per value, since it is a setting."""
    return _checked_address(from_email)


def _checked_address(address: str) -> str:
    return parseaddr(sanitize_address(address, "utf-8"))[1]


def _html_alternative(message: OutboxMessage) -> str | bool | None:
    """The HTML alternative's text, None without one, False for anything else."""
    if not message.alternatives:
        return None
    if len(message.alternatives) != 1:
        return False
    content, mimetype = message.alternatives[0]
    if mimetype != "text/html" or not isinstance(content, str):
        return False
    return content


def _message_headers(message: OutboxMessage) -> list[str]:
    """The message's own headers, in the order and with the precedence Django gives them
    (``EmailMessage.message()``): an extra header may stand in for From, To, Reply-To."""
    extra = message.extra_headers
    names = {name.lower() for name in extra}
    lines = [
        _header("Subject", message.subject),
        _header("From", extra.get("From", message.from_email)),
    ]
    for name, addresses in (("To", message.to), ("Reply-To", message.reply_to)):
        if name in extra:
            lines.append(_header(name, str(extra[name])))
        elif addresses:
            lines.append(_header(name, ", ".join(str(address) for address in addresses)))
    if "date" not in names:
        lines.append(_header("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
    if "message-id" not in names:
        lines.append(_header("Message-ID", make_msgid(domain=DNS_NAME)))
    lines.extend(
        _header(name, str(value))
        for name, value in extra.items()
        if name.lower() not in {"from", "to", "cc", "reply-to"}
    )
    return lines


def _header(name: str, value: str) -> str:
    """One header, encoded (RFC 2047) and folded only when it has to be, as Django does."""
    if "\n" in value or "\r" in value:
        raise BadHeaderError(f"Header values can't contain newlines (got {value!r} for {name!r})")
    if not value.isascii():
        if name.lower() in ADDRESS_HEADERS:
            value = ", ".join(
                sanitize_address(address, "utf-8") for address in getaddresses((value,))
            )
        else:
            encoded = Header(value, "utf-8", header_name=name).encode(
                linesep=CRLF, maxlinelen=HEADER_LINE_LENGTH
            )
            return f"{name}: {encoded}{CRLF}"
    if len(name) + 2 + len(value) <= HEADER_LINE_LENGTH:
        return f"{name}: {value}{CRLF}"
    folded = Header(value, header_name=name).encode(linesep=CRLF, maxlinelen=HEADER_LINE_LENGTH)
    return f"{name}: {folded}{CRLF}"


def _text_part(text: str, content_type: str, *, method: str = "") -> tuple[list[str], bytes]:
    """A text part's headers and body: 7bit or 8bit UTF-8, quoted-printable when a line
    is longer than SMTP allows (as Django decides)."""
    if method:
        # The calendar part's parameters as notifications.mail.calendar_part() writes them.
        headers = [f"Content-Type: {content_type}; method={method}; charset=utf-8{CRLF}"]
    else:
        headers = [f'Content-Type: {content_type}; charset="utf-8"{CRLF}']
    encoded = _with_crlf(text).encode("utf-8", errors="surrogateescape")
    if max(map(len, encoded.split(b"\r\n"))) > RFC5322_EMAIL_LINE_LENGTH_LIMIT:
        body = utf8_charset_qp.body_encode(text)
        headers.append(f"Content-Transfer-Encoding: quoted-printable{CRLF}")
        return headers, _with_crlf(body).encode("ascii")
    transfer = "7bit" if text.isascii() else "8bit"
    headers.append(f"Content-Transfer-Encoding: {transfer}{CRLF}")
    return headers, encoded


def _with_crlf(text: str) -> str:
    """``text`` with every line break (CRLF, CR or LF) as CRLF."""
    if "\r" in text:
        return _NEWLINES.sub(CRLF, text)
    return text.replace("\n", CRLF)  # the usual case, several times faster than the regex


def _invite_part(calendar_body: str) -> tuple[list[str], bytes]:
    """The ``invite.ics`` attachment, as :func:`notifications.mail.invite_attachment`."""
    headers = [
        f'Content-Type: application/ics; name="{INVITE_FILENAME}"{CRLF}',
        f"Content-Transfer-Encoding: base64{CRLF}",
        f'Content-Disposition: attachment; filename="{INVITE_FILENAME}"{CRLF}',
    ]
    encoded = base64.encodebytes(calendar_body.encode()).replace(b"\n", b"\r\n")
    return headers, encoded.rstrip(b"\r\n")


def _multipart(subtype: str, parts: list[tuple[list[str], bytes]]) -> tuple[list[str], bytes]:
    """A multipart of ``parts`` with a random boundary no part can contain."""
    boundary = f"=kizuna-{secrets.token_hex(16)}"
    delimiter = f"--{boundary}{CRLF}".encode("ascii")
    chunks = []
    for index, (headers, body) in enumerate(parts):
        if index:
            chunks.append(CRLF.encode())
        chunks.append(delimiter)
        chunks.append("".join(headers).encode("ascii") + CRLF.encode() + body)
    chunks.append(f"{CRLF}--{boundary}--{CRLF}".encode("ascii"))
    # Folded before the boundary, as the email package folds it (the line would pass 78).
    header = f'Content-Type: multipart/{subtype};{CRLF} boundary="{boundary}"{CRLF}'
    return [header], b"".join(chunks)
