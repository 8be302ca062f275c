"""Export and erasure: complete, and leaving no copy of a name or address anywhere."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from notifications.models import AlertItem, EmailOptOut, OutgoingEmail, SeminarAlert
from notifications.services import email_deliver
from privacy.models import Erasure
from privacy.services import (
    StaffAccountNotErased,
    account_delete,
    person_data_export,
    person_erase,
    person_erasure_preview,
    registration_erase,
)
from tests.factories import (
    AudienceTypeFactory,
    FollowFactory,
    JoinClickFactory,
    OrganiserFactory,
    OutgoingEmailFactory,
    RecordingFactory,
    RecordingViewFactory,
    RegistrationFactory,
    RegistrationQuestionFactory,
    SeminarFactory,
    UserFactory,
    enrol_second_factor,
)
from webinars.errors import RegistrationBusy
from webinars.models import Follow, Registration
from webinars.services import (
    registration_cancel,
    registration_create,
    registration_move_to_waitlist,
)

pytestmark = pytest.mark.django_db

NAME = "Tamsin Quellwood"
EMAIL = "tamsin.quellwood@example.org"
ORGANISATION = "Quellwood Travel Ltd"
ANSWER = "Interested in Quellwood-style onsen tours"
SECOND_EMAIL = "tq@quellwood-family.example"
OLD_EMAIL = "tamsin.quellwood.old@example.org"


def text_columns_holding(*needles: str) -> list[str]:
    """Every model's text-like column (JSON included) that holds one of ``needles``."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField | models.JSONField):
                continue
            rows = model._default_manager.annotate(_as_text=Cast(field.attname, models.TextField()))
            for needle in needles:
                if rows.filter(_as_text__icontains=needle).exists():
                    found.append(f"{model._meta.label}.{field.name} holds {needle!r}")
    return found


@pytest.fixture
def person(django_capture_on_commit_callbacks):
    """An account holder with every kind of record Kizuna keeps about a person."""
    user = UserFactory(email=EMAIL, full_name=NAME, organisation=ORGANISATION)
    EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    enrol_second_factor(user)
    audience = AudienceTypeFactory(name="Tour operator (privacy)", slug="tour-operator-privacy")
    upcoming = SeminarFactory(title="Onsen towns of Kyushu", capacity=1)
    question = RegistrationQuestionFactory(seminar=upcoming, label="What brings you?")
    with django_capture_on_commit_callbacks(execute=False):
        registration_create(
            seminar=upcoming,
            email=EMAIL,
            name=NAME,
            audience_type=audience,
            organisation=ORGANISATION,
            answers={str(question.pk): ANSWER},
            marketing_opt_in=True,
            user=user,
        )
    waiting = RegistrationFactory(
        seminar=upcoming, email="next.in.line@example.org", status=Registration.Status.WAITLISTED
    )
    past = SeminarFactory(
        title="Tottori sand dunes",
        starts_at=timezone.now() - timedelta(days=30),
        ends_at=timezone.now() - timedelta(days=30) + timedelta(hours=1),
    )
    attended = RegistrationFactory(
        seminar=past, email=EMAIL, name=NAME, user=None, attended=Registration.Attendance.YES
    )
    JoinClickFactory(registration=attended)
    recording = RecordingFactory(seminar=past)
    RecordingViewFactory(recording=recording, viewer_key=f"user:{user.pk}")
    OutgoingEmail.objects.filter(to_email=EMAIL).update(
        status=OutgoingEmail.Status.SENT, sent_at=timezone.now()
    )
    EmailOptOut.objects.create(email=EMAIL, source="page")
    # Alerts: "future seminars" above follows everything; Kyushu with their second
    # address, and a seminar waiting for their next alert.
    FollowFactory(email=SECOND_EMAIL, place="kyushu", language="ja")
    alert = SeminarAlert.objects.create(seminar=upcoming, occasion="published")
    AlertItem.objects.create(alert=alert, email=EMAIL)
    # Their second, verified address, with a guest registration made with it.
    EmailAddress.objects.create(user=user, email=SECOND_EMAIL, verified=True, primary=False)
    RegistrationFactory(seminar=past, email=SECOND_EMAIL, name=NAME, user=None)
    # A confirmation still queued to the address they had before changing it.
    confirmation = OutgoingEmail.objects.get(to_email=EMAIL, seminar=upcoming)
    OutgoingEmailFactory(
        kind=OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
        to_email=OLD_EMAIL,
        to_name=NAME,
        registration=confirmation.registration,
        seminar=upcoming,
    )
    # An organiser once edited their registration and their account in the admin.
    editor = UserFactory(is_staff=True)
    for obj in (confirmation.registration, user):
        LogEntry.objects.create(
            user=editor,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            # The name alone: only the object's id can find this entry.
            object_repr=NAME,
            action_flag=CHANGE,
            change_message=f'[{{"changed": {{"fields": ["Name"]}}, "was": "{NAME}"}}]',
        )
    return user, waiting


