from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone as dj_timezone

from tests.factories import (
    AudienceTypeFactory,
    RecordingFactory,
    RegistrationFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    SeriesFactory,
    SpeakerFactory,
    UserFactory,
    enrol_second_factor,
)
from webinars.cache import catalogue_version
from webinars.errors import RecordingNotPublishable
from webinars.models import Recording, RecordingView, Registration, TranscriptCue
from webinars.recording_access import (
    ANONYMOUS,
    SESSION_GRANTS_KEY,
    Denial,
    Viewer,
    access_denial,
    recordings_watchable,
    viewer_for,
)
from webinars.services import (
    recording_consent_record,
    recording_publish,
    recording_publish_problems,
    recording_search_text,
    recording_transcript_attach,
    recording_unpublish,
    recording_view_record,
)
from webinars.vtt import parse_vtt

pytestmark = pytest.mark.django_db

NOW = datetime(2031, 3, 10, 12, 0, tzinfo=UTC)
VTT = (
    "WEBVTT\n\n"
    "00:00:01.000 --> 00:00:04.000\n<v Aiko Tanaka>Welcome to Aomori.\n\n"
    "00:00:05.000 --> 00:00:09.000\nThe Nebuta festival lights up August.\n"
)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def followups(monkeypatch):
    """Records publish's calls to the follow-up queue (the emails have their own tests)."""
    calls = []

    def queue(*, recording):
        calls.append(recording.pk)
        return 3

    monkeypatch.setattr("notifications.services.recording_followups_queue", queue)
    return calls


def _ready(**fields) -> Recording:
    seminar = SeminarFactory(
        starts_at=NOW - timedelta(days=2), ends_at=NOW - timedelta(days=2, hours=-1)
    )
    return RecordingFactory(seminar=seminar, unpublished=True, **fields)


# --- publish -------------------------------------------------------------------


def test_publish_sets_published_at_queues_followups_once_and_refreshes_pages(
    frozen_now, followups, django_capture_on_commit_callbacks
):
    recording = _ready()
    version = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        queued = recording_publish(recording=recording)

    stored = Recording.objects.get(pk=recording.pk)
    assert (queued, followups) == (3, [recording.pk])
    assert stored.published_at == NOW
    assert stored.followups_queued_at == NOW
    assert catalogue_version() != version


def test_publish_again_or_after_unpublish_queues_nothing_more(frozen_now, followups):
    recording = _ready()
    recording_publish(recording=recording)

    assert recording_publish(recording=recording) == 0
    recording_unpublish(recording=recording)
    assert Recording.objects.get(pk=recording.pk).published_at is None
    assert recording_publish(recording=recording) == 0

    assert followups == [recording.pk]
    assert Recording.objects.get(pk=recording.pk).published_at == NOW


def test_publish_without_consent_is_refused_and_nothing_changes(frozen_now, followups):
    recording = _ready(speakers_consented=False)

    with pytest.raises(RecordingNotPublishable, match="Record the speakers' consent first"):
        recording_publish(recording=recording)

    stored = Recording.objects.get(pk=recording.pk)
    assert (stored.published_at, stored.followups_queued_at, followups) == (None, None, [])


def test_publish_problems_name_every_missing_piece(frozen_now):
    seminar = SeminarFactory(
        starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, hours=1)
    )
    recording = RecordingFactory(
        seminar=seminar,
        unpublished=True,
        speakers_consented=False,
        video_provider="",
        video_id="",
        access=Recording.Access.AUDIENCE_TYPES,
    )

    problems = recording_publish_problems(recording=recording)

    assert len(problems) == 4
    assert problems[1].startswith("Add the video first")
    assert problems[2] == "The seminar has not ended yet."
    assert problems[3].startswith("Choose the audience types")


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_publish_refuses_the_recording_of_an_unpublished_seminar(frozen_now, status):
    recording = _ready()
    recording.seminar.status = status
    recording.seminar.save()

    assert recording_publish_problems(recording=recording) == [
        "Only the recording of a published seminar can be published."
    ]


def test_a_failing_followup_queue_rolls_the_publication_back(frozen_now, monkeypatch):
    recording = _ready()

    def broken(*, recording):
        raise RuntimeError("template missing")

    monkeypatch.setattr("notifications.services.recording_followups_queue", broken)
    with pytest.raises(RuntimeError):
        recording_publish(recording=recording)

    assert Recording.objects.get(pk=recording.pk).published_at is None


