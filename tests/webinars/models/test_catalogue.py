from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.validators import validate_time_zone
from tests.factories import (
    AudienceQuotaFactory,
    AudienceTypeFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    SeriesFactory,
    SpeakerFactory,
    TopicFactory,
    london,
)
from webinars.models import (
    Seminar,
    SeminarSpeaker,
    Series,
    Speaker,
    Topic,
    validate_reminder_offsets,
)

pytestmark = pytest.mark.django_db

STARTS = london(2031, 3, 4, 10)


def _seminar(**fields) -> Seminar:
    return SeminarFactory(starts_at=STARTS, ends_at=STARTS + timedelta(hours=1), **fields)


# --- Seminar CheckConstraints, enforced by the database itself ---------------


@pytest.mark.parametrize("ends_at", [STARTS, STARTS - timedelta(minutes=1)])
def test_database_refuses_a_seminar_that_does_not_end_after_it_starts(ends_at):
    seminar = _seminar()

    with pytest.raises(IntegrityError), transaction.atomic():
        Seminar.objects.filter(pk=seminar.pk).update(ends_at=ends_at)

    assert Seminar.objects.get(pk=seminar.pk).ends_at == STARTS + timedelta(hours=1)


def test_database_refuses_saving_an_unvalidated_seminar_that_ends_before_it_starts():
    seminar = _seminar()
    seminar.ends_at = STARTS - timedelta(hours=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        seminar.save()


def test_database_refuses_an_unknown_status():
    seminar = _seminar()

    with pytest.raises(IntegrityError), transaction.atomic():
        Seminar.objects.filter(pk=seminar.pk).update(status="archived")


@pytest.mark.parametrize("closes_after_opening", [timedelta(0), -timedelta(days=1)])
def test_database_refuses_registration_closing_before_it_opens(closes_after_opening):
    seminar = _seminar()
    opens_at = STARTS - timedelta(days=14)

    with pytest.raises(IntegrityError), transaction.atomic():
        Seminar.objects.filter(pk=seminar.pk).update(
            registration_opens_at=opens_at, registration_closes_at=opens_at + closes_after_opening
        )


def test_database_accepts_a_registration_window_open_at_one_end():
    seminar = _seminar()

    Seminar.objects.filter(pk=seminar.pk).update(
        registration_opens_at=None, registration_closes_at=STARTS - timedelta(hours=1)
    )

    assert Seminar.objects.get(pk=seminar.pk).registration_closes_at == STARTS - timedelta(hours=1)


def test_full_clean_reports_the_constraints_in_words():
    seminar = _seminar()
    seminar.ends_at = STARTS
    seminar.registration_opens_at = STARTS - timedelta(days=1)
    seminar.registration_closes_at = STARTS - timedelta(days=2)

    with pytest.raises(ValidationError) as raised:
        seminar.full_clean()

    assert raised.value.message_dict == {
        "__all__": [
            "The seminar must end after it starts.",
            "Registration must close after it opens.",
        ]
    }


# --- Uniqueness -----------------------------------------------------------


def test_seminar_slugs_are_unique():
    _seminar(slug="onsen-towns")

    with pytest.raises(IntegrityError), transaction.atomic():
        _seminar(slug="onsen-towns")


def test_seminar_uids_are_unique_per_seminar():
    first, second = _seminar(), _seminar()

    assert first.uid != second.uid
    with pytest.raises(IntegrityError), transaction.atomic():
        Seminar.objects.filter(pk=second.pk).update(uid=first.uid)


@pytest.mark.parametrize(
    ("factory", "model"),
    [(SeriesFactory, Series), (SpeakerFactory, Speaker), (TopicFactory, Topic)],
)
def test_catalogue_slugs_are_unique(factory, model):
    factory(slug="kyushu")

    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(name="Another", slug="kyushu")


def test_a_speaker_is_linked_to_a_seminar_once():
    link = SeminarSpeakerFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        SeminarSpeaker.objects.create(
            seminar=link.seminar, speaker=link.speaker, role=SeminarSpeaker.Role.MODERATOR
        )


def test_an_audience_type_has_one_quota_per_seminar():
    seminar, audience = _seminar(), AudienceTypeFactory()
    AudienceQuotaFactory(seminar=seminar, audience_type=audience, seats=10)

    with pytest.raises(IntegrityError), transaction.atomic():
        AudienceQuotaFactory(seminar=seminar, audience_type=audience, seats=5)


def test_seminar_speakers_are_ordered_by_position():
    seminar = _seminar()
    second = SeminarSpeakerFactory(seminar=seminar, position=2)
    first = SeminarSpeakerFactory(seminar=seminar, position=1)

    assert list(seminar.speaker_links.all()) == [first, second]


# --- Validators -----------------------------------------------------------


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Tokyo", "UTC", "America/New_York"])
def test_time_zone_validator_accepts_iana_names(zone):
    validate_time_zone(zone)


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/Londn",
        "GMT+9",
        "JST",
        "",
        "europe/london",
        "localtime",
        "Factory",
        "GB",
        "Etc/GMT+5",
    ],
)
def test_time_zone_validator_rejects_other_names(zone):
    with pytest.raises(ValidationError) as raised:
        validate_time_zone(zone)

    assert raised.value.messages == [
        f"“{zone}” is not a known time zone. Use an IANA name such as Europe/London."
    ]


