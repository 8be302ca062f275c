"""Turn an outbox row into the MIME message that goes over SMTP.

With a calendar part the structure is the one Outlook, Gmail and Apple Mail all
read as a meeting invite::

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
        text/calendar; method=REQUEST; charset=utf-8
      application/ics; name="invite.ics"   (attachment)

Without one (a waitlisted registrant) it is a plain ``multipart/alternative`` of the
text and HTML parts. Django's ``attach()`` gives a ``text/calendar`` part a second
``charset`` parameter, so the calendar parts are built here by hand.
"""

import hashlib
import re
import secrets
import smtplib
from email import encoders
from email.mime.base import MIMEBase
from email.utils import formataddr

import idna
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEText

from notifications import wire
from notifications.models import OutgoingEmail
from notifications.wire import INVITE_FILENAME, sender_address

# Header values are single lines: any control character (CR, LF, NUL, TAB…) becomes a space.
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")
_WHITESPACE_RUN = re.compile(r"\s+")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,76}$")
# Headers the message sets itself; extra headers on the row may not override them.
_RESERVED_HEADERS = {
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "subject",
    "message-id",
    "date",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}


def header_text(value: str) -> str:
    """``value`` as a safe one-line header value: no line breaks, no control characters."""
    return _WHITESPACE_RUN.sub(" ", _CONTROL_CHARS.sub(" ", value)).strip()


def recipient_address(*, name: str, email: str) -> str:
    """``"Name" <email>`` for the To header; a name can never add a header or an address."""
    return formataddr((header_text(name).replace('"', "'"), smtp_address(email)))


def smtp_address(email: str) -> str:
    """``email`` as it goes over SMTP: one line, and an internationalised domain in its
    ASCII form by IDNA 2008 (UTS 46). Python's own codec (IDNA 2003, which Django's
    ``punycode()`` uses) turns straße.de into strasse.de, another domain. A domain IDNA
    cannot encode raises ``idna.IDNAError`` (a ValueError): the row fails, visibly."""
    email = header_text(email)
    local_part, at, domain = email.rpartition("@")
    if at and not domain.isascii():
        return f"{local_part}@{idna.encode(domain, uts46=True).decode('ascii')}"
    return email


def message_id(email: OutgoingEmail) -> str:
    """A Message-ID stable across retries of the same row, so receivers can drop repeats."""
    domain = sender_address(settings.DEFAULT_FROM_EMAIL).rpartition("@")[2] or "localhost"
    created = email.created_at.isoformat() if email.created_at else ""
    digest = hashlib.sha256(f"{email.pk}:{created}:{settings.SECRET_KEY}".encode()).hexdigest()
    return f"<kizuna.{email.pk}.{digest[:16]}@{domain}>"


class OutboxMessage(EmailMultiAlternatives):
    """An email whose ``multipart/alternative`` may hold a ``text/calendar`` part."""

    def __init__(
        self,
        *args,
        calendar_method: str = "",
        calendar_body: str = "",
        envelope_to: list[str] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.calendar_method = calendar_method
        self.calendar_body = calendar_body
        # The bare recipient addresses for SMTP, when the builder knows them already.
        self.envelope_to = envelope_to

    def message(self, *args, **kwargs):
        msg = super().message(*args, **kwargs)
        # A random boundary per part, set here: otherwise the email package compiles a
        # regular expression per multipart part to check its own guess against the body,
        # which is a noticeable share of a large fan-out's CPU time.
        for part in msg.walk():
            if part.is_multipart():
                part.set_boundary(f"=kizuna-{secrets.token_hex(16)}")
        return msg

    def wire_bytes(self) -> bytes:
        """The message as it goes over SMTP (CRLF line ends): written directly by
        :mod:`notifications.wire`, or flattened by the ``email`` package when it is not
        one of the outbox's shapes."""
        data = wire.message_bytes(self)
        return data if data is not None else self.message().as_bytes(linesep="\r\n")

    def envelope_sender(self) -> str:
        return wire.envelope_sender(self)

    def envelope_recipients(self) -> list[str]:
        return wire.envelope_recipients(self)

    def _create_attachments(self, msg):
        # The invite.ics attachment (the calendar again, for clients that ignore the
        # inline part) is made only when the email package builds the message:
        # notifications.wire writes its own.
        if not self.calendar_body:
            return super()._create_attachments(msg)
        attachments = self.attachments
        self.attachments = [
            *attachments,
            invite_attachment(method=self.calendar_method, body=self.calendar_body),
        ]
        try:
            return super()._create_attachments(msg)
        finally:
            self.attachments = attachments

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        if self.calendar_body:
            # The base class wraps the text in multipart/alternative whenever there
            # are alternatives; the calendar is always given with an HTML part.
            if msg.get_content_type() != "multipart/alternative":
                raise ValueError("A calendar part needs an HTML alternative beside it.")
            msg.attach(calendar_part(method=self.calendar_method, body=self.calendar_body))
        return msg


def calendar_part(*, method: str, body: str) -> SafeMIMEText:
    """``text/calendar; method=…; charset=utf-8``, with one charset parameter."""
    part = SafeMIMEText(body, "calendar", "utf-8")
    part.replace_header("Content-Type", f"text/calendar; method={method}; charset=utf-8")
    return part


def invite_attachment(*, method: str, body: str) -> MIMEBase:
    """The same calendar as an ``invite.ics`` file, for clients that ignore the inline part."""
    part = MIMEBase("application", "ics", name=INVITE_FILENAME)
    part.set_payload(body.encode())
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=INVITE_FILENAME)
    return part


def build_message(email: OutgoingEmail, *, connection=None) -> OutboxMessage:
    """The message to send for ``email``, with every header it needs."""
    if email.calendar_body and email.calendar_method not in ("REQUEST", "CANCEL", "PUBLISH"):
        raise ValueError(f"Unknown calendar method {email.calendar_method!r}.")
    headers = {
        header_text(name): header_text(str(value))
        for name, value in (email.headers or {}).items()
        if _HEADER_NAME.match(str(name)) and str(name).lower() not in _RESERVED_HEADERS
    }
    headers["Message-ID"] = message_id(email)
    headers["Auto-Submitted"] = "auto-generated"
    message = OutboxMessage(
        subject=header_text(email.subject),
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient_address(name=email.to_name, email=email.to_email)],
        envelope_to=[smtp_address(email.to_email)],
        reply_to=[settings.ORGANISER_CONTACT_EMAIL],
        headers=headers,
        connection=connection,
        calendar_method=email.calendar_method,
        calendar_body=email.calendar_body,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


# An address in a server's reply (``<kenji@example.org>``, ``{'kenji@…': (550, …)}``).
_ADDRESS = re.compile(r"[^\s<>(){}\[\]'\",;:]+@[^\s<>(){}\[\]'\",;:]+")


def error_text(error: BaseException) -> str:
    """What a failure said, for the outbox row and the log, without any email address.

    Servers quote the recipient in their replies; the row already names its recipient,
    and error texts outlive the address when a person is erased. A refusal of recipients
    keeps only each reply (code and text), not the "Name <address>" it was keyed by.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(
            f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
            for code, reply in error.recipients.values()
        )
        text = f"{type(error).__name__}: {replies}"
    else:
        text = f"{type(error).__name__}: {error}"
    return _ADDRESS.sub("<address>", text)[:2000]
