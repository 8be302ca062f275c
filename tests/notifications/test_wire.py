"""The directly written bytes of an outbox message against Django's flattening of it."""

import email
import email.policy
import smtplib

import pytest
import time_machine
from django.core.mail import BadHeaderError
from django.utils import timezone

from notifications.backends import OutboxSMTPBackend
from notifications.mail import build_message
from notifications.models import OutgoingEmail
from notifications.wire import message_bytes

CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kizuna//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:kizuna-1@example.org\r\nSUMMARY:地域の魅力 セミナー\r\n"
    "DTSTART:20261210T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _row(**fields) -> OutgoingEmail:
    values = {
        "pk": 41,
        "created_at": timezone.now(),
        "to_email": "taro@example.org",
        "to_name": "Taro Suzuki",
        "subject": "Your place at the JLGC Seminar",
        "body_text": "Dear Taro,\n\nSee you there.\n",
        "body_html": "<p>Dear Taro,</p>\n<p>See you there.</p>\n",
        "headers": {},
    }
    values.update(fields)
    return OutgoingEmail(**values)


def _django_bytes(row: OutgoingEmail) -> bytes:
    return build_message(row).message().as_bytes(linesep="\r\n")


def _parts(data: bytes) -> list[dict]:
    """What a receiving client reads from ``data``: each part's headers (decoded, without
    boundaries and per-part MIME-Version) and its decoded content."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    parts = []
    for index, part in enumerate(message.walk()):
        # Whitespace compared collapsed: Django's flattening leaves a space before an
        # encoded subject, which mail clients drop.
        headers = {
            name.lower(): " ".join(str(value).split())
            for name, value in part.items()
            if name.lower() not in ("content-type", "mime-version")
        }
        if index == 0:
            headers["mime-version"] = part["MIME-Version"]
        params = {k: v for k, v in part.get_params() or [] if k != "boundary"}
        content = None if part.is_multipart() else part.get_payload(decode=True)
        if part.get_content_maintype() == "text":
            content = content.replace(b"\r\n", b"\n")
        parts.append({"headers": headers, "params": params, "content": content})
    return parts


def _assert_wire_format(data: bytes) -> None:
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


ROWS = {
    "invite": {"calendar_method": "REQUEST", "calendar_body": CALENDAR},
    "cancellation": {
        "calendar_method": "CANCEL",
        "calendar_body": CALENDAR.replace("REQUEST", "CANCEL"),
    },
    "plain text and html": {},
    "plain text only": {"body_html": ""},
    "japanese": {
        "to_name": "鈴木 太郎",
        "subject": "【JLGCセミナー】地域の魅力を英国へ:ご登録ありがとうございます",
        "body_text": "鈴木 太郎 様\n\nご登録ありがとうございます。\n",
        "body_html": "<p>鈴木 太郎 様</p>\n",
        "calendar_method": "REQUEST",
        "calendar_body": CALENDAR,
    },
    "long ascii subject and header": {
        "subject": "Reminder: " + "Japan Local Attraction Seminar " * 6,
        "headers": {
            "List-Unsubscribe": "<https://kizuna.example.org/unsubscribe/" + "a" * 120 + ">",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    },
    "a line too long for 8bit": {"body_html": "<p>" + "長い行 " * 400 + "</p>\n"},
    "ascii line too long for 7bit": {"body_text": "x" * 1200 + "\nend\n"},
    "line ends of every kind": {"body_text": "one\r\ntwo\rthree\nfour", "body_html": "<p>a\r</p>"},
    "quotes and commas in the name": {"to_name": 'Suzuki, "Taro" (JET)'},
    "non-ascii name with a comma": {"to_name": "鈴木, 太郎"},
    "internationalised domain": {"to_email": "taro@例え.jp", "to_name": "Taro"},
    "a domain that differs between IDNA 2003 and 2008": {"to_email": "hans@straße.de"},
    "an empty plain text beside html": {"body_text": ""},
}


@pytest.mark.parametrize("fields", ROWS.values(), ids=ROWS.keys())
@time_machine.travel("2026-12-06 10:00:00Z", tick=False)
def test_written_bytes_read_as_djangos_flattening_does(fields):
    row = _row(**fields)
    message = build_message(row)

    data = message_bytes(message)

    assert data is not None
    _assert_wire_format(data)
    assert _parts(data) == _parts(_django_bytes(row))


@time_machine.travel("2026-12-06 10:00:00Z", tick=False)
def test_an_invite_has_the_meeting_invite_shape_on_the_wire():
    message = build_message(_row(**ROWS["invite"]))

    data = message_bytes(message)

    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    assert b"Content-Type: text/calendar; method=REQUEST; charset=utf-8\r\n" in data
    assert data.count(b"MIME-Version: 1.0") == 1
    assert parsed["Message-ID"] == message.extra_headers["Message-ID"]
    assert parsed["Date"] == "Sun, 06 Dec 2026 10:00:00 -0000"


def test_each_multipart_has_its_own_random_boundary():
    first = message_bytes(build_message(_row(**ROWS["invite"])))
    second = message_bytes(build_message(_row(**ROWS["invite"])))

    boundaries = {line for line in first.split(b"\r\n") if line.startswith(b"--=kizuna-")}
    assert len({line.rstrip(b"-") for line in boundaries}) == 2
    assert boundaries.isdisjoint(line for line in second.split(b"\r\n"))


@pytest.mark.parametrize(
    "change",
    [
        {"cc": ["copy@example.org"]},
        {"bcc": ["hidden@example.org"]},
        {"attachment": ("notes.txt", "notes", "text/plain")},
        {"alternative": ("<p>second</p>", "text/html")},
    ],
    ids=["cc", "bcc", "another attachment", "a second alternative"],
)
def test_a_message_of_another_shape_is_left_to_the_email_package(change):
    message = build_message(_row())
    if "cc" in change:
        message.cc = change["cc"]
    if "bcc" in change:
        message.bcc = change["bcc"]
    if "attachment" in change:
        message.attach(*change["attachment"])
    if "alternative" in change:
        message.attach_alternative(*change["alternative"])

    assert message_bytes(message) is None
    parsed = email.message_from_bytes(message.wire_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Your place at the JLGC Seminar"


def test_a_line_break_in_a_header_value_is_refused():
    message = build_message(_row())
    message.extra_headers["X-Note"] = "one\r\nBcc: someone@example.org"

    with pytest.raises(BadHeaderError):
        message_bytes(message)


class RecordingSMTP:
    def __init__(self, refuse: bool = False) -> None:
        self.sent: list[tuple[str, list[str], bytes]] = []
        self.refuse = refuse

    def sendmail(self, sender, recipients, data):
        if self.refuse:
            raise smtplib.SMTPDataError(554, b"no")
        self.sent.append((sender, recipients, data))


@pytest.mark.parametrize(
    ("to_name", "to_email", "envelope"),
    [
        ("Taro Suzuki", "taro@example.org", "taro@example.org"),
        ("鈴木 太郎", "taro@example.org", "taro@example.org"),
        ("Taro", "taro@例え.jp", "taro@xn--r8jz45g.jp"),
        # IDNA 2008: Python's own codec would send this to strasse.de.
        ("Hans", "hans@straße.de", "hans@xn--strae-oqa.de"),
    ],
)
def test_smtp_backend_sends_the_written_bytes_to_bare_envelope_addresses(
    settings, to_name, to_email, envelope
):
    settings.DEFAULT_FROM_EMAIL = "JLGC Seminars <seminars@jlgc.example>"
    message = build_message(_row(to_name=to_name, to_email=to_email))
    backend = OutboxSMTPBackend()
    backend.connection = RecordingSMTP()

    assert backend._send(message) is True

    ((sender, recipients, data),) = backend.connection.sent
    assert sender == "seminars@jlgc.example"
    assert recipients == [envelope]
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Subject"] == "Your place at the JLGC Seminar"
    assert parsed["Message-ID"] == message.extra_headers["Message-ID"]


def test_smtp_backend_raises_a_refusal_unless_told_to_fail_silently():
    message = build_message(_row())
    backend = OutboxSMTPBackend()
    backend.connection = RecordingSMTP(refuse=True)
    with pytest.raises(smtplib.SMTPDataError):
        backend._send(message)

    quiet = OutboxSMTPBackend(fail_silently=True)
    quiet.connection = RecordingSMTP(refuse=True)
    assert quiet._send(message) is False


def test_a_malformed_sender_setting_fails_instead_of_sending_from_a_wrong_address(settings):
    settings.DEFAULT_FROM_EMAIL = "Kizuna, London <seminars@jlgc.example>"

    with pytest.raises(ValueError, match="Invalid address"):
        build_message(_row())


def test_an_empty_plain_text_is_left_out_of_the_alternatives():
    data = message_bytes(build_message(_row(body_text="")))

    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/alternative",
        "text/html",
    ]


def test_every_header_line_of_an_invite_fits_the_recommended_length():
    data = message_bytes(build_message(_row(**ROWS["invite"])))

    header_lines = [
        line
        for block in data.split(b"\r\n\r\n")
        for line in block.split(b"\r\n")
        if line.lower().startswith((b"content-", b" boundary", b"mime-"))
    ]
    assert header_lines
    assert max(len(line) for line in header_lines) <= 78
