"""Registration services at their exact edges: what each step writes, says and counts.

Written for what mutation testing (``make mutate MODULE=registrations``) showed no test
would notice: the order of the waiting list, the instant each change is stamped with,
the error each refusal carries, the page-cache refresh, stale instances, and the place
that won a race.
"""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, OperationalError, connection
from django.utils import timezone

from accounts.models import User
from tests.factories import FollowFactory, RegistrationFactory, SeminarFactory, UserFactory
from tests.webinars.services.test_registrations import audience, register
from webinars.errors import (
    AudienceNotAllowed,
    RegistrationBusy,
    RegistrationClosed,
    RegistrationNotConfirmed,
    RegistrationNotWaitlisted,
    WaitlistDisabled,
)
from webinars.models import ConsentRecord, Follow, Registration
from webinars.services import registrations as services
from webinars.services.registrations import (
    attendance_mark,
    calendar_token_renew,
    registration_cancel,
    registration_move_to_waitlist,
    registration_promote,
    registration_update_details,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue_refreshes(monkeypatch) -> list[None]:
    """Each call of ``catalogue_changed`` (the public pages' cache refresh) from the services."""
    calls: list[None] = []
    monkeypatch.setattr(services, "catalogue_changed", lambda: calls.append(None))
    return calls


def _lock_timeout(monkeypatch) -> None:
    class LockNotAvailable(Exception):
        sqlstate = "55P03"

    def locked_out(_seminar):
        raise OperationalError("canceling statement due to lock timeout") from LockNotAvailable()

    monkeypatch.setattr(services, "_locked_seminar", locked_out)


# --- Registering --------------------------------------------------------------------


def test_a_repeat_registration_finds_its_own_seminars_place_not_another_seminars():
    first_seminar, second_seminar = SeminarFactory(), SeminarFactory()
    register(first_seminar, "aiko@example.org")
    place = register(second_seminar, "aiko@example.org").registration

    again = register(second_seminar, "aiko@example.org")

    assert (again.created, again.registration.pk) == (False, place.pk)


def test_a_repeat_registration_comes_back_with_its_seminar_and_type_loaded(
    django_assert_num_queries,
):
    seminar = SeminarFactory()
    register(seminar, "aiko@example.org")
    again = register(seminar, "aiko@example.org")

    # The page that answers names both: no further query for either.
    with django_assert_num_queries(0):
        assert again.registration.seminar.title == seminar.title
        assert again.registration.audience_type.slug == "travel-agent"


def test_a_registration_takes_exactly_these_queries(django_assert_num_queries):
    seminar = SeminarFactory(capacity=10)
    postgresql = connection.vendor == "postgresql"

    # The lock timeout (PostgreSQL), the locked seminar, the seat state, the place, its
    # consents, its email (in a savepoint: three) and its token; nothing looks for a
    # place the seat state says the address does not have.
    with django_assert_num_queries(9 + postgresql):
        result = register(seminar, "aiko@example.org")

    assert result.created is True


def test_optional_details_default_to_empty():
    registration = register(SeminarFactory(), "aiko@example.org").registration

    assert (registration.organisation, registration.job_title, registration.country) == ("", "", "")
    assert registration.answers == {}


def test_where_the_registrant_came_from_is_stored_cleaned_and_cut_to_its_field():
    source = {
        "utm_source": "newsletter\n  december",
        "utm_campaign": "c" * 300,
        "referrer_host": "www.example.com",
    }

    registration = register(SeminarFactory(), "aiko@example.org", source=source).registration

    registration.refresh_from_db()
    assert registration.utm_source == "newsletter december"
    assert (
        registration.utm_campaign == "c" * Registration._meta.get_field("utm_campaign").max_length
    )
    assert registration.referrer_host == "www.example.com"
    assert registration.utm_medium == ""


def test_consents_are_recorded_at_the_instant_the_privacy_notice_was_accepted():
    registration = register(
        SeminarFactory(), "aiko@example.org", marketing_opt_in=True
    ).registration

    stamps = set(registration.consent_records.values_list("created_at", flat=True))

    assert stamps == {registration.privacy_consented_at}


def test_a_refused_audience_type_is_named_in_the_error():
    seminar = SeminarFactory()
    seminar.allowed_audience_types.set([audience("media")])

    with pytest.raises(AudienceNotAllowed) as refused:
        register(seminar, "aiko@example.org", "travel-agent")

    assert str(refused.value) == str(audience("travel-agent"))


def test_the_place_that_won_a_race_is_the_answer(monkeypatch):
    # Two requests for one address passed the check together; the unique constraint
    # refused the second insert. The second request answers with the first's place.
    seminar = SeminarFactory()
    winner = RegistrationFactory(seminar=seminar, email="aiko@example.org")

    def refused_by_the_constraint(**_kwargs):
        raise IntegrityError("UNIQUE constraint failed: webinars_registration.seminar_id")

    monkeypatch.setattr(services, "_register", refused_by_the_constraint)

    result = register(seminar, "Aiko@Example.org ")

    assert (result.created, result.registration.pk, result.token) == (False, winner.pk, None)


def test_an_integrity_error_with_no_place_behind_it_is_not_hidden(monkeypatch):
    seminar = SeminarFactory()
    RegistrationFactory(seminar=SeminarFactory(), email="aiko@example.org")

    def broken(**_kwargs):
        raise IntegrityError("NOT NULL constraint failed")

    monkeypatch.setattr(services, "_register", broken)

    with pytest.raises(IntegrityError):
        register(seminar, "aiko@example.org")


# --- The waiting list -----------------------------------------------------------------


def test_the_waiting_list_is_served_in_the_order_people_joined_it():
    seminar = SeminarFactory(capacity=2, waitlist_enabled=True)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = register(seminar, "first@example.org").registration
        second = register(seminar, "second@example.org").registration
        clock.shift(timedelta(minutes=1))
        waiting = register(seminar, "waiting@example.org").registration
        clock.shift(timedelta(minutes=1))
        earlier = register(seminar, "earlier@example.org").registration
        clock.shift(timedelta(minutes=1))
        # Registered first, joins the list now: behind "earlier", ahead of "later".
        assert registration_move_to_waitlist(registration=first) == waiting
        clock.shift(timedelta(minutes=1))
        later = register(seminar, "later@example.org").registration
        clock.shift(timedelta(minutes=1))

        promoted = [
            registration_cancel(registration=second),
            registration_cancel(registration=waiting),
            registration_cancel(registration=earlier),
        ]

    assert promoted == [earlier, first, later]


def test_places_that_joined_the_list_at_the_same_instant_go_in_the_order_they_were_made():
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    with time_machine.travel(timezone.now(), tick=False):
        seated = register(seminar, "seated@example.org").registration
        waiting = [register(seminar, f"w{n}@example.org").registration for n in range(3)]

        assert registration_cancel(registration=seated) == waiting[0]
        assert registration_cancel(registration=waiting[0]) == waiting[1]


def test_a_promotion_stamps_the_confirmation_so_a_repeat_soon_after_sends_nothing(settings):
    settings.CONFIRMATION_RESEND_SECONDS = 600
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    seated = register(seminar, "seated@example.org").registration
    waiting = register(seminar, "waiting@example.org").registration

    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        registration_cancel(registration=seated)
        waiting.refresh_from_db()
        assert waiting.confirmation_sent_at == waiting.promoted_at == timezone.now()
        assert register(seminar, "waiting@example.org").resent is False


def test_a_cancellation_is_stamped_with_its_instant():
    registration = register(SeminarFactory(), "aiko@example.org").registration

    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        registration_cancel(registration=registration)
        registration.refresh_from_db()
        assert registration.cancelled_at == timezone.now()


def test_a_freed_seat_refreshes_the_public_pages_only_when_nobody_takes_it(catalogue_refreshes):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    seated = register(seminar, "seated@example.org").registration
    waiting = register(seminar, "waiting@example.org").registration
    refreshes_before = len(catalogue_refreshes)

    # Taken at once by the next in line: the seminar stays full, the pages stay.
    registration_cancel(registration=seated)
    assert len(catalogue_refreshes) == refreshes_before
    # A waiting place going frees no seat.
    other = register(seminar, "other@example.org").registration
    registration_cancel(registration=other)
    assert len(catalogue_refreshes) == refreshes_before
    # Nobody waiting: the seminar is open again.
    registration_cancel(registration=waiting)
    assert len(catalogue_refreshes) == refreshes_before + 1


def test_moving_a_place_refreshes_the_public_pages_only_when_its_seat_stays_free(
    catalogue_refreshes,
):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    seated = register(seminar, "seated@example.org").registration
    register(seminar, "waiting@example.org")
    refreshes_before = len(catalogue_refreshes)

    registration_move_to_waitlist(registration=seated)
    assert len(catalogue_refreshes) == refreshes_before

    alone = register(SeminarFactory(capacity=1, waitlist_enabled=True), "a@example.org")
    refreshes_before = len(catalogue_refreshes)
    registration_move_to_waitlist(registration=alone.registration)
    assert len(catalogue_refreshes) == refreshes_before + 1


@pytest.mark.parametrize("act", ["cancel", "move", "promote"])
def test_a_lock_timeout_in_any_seat_change_becomes_busy(monkeypatch, act):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    seated = register(seminar, "seated@example.org").registration
    waiting = register(seminar, "waiting@example.org").registration
    _lock_timeout(monkeypatch)

    with pytest.raises(RegistrationBusy):
        if act == "cancel":
            registration_cancel(registration=seated)
        elif act == "move":
            registration_move_to_waitlist(registration=seated)
        else:
            registration_promote(registration=waiting)

    assert [seated.status, waiting.status] == ["confirmed", "waitlisted"]
    seated.refresh_from_db()
    assert seated.status == "confirmed"


@pytest.mark.parametrize(
    ("state", "reason"),
    [("draft", "draft"), ("cancelled", "cancelled"), ("past", "ended")],
)
def test_an_organisers_seat_change_on_a_seminar_not_going_ahead_says_why(state, reason):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    seated = register(seminar, "seated@example.org").registration
    waiting = register(seminar, "waiting@example.org").registration
    if state == "past":
        seminar.starts_at = timezone.now() - timedelta(days=2)
        seminar.ends_at = seminar.starts_at + timedelta(hours=1)
    else:
        seminar.status = state
    seminar.save()

    with pytest.raises(RegistrationClosed) as moving:
        registration_move_to_waitlist(registration=seated)
    with pytest.raises(RegistrationClosed) as promoting:
        registration_promote(registration=waiting)

    assert (moving.value.reason, promoting.value.reason) == (reason, reason)


def test_refusals_name_the_status_or_seminar_that_stood_in_the_way():
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True, title="Tottori")
    seated = register(seminar, "seated@example.org").registration
    waiting = register(seminar, "waiting@example.org").registration

    with pytest.raises(RegistrationNotConfirmed) as not_confirmed:
        registration_move_to_waitlist(registration=waiting)
    with pytest.raises(RegistrationNotWaitlisted) as not_waitlisted:
        registration_promote(registration=seated)
    no_list = SeminarFactory(waitlist_enabled=False, title="Arita")
    with pytest.raises(WaitlistDisabled) as disabled:
        registration_move_to_waitlist(registration=register(no_list, "a@example.org").registration)

    assert str(not_confirmed.value) == waiting.get_status_display()
    assert str(not_waitlisted.value) == seated.get_status_display()
    assert str(disabled.value) == str(no_list)


