import email
import email.policy

import pytest

from notifications.models import OutgoingEmail
from notifications.services import registration_email_queue
from notifications.tasks import deliver_email
from tests.factories import RegistrationFactory

pytestmark = pytest.mark.django_db


def test_embedded_setup_writes_an_eml_that_opens_as_a_meeting_invite(settings, tmp_path, enqueued):
    settings.EMAIL_BACKEND = "notifications.backends.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    registration = RegistrationFactory(email="yui@example.org", name="Yui")
    outbox_email = registration_email_queue(
        registration=registration, kind=OutgoingEmail.Kind.REGISTRATION_CONFIRMED
    )

    assert deliver_email(outbox_email.pk) == "sent"

    (eml,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"] == "Yui <yui@example.org>"
    assert message.get_content_type() == "multipart/mixed"
    calendar = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    assert "METHOD:REQUEST" in calendar.get_content()
