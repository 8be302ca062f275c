import re

import pytest
from icalendar import Calendar

from notifications.models import OutgoingEmail
from notifications.services import (
    JOIN_TOKEN_PLACEHOLDER,
    LINK_TOKEN_PLACEHOLDER,
    registration_email_queue,
)
from tests.factories import RegistrationFactory
from tests.utils import rendered, tottori_seminar

pytestmark = pytest.mark.django_db

Kind = OutgoingEmail.Kind


def _queue(kind, enqueued=None, **registration_kwargs):
    registration_kwargs.setdefault("seminar", tottori_seminar())
    registration_kwargs.setdefault("name", "Hanako Yamada")
    registration_kwargs.setdefault("email", "hanako@example.org")
    registration = RegistrationFactory(**registration_kwargs)
    return rendered(registration_email_queue(registration=registration, kind=kind))


def test_outbox_keeps_no_working_link_and_each_sent_email_gets_its_own(enqueued, mailoutbox):
    from notifications.services import email_deliver
    from webinars.selectors import registration_link

    email = _queue(Kind.REGISTRATION_CONFIRMED)
    assert email.registration.tokens.count() == 0
    assert f"/r/{LINK_TOKEN_PLACEHOLDER}/" in email.body_text
    assert f"/j/{JOIN_TOKEN_PLACEHOLDER}/" in email.body_text + email.calendar_body

    assert email_deliver(email_id=email.pk).status == "sent"

    (message,) = mailoutbox
    text = message.body
    (join_token,) = re.findall(r"https://kizuna\.example/j/([A-Za-z0-9_-]{40,})/", text)
    (manage_token,) = re.findall(r"https://kizuna\.example/r/([A-Za-z0-9_-]{40,})/", text)
    assert join_token != manage_token
    assert registration_link(join_token, scopes=["join"]).registration == email.registration
    assert registration_link(manage_token, scopes=["manage"]).registration == email.registration
    calendar_part = next(
        part for part in message.message().walk() if part.get_content_type() == "text/calendar"
    )
    calendar = calendar_part.get_payload(decode=True).decode()
    (event,) = Calendar.from_ical(calendar).walk("VEVENT")
    assert str(event["LOCATION"]) == f"https://kizuna.example/j/{join_token}/"
    # The invite travels to shared calendars: it carries the join link and nothing else.
    assert manage_token not in re.sub(r"\r?\n[ \t]", "", calendar)
    assert "/r/" not in re.sub(r"\r?\n[ \t]", "", calendar)
    # The message stored when it was rendered for sending keeps the placeholders only.
    stored = OutgoingEmail.objects.get(pk=email.pk)
    assert stored.rendered and f"/r/{LINK_TOKEN_PLACEHOLDER}/" in stored.body_text
    for token in (join_token, manage_token):
        assert token not in stored.body_text + stored.body_html + stored.calendar_body


def test_confirmation_and_sent_link_survive_the_calendar_refold(enqueued, mailoutbox):
    from notifications.services import with_link_token

    email = _queue(Kind.REGISTRATION_CONFIRMED, name="Hanako " + "Y" * 80)
    join_token, manage_token = "J" * 43, "M" * 43

    sent = with_link_token(email, tokens={"join": join_token, "manage": manage_token})

    unfolded = re.sub(r"\r?\n[ \t]", "", email.calendar_body)
    assert (
        sent.calendar_body
        == Calendar.from_ical(unfolded.replace(JOIN_TOKEN_PLACEHOLDER, join_token))
        .to_ical()
        .decode()
    )
    assert f"/r/{manage_token}/" in sent.body_text
    assert f"/j/{join_token}/" in sent.body_text
    assert email.registration.tokens.count() == 0


def test_an_email_without_a_join_link_mints_only_a_manage_token(enqueued):
    from notifications.services import with_link_token

    email = _queue(Kind.REGISTRATION_WAITLISTED, status="waitlisted")

    sent = with_link_token(email)

    assert list(email.registration.tokens.values_list("scope", flat=True)) == ["manage"]
    assert JOIN_TOKEN_PLACEHOLDER not in sent.body_text + sent.body_html
    assert LINK_TOKEN_PLACEHOLDER not in sent.body_text + sent.body_html


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