# --- Details, consents, attendance, calendar feed --------------------------------------


def test_updating_details_from_a_stale_page_never_undoes_a_cancellation():
    registration = register(SeminarFactory(), "aiko@example.org").registration
    stale = Registration.objects.get(pk=registration.pk)
    registration_cancel(registration=registration)

    registration_update_details(
        registration=stale,
        name="Aiko T.",
        organisation="Tottori Prefecture",
        job_title="",
        country="JP",
        marketing_opt_in=False,
        recording_followup_opt_in=False,
    )

    fresh = Registration.objects.get(pk=registration.pk)
    assert (fresh.status, fresh.name) == ("cancelled", "Aiko T.")


def test_updating_details_takes_exactly_these_queries(django_assert_num_queries):
    registration = register(SeminarFactory(), "aiko@example.org").registration

    # The checks of its seminar and audience type (full_clean), then the update in its
    # transaction (a savepoint pair in a test); the unique constraints are not read back.
    with django_assert_num_queries(5):
        registration_update_details(
            registration=registration,
            name="Aiko T.",
            organisation="",
            job_title="",
            country="",
            marketing_opt_in=False,
            recording_followup_opt_in=False,
        )


def _update_opt_ins(registration, *, news: bool, recording: bool) -> None:
    registration_update_details(
        registration=registration,
        name=registration.name,
        organisation=registration.organisation,
        job_title=registration.job_title,
        country=registration.country,
        marketing_opt_in=news,
        recording_followup_opt_in=recording,
    )


