import smtplib
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command

from notifications.models import OutgoingEmail
from notifications.services import email_queue

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _email(**kwargs) -> OutgoingEmail:
    fields = {
        "kind": OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
        "to_email": "ayumi@example.org",
        "to_name": "Ayumi",
        "language": "en",
        "subject": "You're registered",
        "body_text": "See you there.",
        "body_html": "<p>See you there.</p>",
    }
    return email_queue(**(fields | kwargs))


def _reply(code: int) -> smtplib.SMTPResponseException:
    return smtplib.SMTPDataError(code, b"reply text")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_deliver_outbox_command_prints_the_summary(clock, enqueued, scripted_backend, capsys):
    for n in range(4):
        _email(to_email=f"c{n}@example.org")
    scripted_backend.failures = [_reply(421), _reply(554)]

    call_command("deliver_outbox")

    assert capsys.readouterr().out == "Delivered 2, failed 1, retrying 1\n"
    assert call_command("deliver_outbox") is None
    assert capsys.readouterr().out == "Delivered 0, failed 0, retrying 0\n"