def test_seminar_time_zone_is_validated_on_full_clean():
    seminar = _seminar()
    seminar.timezone = "Asia/Tokio"

    with pytest.raises(ValidationError) as raised:
        seminar.full_clean()

    assert list(raised.value.message_dict) == ["timezone"]


@pytest.mark.parametrize("offsets", [[1440, 60], [], [30]])
def test_reminder_offsets_accept_lists_of_positive_minutes(offsets):
    validate_reminder_offsets(offsets)


@pytest.mark.parametrize("offsets", [60, [0], [-60], [1.5], ["60"], [True], [60 * 24 * 61]])
def test_reminder_offsets_reject_anything_else(offsets):
    with pytest.raises(ValidationError):
        validate_reminder_offsets(offsets)


# --- Speaker JET years ----------------------------------------------------


def test_database_refuses_jet_years_in_reverse_order():
    with pytest.raises(IntegrityError), transaction.atomic():
        SpeakerFactory(is_jet_participant=True, jet_year_from=2012, jet_year_to=2010)


@pytest.mark.parametrize(("year_from", "year_to"), [(2010, 2012), (2010, 2010), (2010, None)])
def test_database_accepts_ordered_or_open_jet_years(year_from, year_to):
    speaker = SpeakerFactory(jet_year_from=year_from, jet_year_to=year_to)

    assert Speaker.objects.get(pk=speaker.pk).jet_year_to == year_to


def test_jet_years_in_reverse_order_fail_validation_in_words():
    speaker = SpeakerFactory.build(slug="kate", jet_year_from=2012, jet_year_to=2010)

    with pytest.raises(ValidationError) as raised:
        speaker.full_clean()

    assert raised.value.message_dict == {
        "__all__": ["The JET end year cannot be before the start year."]
    }


@pytest.mark.parametrize(
    ("year_from", "year_to", "shown"),
    [(2015, 2018, "2015\N{EN DASH}2018"), (2015, 2015, "2015"), (None, None, "")],
)
def test_speaker_jet_years_read_as_a_range(year_from, year_to, shown):
    assert SpeakerFactory.build(jet_year_from=year_from, jet_year_to=year_to).jet_years == shown


# --- Organisers group (webinars/migrations/0002) --------------------------


def test_organisers_group_can_run_the_catalogue():
    group = Group.objects.get(name="Organisers")
    granted = {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }

    assert {
        "webinars.add_seminar",
        "webinars.change_seminar",
        "webinars.delete_seminar",
        "webinars.view_seminar",
        "webinars.change_series",
        "webinars.change_speaker",
        "webinars.change_seminarspeaker",
        "webinars.change_topic",
        "webinars.change_audiencequota",
        "accounts.change_audiencetype",
        "accounts.view_user",
    } <= granted
    assert "accounts.change_user" not in granted