def test_changing_only_the_recording_opt_in_leaves_the_addresss_alerts_alone():
    registration = register(SeminarFactory(), "aiko@example.org").registration
    FollowFactory(email="aiko@example.org", kind=Follow.Kind.ALL, place="")

    _update_opt_ins(registration, news=False, recording=True)

    assert Follow.objects.filter(email="aiko@example.org", kind=Follow.Kind.ALL).exists()


def test_unticking_news_withdraws_the_addresss_follow_of_every_seminar():
    registration = register(
        SeminarFactory(), "aiko@example.org", marketing_opt_in=True
    ).registration
    assert Follow.objects.filter(email="aiko@example.org", kind=Follow.Kind.ALL).exists()

    _update_opt_ins(registration, news=False, recording=False)

    assert not Follow.objects.filter(email="aiko@example.org").exists()
    assert list(
        registration.consent_records.filter(source="manage_page").values_list("consent", "given")
    ) == [(ConsentRecord.Consent.NEWS, False)]


def test_an_unknown_attendance_value_is_named_in_the_error():
    with pytest.raises(ValueError, match=r"^Unknown attendance value: 'maybe'$"):
        attendance_mark(registrations=[], attended="maybe")


def test_marking_attendance_stamps_the_change():
    registration = RegistrationFactory()

    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        assert attendance_mark(registrations=[registration], attended="yes") == 1
        registration.refresh_from_db()
        assert (registration.attended, registration.updated_at) == ("yes", timezone.now())


