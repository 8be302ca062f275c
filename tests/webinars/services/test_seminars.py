from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.factories import (
    AudienceQuotaFactory,
    AudienceTypeFactory,
    RegistrationQuestionFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    SeriesFactory,
    TopicFactory,
    london,
)
from webinars.cache import catalogue_version
from webinars.errors import SeminarAlreadyCancelled, SeminarNotPublishable
from webinars.models import RegistrationQuestion, SeminarSpeaker
from webinars.models import Seminar as SeminarModel
from webinars.services import (
    seminar_cancel,
    seminar_create,
    seminar_duplicate,
    seminar_publish,
    seminar_update,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)
STARTS = london(2031, 3, 4, 10)
ENDS = london(2031, 3, 4, 11, 30)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def _published(**fields) -> SeminarModel:
    return SeminarFactory(starts_at=STARTS, ends_at=ENDS, **fields)


def _draft(**fields) -> SeminarModel:
    return SeminarFactory(draft=True, starts_at=STARTS, ends_at=ENDS, **fields)


def _stored(seminar: SeminarModel) -> SeminarModel:
    return SeminarModel.objects.get(pk=seminar.pk)


# --- create ---------------------------------------------------------------


def test_create_makes_a_draft_with_its_topics(frozen_now):
    series = SeriesFactory()
    topic = TopicFactory(name="Onsen", slug="onsen")

    seminar = seminar_create(
        title="Onsen towns of Kyushu",
        slug="onsen-towns-of-kyushu",
        series=series,
        summary="Hot springs.",
        starts_at=STARTS,
        ends_at=ENDS,
        m2m={"topics": [topic]},
    )

    stored = _stored(seminar)
    assert (stored.status, stored.published_at, stored.sequence) == ("draft", None, 0)
    assert list(stored.topics.all()) == [topic]
    assert (stored.starts_at, stored.ends_at) == (STARTS, ENDS)


def test_create_published_records_the_publication_time(frozen_now):
    seminar = seminar_create(
        title="Food of Hokkaido",
        slug="food-of-hokkaido",
        series=SeriesFactory(),
        summary="Seafood.",
        starts_at=STARTS,
        ends_at=ENDS,
        status=SeminarModel.Status.PUBLISHED,
    )

    assert _stored(seminar).published_at == NOW


def test_create_with_end_before_start_raises_and_stores_nothing():
    with pytest.raises(ValidationError) as raised:
        seminar_create(
            title="Backwards",
            slug="backwards",
            series=SeriesFactory(),
            summary="Ends before it starts.",
            starts_at=STARTS,
            ends_at=STARTS - timedelta(minutes=1),
        )

    assert raised.value.message_dict == {"__all__": ["The seminar must end after it starts."]}
    assert SeminarModel.objects.count() == 0


# --- publish --------------------------------------------------------------


def test_publish_makes_a_draft_published_and_records_when(frozen_now):
    seminar = _draft()

    seminar_publish(seminar=seminar)

    stored = _stored(seminar)
    assert (stored.status, stored.published_at) == ("published", NOW)
    assert (seminar.status, seminar.published_at) == ("published", NOW)


def test_publish_leaves_sequence_alone(frozen_now):
    seminar = _draft()

    seminar_publish(seminar=seminar)

    assert _stored(seminar).sequence == 0


def test_publish_an_already_published_seminar_keeps_its_publication_time(frozen_now):
    first_published = NOW - timedelta(days=3)
    seminar = _published(published_at=first_published)

    seminar_publish(seminar=seminar)

    assert _stored(seminar).published_at == first_published


def test_publish_refuses_a_cancelled_seminar(frozen_now):
    seminar = _draft(status=SeminarModel.Status.CANCELLED)

    with pytest.raises(SeminarNotPublishable) as raised:
        seminar_publish(seminar=seminar)

    assert str(raised.value) == "A cancelled seminar cannot be published again."
    assert (_stored(seminar).status, _stored(seminar).published_at) == ("cancelled", None)


def test_publish_refuses_a_seminar_that_has_ended(frozen_now):
    seminar = SeminarFactory(
        draft=True, starts_at=NOW - timedelta(hours=2), ends_at=NOW - timedelta(hours=1)
    )

    with pytest.raises(SeminarNotPublishable) as raised:
        seminar_publish(seminar=seminar)

    assert str(raised.value) == "A seminar that has already ended cannot be published."
    assert _stored(seminar).status == "draft"


