import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from accounts.models import AudienceType
from notifications.models import OutgoingEmail
from tests.factories import AudienceQuotaFactory, RegistrationFactory, SeminarFactory, UserFactory
from tests.utils import rendered
from webinars import selectors
from webinars.errors import (
    AudienceNotAllowed,
    RegistrationBusy,
    RegistrationClosed,
    RegistrationFull,
    RegistrationNotConfirmed,
    RegistrationNotWaitlisted,
    WaitlistDisabled,
)
from webinars.models import JoinClick, Registration, RegistrationToken, Seminar
from webinars.services import registrations as services
from webinars.services.registrations import (
    attendance_mark,
    calendar_token_renew,
    join_click_record,
    registration_cancel,
    registration_create,
    registration_move_to_waitlist,
    registration_promote,
    registration_token_issue,
    registration_update_details,
)

pytestmark = pytest.mark.django_db


def audience(slug: str = "travel-agent") -> AudienceType:
    return AudienceType.objects.get(slug=slug)


def register(seminar, email: str, audience_slug: str = "travel-agent", **extra):
    return registration_create(
        seminar=seminar,
        email=email,
        name=extra.pop("name", "Aiko Tanaka"),
        audience_type=audience(audience_slug),
        **extra,
    )


def kinds_sent() -> list[tuple[str, str]]:
    return list(OutgoingEmail.objects.order_by("pk").values_list("to_email", "kind"))


def test_register_is_confirmed_while_seats_remain_then_waitlisted():
    seminar = SeminarFactory(capacity=2, waitlist_enabled=True)

    first = register(seminar, "a@example.org")
    second = register(seminar, "b@example.org")
    third = register(seminar, "c@example.org")

    statuses = [r.registration.status for r in (first, second, third)]
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    assert [r.created for r in (first, second, third)] == [True, True, True]
    assert kinds_sent() == [
        ("a@example.org", "registration_confirmed"),
        ("b@example.org", "registration_confirmed"),
        ("c@example.org", "registration_waitlisted"),
    ]


def test_register_without_capacity_is_always_confirmed():
    seminar = SeminarFactory(capacity=None)
    for n in range(5):
        assert register(seminar, f"p{n}@example.org").registration.status == "confirmed"


def test_register_when_full_without_waitlist_is_refused_and_writes_nothing():
    seminar = SeminarFactory(capacity=1, waitlist_enabled=False)
    register(seminar, "a@example.org")

    with pytest.raises(RegistrationFull):
        register(seminar, "b@example.org")

    assert list(Registration.objects.values_list("email", flat=True)) == ["a@example.org"]
    assert OutgoingEmail.objects.count() == 1


def test_audience_quota_waitlists_that_type_only():
    seminar = SeminarFactory(capacity=10)
    AudienceQuotaFactory(seminar=seminar, audience_type=audience("media"), seats=1)

    media_one = register(seminar, "m1@example.org", "media")
    media_two = register(seminar, "m2@example.org", "media")
    agent = register(seminar, "t1@example.org", "travel-agent")

    assert media_one.registration.status == "confirmed"
    assert media_two.registration.status == "waitlisted"
    assert agent.registration.status == "confirmed"


def test_quota_full_without_waitlist_is_refused():
    seminar = SeminarFactory(capacity=10, waitlist_enabled=False)
    AudienceQuotaFactory(seminar=seminar, audience_type=audience("media"), seats=1)
    register(seminar, "m1@example.org", "media")

    with pytest.raises(RegistrationFull):
        register(seminar, "m2@example.org", "media")


def test_audience_type_not_allowed_is_refused():
    seminar = SeminarFactory()
    seminar.allowed_audience_types.set([audience("media")])

    with pytest.raises(AudienceNotAllowed):
        register(seminar, "a@example.org", "travel-agent")
    assert register(seminar, "b@example.org", "media").registration.status == "confirmed"


