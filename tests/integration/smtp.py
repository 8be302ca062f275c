"""A real SMTP server on loopback for integration tests: aiosmtpd in a thread of this process.

Workers reach it through ``EMAIL_URL`` (:attr:`SmtpServer.url`); in-process code through
:meth:`SmtpServer.configure`. It records every message it accepts (envelope recipients,
Message-ID, raw bytes) and can misbehave the way real mail servers do:

- stopped (:meth:`SmtpServer.stop`): nothing listens, connections are refused;
- :meth:`SmtpServer.fail_next`: the next N ``MAIL FROM`` commands get a 4xx reply
  (421 "service not available", 451 "try again later");
- :meth:`SmtpServer.reject`: ``RCPT TO`` for the given addresses gets ``550``.
"""

import contextlib
import email
import email.policy
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"
SERVICE_NOT_AVAILABLE = "421 4.3.2 Service not available, closing transmission channel"
NO_SUCH_USER = "550 5.1.1 No such user here"


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    recipients: tuple[str, ...]
    message_id: str
    raw: bytes

    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


class _Handler:
    """aiosmtpd's hooks; they run in the controller's event-loop thread."""

    def __init__(self, server: "SmtpServer") -> None:
        self.server = server

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.server.on_mail is not None:
            self.server.on_mail(len(self.server.received))
        reply = self.server._take_failure()
        if reply is not None:
            return reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.server._is_rejected(address):
            return NO_SUCH_USER
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        self.server._record(
            Received(
                recipients=tuple(address.lower() for address in envelope.rcpt_tos),
                message_id=(headers["Message-ID"] or "").strip(),
                raw=raw,
            )
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """A recording SMTP server on 127.0.0.1 that keeps its port across stop and start."""

    def __init__(self) -> None:
        self.port = _free_port()
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._failures_left = 0
        self._failure_reply = TEMPORARY_FAILURE
        self._rejected: set[str] = set()
        self._controller: Controller | None = None
        # Hooks run in the server's thread before it replies, so a test can crash the client
        # at an exact point: on_mail gets the number of messages accepted before this MAIL
        # FROM; on_message the number including the one just received, not yet acknowledged.
        self.on_mail: Callable[[int], None] | None = None
        self.on_message: Callable[[int], None] | None = None
        self.failures_given = 0
        self.rejections_given: list[str] = []

    @property
    def url(self) -> str:
        """The ``EMAIL_URL`` for a worker (django-environ's ``smtp://`` scheme, no TLS)."""
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is not None:
            return
        # aiosmtpd logs every command at INFO: keep failure reports readable.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening: from now on connections are refused, as when the server is down."""
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    def fail_next(self, count: int, reply: str = TEMPORARY_FAILURE) -> None:
        """Answer the next ``count`` ``MAIL FROM`` commands with ``reply`` (a 4xx line)."""
        with self._lock:
            self._failures_left = count
            self._failure_reply = reply

    def reject(self, *addresses: str) -> None:
        """Answer ``RCPT TO`` for these addresses with 550 (no such user), every time."""
        with self._lock:
            self._rejected.update(address.lower() for address in addresses)

    def configure(self, settings) -> None:
        """Point this process's Django mail settings (the pytest ``settings`` fixture) here."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def recipient_counts(self) -> Counter:
        """How many messages each envelope recipient got."""
        return Counter(address for message in self.received for address in message.recipients)

    def duplicates(self) -> dict[str, int]:
        """Message-IDs received more than once, with their counts (a retry of one outbox row
        keeps its Message-ID, so a row delivered twice shows up here)."""
        counts = Counter(message.message_id for message in self.received)
        return {message_id: count for message_id, count in counts.items() if count > 1}

    def wait_for_messages(
        self,
        count: int,
        *,
        timeout: float,
        failure: Callable[[], str] = lambda: "",
    ) -> list[Received]:
        """Block until at least ``count`` messages have arrived; fail after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(self.received)} of {count} messages arrived in {timeout} s. {failure()}"
                )
            time.sleep(0.1)
        return self.received

    def _take_failure(self) -> str | None:
        with self._lock:
            if self._failures_left <= 0:
                return None
            self._failures_left -= 1
            self.failures_given += 1
            return self._failure_reply

    def _is_rejected(self, address: str) -> bool:
        with self._lock:
            if address.lower() not in self._rejected:
                return False
            self.rejections_given.append(address.lower())
            return True

    def _record(self, message: Received) -> None:
        with self._lock:
            self._received.append(message)
            count = len(self._received)
        if self.on_message is not None:
            self.on_message(count)


@contextlib.contextmanager
def smtp_server(*, running: bool = True) -> Iterator[SmtpServer]:
    """A :class:`SmtpServer`, listening unless ``running=False``; always stopped afterwards."""
    server = SmtpServer()
    if running:
        server.start()
    try:
        yield server
    finally:
        server.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