def test_publish_accepts_a_seminar_that_is_running(frozen_now):
    seminar = SeminarFactory(
        draft=True, starts_at=NOW - timedelta(minutes=30), ends_at=NOW + timedelta(minutes=30)
    )

    seminar_publish(seminar=seminar)

    assert _stored(seminar).status == "published"


# --- cancel ---------------------------------------------------------------


def test_cancel_a_published_seminar_records_message_and_time_and_bumps_sequence(frozen_now):
    seminar = _published()

    seminar_cancel(seminar=seminar, message="  The speaker is unwell.\n")

    stored = _stored(seminar)
    assert stored.status == "cancelled"
    assert stored.cancellation_message == "The speaker is unwell."
    assert stored.cancelled_at == NOW
    assert stored.sequence == 1
    assert (seminar.status, seminar.sequence) == ("cancelled", 1)


def test_cancel_a_draft_keeps_sequence(frozen_now):
    seminar = _draft()

    seminar_cancel(seminar=seminar, message="Not going ahead.")

    stored = _stored(seminar)
    assert (stored.status, stored.sequence, stored.cancelled_at) == ("cancelled", 0, NOW)


def test_cancel_twice_is_refused_and_changes_nothing(frozen_now):
    seminar = _published()
    seminar_cancel(seminar=seminar, message="First message.")

    with (
        time_machine.travel(NOW + timedelta(hours=1), tick=False),
        pytest.raises(SeminarAlreadyCancelled) as raised,
    ):
        seminar_cancel(seminar=seminar, message="Second message.")

    assert str(raised.value) == "This seminar is already cancelled."
    stored = _stored(seminar)
    assert (stored.cancellation_message, stored.cancelled_at, stored.sequence) == (
        "First message.",
        NOW,
        1,
    )


# --- update ---------------------------------------------------------------


def test_update_time_of_a_published_seminar_bumps_sequence():
    seminar = _published()

    seminar_update(seminar=seminar, starts_at=STARTS + timedelta(hours=1))

    stored = _stored(seminar)
    assert stored.sequence == 1
    assert stored.starts_at == STARTS + timedelta(hours=1)
    assert seminar.sequence == 1


def test_update_time_zone_of_a_published_seminar_bumps_sequence():
    seminar = _published()

    seminar_update(seminar=seminar, timezone="Asia/Tokyo")

    assert _stored(seminar).sequence == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("meeting_url", "https://teams.example/l/meetup-join/42"),
        ("platform", SeminarModel.Platform.TEAMS),
        ("venue", "Japan House London, 101-111 Kensington High Street"),
        ("meeting_passcode", "new-passcode"),
    ],
)
def test_update_delivery_of_a_published_seminar_bumps_sequence(field, value):
    seminar = _published()

    seminar_update(seminar=seminar, **{field: value})

    stored = _stored(seminar)
    assert stored.sequence == 1
    assert getattr(stored, field) == value


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "A better title"), ("description", "New **details**."), ("capacity", 80)],
)
def test_update_cosmetic_field_keeps_sequence(field, value):
    seminar = _published()

    seminar_update(seminar=seminar, **{field: value})

    stored = _stored(seminar)
    assert stored.sequence == 0
    assert getattr(stored, field) == value


def test_update_time_of_a_draft_keeps_sequence():
    seminar = _draft()

    seminar_update(seminar=seminar, starts_at=STARTS + timedelta(hours=1))

    assert _stored(seminar).sequence == 0


def test_update_several_time_fields_at_once_bumps_sequence_once():
    seminar = _published()

    seminar_update(
        seminar=seminar,
        starts_at=STARTS + timedelta(days=1),
        ends_at=ENDS + timedelta(days=1),
        timezone="Asia/Tokyo",
        meeting_url="https://zoom.example/j/987654321",
    )

    assert _stored(seminar).sequence == 1


def test_update_to_the_same_time_keeps_sequence():
    seminar = _published()

    seminar_update(seminar=seminar, starts_at=STARTS, meeting_url=seminar.meeting_url)

    assert _stored(seminar).sequence == 0


def test_each_calendar_change_bumps_sequence_again():
    seminar = _published()

    seminar_update(seminar=seminar, starts_at=STARTS + timedelta(hours=1))
    seminar_update(seminar=seminar, venue="JLGC, London")

    assert _stored(seminar).sequence == 2


