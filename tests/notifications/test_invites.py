import re

import pytest
import time_machine
from django.conf import settings

from notifications.invites import InviteBook, organizer_name
from notifications.services import JOIN_TOKEN_PLACEHOLDER
from tests.factories import SeminarFactory, SeminarSpeakerFactory
from webinars.ical import build_invite

pytestmark = pytest.mark.django_db


def _direct(seminar, **fields):
    return build_invite(
        seminar=seminar,
        organizer_email=settings.ORGANISER_CONTACT_EMAIL,
        organizer_name=organizer_name(seminar),
        **fields,
    ).decode()


@time_machine.travel("2026-11-20 10:00:00+00:00", tick=False)
@pytest.mark.parametrize(
    "name",
    ["", "Aiko", 'Ōshima, Hanako "Hana"', "A name long enough to fold the attendee line " * 2],
)
def test_invite_is_byte_for_byte_what_build_invite_writes(name):
    seminar = SeminarFactory(timezone="Asia/Tokyo")
    SeminarSpeakerFactory(seminar=seminar)
    join_url = f"https://example.org/j/{JOIN_TOKEN_PLACEHOLDER}/"
    book = InviteBook()

    got = book.invite(
        seminar=seminar,
        method="REQUEST",
        attendee_email="person@example.org",
        attendee_name=name,
        join_url=join_url,
    )

    assert got == _direct(
        seminar,
        method="REQUEST",
        attendee_email="person@example.org",
        attendee_name=name,
        join_url=join_url,
    )


def test_one_calendar_is_built_per_seminar_method_and_sequence(django_assert_num_queries):
    seminar = SeminarFactory()
    book = InviteBook()

    invites = [
        book.invite(seminar=seminar, method="REQUEST", attendee_email=f"p{n}@example.org")
        for n in range(50)
    ]
    book.invite(seminar=seminar, method="CANCEL", attendee_email="p0@example.org")
    seminar.sequence += 1
    book.invite(seminar=seminar, method="REQUEST", attendee_email="p0@example.org")

    assert book.built == 3
    assert len(set(invites)) == 50
    assert all(re.search(rf"mailto:p{n}@example.org\r\n", invites[n]) for n in range(50))


def test_a_bad_recipient_address_is_refused():
    seminar = SeminarFactory()

    with pytest.raises(ValueError, match="Not an email address"):
        InviteBook().invite(seminar=seminar, method="REQUEST", attendee_email="a b@example.org")
