"""Email backends: SMTP and, for the embedded setup, one ``.eml`` file per message.

Both send an outbox message's :meth:`~notifications.mail.OutboxMessage.wire_bytes`,
so a developer's ``.eml`` file holds the bytes a mail server would receive.
"""

import smtplib
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends import smtp
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    """Write each message to ``EMAIL_FILE_PATH/<timestamp>-<id>.eml``.

    Mail clients open .eml files directly, so a developer can check the
    rendered message and its calendar invite with a real calendar program.
    """

    def __init__(self, file_path: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            target = self.directory / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            partial = target.with_suffix(".eml.part")
            partial.write_bytes(message_bytes(message))
            partial.rename(target)  # readers never see a half-written file
            sent += 1
        return sent


class OutboxSMTPBackend(smtp.EmailBackend):
    """Django's SMTP backend, sending an outbox message's bytes as written by
    :mod:`notifications.wire` (other messages, such as allauth's, as Django does)."""

    def _send(self, email_message: EmailMessage) -> bool:
        if not hasattr(email_message, "wire_bytes"):
            return super()._send(email_message)
        if not email_message.recipients():
            return False
        try:
            self.connection.sendmail(
                email_message.envelope_sender(),
                email_message.envelope_recipients(),
                email_message.wire_bytes(),
            )
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True


def message_bytes(message: EmailMessage) -> bytes:
    """What goes over the wire for ``message``, with CRLF line ends."""
    if hasattr(message, "wire_bytes"):
        return message.wire_bytes()
    return message.message().as_bytes(linesep="\r\n")