def test_update_with_invalid_data_raises_and_stores_nothing():
    seminar = _published(title="Original title")

    with pytest.raises(ValidationError) as raised:
        seminar_update(seminar=seminar, title="Changed title", ends_at=STARTS - timedelta(hours=1))

    assert raised.value.message_dict == {"__all__": ["The seminar must end after it starts."]}
    stored = _stored(seminar)
    assert (stored.title, stored.ends_at, stored.sequence) == ("Original title", ENDS, 0)


def test_update_with_unknown_time_zone_names_the_field():
    seminar = _published()

    with pytest.raises(ValidationError) as raised:
        seminar_update(seminar=seminar, timezone="Europe/Londn")

    assert raised.value.message_dict == {
        "timezone": [
            "“Europe/Londn” is not a known time zone. Use an IANA name such as Europe/London."
        ]
    }
    assert _stored(seminar).timezone == "Europe/London"


@pytest.mark.parametrize("field", ["status", "sequence", "published_at", "cancelled_at", "uid"])
def test_update_refuses_lifecycle_fields(field):
    seminar = _draft()

    with pytest.raises(TypeError, match=f"cannot change {field}"):
        seminar_update(seminar=seminar, **{field: None})

    assert _stored(seminar).status == "draft"


# --- duplicate ------------------------------------------------------------


def test_duplicate_makes_a_new_draft_with_a_new_calendar_identity():
    seminar = _published(
        title="Kyushu by rail", slug="kyushu-by-rail", capacity=100, venue="JLGC, London"
    )
    seminar_cancel(seminar=seminar, message="Moved to the spring.")

    copy = seminar_duplicate(seminar=seminar)

    stored = _stored(copy)
    assert stored.pk != seminar.pk
    assert stored.uid != seminar.uid
    assert (stored.title, stored.slug) == ("Kyushu by rail (copy)", "kyushu-by-rail-copy")
    assert (stored.status, stored.sequence) == ("draft", 0)
    assert (stored.published_at, stored.cancelled_at, stored.cancellation_message) == (
        None,
        None,
        "",
    )
    assert (stored.starts_at, stored.ends_at, stored.capacity, stored.venue) == (
        STARTS,
        ENDS,
        100,
        "JLGC, London",
    )


def test_duplicate_copies_questions_reminders_and_the_registration_window_moved_with_it():
    seminar = _published(
        reminder_offsets_minutes=[2880, 60],
        registration_opens_at=london(2031, 2, 1, 9),
        registration_closes_at=london(2031, 3, 3, 17),
    )
    RegistrationQuestionFactory(
        seminar=seminar,
        label="Which region?",
        help_text="Pick one",
        kind=RegistrationQuestion.Kind.SINGLE_CHOICE,
        choices="Kyushu\nTohoku",
        required=True,
        position=2,
    )

    copy = _stored(seminar_duplicate(seminar=seminar, days_later=28))

    # Four weeks later, after the UK clocks went forward: still 10:00–11:30 London.
    assert (copy.starts_at, copy.ends_at) == (london(2031, 4, 1, 10), london(2031, 4, 1, 11, 30))
    assert copy.reminder_offsets_minutes == [2880, 60]
    assert (copy.registration_opens_at, copy.registration_closes_at) == (
        london(2031, 3, 1, 9),
        london(2031, 3, 31, 17),  # after the UK clocks go forward: still 17:00 London
    )
    assert list(
        copy.questions.values_list("label", "help_text", "kind", "choices", "required", "position")
    ) == [("Which region?", "Pick one", "single_choice", "Kyushu\nTohoku", True, 2)]
    assert seminar.questions.count() == 1  # the original keeps its own


def test_duplicate_keeps_the_local_time_in_the_seminars_zone_across_the_clock_change():
    # 19:00 Tokyo on Friday 23 October 2026 (10:00 UTC, 11:00 London, BST).
    tokyo = SeminarFactory(
        timezone="Asia/Tokyo",
        starts_at=datetime(2026, 10, 23, 10, 0, tzinfo=UTC),
        ends_at=datetime(2026, 10, 23, 11, 0, tzinfo=UTC),
    )
    # 10:00 London on the same Friday (09:00 UTC).
    london_seminar = SeminarFactory(
        timezone="Europe/London",
        starts_at=datetime(2026, 10, 23, 9, 0, tzinfo=UTC),
        ends_at=datetime(2026, 10, 23, 10, 0, tzinfo=UTC),
    )

    tokyo_copy = seminar_duplicate(seminar=tokyo, days_later=3)  # Monday, GMT in the UK
    london_copy = seminar_duplicate(seminar=london_seminar, days_later=3)

    assert tokyo_copy.starts_at == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)  # 19:00 Tokyo
    assert london_copy.starts_at == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)  # 10:00 London