def test_export_holds_every_kind_of_record(person):
    user, _waiting = person

    data = person_data_export(user=user)

    assert data["profile"]["email"] == EMAIL
    assert data["profile"]["full_name"] == NAME
    assert data["profile"]["two_factor_methods"] == ["totp"]
    titles = [registration["seminar"]["title"] for registration in data["registrations"]]
    # The guest registration made with their second, verified address is theirs too.
    assert sorted(titles) == ["Onsen towns of Kyushu", "Tottori sand dunes", "Tottori sand dunes"]
    onsen = next(r for r in data["registrations"] if r["seminar"]["title"].startswith("Onsen"))
    assert onsen["answers"] == [{"question": "What brings you?", "answer": ANSWER}]
    assert set(onsen["came_from"]) == {"utm_source", "utm_medium", "utm_campaign", "referrer_host"}
    assert onsen["consents"]["news_of_future_seminars"] is True
    assert onsen["consents"]["privacy_notice_version"]
    assert [(c["consent"], c["given"], c["how"]) for c in onsen["consent_history"]] == [
        ("privacy_notice", True, "registration_form"),
        ("news", True, "registration_form"),
        ("recording_followup", False, "registration_form"),
    ]
    tottori = next(r for r in data["registrations"] if r["seminar"]["title"].startswith("Tottori"))
    assert len(tottori["join_clicks"]) == 1
    assert tottori["attended"] == "yes"
    # Also the one queued to the address they had before.
    assert [email["kind"] for email in data["emails"]] == ["registration_confirmed"] * 2
    assert data["emails"][0]["sent_at"] is not None
    assert data["recording_views"] == [
        {"recording": "Tottori sand dunes", "day": timezone.localdate().isoformat()}
    ]
    assert data["unsubscribed"]["how"] == "page"
    assert [(f["follows"], f["what"], f["how"]) for f in data["follows"]] == [
        ("all", "every new seminar", "registration"),
        ("place", "Kyushu", "page"),
    ]


def test_guest_export_is_their_registration_only(person):
    _user, waiting = person

    data = person_data_export(registration=waiting)

    assert "profile" not in data
    assert [r["email"] for r in data["registrations"]] == ["next.in.line@example.org"]
    assert NAME not in str(data)


def test_deleting_an_account_leaves_no_name_or_address_anywhere(person, mailoutbox):
    user, waiting = person

    erasure = account_delete(user=user)
    # The place's CANCEL goes out first, then its row goes too.
    for email in OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED):
        email_deliver(email_id=email.pk)

    assert sorted((message.subject, message.to[0].split("<")[-1]) for message in mailoutbox) == [
        ("A place is yours: Onsen towns of Kyushu", "next.in.line@example.org>"),
        ("Registration cancelled: Onsen towns of Kyushu", f"{EMAIL}>"),
    ]
    assert text_columns_holding(NAME, EMAIL, ORGANISATION, ANSWER, "Quellwood") == []
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Follow.objects.exists()
    assert not AlertItem.objects.exists()
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED  # promoted into the freed seat
    # The counts stay, named by no one.
    assert Registration.objects.filter(anonymised_at__isnull=False).count() == 3
    assert (erasure.route, erasure.registrations, erasure.cancelled, erasure.accounts) == (
        Erasure.Route.ACCOUNT,
        3,
        1,
        1,
    )


def test_erasing_a_guest_registration_leaves_no_trace_of_it(mailoutbox):
    seminar = SeminarFactory(title="Hokkaido in winter")
    registration = RegistrationFactory(
        seminar=seminar, email=EMAIL, name=NAME, organisation=ORGANISATION
    )
    OutgoingEmail.objects.create(
        kind=OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
        to_email=EMAIL,
        to_name=NAME,
        subject="You're registered",
        body_text=f"Dear {NAME}",
        registration=registration,
        seminar=seminar,
        status=OutgoingEmail.Status.SENT,
    )

    erasure = registration_erase(registration=registration)
    for email in OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED):
        email_deliver(email_id=email.pk)

    assert len(mailoutbox) == 1  # the cancellation, now gone from the outbox
    assert text_columns_holding(NAME, EMAIL, ORGANISATION, "Quellwood") == []
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert registration.anonymised_at is not None
    assert (erasure.route, erasure.registrations, erasure.cancelled) == (Erasure.Route.GUEST, 1, 1)