def test_inactive_audience_type_is_refused_when_the_seminar_accepts_all():
    seminar = SeminarFactory()
    AudienceType.objects.filter(slug="other").update(is_active=False)

    with pytest.raises(AudienceNotAllowed):
        register(seminar, "a@example.org", "other")


@pytest.mark.parametrize(
    ("factory_kwargs", "reason"),
    [
        ({"draft": True}, "draft"),
        ({"status": "cancelled"}, "cancelled"),
        ({"past": True}, "ended"),
        (
            {
                "starts_at": timezone.now() - timedelta(minutes=5),
                "ends_at": timezone.now() + timedelta(minutes=55),
            },
            "started",
        ),
        ({"registration_opens_at": timezone.now() + timedelta(days=1)}, "not_open"),
        (
            {
                "registration_opens_at": timezone.now() - timedelta(days=2),
                "registration_closes_at": timezone.now() - timedelta(days=1),
            },
            "closed",
        ),
    ],
)
def test_register_when_closed_raises_with_the_reason(factory_kwargs, reason):
    seminar = SeminarFactory(**factory_kwargs)

    with pytest.raises(RegistrationClosed) as error:
        register(seminar, "a@example.org")

    assert error.value.reason == reason
    assert Registration.objects.count() == 0


def test_register_stores_consent_answers_and_lowercased_email(settings):
    settings.PRIVACY_NOTICE_VERSION = "2026-test"
    seminar = SeminarFactory()
    user = UserFactory(email="aiko@example.org")

    with time_machine.travel("2026-12-01 10:00Z", tick=False):
        result = register(
            seminar,
            "  Aiko@Example.ORG ",
            organisation="Kyoto Tours",
            job_title="Director",
            country="GB",
            answers={"7": "Onsen"},
            marketing_opt_in=True,
            recording_followup_opt_in=False,
            language="ja",
            time_zone="Asia/Tokyo",
            user=user,
        )

    registration = Registration.objects.get()
    assert registration == result.registration
    assert registration.email == "aiko@example.org"
    assert registration.privacy_notice_version == "2026-test"
    assert registration.privacy_consented_at.isoformat() == "2026-12-01T10:00:00+00:00"
    assert registration.confirmation_sent_at == registration.privacy_consented_at
    assert registration.answers == {"7": "Onsen"}
    assert (registration.organisation, registration.job_title, str(registration.country)) == (
        "Kyoto Tours",
        "Director",
        "GB",
    )
    assert (registration.marketing_opt_in, registration.recording_followup_opt_in) == (True, False)
    assert (registration.language, registration.time_zone, registration.user) == (
        "ja",
        "Asia/Tokyo",
        user,
    )


def test_register_token_is_returned_raw_and_stored_hashed():
    seminar = SeminarFactory()

    result = register(seminar, "a@example.org")

    assert len(result.token) == 43
    stored = RegistrationToken.objects.get()
    assert stored.token_hash == hashlib.sha256(result.token.encode()).hexdigest()
    assert result.token not in stored.token_hash
    assert (
        selectors.registration_by_token(result.token, scopes=RegistrationToken.Scope.values)
        == result.registration
    )


def test_register_without_a_manage_token_mints_none():
    seminar = SeminarFactory()

    result = register(seminar, "a@example.org", manage_token=False)

    assert (result.created, result.token) == (True, None)
    assert result.registration.status == "confirmed"
    assert not RegistrationToken.objects.exists()


def test_register_decides_with_one_read_under_the_lock(django_assert_max_num_queries):
    seminar = SeminarFactory(capacity=10)
    seminar.allowed_audience_types.set([audience("media"), audience("travel-agent")])
    AudienceQuotaFactory(seminar=seminar, audience_type=audience("media"), seats=1)
    register(seminar, "m1@example.org", "media")
    media = audience("media")

    # The lock timeout (PostgreSQL only), the locked seminar, the seat state, the place,
    # its consents, its email (in a savepoint) and its token, inside the transaction (a
    # savepoint in a test).
    with django_assert_max_num_queries(10 + (connection.vendor == "postgresql")):
        result = registration_create(
            seminar=seminar, email="m2@example.org", name="Ben", audience_type=media
        )

    assert result.registration.status == "waitlisted"


