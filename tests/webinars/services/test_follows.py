"""Following: double opt-in, stopping, and "future seminars" as a follow of everything."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications.models import AlertItem, OutgoingEmail, SeminarAlert
from tests.factories import (
    FollowFactory,
    RegistrationFactory,
    SeminarFactory,
    UserFactory,
)
from webinars.follow_links import ConfirmationClaim
from webinars.models import ConsentRecord, Follow, Registration
from webinars.selectors import follow_target
from webinars.services import (
    follow_confirm,
    follow_request,
    follow_stop,
    follows_stop_all,
    registration_create,
    registration_update_details,
)

pytestmark = pytest.mark.django_db


def _kyushu():
    return follow_target(place="kyushu")


def _confirmations():
    return OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.FOLLOW_CONFIRMATION)


def test_a_guest_follow_waits_for_its_confirmation_link(mailoutbox):
    result = follow_request(email=" Ken@Example.org ", target=_kyushu(), language="en")
    assert result.state == "sent"
    follow = Follow.objects.get()
    assert (follow.email, follow.kind, follow.place, follow.confirmed_at) == (
        "ken@example.org",
        "place",
        "kyushu",
        None,
    )
    [email] = _confirmations()
    assert email.to_email == "ken@example.org"
    assert email.subject == "Confirm: seminar alerts for Kyushu"
    assert "/follow/confirm/" in email.body_text


def test_asking_again_soon_sends_no_second_link_but_later_it_does():
    follow_request(email="ken@example.org", target=_kyushu(), language="en")
    assert follow_request(email="ken@example.org", target=_kyushu(), language="en").state == (
        "waiting"
    )
    assert _confirmations().count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        again = follow_request(email="ken@example.org", target=_kyushu(), language="ja")
    assert again.state == "sent"
    assert _confirmations().count() == 2
    assert Follow.objects.get().language == "ja"


def test_confirming_confirms_and_confirming_twice_is_harmless():
    follow_request(email="ken@example.org", target=_kyushu(), language="en")
    follow = Follow.objects.get()
    claim = ConfirmationClaim(follow_id=follow.pk, email="ken@example.org")
    first = follow_confirm(claim=claim)
    confirmed_at = first.confirmed_at
    assert confirmed_at is not None
    assert follow_confirm(claim=claim).confirmed_at == confirmed_at
    assert Follow.objects.count() == 1


def test_a_claim_naming_another_address_confirms_nothing():
    follow_request(email="ken@example.org", target=_kyushu(), language="en")
    follow = Follow.objects.get()
    assert follow_confirm(claim=ConfirmationClaim(follow.pk, "other@example.org")) is None
    assert Follow.objects.get().confirmed_at is None


def test_a_confirmed_follow_asked_again_stays_as_it_is_and_sends_nothing():
    FollowFactory(email="ken@example.org", place="kyushu")
    assert follow_request(email="ken@example.org", target=_kyushu(), language="en").state == (
        "following"
    )
    assert not _confirmations().exists()


def test_an_account_holder_follows_at_once_and_a_typed_address_still_confirms():
    user = UserFactory(email="aiko@example.org")
    own = follow_request(email="aiko@example.org", target=_kyushu(), language="en", user=user)
    assert own.state == "following"
    assert own.follow.user == user and own.follow.confirmed_at is not None
    # Signed in, but following with someone else's address: that address must confirm.
    other = follow_request(email="boss@example.org", target=_kyushu(), language="en", user=user)
    assert other.state == "sent"
    assert other.follow.user is None


def test_following_again_after_stopping_needs_a_fresh_confirmation():
    follow = FollowFactory(email="ken@example.org", place="kyushu")
    follows_stop_all(email="ken@example.org")
    assert not Follow.objects.exists()
    result = follow_request(email="ken@example.org", target=_kyushu(), language="en")
    assert result.state == "sent"
    assert result.follow.confirmed_at is None
    # The old link names a follow that is gone: it does not bring it back.
    assert follow_confirm(claim=ConfirmationClaim(follow.pk, "ken@example.org")) is None


def test_stopping_one_follow_keeps_the_others():
    kept = FollowFactory(email="ken@example.org", place="tohoku")
    stopped = FollowFactory(email="ken@example.org", place="kyushu")
    follow_stop(follow=stopped)
    assert list(Follow.objects.all()) == [kept]


def test_stopping_all_withdraws_future_seminars_and_the_waiting_alerts():
    registration = RegistrationFactory(email="ken@example.org", marketing_opt_in=True)
    FollowFactory(email="ken@example.org", kind=Follow.Kind.ALL, place="")
    alert = SeminarAlert.objects.create(seminar=SeminarFactory(), occasion="published")
    AlertItem.objects.create(alert=alert, email="ken@example.org")
    queued = OutgoingEmail.objects.create(
        kind=OutgoingEmail.Kind.SEMINAR_ALERTS, to_email="ken@example.org", subject="x"
    )

    assert follows_stop_all(email="KEN@example.org") == 1

    registration.refresh_from_db()
    assert registration.marketing_opt_in is False
    ledger = ConsentRecord.objects.filter(registration=registration, consent="news").last()
    assert (ledger.given, ledger.source) == (False, "unsubscribe")
    assert not AlertItem.objects.exists()
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.CANCELLED
    # Again: nothing left to do, nothing breaks.
    assert follows_stop_all(email="ken@example.org") == 0


# --- "Email me about future seminars" ---------------------------------------------


def _register(seminar, *, email="mari@example.org", marketing=True) -> Registration:
    return registration_create(
        seminar=seminar,
        email=email,
        name="Mari",
        audience_type=RegistrationFactory.audience_type.function(),
        marketing_opt_in=marketing,
        language="ja",
        time_zone="Asia/Tokyo",
    ).registration


def test_ticking_future_seminars_follows_every_seminar_confirmed():
    _register(SeminarFactory())
    follow = Follow.objects.get()
    assert (follow.kind, follow.source, follow.language, follow.time_zone) == (
        "all",
        "registration",
        "ja",
        "Asia/Tokyo",
    )
    assert follow.confirmed_at is not None
    # A second registration that ticks it again adds nothing.
    _register(SeminarFactory())
    assert Follow.objects.count() == 1


def test_not_ticking_it_follows_nothing():
    _register(SeminarFactory(), marketing=False)
    assert not Follow.objects.exists()


def test_unticking_it_on_the_manage_page_withdraws_the_follow_and_ticking_brings_it_back():
    registration = _register(SeminarFactory())
    details = {
        "name": "Mari",
        "organisation": "",
        "job_title": "",
        "country": "",
        "recording_followup_opt_in": False,
    }
    registration_update_details(registration=registration, marketing_opt_in=False, **details)
    assert not Follow.objects.exists()
    registration_update_details(registration=registration, marketing_opt_in=True, **details)
    assert Follow.objects.get().kind == "all"


def test_stopping_the_follow_of_everything_unticks_future_seminars():
    registration = _register(SeminarFactory())
    follow_stop(follow=Follow.objects.get())
    registration.refresh_from_db()
    assert registration.marketing_opt_in is False