def test_erasing_a_place_just_moved_to_the_waiting_list_still_withdraws_its_invite(mailoutbox):
    seminar = SeminarFactory(title="Hokkaido in winter", capacity=1, waitlist_enabled=True)
    registration = RegistrationFactory(seminar=seminar, email=EMAIL, name=NAME)
    registration_move_to_waitlist(registration=registration)

    registration_erase(registration=registration)
    for email in OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED):
        email_deliver(email_id=email.pk)

    # The move's email carries the calendar CANCEL: it goes before it is erased.
    calendars = [message for message in mailoutbox if "METHOD:CANCEL" in str(message.message())]
    assert len(calendars) == 1
    assert text_columns_holding(NAME, EMAIL) == []


def test_an_organiser_erases_a_person_by_address_after_a_preview(person):
    organiser = OrganiserFactory()

    preview = person_erasure_preview(email=f"  {EMAIL.upper()} ")
    erasure = person_erase(email=EMAIL.upper(), requested_by=organiser)

    assert (preview.registrations, preview.cancelled, preview.accounts) == (3, 1, 1)
    assert preview.emails == 2
    assert erasure.requested_by == organiser
    assert erasure.route == Erasure.Route.ORGANISER
    assert not User.objects.filter(email=EMAIL).exists()
    # The log names no one.
    assert EMAIL not in str(Erasure.objects.values())


def test_an_organiser_erasing_a_second_address_erases_the_whole_person(person, mailoutbox):
    user, _waiting = person

    person_erase(email=SECOND_EMAIL, requested_by=OrganiserFactory())
    for email in OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED):
        email_deliver(email_id=email.pk)

    assert not User.objects.filter(pk=user.pk).exists()
    assert text_columns_holding(NAME, EMAIL, SECOND_EMAIL, ANSWER, "Quellwood") == []


def test_an_address_the_account_never_proved_is_not_erased_with_it():
    user = UserFactory(email="mallory@example.org")
    EmailAddress.objects.create(user=user, email="victim@example.org", verified=False)
    victim = RegistrationFactory(email="victim@example.org", name="Victor Im")

    account_delete(user=user)
    preview = person_erasure_preview(email="victim@example.org")

    victim.refresh_from_db()
    assert (victim.name, victim.anonymised_at) == ("Victor Im", None)
    assert (preview.registrations, preview.accounts) == (1, 0)


def test_staff_accounts_are_never_erased_by_address():
    staff = OrganiserFactory()

    with pytest.raises(StaffAccountNotErased):
        person_erase(email=staff.email, requested_by=UserFactory(is_superuser=True))
    with pytest.raises(StaffAccountNotErased):
        account_delete(user=staff)

    assert User.objects.filter(pk=staff.pk).exists()


def test_an_erasure_stopped_by_a_seat_lock_and_retried_leaves_nothing(monkeypatch):
    """Each registration goes with its emails: a retry cannot miss what the first did."""
    user = UserFactory(email="ada.new@example.org", full_name="Ada Quellwood")
    past = SeminarFactory(
        starts_at=timezone.now() - timedelta(days=30),
        ends_at=timezone.now() - timedelta(days=30) + timedelta(hours=1),
    )
    # Made under the address the account had before.
    earlier = RegistrationFactory(seminar=past, user=user, email="ada.old@example.org")
    OutgoingEmailFactory(
        to_email="ada.old@example.org",
        to_name="Ada Quellwood",
        registration=earlier,
        seminar=past,
        status=OutgoingEmail.Status.SENT,
    )
    RegistrationFactory(seminar=SeminarFactory(), user=user, email=user.email)
    calls = []

    def busy_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RegistrationBusy
        return registration_cancel(**kwargs)

    monkeypatch.setattr("privacy.services.registration_cancel", busy_once)
    with pytest.raises(RegistrationBusy):
        account_delete(user=user)
    account_delete(user=User.objects.get(pk=user.pk))
    for email in OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED):
        email_deliver(email_id=email.pk)  # the CANCEL goes, then its row

    assert text_columns_holding("ada.old", "ada.new", "Quellwood") == []
    assert sorted(Erasure.objects.values_list("registrations", "accounts")) == [(1, 0), (1, 1)]


def test_the_admin_history_keeps_who_did_what_but_not_the_address(person, mailoutbox):
    opt_out = EmailOptOut.objects.get(email=EMAIL)
    LogEntry.objects.create(
        user=UserFactory(is_staff=True),
        content_type=ContentType.objects.get_for_model(EmailOptOut),
        object_id=str(opt_out.pk),
        object_repr=EMAIL,
        action_flag=ADDITION,
        change_message="[]",
    )

    person_erase(email=EMAIL, requested_by=OrganiserFactory())
    for email in OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED):
        email_deliver(email_id=email.pk)

    assert text_columns_holding(EMAIL, NAME) == []
    assert set(LogEntry.objects.values_list("object_repr", flat=True)) == {"(erased)"}