def test_registration_by_token_unknown_or_tampered_is_none():
    registration = RegistrationFactory()
    token = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.MANAGE
    )

    assert (
        selectors.registration_by_token(
            token[:-1] + ("A" if token[-1] != "A" else "B"), scopes=RegistrationToken.Scope.values
        )
        is None
    )
    assert selectors.registration_by_token("", scopes=RegistrationToken.Scope.values) is None
    assert (
        selectors.registration_by_token("x" * 5000, scopes=RegistrationToken.Scope.values) is None
    )
    assert (
        selectors.registration_by_token(token, scopes=RegistrationToken.Scope.values)
        == registration
    )


def test_same_email_again_returns_the_existing_registration_without_resending():
    seminar = SeminarFactory()
    first = register(seminar, "a@example.org")

    again = register(seminar, "A@example.org", name="Someone Else")

    assert again.created is False
    assert (again.token, again.resent) == (None, False)
    assert again.registration.pk == first.registration.pk
    assert again.registration.name == "Aiko Tanaka"
    assert Registration.objects.count() == 1
    assert OutgoingEmail.objects.count() == 1


def test_same_email_after_resend_period_resends_once(settings):
    settings.CONFIRMATION_RESEND_SECONDS = 600
    with time_machine.travel("2026-11-26 09:00Z", tick=False):
        seminar = SeminarFactory(
            starts_at=timezone.now() + timedelta(days=7),
            ends_at=timezone.now() + timedelta(days=7, hours=1),
            capacity=1,
        )
        register(seminar, "first@example.org")
        waitlisted = register(seminar, "a@example.org")
    with time_machine.travel("2026-11-26 09:09Z", tick=False):
        too_soon = register(seminar, "a@example.org")
    with time_machine.travel("2026-11-26 09:10:01Z", tick=False):
        resent = register(seminar, "a@example.org")
    with time_machine.travel("2026-11-26 09:15Z", tick=False):
        then_again = register(seminar, "a@example.org")

    assert too_soon.resent is False
    assert resent.created is False
    assert resent.resent is True
    assert resent.token is None  # the re-sent email gets its own token when it is sent
    assert then_again.resent is False
    assert kinds_sent() == [
        ("first@example.org", "registration_confirmed"),
        ("a@example.org", "registration_waitlisted"),
        # Its links again, to the address only: whoever typed it in learns nothing.
        ("a@example.org", "registration_links"),
    ]
    registration = Registration.objects.get(email="a@example.org")
    assert registration.confirmation_sent_at.isoformat() == "2026-11-26T09:10:01+00:00"
    # Only the browser's token from the first registration: emails mint theirs at sending.
    assert RegistrationToken.objects.filter(registration=registration).count() == 1
    assert waitlisted.token is not None


def test_same_email_after_cancelling_registers_again():
    seminar = SeminarFactory()
    first = register(seminar, "a@example.org")
    registration_cancel(registration=first.registration)

    again = register(seminar, "a@example.org")

    assert again.created is True
    assert again.registration.pk != first.registration.pk


def test_rolled_back_registration_leaves_no_row_no_email_and_no_callbacks(
    django_capture_on_commit_callbacks,
):
    seminar = SeminarFactory()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        register(seminar, "a@example.org")
        assert OutgoingEmail.objects.count() == 1  # written inside the transaction
        raise RuntimeError("a later step failed")

    assert callbacks == []
    assert Registration.objects.count() == 0
    assert RegistrationToken.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0


def test_committed_registration_schedules_delivery_and_cache_bump_when_it_fills_up(
    django_capture_on_commit_callbacks,
):
    seminar = SeminarFactory(capacity=1)

    with django_capture_on_commit_callbacks() as callbacks:
        register(seminar, "a@example.org")

    # One delivery of the email, one catalogue version bump: the seminar is now full.
    assert len(callbacks) == 2