def test_duplicate_does_not_copy_the_meeting_link():
    seminar = _published(meeting_url="https://zoom.example/j/1", meeting_passcode="secret")

    copy = seminar_duplicate(seminar=seminar)

    assert (_stored(copy).meeting_url, _stored(copy).meeting_passcode) == ("", "")


def test_duplicate_twice_gets_a_free_slug():
    seminar = _published(slug="onsen")

    first = seminar_duplicate(seminar=seminar)
    second = seminar_duplicate(seminar=seminar)

    assert (first.slug, second.slug) == ("onsen-copy", "onsen-copy-2")


def test_duplicate_copies_speakers_topics_audiences_and_quotas():
    seminar = _published()
    moderator = SeminarSpeakerFactory(
        seminar=seminar,
        role=SeminarSpeaker.Role.MODERATOR,
        position=0,
        join_url="https://zoom.example/s/moderator",
    )
    presenter = SeminarSpeakerFactory(
        seminar=seminar, role=SeminarSpeaker.Role.PRESENTER, position=1
    )
    topics = [TopicFactory(), TopicFactory()]
    seminar.topics.set(topics)
    travel_agents, enthusiasts = AudienceTypeFactory(), AudienceTypeFactory()
    seminar.allowed_audience_types.set([travel_agents, enthusiasts])
    AudienceQuotaFactory(seminar=seminar, audience_type=travel_agents, seats=20)

    copy = seminar_duplicate(seminar=seminar)

    assert list(copy.speaker_links.values_list("speaker_id", "role", "position", "join_url")) == [
        (moderator.speaker_id, "moderator", 0, ""),
        (presenter.speaker_id, "presenter", 1, ""),
    ]
    assert set(copy.topics.all()) == set(topics)
    assert set(copy.allowed_audience_types.all()) == {travel_agents, enthusiasts}
    assert list(copy.audience_quotas.values_list("audience_type_id", "seats")) == [
        (travel_agents.pk, 20)
    ]
    # The original keeps its own rows.
    assert seminar.speaker_links.count() == 2
    assert seminar.audience_quotas.count() == 1


def test_duplicate_of_a_longest_title_keeps_the_copy_marker_within_the_limit():
    seminar = _published(title="T" * 200)

    copy = seminar_duplicate(seminar=seminar)

    assert len(copy.title) == 200
    assert copy.title.endswith("T (copy)")


# --- public page cache ----------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda seminar: seminar_publish(seminar=seminar), id="publish"),
        pytest.param(lambda seminar: seminar_cancel(seminar=seminar, message="Off."), id="cancel"),
        pytest.param(
            lambda seminar: seminar_update(seminar=seminar, title="New title"), id="update"
        ),
    ],
)
def test_catalogue_cache_is_invalidated_after_commit(change, django_capture_on_commit_callbacks):
    seminar = _draft()
    before = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        change(seminar)
        assert catalogue_version() == before  # not before the commit

    assert catalogue_version() != before


def test_create_invalidates_the_catalogue_cache_after_commit(django_capture_on_commit_callbacks):
    series = SeriesFactory()
    before = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        seminar_create(
            title="New", slug="new", series=series, summary="S.", starts_at=STARTS, ends_at=ENDS
        )

    assert catalogue_version() != before


def test_failed_update_leaves_the_catalogue_cache_alone(django_capture_on_commit_callbacks):
    seminar = _published()
    before = catalogue_version()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        seminar_update(seminar=seminar, ends_at=STARTS)

    assert callbacks == []
    assert catalogue_version() == before


def test_seminar_sequence_raise_moves_sequence_and_last_modified():
    from webinars.services import seminar_sequence_raise

    seminar = SeminarFactory(sequence=4)
    later = seminar.updated_at + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        seminar_sequence_raise(seminar=seminar)

    stored = SeminarModel.objects.get(pk=seminar.pk)
    assert (seminar.sequence, stored.sequence) == (5, 5)
    assert seminar.updated_at == stored.updated_at == later
