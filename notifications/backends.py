"""Email backend for the embedded setup: one ``.eml`` file per message."""

import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
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
            partial.write_bytes(message.message().as_bytes(linesep="\r\n"))
            partial.rename(target)  # readers never see a half-written file
            sent += 1
        return sent