def test_lock_timeout_becomes_registration_busy(monkeypatch):
    seminar = SeminarFactory()

    class LockNotAvailable(Exception):
        sqlstate = "55P03"

    def locked_out(_seminar):
        raise OperationalError("canceling statement due to lock timeout") from LockNotAvailable()

    monkeypatch.setattr(services, "_locked_seminar", locked_out)

    with pytest.raises(RegistrationBusy):
        register(seminar, "a@example.org")
    assert Registration.objects.count() == 0


def test_other_operational_errors_are_not_hidden(monkeypatch):
    seminar = SeminarFactory()

    def broken(_seminar):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "_locked_seminar", broken)

    with pytest.raises(OperationalError):
        register(seminar, "a@example.org")


def test_cancel_promotes_the_first_waitlisted_person_whose_type_fits():
    seminar = SeminarFactory(capacity=2)
    AudienceQuotaFactory(seminar=seminar, audience_type=audience("media"), seats=1)
    media = register(seminar, "m1@example.org", "media").registration
    agent = register(seminar, "t1@example.org").registration
    waiting_media = register(seminar, "m2@example.org", "media").registration
    waiting_agent = register(seminar, "t2@example.org").registration
    assert [waiting_media.status, waiting_agent.status] == ["waitlisted", "waitlisted"]

    promoted = registration_cancel(registration=agent)

    # The earlier waitlisted media person cannot have the seat: media's quota is taken.
    assert promoted == waiting_agent
    assert agent.status == "cancelled"
    waiting_media.refresh_from_db()
    waiting_agent.refresh_from_db()
    assert (waiting_media.status, waiting_agent.status) == ("waitlisted", "confirmed")
    assert waiting_agent.promoted_at is not None
    assert kinds_sent()[-2:] == [
        ("t1@example.org", "registration_cancelled"),
        ("t2@example.org", "waitlist_promoted"),
    ]

    promoted_again = registration_cancel(registration=media)
    assert promoted_again == waiting_media


def test_cancel_twice_changes_and_sends_nothing_more():
    registration = register(SeminarFactory(), "a@example.org").registration
    registration_cancel(registration=registration)
    emails = OutgoingEmail.objects.count()

    assert registration_cancel(registration=registration) is None

    assert OutgoingEmail.objects.count() == emails
    registration.refresh_from_db()
    assert registration.status == "cancelled"


def test_cancel_of_a_past_seminar_promotes_nobody():
    with time_machine.travel("2026-11-01 09:00Z", tick=False):
        seminar = SeminarFactory(
            starts_at=timezone.now() + timedelta(days=1),
            ends_at=timezone.now() + timedelta(days=1, hours=1),
            capacity=1,
        )
        confirmed = register(seminar, "a@example.org").registration
        register(seminar, "b@example.org")
    with time_machine.travel("2026-11-03 09:00Z", tick=False):
        assert registration_cancel(registration=confirmed) is None
    assert Registration.objects.get(email="b@example.org").status == "waitlisted"


def test_promote_by_hand_needs_a_free_seat():
    seminar = SeminarFactory(capacity=1)
    register(seminar, "a@example.org")
    waiting = register(seminar, "b@example.org").registration

    with pytest.raises(RegistrationFull):
        registration_promote(registration=waiting)

    seminar.capacity = 2
    seminar.save(update_fields=["capacity"])
    promoted = registration_promote(registration=waiting)
    assert promoted.status == "confirmed"
    assert waiting.status == "confirmed"
    assert kinds_sent()[-1] == ("b@example.org", "waitlist_promoted")
    with pytest.raises(RegistrationNotWaitlisted):
        registration_promote(registration=waiting)


def test_update_details_changes_only_the_editable_fields():
    registration = register(SeminarFactory(), "a@example.org").registration

    registration_update_details(
        registration=registration,
        name="Aiko T.",
        organisation="New Org",
        job_title="Manager",
        country="JP",
        marketing_opt_in=True,
        recording_followup_opt_in=False,
    )

    registration.refresh_from_db()
    assert (registration.name, registration.organisation, registration.job_title) == (
        "Aiko T.",
        "New Org",
        "Manager",
    )
    assert str(registration.country) == "JP"
    assert (registration.marketing_opt_in, registration.recording_followup_opt_in) == (True, False)
    assert registration.email == "a@example.org"


