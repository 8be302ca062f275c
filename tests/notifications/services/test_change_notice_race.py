"""A registration made between an edit and its change notice is not told of that edit.

Its confirmation shows the seminar as it is when it is rendered (after the edit), so a
"seminar changed" email would tell that person of a time they never had.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import AudienceType
from notifications.models import OutgoingEmail
from notifications.services import emails_deliver, seminar_change_notices_send
from tests.factories import RegistrationFactory, SeminarFactory
from webinars.models import Seminar
from webinars.services import registration_create, seminar_update

pytestmark = pytest.mark.django_db

Kind = OutgoingEmail.Kind
START = datetime(2026, 10, 23, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
EDIT = START - timedelta(days=7)
NOTICE_DUE = EDIT + timedelta(minutes=10)


@pytest.fixture(autouse=True)
def _notice_window(settings):
    settings.SEMINAR_CHANGE_NOTICE_DELAY_SECONDS = 180
    settings.SEMINAR_CHANGE_NOTICE_MAX_DELAY_SECONDS = 900


def _seminar() -> Seminar:
    with time_machine.travel(START - timedelta(days=30), tick=False):
        return SeminarFactory(
            title="Tourism in Tottori", starts_at=START, ends_at=START + HOUR, sequence=2
        )


def _register(seminar: Seminar, email: str, at: datetime):
    audience_type, _ = AudienceType.objects.get_or_create(
        slug="travel-agent", defaults={"name": "Travel agent"}
    )
    with time_machine.travel(at, tick=False):
        return registration_create(
            seminar=seminar, email=email, name=email.split("@")[0], audience_type=audience_type
        ).registration


def _deliver(at: datetime, **filters) -> None:
    with time_machine.travel(at, tick=False):
        emails_deliver(
            email_ids=list(OutgoingEmail.objects.filter(**filters).values_list("pk", flat=True))
        )


def _move_an_hour_later(seminar: Seminar) -> None:
    with time_machine.travel(EDIT, tick=False):
        seminar_update(seminar=seminar, starts_at=START + HOUR, ends_at=START + 2 * HOUR)


def _told_of_the_change() -> list[str]:
    with time_machine.travel(NOTICE_DUE, tick=False):
        seminar_change_notices_send()
    return sorted(
        OutgoingEmail.objects.filter(kind=Kind.SEMINAR_CHANGED).values_list("to_email", flat=True)
    )


def test_a_registration_after_the_edit_whose_confirmation_is_still_queued_is_left_out(
    enqueued,
):
    seminar = _seminar()
    with time_machine.travel(START - timedelta(days=20), tick=False):
        RegistrationFactory(seminar=seminar, email="before@example.org")
    _move_an_hour_later(seminar)
    _register(seminar, "after@example.org", EDIT + timedelta(minutes=1))

    assert _told_of_the_change() == ["before@example.org"]


def test_a_registration_after_the_edit_whose_confirmation_went_out_is_left_out(
    enqueued, mailoutbox
):
    seminar = _seminar()
    _move_an_hour_later(seminar)
    _register(seminar, "after@example.org", EDIT + timedelta(minutes=1))
    _deliver(EDIT + timedelta(minutes=2), kind=Kind.REGISTRATION_CONFIRMED)

    assert _told_of_the_change() == []
    # What they were told is the new time: 11:00 BST, an hour after the old start.
    (confirmation,) = mailoutbox
    assert "11:00–12:00 BST" in confirmation.body


def test_a_registration_before_the_edit_whose_confirmation_went_out_is_told(enqueued, mailoutbox):
    seminar = _seminar()
    _register(seminar, "early@example.org", EDIT - timedelta(days=1))
    _deliver(EDIT - timedelta(days=1), kind=Kind.REGISTRATION_CONFIRMED)
    _move_an_hour_later(seminar)

    assert _told_of_the_change() == ["early@example.org"]


def test_a_confirmation_queued_before_the_edit_and_sent_after_it_shows_the_new_time(
    enqueued, mailoutbox
):
    # The worker was behind (a broker outage): the registration came before the edit,
    # its confirmation goes out after it and shows the seminar as it is then.
    seminar = _seminar()
    _register(seminar, "queued@example.org", EDIT - timedelta(minutes=5))
    _move_an_hour_later(seminar)

    assert _told_of_the_change() == []
    _deliver(NOTICE_DUE, kind=Kind.REGISTRATION_CONFIRMED)
    (confirmation,) = mailoutbox
    assert "11:00–12:00 BST" in confirmation.body
    email = OutgoingEmail.objects.get(kind=Kind.REGISTRATION_CONFIRMED)
    assert email.calendar_sequence == 3
    assert "SEQUENCE:3" in email.calendar_body
