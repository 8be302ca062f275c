import email
import email.policy
from email.utils import parseaddr

import pytest
from icalendar import Calendar

from notifications.mail import build_message, recipient_address
from notifications.models import OutgoingEmail
from notifications.services import LINK_TOKEN_PLACEHOLDER, email_queue, registration_email_queue
from tests.factories import RegistrationFactory
from tests.utils import rendered

pytestmark = pytest.mark.django_db

TOKEN = LINK_TOKEN_PLACEHOLDER
Kind = OutgoingEmail.Kind


def _wire(outbox_email: OutgoingEmail) -> email.message.EmailMessage:
    """The message as a receiving mail client parses it from the bytes on the wire."""
    raw = build_message(outbox_email).wire_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def _registration_email(kind: str, **kwargs) -> OutgoingEmail:
    kwargs.setdefault("name", "Taro Suzuki")
    kwargs.setdefault("email", "taro@example.org")
    registration = RegistrationFactory(**kwargs)
    return rendered(registration_email_queue(registration=registration, kind=kind))


@pytest.mark.parametrize(
    ("kind", "method", "status"),
    [
        (Kind.REGISTRATION_CONFIRMED, "REQUEST", "confirmed"),
        (Kind.WAITLIST_PROMOTED, "REQUEST", "confirmed"),
        (Kind.REGISTRATION_CANCELLED, "CANCEL", "cancelled"),
    ],
)
def test_invite_email_structure_part_by_part(enqueued, kind, method, status):
    outbox_email = _registration_email(kind, status=status)
    message = _wire(outbox_email)

    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    text, html, calendar = alternative.get_payload()
    assert text.get_content_type() == "text/plain"
    assert text.get_content().replace("\r\n", "\n") == outbox_email.body_text
    assert html.get_content_type() == "text/html"
    assert html.get_content().replace("\r\n", "\n") == outbox_email.body_html

    assert calendar.get_content_type() == "text/calendar"
    raw = build_message(outbox_email).wire_bytes()
    header = f"Content-Type: text/calendar; method={method}; charset=utf-8\r\n".encode()
    assert raw.count(header) == 1
    assert raw.lower().count(b"content-type: text/calendar") == 1
    assert str(calendar["Content-Type"]).lower().count("charset") == 1
    assert calendar.get_param("method") == method
    assert calendar.get_content_charset() == "utf-8"
    assert calendar.get("Content-Disposition") is None
    inline = Calendar.from_ical(calendar.get_content())
    assert inline["METHOD"] == method

    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_param("name") == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    attached = Calendar.from_ical(attachment.get_content())
    assert attached["METHOD"] == method
    assert attachment.get_content().decode() == outbox_email.calendar_body
    (event,) = attached.walk("VEVENT")
    assert str(event["UID"]) == outbox_email.seminar.calendar_uid
    assert str(event["ATTENDEE"]) == "mailto:taro@example.org"


def test_waitlisted_email_is_plain_text_and_html_alternatives(enqueued):
    outbox_email = _registration_email(Kind.REGISTRATION_WAITLISTED, status="waitlisted")
    message = _wire(outbox_email)

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.get_payload()] == [
        "text/plain",
        "text/html",
    ]


def test_headers_from_to_reply_to_message_id_and_auto_submitted(enqueued):
    outbox_email = _registration_email(Kind.REGISTRATION_CONFIRMED)
    message = _wire(outbox_email)

    assert message["From"] == "JLGC Seminars <seminars@kizuna.example>"
    assert message["To"] == "Taro Suzuki <taro@example.org>"
    assert message["Reply-To"] == "contact@kizuna.example"
    assert message["Subject"] == outbox_email.subject
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].startswith(f"<kizuna.{outbox_email.pk}.")
    assert message["Message-ID"].endswith("@kizuna.example>")
    assert message["List-Unsubscribe"] is None


def test_message_id_is_the_same_on_every_attempt(enqueued):
    outbox_email = _registration_email(Kind.REGISTRATION_CONFIRMED)

    assert _wire(outbox_email)["Message-ID"] == _wire(outbox_email)["Message-ID"]


@pytest.mark.parametrize(
    "name",
    [
        "Eve\r\nBcc: victim@example.org",
        "Eve\nBcc: victim@example.org",
        "Eve\rBcc: victim@example.org",
        'Eve" <victim@example.org>, "x',
        "Eve\x00\x0bBcc: victim@example.org",
    ],
)
def test_recipient_name_cannot_inject_headers_or_recipients(enqueued, name):
    outbox_email = email_queue(
        kind=Kind.REGISTRATION_CONFIRMED,
        to_email="eve@example.org",
        to_name=name,
        language="en",
        subject="Hello",
        body_text="Body",
    )
    django_message = build_message(outbox_email)
    message = _wire(outbox_email)

    assert [parseaddr(address)[1] for address in django_message.recipients()] == ["eve@example.org"]
    assert message["Bcc"] is None
    assert message["Cc"] is None
    assert [address.addr_spec for address in message["To"].addresses] == ["eve@example.org"]
    raw_headers = build_message(outbox_email).wire_bytes().split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in raw_headers


def test_recipient_address_quotes_special_characters():
    assert recipient_address(name="Doe, Jane", email="jane@example.org") == (
        '"Doe, Jane" <jane@example.org>'
    )
    assert recipient_address(name="", email="jane@example.org") == "jane@example.org"


def test_extra_headers_are_kept_but_cannot_override_or_inject(enqueued):
    outbox_email = email_queue(
        kind=Kind.REGISTRATION_CONFIRMED,
        to_email="a@example.org",
        to_name="A",
        language="en",
        subject="Hello",
        body_text="Body",
        headers={
            "X-Kizuna-Kind": "test\r\nBcc: victim@example.org",
            "Bcc": "victim@example.org",
            "Bad\nName": "x",
        },
    )
    message = _wire(outbox_email)

    assert message["X-Kizuna-Kind"] == "test Bcc: victim@example.org"
    assert message["Bcc"] is None
    assert message["From"] == "JLGC Seminars <seminars@kizuna.example>"