# --- consent -------------------------------------------------------------------


def test_consent_keeps_who_recorded_it_first_and_clears_when_withdrawn(frozen_now):
    recording = _ready(speakers_consented=False, speaker_consent_recorded_at=None)
    organiser = UserFactory()

    recording_consent_record(recording=recording, consented=True, by=organiser)
    assert (recording.speaker_consent_recorded_at, recording.speaker_consent_recorded_by) == (
        NOW,
        organiser,
    )
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        recording_consent_record(recording=recording, consented=True, by=UserFactory())
    assert recording.speaker_consent_recorded_by == organiser

    recording_consent_record(recording=recording, consented=False, by=organiser)
    assert (recording.speakers_consented, recording.speaker_consent_recorded_at) == (False, None)


# --- transcript and search text ------------------------------------------------


def test_transcript_attach_stores_file_cues_and_text_and_replaces_the_old_file(
    django_capture_on_commit_callbacks,
):
    recording = RecordingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        recording_transcript_attach(
            recording=recording, upload=ContentFile(VTT.encode()), cues=parse_vtt(VTT)
        )
    first_name = recording.transcript_file.name
    storage = recording.transcript_file.storage

    assert first_name.startswith("transcripts/") and first_name.endswith(".vtt")
    assert storage.exists(first_name)
    assert list(TranscriptCue.objects.filter(recording=recording).values_list("voice", "text")) == [
        ("Aiko Tanaka", "Welcome to Aomori."),
        ("", "The Nebuta festival lights up August."),
    ]
    assert Recording.objects.get(pk=recording.pk).transcript_text == (
        "Welcome to Aomori.\nThe Nebuta festival lights up August."
    )

    replacement = "WEBVTT\n\n00:01.000 --> 00:02.000\nOnly this.\n"
    with django_capture_on_commit_callbacks(execute=True):
        recording_transcript_attach(
            recording=recording,
            upload=ContentFile(replacement.encode()),
            cues=parse_vtt(replacement),
        )

    assert not storage.exists(first_name)
    assert storage.exists(recording.transcript_file.name)
    assert list(
        TranscriptCue.objects.filter(recording=recording).values_list("text", flat=True)
    ) == ["Only this."]


def test_search_text_weighs_titles_speakers_and_transcript():
    speaker = SpeakerFactory(
        name="Aiko Tanaka", name_ja="田中愛子", organisation="Aomori Prefecture"
    )
    recording = RecordingFactory(title="Aomori in winter", transcript_text="Snow monsters")
    SeminarSpeakerFactory(seminar=recording.seminar, speaker=speaker)

    parts = recording_search_text(recording)

    assert parts["A"] == f"Aomori in winter {recording.seminar.title}"
    assert "Aiko Tanaka 田中愛子 Aomori Prefecture" in parts["B"]
    assert parts["C"] == "Snow monsters"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="tsvector is PostgreSQL's")
def test_search_index_fills_the_postgresql_vector():
    from django.contrib.postgres.search import SearchQuery

    from webinars.services import recording_search_index

    recording = RecordingFactory(transcript_text="The Nebuta festivals light up August")
    recording_search_index(recording=recording)

    found = Recording.objects.filter(
        search_vector=SearchQuery("festival", config="english")
    ).values_list("pk", flat=True)
    assert list(found) == [recording.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="tsvector is PostgreSQL's")
def test_search_index_keeps_the_japanese_lines_normalised_and_latin_words_apart():
    from webinars.services import recording_search_index

    recording = RecordingFactory(
        title_ja="熊野古道", transcript_text="Welcome to JR東日本.\nThe end.\nｵﾝｾﾝです。"
    )
    recording_search_index(recording=recording)
    recording.refresh_from_db()

    title_line, *transcript_lines = recording.search_text_japanese.split("\n")
    assert "熊野古道" in title_line
    assert transcript_lines == ["welcome to jr東日本.", "オンセンです。"]
    # The English vector reads "JR" as a word of its own, not "jr東日本", and holds no
    # Japanese (its tokens are indexed from the lines above).
    assert _found("JR") == [recording.pk]
    assert "東" not in recording.search_vector


# --- views -----------------------------------------------------------------------