def test_attendance_mark_counts_changed_rows_and_rejects_unknown_values():
    seminar = SeminarFactory()
    registrations = [RegistrationFactory(seminar=seminar) for _ in range(3)]

    assert attendance_mark(registrations=registrations[:2], attended="yes") == 2
    assert attendance_mark(registrations=registrations, attended="yes") == 1
    with pytest.raises(ValueError):
        attendance_mark(registrations=registrations, attended="maybe")
    assert set(Registration.objects.values_list("attended", flat=True)) == {"yes"}


def test_join_click_record_and_calendar_token_renew():
    registration = RegistrationFactory()
    join_click_record(registration=registration, redirected=True)
    assert list(JoinClick.objects.values_list("registration", "redirected")) == [
        (registration.pk, True)
    ]

    user = UserFactory()
    first = calendar_token_renew(user=user)
    second = calendar_token_renew(user=user)
    user.refresh_from_db()
    assert len(first) == 43
    assert first != second
    # Only the hash of the current secret is kept.
    assert user.calendar_token_hash == hashlib.sha256(second.encode()).hexdigest()


def test_seminar_seats_counts_in_one_query(django_assert_num_queries):
    seminar = SeminarFactory(capacity=3, waitlist_enabled=True)
    RegistrationFactory.create_batch(3, seminar=seminar)
    RegistrationFactory(seminar=seminar, status="waitlisted")
    RegistrationFactory(seminar=seminar, status="cancelled")

    with django_assert_num_queries(1):
        seats = selectors.seminar_seats(seminar)

    assert (seats.capacity, seats.confirmed, seats.waitlisted, seats.left) == (3, 3, 1, 0)
    assert (seats.full, seats.waitlist_open) == (True, True)


def test_seminar_seats_uses_annotations_without_a_query(django_assert_num_queries):
    seminar = SeminarFactory(capacity=5)
    RegistrationFactory.create_batch(2, seminar=seminar)
    annotated = Seminar.objects.annotate(**selectors.SEAT_COUNT_ANNOTATIONS).get(pk=seminar.pk)

    with django_assert_num_queries(0):
        seats = selectors.seminar_seats(annotated)

    assert (seats.confirmed, seats.waitlisted, seats.left) == (2, 0, 3)


def _deliver_queued() -> None:
    """The worker sends what is queued (rendering lean rows then), as it does after each
    commit: a confirmation carries the seminar's sequence when it goes out."""
    from notifications.services import emails_deliver

    queued = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED)
    emails_deliver(email_ids=list(queued.values_list("pk", flat=True)))


def _invite_sequences(email: str) -> list[tuple[str, int]]:
    from icalendar import Calendar

    # Every email to ``email`` has its message: none is left out for being lean.
    assert not OutgoingEmail.objects.filter(to_email=email, rendered=False).exists()
    sent = OutgoingEmail.objects.filter(to_email=email).exclude(calendar_body="").order_by("pk")
    return [
        (e.calendar_method, Calendar.from_ical(e.calendar_body).events[0]["SEQUENCE"]) for e in sent
    ]


def test_each_invite_to_one_person_outranks_the_last_across_cancel_and_re_register():
    seminar = SeminarFactory(capacity=None)
    first = register(seminar, "kenji@example.org").registration
    _deliver_queued()

    registration_cancel(registration=first)
    register(seminar, "kenji@example.org")
    _deliver_queued()

    assert _invite_sequences("kenji@example.org") == [("REQUEST", 0), ("CANCEL", 1), ("REQUEST", 2)]
    seminar.refresh_from_db()
    assert seminar.sequence == 2


