"""Organisers act for attendees: a place added for someone who phoned, places cancelled
for people who wrote or moved to the waiting list; the same service, emails and invites
as self-service, recorded."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AudienceType
from notifications.models import OutgoingEmail
from tests.factories import RegistrationFactory, SeminarFactory
from tests.utils import messages_of, rendered_emails
from webinars.models import ConsentRecord, Registration, RegistrationAct

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:webinars_registration_changelist")


def add_url(seminar) -> str:
    return reverse("admin:webinars_seminar_add_registration", args=[seminar.pk])


def person(**overrides) -> dict[str, object]:
    data = {
        "name": "Fiona Mackay",
        "email": "Fiona@Example.org",
        "organisation": "Highland Tours",
        "job_title": "",
        "country": "GB",
        "audience_type": str(AudienceType.objects.get(slug="travel-agent").pk),
        "language": "en",
        "note": "Phoned on 3 December",
    }
    data.update(overrides)
    return data


def test_an_organiser_adds_a_phoned_in_registration_with_the_same_emails(
    organiser_client, organiser
):
    seminar = SeminarFactory(capacity=10)
    Client().post(
        reverse("webinars:register", args=[seminar.slug]),
        {**person(email="self@example.org", name="Self Service"), "privacy_consent": "on"},
    )

    page = organiser_client.get(add_url(seminar))
    response = organiser_client.post(add_url(seminar), person())

    assert page.status_code == 200
    assert "Register them" in page.content.decode()
    added = Registration.objects.get(email="fiona@example.org")
    assert response["Location"] == reverse("admin:webinars_registration_change", args=[added.pk])
    assert added.status == "confirmed"
    emails = {
        email.to_email: (email.kind, email.calendar_method)
        for email in rendered_emails(OutgoingEmail.objects.all())
    }
    assert (
        emails["fiona@example.org"]
        == emails["self@example.org"]
        == (
            "registration_confirmed",
            "REQUEST",
        )
    )
    assert set(added.consent_records.values_list("source", flat=True)) == {
        ConsentRecord.Source.ORGANISER
    }
    act = RegistrationAct.objects.get()
    assert (act.registration, act.kind, act.actor, act.note) == (
        added,
        "added",
        organiser,
        "Phoned on 3 December",
    )
    shown = organiser_client.get(response["Location"]).content.decode()
    assert "Phoned on 3 December" in shown and "added by an organiser" in shown


def test_adding_an_address_that_has_a_place_shows_that_place_not_a_second(organiser_client):
    seminar = SeminarFactory()
    existing = RegistrationFactory(seminar=seminar, email="fiona@example.org")

    response = organiser_client.post(add_url(seminar), person(), follow=True)

    assert response.redirect_chain[-1][0] == reverse(
        "admin:webinars_registration_change", args=[existing.pk]
    )
    assert "fiona@example.org already has a place (confirmed): here it is." in messages_of(response)
    assert Registration.objects.count() == 1
    assert OutgoingEmail.objects.count() == 0
    assert RegistrationAct.objects.count() == 0


def test_the_seat_rules_apply_to_organisers_too(organiser_client):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=False)
    RegistrationFactory(seminar=seminar)

    response = organiser_client.post(add_url(seminar), person())

    assert response.status_code == 200
    assert "The seminar is full and has no waiting list." in response.content.decode()
    assert Registration.objects.count() == 1


def test_a_seminar_outside_its_registration_window_says_why(organiser_client):
    seminar = SeminarFactory(draft=True)

    response = organiser_client.post(add_url(seminar), person())

    assert "The seminar is a draft: publish it before adding registrations." in (
        response.content.decode()
    )
    assert Registration.objects.count() == 0


def test_an_organiser_cancels_places_as_their_holders_would_and_the_seat_moves_on(
    organiser_client, organiser
):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    holder = RegistrationFactory(seminar=seminar, email="holder@example.org")
    waiting = RegistrationFactory(
        seminar=seminar, email="waiting@example.org", status=Registration.Status.WAITLISTED
    )
    data = {"action": "cancel_for_attendees", "_selected_action": [holder.pk]}

    asked = organiser_client.post(CHANGELIST, data)
    done = organiser_client.post(
        CHANGELIST, {**data, "confirm": "yes", "note": "Asked by email"}, follow=True
    )
    again = organiser_client.post(CHANGELIST, {**data, "confirm": "yes"}, follow=True)

    assert "Cancel these places" in asked.content.decode()
    holder.refresh_from_db()
    waiting.refresh_from_db()
    assert (holder.status, waiting.status) == ("cancelled", "confirmed")
    assert [
        (email.to_email, email.kind, email.calendar_method)
        for email in rendered_emails(OutgoingEmail.objects.order_by("pk"))
    ] == [
        ("holder@example.org", "registration_cancelled", "CANCEL"),
        ("waiting@example.org", "waitlist_promoted", "REQUEST"),
    ]
    assert "Cancelled 1 place." in messages_of(done)
    assert not any(message.startswith("Cancelled") for message in messages_of(again))
    assert f"Left as they were: {holder.name} <holder@example.org>: cancelled already" in (
        messages_of(again)
    )
    act = RegistrationAct.objects.get()
    assert (act.kind, act.actor, act.note) == ("cancelled", organiser, "Asked by email")


def test_an_organiser_moves_a_place_to_the_waiting_list_and_the_seat_moves_on(
    organiser_client, organiser
):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    holder = RegistrationFactory(seminar=seminar, email="holder@example.org")
    waiting = RegistrationFactory(
        seminar=seminar, email="waiting@example.org", status=Registration.Status.WAITLISTED
    )
    data = {"action": "move_to_waitlist_for_attendees", "_selected_action": [holder.pk]}

    asked = organiser_client.post(CHANGELIST, data)
    done = organiser_client.post(
        CHANGELIST, {**data, "confirm": "yes", "note": "Can only come next time"}, follow=True
    )
    again = organiser_client.post(CHANGELIST, {**data, "confirm": "yes"}, follow=True)

    assert "Move to the waiting list" in asked.content.decode()
    holder.refresh_from_db()
    waiting.refresh_from_db()
    assert (holder.status, waiting.status) == ("waitlisted", "confirmed")
    assert [
        (email.to_email, email.kind, email.calendar_method)
        for email in rendered_emails(OutgoingEmail.objects.order_by("pk"))
    ] == [
        ("holder@example.org", "moved_to_waitlist", "CANCEL"),
        ("waiting@example.org", "waitlist_promoted", "REQUEST"),
    ]
    assert "Moved 1 place to the waiting list." in messages_of(done)
    assert (
        f"Left as they were: {holder.name} <holder@example.org>: not a confirmed place (Waitlisted)"
        in (messages_of(again))
    )
    act = RegistrationAct.objects.get()
    assert (act.kind, act.actor, act.note) == (
        "moved_to_waitlist",
        organiser,
        "Can only come next time",
    )
    page = organiser_client.get(
        reverse("admin:webinars_registration_change", args=[holder.pk])
    ).content.decode()
    assert "moved to the waiting list by an organiser" in page
    assert "Can only come next time" in page


def test_a_seminar_without_a_waiting_list_says_to_cancel_instead(organiser_client):
    holder = RegistrationFactory(seminar=SeminarFactory(waitlist_enabled=False))
    data = {"action": "move_to_waitlist_for_attendees", "_selected_action": [holder.pk]}

    done = organiser_client.post(CHANGELIST, {**data, "confirm": "yes"}, follow=True)

    refusal = "the seminar has no waiting list: cancel the place instead"
    assert f"Left as they were: {holder.name} <{holder.email}>: {refusal}" in messages_of(done)
    holder.refresh_from_db()
    assert holder.status == "confirmed"
    assert not OutgoingEmail.objects.exists()


def test_only_organisers_may_act_for_attendees(client):
    seminar = SeminarFactory()

    assert client.get(add_url(seminar)).status_code == 302  # to the login
