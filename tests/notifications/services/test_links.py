import re

import pytest
from icalendar import Calendar

from notifications.models import OutgoingEmail
from notifications.services import LINK_TOKEN_PLACEHOLDER, registration_email_queue
from tests.factories import RegistrationFactory
from tests.utils import tottori_seminar

pytestmark = pytest.mark.django_db

TOKEN = LINK_TOKEN_PLACEHOLDER

Kind = OutgoingEmail.Kind


def _queue(kind, enqueued=None, **registration_kwargs):
    registration_kwargs.setdefault("seminar", tottori_seminar())
    registration_kwargs.setdefault("name", "Hanako Yamada")
    registration_kwargs.setdefault("email", "hanako@example.org")
    registration = RegistrationFactory(**registration_kwargs)
    return registration_email_queue(registration=registration, kind=kind)


def test_outbox_keeps_no_working_link_and_each_sent_email_gets_its_own(enqueued, mailoutbox):
    from notifications.services import email_deliver
    from webinars.selectors import registration_by_token

    email = _queue(Kind.REGISTRATION_CONFIRMED)
    stored = OutgoingEmail.objects.get(pk=email.pk)
    assert email.registration.tokens.count() == 0
    assert f"/j/{LINK_TOKEN_PLACEHOLDER}/" in stored.body_text + stored.calendar_body

    assert email_deliver(email_id=email.pk).status == "sent"

    (message,) = mailoutbox
    text = message.body
    (token,) = re.findall(r"https://kizuna\.example/j/([A-Za-z0-9_-]{40,})/", text)
    assert f"https://kizuna.example/r/{token}/" in text
    assert registration_by_token(token) == email.registration
    calendar_part = next(
        part for part in message.message().walk() if part.get_content_type() == "text/calendar"
    )
    (event,) = Calendar.from_ical(calendar_part.get_payload(decode=True)).walk("VEVENT")
    assert str(event["LOCATION"]) == f"https://kizuna.example/j/{token}/"
    stored.refresh_from_db()
    assert token not in stored.body_text + stored.body_html + stored.calendar_body


def test_confirmation_and_sent_link_survive_the_calendar_refold(enqueued, mailoutbox):
    from notifications.services import with_link_token

    email = _queue(Kind.REGISTRATION_CONFIRMED, name="Hanako " + "Y" * 80)
    token = "T" * 43

    sent = with_link_token(email, token=token)

    assert (
        sent.calendar_body
        == Calendar.from_ical(re.sub(r"\r?\n[ \t]", "", email.calendar_body).replace(TOKEN, token))
        .to_ical()
        .decode()
    )
    assert email.registration.tokens.count() == 0


@pytest.mark.parametrize(
    "line",
    [
        "",
        "X" * 74,
        "X" * 75,
        "DESCRIPTION:" + "a\\, b\\n" * 40,
        "LOCATION:https://kizuna.example/j/" + "T" * 60 + "/",
        "SUMMARY:" + "x" * 65 + "^n" + "y" * 80,
        "SUMMARY:鳥取の観光 " * 12,
    ],
    ids=["empty", "74", "75", "escapes", "link", "caret", "japanese"],
)
def test_calendar_lines_are_folded_exactly_as_icalendar_folds_them(line):
    from icalendar.parser import Contentline

    from notifications.services.links import _ical_fold

    assert _ical_fold(line) == Contentline(line).to_ical().decode()
