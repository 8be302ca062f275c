"""Fixtures the webinar tests share: one seminar, and its registrants for attendance tests."""

import pytest

from tests.factories import RegistrationFactory, SeminarFactory
from tests.utils import ABSENT, ATTENDED, UNKNOWN
from webinars.models import Registration, Seminar


@pytest.fixture
def seminar() -> Seminar:
    """ "Onsen towns of Kyushu", upcoming (modules that need another seminar define their own)."""
    return SeminarFactory(slug="onsen-towns-of-kyushu", title="Onsen towns of Kyushu")


@pytest.fixture
def registrations(seminar: Seminar) -> dict[str, Registration]:
    """The seminar's registrants as the attendance reports in tests/fixtures/attendance know
    them: confirmed, waitlisted and cancelled, with attendance unknown, yes or no."""
    people = {
        "aiko": ("aiko.tanaka@example.jp", Registration.Status.CONFIRMED, UNKNOWN),
        "oliver": ("oliver.bennett@example.co.uk", Registration.Status.CONFIRMED, ABSENT),
        "sophie": ("sophie.clarke@example.org", Registration.Status.WAITLISTED, UNKNOWN),
        "ken": ("ken.sato@example.jp", Registration.Status.CONFIRMED, UNKNOWN),
        "emma": ("emma.wilson@example.co.uk", Registration.Status.CONFIRMED, UNKNOWN),
        "hiro": ("hiro.mori@example.jp", Registration.Status.CONFIRMED, ATTENDED),
        "james": ("james.hall@example.org", Registration.Status.WAITLISTED, UNKNOWN),
        "priya": ("priya.shah@example.com", Registration.Status.CANCELLED, UNKNOWN),
    }
    return {
        key: RegistrationFactory(seminar=seminar, email=email, status=status, attended=attended)
        for key, (email, status, attended) in people.items()
    }