def test_renewing_the_calendar_feed_from_a_stale_account_keeps_what_changed_since():
    user = UserFactory(full_name="Aiko")
    stale = User.objects.get(pk=user.pk)
    User.objects.filter(pk=user.pk).update(full_name="Aiko Tanaka")

    calendar_token_renew(user=stale)

    assert User.objects.get(pk=user.pk).full_name == "Aiko Tanaka"


def test_every_seat_decision_bounds_its_wait_for_the_seminar_lock(monkeypatch, settings):
    settings.REGISTRATION_LOCK_TIMEOUT = "2500ms"
    timeouts: list[str] = []
    monkeypatch.setattr(services, "lock_timeout_set", timeouts.append)
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)

    seated = register(seminar, "seated@example.org").registration
    waiting = register(seminar, "waiting@example.org").registration
    registration_move_to_waitlist(registration=seated)
    registration_cancel(registration=waiting)

    assert timeouts == ["2500ms"] * 4


def test_the_referring_site_keeps_its_own_longer_limit():
    host = "a" * 250 + ".example"

    registration = register(
        SeminarFactory(), "aiko@example.org", source={"referrer_host": host}
    ).registration

    assert registration.referrer_host == host[:255]


def test_a_lock_timeout_while_finding_the_place_that_won_a_race_is_busy(monkeypatch):
    seminar = SeminarFactory()
    RegistrationFactory(seminar=seminar, email="aiko@example.org")

    def refused_by_the_constraint(**_kwargs):
        raise IntegrityError("UNIQUE constraint failed")

    class LockNotAvailable(Exception):
        sqlstate = "55P03"

    def locked_out(**_kwargs):
        raise OperationalError("canceling statement due to lock timeout") from LockNotAvailable()

    monkeypatch.setattr(services, "_register", refused_by_the_constraint)
    monkeypatch.setattr(services, "_existing", locked_out)

    with pytest.raises(RegistrationBusy):
        register(seminar, "aiko@example.org")


def test_renewing_links_revokes_every_earlier_one_and_emails_fresh_ones():
    from notifications.models import OutgoingEmail
    from webinars.models import RegistrationToken
    from webinars.services.registrations import registration_links_renew

    registration = register(SeminarFactory(), "aiko@example.org").registration
    other = register(SeminarFactory(), "ben@example.org").registration
    assert RegistrationToken.objects.filter(registration=registration).exists()

    registration_links_renew(registration=registration)

    assert not RegistrationToken.objects.filter(registration=registration).exists()
    assert RegistrationToken.objects.filter(registration=other).exists()
    renewed = OutgoingEmail.objects.filter(kind="registration_links").get()
    assert (renewed.registration, renewed.snapshot.get("reason")) == (registration, "renewed")