def test_cancelling_a_waiting_list_place_sends_no_calendar_cancel():
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    register(seminar, "first@example.org")
    waiting = register(seminar, "second@example.org").registration

    registration_cancel(registration=waiting)

    email = OutgoingEmail.objects.get(to_email="second@example.org", kind="registration_cancelled")
    assert (email.calendar_method, email.calendar_body) == ("", "")
    seminar.refresh_from_db()
    assert seminar.sequence == 0


@pytest.mark.parametrize("state", ["cancelled", "past", "draft"])
def test_promoting_by_hand_refuses_seminars_that_are_not_going_ahead(state):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    register(seminar, "first@example.org")
    waiting = register(seminar, "second@example.org").registration
    seminar.capacity = 5
    if state == "cancelled":
        seminar.status = Seminar.Status.CANCELLED
    elif state == "draft":
        seminar.status = Seminar.Status.DRAFT
    else:
        seminar.starts_at = timezone.now() - timedelta(days=2)
        seminar.ends_at = seminar.starts_at + timedelta(hours=1)
    seminar.save()

    with pytest.raises(RegistrationClosed):
        registration_promote(registration=waiting)

    waiting.refresh_from_db()
    assert waiting.status == "waitlisted"
    assert not OutgoingEmail.objects.filter(kind="waitlist_promoted").exists()


def test_public_pages_refresh_when_the_last_seat_goes_not_on_every_registration(
    django_capture_on_commit_callbacks,
):
    from webinars.cache import catalogue_version

    seminar = SeminarFactory(capacity=2, waitlist_enabled=True)
    start = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        register(seminar, "a@example.org")
    after_first = catalogue_version()
    with django_capture_on_commit_callbacks(execute=True):
        register(seminar, "b@example.org")

    assert after_first == start
    assert catalogue_version() != start


def test_moving_a_place_to_the_waiting_list_cancels_its_invite_and_gives_the_seat_on():
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    holder = register(seminar, "holder@example.org").registration
    waiting = register(seminar, "waiting@example.org").registration
    _deliver_queued()

    promoted = registration_move_to_waitlist(registration=holder)
    _deliver_queued()

    assert promoted == waiting
    holder.refresh_from_db()
    waiting.refresh_from_db()
    assert (holder.status, waiting.status) == ("waitlisted", "confirmed")
    assert holder.waitlisted_at is not None
    assert holder.promoted_at is None
    assert _invite_sequences("holder@example.org") == [("REQUEST", 0), ("CANCEL", 1)]
    assert kinds_sent()[-2:] == [
        ("holder@example.org", "moved_to_waitlist"),
        ("waiting@example.org", "waitlist_promoted"),
    ]
    moved = OutgoingEmail.objects.get(kind="moved_to_waitlist")
    assert "moved your place" in moved.body_text
    assert "{join_url}" not in moved.body_text  # no join link: the place has none now


def test_a_place_moved_to_the_waiting_list_joins_its_end_and_never_takes_its_seat_back():
    seminar = SeminarFactory(capacity=2, waitlist_enabled=True)
    holder = register(seminar, "holder@example.org").registration
    other = register(seminar, "other@example.org").registration
    queued = register(seminar, "queued@example.org").registration

    assert registration_move_to_waitlist(registration=holder) == queued
    # The next free seat goes to whoever joined the queue first: the moved place is last
    # although it registered first.
    registration_cancel(registration=other)
    holder.refresh_from_db()
    assert holder.status == "confirmed"

    # Alone on the list with a seat free, the moved place stays waiting: it was moved.
    solo = SeminarFactory(capacity=1, waitlist_enabled=True)
    alone = register(solo, "alone@example.org").registration
    assert registration_move_to_waitlist(registration=alone) is None
    alone.refresh_from_db()
    assert alone.status == "waitlisted"


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("waitlisted", RegistrationNotConfirmed),
        ("cancelled", RegistrationNotConfirmed),
        ("no_waitlist", WaitlistDisabled),
        ("past", RegistrationClosed),
    ],
)
def test_moving_to_the_waiting_list_refuses_what_cannot_move(setup, error):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=setup != "no_waitlist")
    registration = register(seminar, "a@example.org").registration
    if setup == "waitlisted":
        registration = register(seminar, "b@example.org").registration
    elif setup == "cancelled":
        registration_cancel(registration=registration)
    elif setup == "past":
        seminar.starts_at = timezone.now() - timedelta(days=2)
        seminar.ends_at = seminar.starts_at + timedelta(hours=1)
        seminar.save()
    before = (registration.status, OutgoingEmail.objects.count())

    with pytest.raises(error):
        registration_move_to_waitlist(registration=registration)

    registration.refresh_from_db()
    assert (registration.status, OutgoingEmail.objects.count()) == before


