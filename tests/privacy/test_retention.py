"""Retention on time-travelled data: guests anonymised, old emails emptied, counts kept."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from notifications.models import OutgoingEmail
from notifications.services import email_resend
from privacy.models import Erasure
from privacy.services import retention_apply
from privacy.tasks import apply_retention
from tests.factories import (
    FollowFactory,
    OutgoingEmailFactory,
    RegistrationFactory,
    SeminarFactory,
    UserFactory,
)
from webinars.models import Follow, Registration, SurveyQuestion, SurveyResponse

pytestmark = pytest.mark.django_db

SEMINAR_END = datetime(2024, 3, 1, 11, 0, tzinfo=UTC)


@pytest.fixture
def past_seminar():
    with time_machine.travel(SEMINAR_END - timedelta(days=30), tick=False):
        return SeminarFactory(starts_at=SEMINAR_END - timedelta(hours=1), ends_at=SEMINAR_END)


def test_guests_are_anonymised_24_months_after_the_seminar_not_a_day_before(past_seminar):
    guest = RegistrationFactory(
        seminar=past_seminar, name="Ffion Garrow", email="ffion@example.org"
    )
    member = RegistrationFactory(seminar=past_seminar, user=UserFactory(), name="Kept Member")

    with time_machine.travel(SEMINAR_END + timedelta(days=731), tick=False):
        assert retention_apply() is None
    guest.refresh_from_db()
    assert guest.name == "Ffion Garrow"

    with time_machine.travel(SEMINAR_END + timedelta(days=733), tick=False):
        apply_retention.apply()

    guest.refresh_from_db()
    member.refresh_from_db()
    assert (guest.name, guest.email) == ("", f"erased-{guest.pk}@erased.invalid")
    assert guest.anonymised_at is not None
    assert guest.status == Registration.Status.CONFIRMED  # the count of who came stays
    assert member.name == "Kept Member"  # account holders keep theirs while the account lives
    erasure = Erasure.objects.get()
    assert (erasure.route, erasure.registrations, erasure.cancelled) == (
        Erasure.Route.RETENTION,
        1,
        0,
    )


def test_retention_follows_its_setting(past_seminar, settings):
    settings.RETENTION_MONTHS = 6
    guest = RegistrationFactory(seminar=past_seminar)

    with time_machine.travel(SEMINAR_END + timedelta(days=190), tick=False):
        retention_apply()

    guest.refresh_from_db()
    assert guest.anonymised_at is not None


def test_sent_emails_lose_address_and_body_after_90_days_and_keep_their_counts():
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        old = OutgoingEmailFactory(
            status=OutgoingEmail.Status.SENT, to_email="old@example.org", body_text="Dear Old"
        )
        old_failed = OutgoingEmailFactory(status=OutgoingEmail.Status.FAILED)
        # Withdrawn before it went (say the seminar was cancelled): same address and body.
        old_withdrawn = OutgoingEmailFactory(
            status=OutgoingEmail.Status.CANCELLED, body_text="Dear Withdrawn"
        )
        queued = OutgoingEmailFactory(status=OutgoingEmail.Status.QUEUED)
    with time_machine.travel(datetime(2026, 3, 15, tzinfo=UTC), tick=False):
        recent = OutgoingEmailFactory(status=OutgoingEmail.Status.SENT, body_text="Dear Recent")

    with time_machine.travel(datetime(2026, 4, 2, tzinfo=UTC), tick=False):
        erasure = retention_apply()
        again = retention_apply()

    old.refresh_from_db()
    old_withdrawn.refresh_from_db()
    recent.refresh_from_db()
    queued.refresh_from_db()
    assert (old.to_email, old.to_name, old.body_text, old.calendar_body) == ("", "", "", "")
    # Kind and status stay for counts.
    assert (old.kind, old.status) == (OutgoingEmail.Kind.REGISTRATION_CONFIRMED, "sent")
    assert (old_withdrawn.to_email, old_withdrawn.body_text) == ("", "")
    assert recent.body_text == "Dear Recent"
    assert queued.to_email  # mail still to send is never touched
    assert erasure.emails == 3
    assert again is None  # idempotent
    # An emptied row cannot be sent again.
    assert email_resend(email=old_failed) is False


def test_a_follow_never_confirmed_goes_once_its_link_has_expired():
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    with time_machine.travel(now - timedelta(days=8)):
        stale = FollowFactory(confirmed_at=None)
        confirmed_long_ago = FollowFactory()
    with time_machine.travel(now - timedelta(days=6)):
        fresh = FollowFactory(confirmed_at=None)
    retention_apply(now=now)
    assert set(Follow.objects.all()) == {confirmed_long_ago, fresh}
    assert stale.pk not in set(Follow.objects.values_list("pk", flat=True))


def test_a_follow_asked_for_again_counts_from_its_latest_link():
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    with time_machine.travel(now - timedelta(days=8)):
        asked_again = FollowFactory(confirmed_at=None)
    Follow.objects.filter(pk=asked_again.pk).update(confirmation_sent_at=now - timedelta(days=1))
    retention_apply(now=now)
    assert Follow.objects.filter(pk=asked_again.pk).exists()


def test_retention_keeps_ratings_and_drops_words_even_of_questions_gone_since():
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    seminar = SeminarFactory(
        starts_at=now - timedelta(days=800), ends_at=now - timedelta(days=800, hours=-1)
    )
    rating = SurveyQuestion.objects.create(series=seminar.series, kind="rating", label="How?")
    text = SurveyQuestion.objects.create(series=seminar.series, kind="text", label="Why?")
    registration = RegistrationFactory(seminar=seminar)
    SurveyResponse.objects.create(
        registration=registration,
        round="after",
        answers={str(rating.pk): 4, str(text.pk): "Ask Ken", "999": "deleted question"},
    )
    retention_apply(now=now)
    assert SurveyResponse.objects.get().answers == {str(rating.pk): 4}