def test_a_view_is_counted_once_per_person_per_day():
    recording = RecordingFactory()

    assert recording_view_record(recording=recording, viewer_key="user:1", day=date(2031, 3, 1))
    assert not recording_view_record(recording=recording, viewer_key="user:1", day=date(2031, 3, 1))
    assert recording_view_record(recording=recording, viewer_key="user:1", day=date(2031, 3, 2))
    assert recording_view_record(recording=recording, viewer_key="user:2", day=date(2031, 3, 1))

    assert RecordingView.objects.filter(recording=recording).count() == 3


# --- the access rule -------------------------------------------------------------


def _request(user=None, grants=None):
    request = RequestFactory().get("/")
    request.user = user if user is not None else type("Anon", (), {"is_authenticated": False})()
    request.session = {SESSION_GRANTS_KEY: grants} if grants is not None else {}
    return request


def test_viewer_of_an_account_gathers_its_registrations_and_proven_audience_types(
    django_assert_num_queries,
):
    agent, dmo = AudienceTypeFactory(), AudienceTypeFactory()
    user = UserFactory(audience_type=agent)  # picked on a form: proves nothing yet
    by_account = RegistrationFactory(user=user, audience_type=dmo)
    attended = RegistrationFactory(
        email=user.email, audience_type=dmo, attended=Registration.Attendance.YES
    )
    RegistrationFactory(user=user, status=Registration.Status.WAITLISTED)
    RegistrationFactory(user=user, status=Registration.Status.CANCELLED)
    request = _request(user)

    with django_assert_num_queries(1):  # not staff: no permission lookup
        viewer = viewer_for(request)
        assert viewer_for(request) is viewer

    assert viewer.user_id == user.pk and not viewer.is_organiser
    assert viewer.seminar_ids == {by_account.seminar_id, attended.seminar_id}
    assert viewer.confirmed_audience_type_ids == frozenset()
    # Registered as a DMO and came: a DMO for recordings of that seminar's series.
    assert viewer.attended_audience == {(attended.seminar.series_id, dmo.pk)}


def test_an_organisers_confirmation_makes_the_accounts_type_count():
    agent = AudienceTypeFactory()
    user = UserFactory(audience_type=agent, audience_type_confirmed_at=dj_timezone.now())

    assert viewer_for(_request(user)).confirmed_audience_type_ids == {agent.pk}


def test_viewer_of_a_guest_is_built_from_the_links_they_used(django_assert_num_queries):
    granted = RegistrationFactory(attended=Registration.Attendance.YES)
    RegistrationFactory()  # someone else's

    with django_assert_num_queries(1):
        viewer = viewer_for(_request(grants=[granted.pk, "junk", None]))

    assert viewer == Viewer(
        seminar_ids=frozenset({granted.seminar_id}),
        attended_audience=frozenset({(granted.seminar.series_id, granted.audience_type_id)}),
        registrations=frozenset({(granted.seminar_id, granted.pk)}),
    )
    assert viewer.registration_for(granted.seminar_id) == granted.pk
    with django_assert_num_queries(0):
        assert viewer_for(_request()) == ANONYMOUS


def test_organisers_are_staff_with_the_recording_permission_and_a_second_factor():
    organiser = UserFactory(is_staff=True)
    organiser.groups.add(Group.objects.get(name="Organisers"))
    enrol_second_factor(organiser)
    staff_without = UserFactory(is_staff=True)
    enrol_second_factor(staff_without)
    organiser_without_factor = UserFactory(is_staff=True)
    organiser_without_factor.groups.add(Group.objects.get(name="Organisers"))

    assert viewer_for(_request(organiser)).is_organiser
    assert not viewer_for(_request(staff_without)).is_organiser
    assert not viewer_for(_request(organiser_without_factor)).is_organiser


