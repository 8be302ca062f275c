import pytest
from django.core.management import call_command

from tests.utils import queued_email, smtp_reply

pytestmark = pytest.mark.django_db


def test_deliver_outbox_command_prints_the_summary(clock, enqueued, scripted_backend, capsys):
    for n in range(4):
        queued_email(to_email=f"c{n}@example.org")
    scripted_backend.failures = [smtp_reply(421), smtp_reply(554)]

    call_command("deliver_outbox")

    assert capsys.readouterr().out == "Delivered 2, failed 1, retrying 1\n"
    assert call_command("deliver_outbox") is None
    assert capsys.readouterr().out == "Delivered 0, failed 0, retrying 0\n"