def test_places_moved_together_never_take_each_others_seats():
    seminar = SeminarFactory(capacity=2, waitlist_enabled=True)
    first = register(seminar, "a@example.org").registration
    second = register(seminar, "b@example.org").registration
    register(seminar, "c@example.org")
    batch = [first.pk, second.pk]

    registration_move_to_waitlist(registration=first, passing_over=batch)
    registration_move_to_waitlist(registration=second, passing_over=batch)

    statuses = dict(Registration.objects.values_list("email", "status"))
    assert statuses == {
        "a@example.org": "waitlisted",
        "b@example.org": "waitlisted",
        "c@example.org": "confirmed",
    }
    assert not OutgoingEmail.objects.filter(
        to_email__in=["a@example.org", "b@example.org"], kind="waitlist_promoted"
    ).exists()


def test_a_moved_place_promoted_again_gets_an_invite_that_outranks_its_cancel():
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    holder = register(seminar, "holder@example.org").registration
    _deliver_queued()
    registration_move_to_waitlist(registration=holder)

    registration_promote(registration=holder)
    _deliver_queued()

    assert _invite_sequences("holder@example.org") == [
        ("REQUEST", 0),
        ("CANCEL", 1),
        ("REQUEST", 2),
    ]


# --- What mutation testing found untested (make mutate) ----------------------------------


def test_the_same_address_registers_for_two_seminars_separately():
    first = register(SeminarFactory(), "aiko@example.org")
    second = register(SeminarFactory(), "aiko@example.org")
    assert (first.created, second.created) == (True, True)
    assert first.registration.pk != second.registration.pk
    assert second.registration.seminar_id != first.registration.seminar_id


def test_consents_default_to_no_optional_email():
    registration = register(SeminarFactory(), "aiko@example.org").registration
    assert (registration.marketing_opt_in, registration.recording_followup_opt_in) == (
        False,
        False,
    )


@pytest.mark.parametrize(("capacity", "status"), [(None, "confirmed"), (1, "waitlisted")])
def test_a_repeat_registration_gets_its_links_worded_for_its_status(settings, capacity, status):
    settings.CONFIRMATION_RESEND_SECONDS = 600
    with time_machine.travel("2026-11-26 09:00Z", tick=False):
        seminar = SeminarFactory(
            starts_at=timezone.now() + timedelta(days=7),
            ends_at=timezone.now() + timedelta(days=7, hours=1),
            capacity=capacity,
        )
        if capacity:
            register(seminar, "first@example.org")
        assert register(seminar, "a@example.org").registration.status == status
    # Exactly at the end of the resend window: sent again.
    with time_machine.travel("2026-11-26 09:10:00Z", tick=False):
        assert register(seminar, "a@example.org").resent is True
    email = OutgoingEmail.objects.filter(kind="registration_links").get()
    body = rendered(email).body_text
    assert ("Your personal join link" in body) is (status == "confirmed")


def test_a_waitlisted_place_cancelled_in_a_full_seminar_promotes_nobody():
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    register(seminar, "seated@example.org")
    first_waiting = register(seminar, "w1@example.org").registration
    second_waiting = register(seminar, "w2@example.org").registration
    registration_cancel(registration=first_waiting)
    second_waiting.refresh_from_db()
    assert second_waiting.status == Registration.Status.WAITLISTED
    assert Registration.objects.filter(seminar=seminar, status="confirmed").count() == 1