@pytest.mark.parametrize(
    ("access", "viewer_kind", "denial"),
    [
        ("public", "anonymous", None),
        ("signed_in", "anonymous", Denial.SIGN_IN),
        ("signed_in", "stranger", None),
        ("registrants", "anonymous", Denial.SIGN_IN),
        ("registrants", "stranger", Denial.NOT_REGISTERED),
        ("registrants", "registrant", None),
        ("registrants", "guest", None),
        ("audience_types", "anonymous", Denial.SIGN_IN),
        ("audience_types", "stranger", Denial.AUDIENCE),
        ("audience_types", "chosen_type", None),
        ("audience_types", "attended_in_series", None),
        ("audience_types", "attended_elsewhere", Denial.AUDIENCE),
        ("audience_types", "organiser", None),
    ],
)
def test_access_denial_and_the_listing_filter_agree(access, viewer_kind, denial):
    chosen = AudienceTypeFactory()
    recording = RecordingFactory(access=access, audience_types=[chosen])
    RecordingFactory(access=access, audience_types=[AudienceTypeFactory()])  # never theirs
    viewers = {
        "anonymous": ANONYMOUS,
        "stranger": Viewer(user_id=1),
        "registrant": Viewer(user_id=1, seminar_ids=frozenset({recording.seminar_id})),
        "guest": Viewer(seminar_ids=frozenset({recording.seminar_id})),
        "chosen_type": Viewer(user_id=1, confirmed_audience_type_ids=frozenset({chosen.pk})),
        "attended_in_series": Viewer(
            user_id=1, attended_audience=frozenset({(recording.seminar.series_id, chosen.pk)})
        ),
        # The right type, at a seminar of another series: it does not carry over.
        "attended_elsewhere": Viewer(
            user_id=1, attended_audience=frozenset({(SeriesFactory().pk, chosen.pk)})
        ),
        "organiser": Viewer(user_id=1, is_organiser=True),
    }
    viewer = viewers[viewer_kind]

    assert access_denial(recording, viewer) == denial
    listed = set(recordings_watchable(viewer).values_list("pk", flat=True))
    assert (recording.pk in listed) == (denial is None)
    if viewer_kind != "organiser" and access not in ("public", "signed_in"):
        assert len(listed) <= 1  # the other seminar's recording is never theirs


def test_unpublished_recordings_are_never_listed_even_for_organisers():
    RecordingFactory(unpublished=True)

    assert list(recordings_watchable(Viewer(user_id=1, is_organiser=True))) == []


def test_publish_needs_a_note_of_how_the_speakers_agreed(frozen_now, followups):
    recording = _ready(speaker_consent_note="  ")

    with pytest.raises(RecordingNotPublishable, match="note how they agreed"):
        recording_publish(recording=recording)

    assert followups == []


def _found(term: str) -> list[int]:
    from django.contrib.postgres.search import SearchQuery

    query = SearchQuery(term, config="english")
    return list(Recording.objects.filter(search_vector=query).values_list("pk", flat=True))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="tsvector is PostgreSQL's")
def test_seminar_edits_reach_the_recordings_search_index():
    from webinars.services import recording_search_index, seminar_update

    recording = RecordingFactory()
    recording_search_index(recording=recording)
    assert _found("Hokkaido") == []

    seminar_update(seminar=recording.seminar, summary="Skiing in Hokkaido")

    assert _found("Hokkaido") == [recording.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="tsvector is PostgreSQL's")
def test_renaming_a_speaker_in_the_admin_reaches_the_search_index(admin_client):
    from django.urls import reverse

    from webinars.services import recording_search_index

    speaker = SpeakerFactory(name="Aiko Tanaka")
    recording = RecordingFactory()
    SeminarSpeakerFactory(seminar=recording.seminar, speaker=speaker)
    recording_search_index(recording=recording)
    assert _found("Watanabe") == []

    response = admin_client.post(
        reverse("admin:webinars_speaker_change", args=[speaker.pk]),
        {
            "name": "Aiko Watanabe",
            "slug": speaker.slug,
            "seminar_links-TOTAL_FORMS": "0",
            "seminar_links-INITIAL_FORMS": "1",
            "seminar_links-MIN_NUM_FORMS": "0",
            "seminar_links-MAX_NUM_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert _found("Watanabe") == [recording.pk]


def test_transcript_remove_drops_cues_and_text_and_the_file_after_commit(
    django_capture_on_commit_callbacks,
):
    from webinars.services import recording_transcript_remove

    recording = RecordingFactory()
    recording_transcript_attach(
        recording=recording, upload=ContentFile(VTT.encode()), cues=parse_vtt(VTT)
    )
    name, storage = recording.transcript_file.name, recording.transcript_file.storage

    with django_capture_on_commit_callbacks(execute=True):
        recording_transcript_remove(recording=recording)

    stored = Recording.objects.get(pk=recording.pk)
    assert (stored.transcript_file.name, stored.transcript_text) == ("", "")
    assert TranscriptCue.objects.filter(recording=recording).count() == 0
    assert not storage.exists(name)
