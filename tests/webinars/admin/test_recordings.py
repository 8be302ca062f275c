from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import (
    AudienceTypeFactory,
    RecordingChapterFactory,
    RecordingFactory,
    RecordingMaterialFactory,
    RecordingViewFactory,
    RegistrationFactory,
    SeminarFactory,
    SeriesFactory,
    StaffFactory,
    TranscriptCueFactory,
)
from tests.utils import (
    MP4,
    PDF,
    VTT,
    management_data,
    material_delete_data,
    messages_of,
    recording_form_data,
    stored_files,
)
from webinars.models import Recording, RecordingMaterial, TranscriptCue

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:webinars_recording_changelist")
ADD = reverse("admin:webinars_recording_add")


def change_url(recording: Recording) -> str:
    return reverse("admin:webinars_recording_change", args=[recording.pk])


def file_recording(**fields) -> Recording:
    """A recording whose video is an uploaded file in the private storage."""
    fields.setdefault("video_provider", Recording.VideoProvider.FILE)
    fields.setdefault("video_id", "")
    fields.setdefault("video_file", ContentFile(MP4, name="talk.mp4"))
    fields.setdefault("video_file_name", "talk.mp4")
    fields.setdefault("video_file_size", len(MP4))
    fields.setdefault("video_content_type", "video/mp4")
    return RecordingFactory(**fields)


# --- Adding ---------------------------------------------------------------------


def test_add_with_embed_url_stores_the_canonical_id_and_the_consent(
    organiser_client, organiser, django_capture_on_commit_callbacks
):
    seminar = SeminarFactory(past=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(
            ADD,
            recording_form_data(
                seminar,
                embed_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42&utm_source=mail",
                **management_data("chapters", total=2),
                **{
                    "chapters-0-starts_at": "12:30",
                    "chapters-0-title": "Aso caldera",
                    "chapters-1-starts_at": "1:02:05",
                    "chapters-1-title": "Questions",
                },
            ),
        )

    assert response.status_code == 302
    recording = Recording.objects.get(seminar=seminar)
    assert (recording.video_provider, recording.video_id) == ("youtube", "dQw4w9WgXcQ")
    assert recording.video_file.name == ""
    assert recording.duration == timedelta(minutes=58)
    assert recording.speaker_consent_recorded_by == organiser
    assert recording.speaker_consent_recorded_at is not None
    assert recording.published_at is None
    assert list(recording.chapters.values_list("starts_at", "title")) == [
        (timedelta(minutes=12, seconds=30), "Aso caldera"),
        (timedelta(hours=1, minutes=2, seconds=5), "Questions"),
    ]
    assert stored_files() == []


def test_add_view_preselects_the_seminar_and_names_the_recording_after_it(organiser_client):
    seminar = SeminarFactory(past=True, title="Onsen towns", slug="onsen-towns")
    recorded = RecordingFactory().seminar
    draft = SeminarFactory(past=True, draft=True)

    response = organiser_client.get(f"{ADD}?seminar={seminar.pk}")

    form = response.context["adminform"].form
    assert form.initial["seminar"] == str(seminar.pk)
    assert (form.initial["title_en"], form.initial["slug"]) == ("Onsen towns", "onsen-towns")
    choices = set(form.fields["seminar"].queryset)
    assert seminar in choices
    assert recorded not in choices
    assert draft not in choices


@pytest.mark.parametrize("seminar_id", ["²", "9" * 19, "-1", "1.0", "abc"])
def test_add_view_ignores_a_seminar_parameter_that_is_not_an_id(organiser_client, seminar_id):
    response = organiser_client.get(ADD, {"seminar": seminar_id})

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "seminar" not in form.initial
    assert "title_en" not in form.initial


@pytest.mark.parametrize(
    "embed_url",
    [
        "https://www.youtube.com.evil.example/watch",
        "https://[youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com\uff03@evil.example/watch?v=dQw4w9WgXcQ",
    ],
    ids=["other-host", "unclosed-bracket", "nfkc-netloc"],
)
def test_add_with_a_bad_embed_url_shows_the_error_and_saves_nothing(organiser_client, embed_url):
    seminar = SeminarFactory(past=True)

    response = organiser_client.post(ADD, recording_form_data(seminar, embed_url=embed_url))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["embed_url"] == [
        "Give the address of a YouTube or Vimeo video, e.g. https://www.youtube.com/watch?v=… "
        "or https://vimeo.com/123456789."
    ]
    assert Recording.objects.count() == 0


def test_add_with_both_embed_url_and_file_is_refused_and_stores_nothing(organiser_client):
    seminar = SeminarFactory(past=True)

    response = organiser_client.post(
        ADD,
        recording_form_data(
            seminar,
            embed_url="https://vimeo.com/123456789",
            video_file=SimpleUploadedFile("talk.mp4", MP4, content_type="video/mp4"),
        ),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["embed_url"] == [
        "Give either an embed URL or an uploaded video file, not both."
    ]
    assert Recording.objects.count() == 0
    assert stored_files() == []


def test_add_with_a_video_file_keeps_its_name_size_and_type(organiser_client):
    seminar = SeminarFactory(past=True)

    response = organiser_client.post(
        ADD,
        recording_form_data(
            seminar,
            video_file=SimpleUploadedFile(
                "../Kyushu talk “final”.MP4", MP4, content_type="text/html"
            ),
        ),
    )

    assert response.status_code == 302
    recording = Recording.objects.get(seminar=seminar)
    assert recording.video_provider == "file"
    assert recording.video_id == ""
    assert recording.video_file_name == "Kyushu talk “final”.mp4"
    assert recording.video_file_size == len(MP4)
    assert recording.video_content_type == "video/mp4"
    assert stored_files() == [recording.video_file.name]
    assert recording.video_file.name.startswith("recordings/")


def test_consent_needs_a_note_of_how_it_was_given(organiser_client):
    seminar = SeminarFactory(past=True)

    response = organiser_client.post(
        ADD,
        recording_form_data(
            seminar, embed_url="https://youtu.be/dQw4w9WgXcQ", speaker_consent_note="   "
        ),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "speaker_consent_note": [
            "Note how the speakers agreed, e.g. “Consent forms signed 12 May”."
        ]
    }
    assert Recording.objects.count() == 0


def test_no_consent_needs_no_note(organiser_client):
    seminar = SeminarFactory(past=True)

    response = organiser_client.post(
        ADD,
        recording_form_data(
            seminar,
            embed_url="https://youtu.be/dQw4w9WgXcQ",
            speakers_consented=None,
            speaker_consent_note="",
        ),
    )

    assert response.status_code == 302
    recording = Recording.objects.get(seminar=seminar)
    assert (recording.speakers_consented, recording.speaker_consent_recorded_at) == (False, None)


def test_long_original_file_names_are_accepted_and_shortened(organiser_client):
    seminar = SeminarFactory(past=True)
    long_stem = "Kyushu onsen seminar recording " * 10  # 310 characters

    response = organiser_client.post(
        ADD,
        recording_form_data(
            seminar,
            video_file=SimpleUploadedFile(f"{long_stem}.mp4", MP4),
            transcript_upload=SimpleUploadedFile(f"{long_stem}.vtt", VTT),
            **management_data("materials", total=1),
            **{
                "materials-0-position": 0,
                "materials-0-title": "Slides",
                "materials-0-file": SimpleUploadedFile(f"{long_stem}.pdf", PDF),
            },
        ),
    )

    assert response.status_code == 302
    recording = Recording.objects.get(seminar=seminar)
    material = recording.materials.get()
    assert recording.video_file_name == long_stem[:116].rstrip() + ".mp4"
    assert material.original_name == long_stem[:116].rstrip() + ".pdf"
    assert recording.transcript_text.startswith("Welcome to Kumamoto")
    assert all(len(name) < 100 for name in stored_files())
    assert len(stored_files()) == 3


def test_add_with_access_for_audience_types_requires_choosing_some(organiser_client):
    seminar = SeminarFactory(past=True)

    response = organiser_client.post(
        ADD,
        recording_form_data(
            seminar, embed_url="https://youtu.be/dQw4w9WgXcQ", access="audience_types"
        ),
    )

    assert response.context["adminform"].form.errors["audience_types"] == [
        "Choose at least one audience type, or another access level."
    ]
    assert Recording.objects.count() == 0


def test_chapter_times_must_be_minutes_and_seconds(organiser_client):
    seminar = SeminarFactory(past=True)

    response = organiser_client.post(
        ADD,
        recording_form_data(
            seminar,
            embed_url="https://youtu.be/dQw4w9WgXcQ",
            **management_data("chapters", total=1),
            **{"chapters-0-starts_at": "90", "chapters-0-title": "Intro"},
        ),
    )

    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors["starts_at"] == [
        "Write the time as m:ss or h:mm:ss, e.g. 12:30 or 1:02:30."
    ]
    assert Recording.objects.count() == 0


# --- Changing -------------------------------------------------------------------


def test_change_form_shows_the_video_as_its_watch_url_and_times_as_typed(organiser_client):
    recording = RecordingFactory(
        video_provider="vimeo",
        video_id="76979871:abc123def",
        duration=timedelta(hours=1, minutes=2),
    )
    RecordingChapterFactory(recording=recording, starts_at=timedelta(minutes=12, seconds=30))

    response = organiser_client.get(change_url(recording))

    form = response.context["adminform"].form
    assert form["embed_url"].value() == "https://vimeo.com/76979871/abc123def"
    assert form["duration"].value() == "1:02:00"
    chapters = response.context["inline_admin_formsets"][0].formset
    assert chapters.forms[0]["starts_at"].value() == "12:30"
    assert 'value="12:30"' in response.content.decode()


def test_change_from_embed_to_file_and_then_clearing_it_removes_the_file(
    organiser_client, django_capture_on_commit_callbacks
):
    recording = RecordingFactory(unpublished=True)

    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(
            change_url(recording),
            recording_form_data(
                recording=recording,
                video_file=SimpleUploadedFile("talk.mp4", MP4),
            ),
        )
    recording.refresh_from_db()
    assert recording.video_provider == "file"
    assert stored_files() == [recording.video_file.name]

    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(
            change_url(recording),
            recording_form_data(recording=recording, **{"video_file-clear": "on"}),
        )

    assert response.status_code == 302
    recording.refresh_from_db()
    assert (recording.video_provider, recording.video_id, recording.video_file.name) == ("", "", "")
    assert (recording.video_file_name, recording.video_file_size) == ("", None)
    assert stored_files() == []


def test_replacing_the_video_file_deletes_the_old_one_after_commit(
    organiser_client, django_capture_on_commit_callbacks
):
    recording = file_recording(unpublished=True)
    old_name = recording.video_file.name
    assert stored_files() == [old_name]

    with django_capture_on_commit_callbacks() as callbacks:
        organiser_client.post(
            change_url(recording),
            recording_form_data(
                recording=recording, video_file=SimpleUploadedFile("second.m4v", MP4)
            ),
        )

    recording.refresh_from_db()
    assert recording.video_file_name == "second.m4v"
    assert recording.video_file.name != old_name
    # Until the change commits, the old file stays (a rollback would still need it).
    assert stored_files() == sorted([old_name, recording.video_file.name])
    for callback in callbacks:
        callback()
    assert stored_files() == [recording.video_file.name]


def test_embed_url_while_a_file_is_kept_asks_to_clear_the_file(organiser_client):
    recording = file_recording(unpublished=True)

    response = organiser_client.post(
        change_url(recording),
        recording_form_data(recording=recording, embed_url="https://youtu.be/dQw4w9WgXcQ"),
    )

    assert response.context["adminform"].form.errors["embed_url"] == [
        "Give either an embed URL or an uploaded video file, not both. "
        "Tick “Clear” next to the current file to use the embed."
    ]
    recording.refresh_from_db()
    assert recording.video_provider == "file"


def test_change_form_links_the_current_files_to_the_checked_downloads(organiser_client):
    recording = file_recording(video_file_name="Kyushu talk.mp4")
    material = RecordingMaterialFactory(recording=recording, original_name="Slides “v2”.pdf")

    page = organiser_client.get(change_url(recording)).content.decode()

    video_url = reverse("webinars:recording_video", kwargs={"slug": recording.slug})
    material_url = reverse(
        "webinars:recording_material", kwargs={"slug": recording.slug, "pk": material.pk}
    )
    assert f'<a href="{video_url}">Kyushu talk.mp4</a>' in page
    assert f'<a href="{material_url}">Slides “v2”.pdf</a>' in page
    assert "/private-files-are-not-served/" not in page


# --- Transcript -----------------------------------------------------------------


def test_transcript_upload_is_stored_with_its_cues_and_summarised(
    organiser_client, django_capture_on_commit_callbacks
):
    recording = RecordingFactory(unpublished=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(
            change_url(recording),
            recording_form_data(
                recording=recording,
                embed_url="https://youtu.be/dQw4w9WgXcQ",
                transcript_upload=SimpleUploadedFile("Seminar transcript.vtt", VTT),
            ),
        )

    assert response.status_code == 302
    recording.refresh_from_db()
    assert stored_files() == [recording.transcript_file.name]
    assert recording.transcript_file.read() == VTT
    assert recording.transcript_text == (
        "Welcome to Kumamoto & Aso.\nOnsen towns are busy in winter."
    )
    assert list(recording.cues.values_list("position", "voice", "starts_at")) == [
        (0, "Aiko Tanaka", timedelta(0)),
        (1, "", timedelta(seconds=4, milliseconds=500)),
    ]
    page = organiser_client.get(change_url(recording)).content.decode()
    transcript_url = reverse("webinars:recording_transcript", kwargs={"slug": recording.slug})
    assert f'<a href="{transcript_url}">{recording.slug}.vtt</a> · 2 cues' in page


def test_malformed_transcript_is_refused_with_its_line_number(organiser_client):
    recording = RecordingFactory(unpublished=True)
    broken = b"WEBVTT\n\n00:00.000 --> 00:04.000\nHello\n\n00:05.000 --> 00:06\nBye\n"

    response = organiser_client.post(
        change_url(recording),
        recording_form_data(
            recording=recording,
            embed_url="https://youtu.be/dQw4w9WgXcQ",
            transcript_upload=SimpleUploadedFile("transcript.vtt", broken),
        ),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["transcript_upload"] == [
        "Line 6: the cue timing is not valid; write it as “00:01:02.000 --> 00:01:05.500” "
        "(hours optional, three digits of milliseconds)."
    ]
    assert TranscriptCue.objects.count() == 0
    assert stored_files() == []


def record_search_index(monkeypatch) -> list[tuple[str, str, list[str]]]:
    """Every rebuild of the search index, by the admin or by the transcript service."""
    seen = []

    def index(*, recording):
        chapters = list(recording.chapters.values_list("title", flat=True))
        seen.append((recording.title, recording.transcript_text, chapters))

    monkeypatch.setattr("webinars.admin.recordings.recording_search_index", index)
    monkeypatch.setattr("webinars.services.recordings.recording_search_index", index)
    return seen


def test_search_index_is_rebuilt_once_after_inlines_and_transcript(organiser_client, monkeypatch):
    recording = RecordingFactory(unpublished=True, title="Onsen")
    seen = record_search_index(monkeypatch)

    organiser_client.post(
        change_url(recording),
        recording_form_data(
            recording=recording,
            embed_url="https://youtu.be/dQw4w9WgXcQ",
            transcript_upload=SimpleUploadedFile("transcript.vtt", VTT),
            **management_data("chapters", total=1),
            **{"chapters-0-starts_at": "0:30", "chapters-0-title": "Welcome"},
        ),
    )

    assert seen == [
        ("Onsen", "Welcome to Kumamoto & Aso.\nOnsen towns are busy in winter.", ["Welcome"])
    ]


def test_search_index_is_rebuilt_when_saving_without_a_transcript(organiser_client, monkeypatch):
    recording = RecordingFactory(unpublished=True, transcript_text="Kept words")
    seen = record_search_index(monkeypatch)

    organiser_client.post(
        change_url(recording),
        recording_form_data(
            recording=recording, title="Renamed", embed_url="https://youtu.be/dQw4w9WgXcQ"
        ),
    )

    assert seen == [("Renamed", "Kept words", [])]


def transcribed_recording(**fields) -> Recording:
    """A recording with a stored transcript file, its two cues and its text."""
    recording = RecordingFactory(
        transcript_file=ContentFile(VTT, name="t.vtt"),
        transcript_text="Welcome to Kumamoto & Aso.\nOnsen towns are busy in winter.",
        **fields,
    )
    for position, text in enumerate(recording.transcript_text.split("\n")):
        TranscriptCueFactory(
            recording=recording,
            position=position,
            starts_at=timedelta(seconds=5 * position),
            ends_at=timedelta(seconds=5 * position + 4),
            text=text,
        )
    return recording


@pytest.mark.parametrize("published", [True, False], ids=["published", "unpublished"])
def test_remove_transcript_clears_file_cues_and_text_and_reindexes(
    organiser_client, monkeypatch, django_capture_on_commit_callbacks, published
):
    recording = transcribed_recording(unpublished=not published, title="Onsen")
    old_name = recording.transcript_file.name
    page = organiser_client.get(change_url(recording)).content.decode()
    assert 'name="transcript_remove"' in page
    seen = record_search_index(monkeypatch)

    with django_capture_on_commit_callbacks() as callbacks:
        response = organiser_client.post(
            change_url(recording),
            recording_form_data(
                recording=recording,
                embed_url="https://youtu.be/dQw4w9WgXcQ",
                transcript_remove="on",
            ),
        )

    assert response.status_code == 302
    recording.refresh_from_db()
    assert (recording.transcript_file.name, recording.transcript_text) == ("", "")
    assert TranscriptCue.objects.filter(recording=recording).count() == 0
    assert seen == [("Onsen", "", [])]
    assert recording.is_published is published
    # The file leaves storage only once the change has committed.
    assert stored_files() == [old_name]
    for callback in callbacks:
        callback()
    assert stored_files() == []
    page = organiser_client.get(change_url(recording)).content.decode()
    assert 'name="transcript_remove"' not in page


def test_remove_transcript_and_a_new_upload_together_are_refused(organiser_client):
    recording = transcribed_recording()
    old_name = recording.transcript_file.name

    response = organiser_client.post(
        change_url(recording),
        recording_form_data(
            recording=recording,
            embed_url="https://youtu.be/dQw4w9WgXcQ",
            transcript_remove="on",
            transcript_upload=SimpleUploadedFile("new.vtt", VTT),
        ),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["transcript_remove"] == [
        "Either upload a new transcript or remove the current one, not both."
    ]
    recording.refresh_from_db()
    assert recording.transcript_file.name == old_name
    assert TranscriptCue.objects.filter(recording=recording).count() == 2
    assert stored_files() == [old_name]


def test_transcript_with_absurd_hours_is_a_form_error_not_a_crash(organiser_client):
    recording = RecordingFactory(unpublished=True)
    hours = "9" * 5000
    broken = f"WEBVTT\n\n{hours}:00:00.000 --> {hours}:00:01.000\nLate\n".encode()

    response = organiser_client.post(
        change_url(recording),
        recording_form_data(
            recording=recording,
            embed_url="https://youtu.be/dQw4w9WgXcQ",
            transcript_upload=SimpleUploadedFile("transcript.vtt", broken),
        ),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["transcript_upload"] == [
        "Line 3: the cue timing is not valid; write it as “00:01:02.000 --> 00:01:05.500” "
        "(hours optional, three digits of milliseconds)."
    ]
    assert stored_files() == []


# --- Materials ------------------------------------------------------------------


def test_material_upload_fills_name_type_and_size(organiser_client):
    recording = RecordingFactory(unpublished=True)

    response = organiser_client.post(
        change_url(recording),
        recording_form_data(
            recording=recording,
            embed_url="https://youtu.be/dQw4w9WgXcQ",
            **management_data("materials", total=1),
            **{
                "materials-0-position": 0,
                "materials-0-title": "",
                "materials-0-file": SimpleUploadedFile("Kyushu slides.PDF", PDF),
            },
        ),
    )

    assert response.status_code == 302
    material = RecordingMaterial.objects.get(recording=recording)
    assert (material.title, material.original_name) == ("Kyushu slides", "Kyushu slides.pdf")
    assert (material.content_type, material.size) == ("application/pdf", len(PDF))
    assert stored_files() == [material.file.name]


def test_replacing_a_material_file_removes_the_old_one_after_commit(
    organiser_client, django_capture_on_commit_callbacks
):
    recording = RecordingFactory(unpublished=True)
    material = RecordingMaterialFactory(recording=recording)
    old_name = material.file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(
            change_url(recording),
            recording_form_data(
                recording=recording,
                embed_url="https://youtu.be/dQw4w9WgXcQ",
                **management_data("materials", total=1, initial=1),
                **{
                    "materials-0-id": material.pk,
                    "materials-0-recording": recording.pk,
                    "materials-0-position": material.position,
                    "materials-0-title": material.title,
                    "materials-0-file": SimpleUploadedFile("handout.png", b"\x89PNG\r\n\x1a\n"),
                },
            ),
        )

    assert response.status_code == 302
    material.refresh_from_db()
    assert (material.original_name, material.content_type) == ("handout.png", "image/png")
    assert material.file.name != old_name
    assert stored_files() == [material.file.name]


def test_deleting_a_material_removes_its_file_after_commit(
    organiser_client, django_capture_on_commit_callbacks
):
    recording = RecordingFactory(unpublished=True)
    material = RecordingMaterialFactory(recording=recording)
    assert stored_files() == [material.file.name]

    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(
            change_url(recording),
            recording_form_data(
                recording=recording,
                embed_url="https://youtu.be/dQw4w9WgXcQ",
                **material_delete_data(recording, material),
            ),
        )

    assert response.status_code == 302
    assert RecordingMaterial.objects.count() == 0
    assert stored_files() == []


# --- Publication ----------------------------------------------------------------


def _action(client, action: str, *recordings: Recording):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [recording.pk for recording in recordings]},
        follow=True,
    )


def test_publish_is_refused_without_consent_and_says_why(organiser_client):
    recording = RecordingFactory(
        unpublished=True, speakers_consented=False, speaker_consent_recorded_at=None
    )

    response = _action(organiser_client, "publish_recordings", recording)

    assert messages_of(response) == [
        f"“{recording.title}” was not published: Record the speakers' consent first: tick "
        "“speakers agreed to publication” and note how they agreed."
    ]
    recording.refresh_from_db()
    assert recording.published_at is None


def test_publish_lists_every_reason(organiser_client):
    recording = RecordingFactory(
        unpublished=True,
        speakers_consented=False,
        video_provider="",
        video_id="",
        seminar=SeminarFactory(),  # upcoming
    )

    response = _action(organiser_client, "publish_recordings", recording)

    assert messages_of(response) == [
        f"“{recording.title}” was not published: Record the speakers' consent first: tick "
        "“speakers agreed to publication” and note how they agreed. Add the video first: a "
        "YouTube or Vimeo address, or an uploaded video file. The seminar has not ended yet."
    ]


def test_publish_queues_the_follow_ups_and_says_how_many(organiser_client, monkeypatch):
    recording = RecordingFactory(unpublished=True)
    RegistrationFactory.create_batch(3, seminar=recording.seminar)
    queued_for = []

    def fake_queue(*, recording):
        queued_for.append(recording.pk)
        return recording.seminar.registrations.count()

    monkeypatch.setattr("notifications.services.recording_followups_queue", fake_queue)

    response = _action(organiser_client, "publish_recordings", recording)

    assert messages_of(response) == [f"Published “{recording.title}”; 3 follow-up emails queued."]
    assert queued_for == [recording.pk]
    recording.refresh_from_db()
    assert recording.published_at is not None
    assert recording.followups_queued_at is not None

    # Unpublished and published again: nobody is emailed twice.
    _action(organiser_client, "unpublish_recordings", recording)
    response = _action(organiser_client, "publish_recordings", recording)

    assert messages_of(response) == [
        f"Published “{recording.title}” again; no follow-up emails (they went out when it "
        "was first published)."
    ]
    assert queued_for == [recording.pk]


def test_unpublish_hides_the_recording(organiser_client):
    recording = RecordingFactory()

    response = _action(organiser_client, "unpublish_recordings", recording)

    assert messages_of(response) == [
        f"Unpublished “{recording.title}”: only organisers can see it now."
    ]
    recording.refresh_from_db()
    assert recording.published_at is None


def test_save_and_publish_button_saves_then_publishes(organiser_client, monkeypatch):
    monkeypatch.setattr("notifications.services.recording_followups_queue", lambda *, recording: 0)
    recording = RecordingFactory(unpublished=True)

    response = organiser_client.post(
        change_url(recording),
        recording_form_data(
            recording=recording,
            title="Renamed",
            embed_url="https://youtu.be/dQw4w9WgXcQ",
            _publish="Save and publish",
        ),
        follow=True,
    )

    assert response.redirect_chain == [(change_url(recording), 302)]
    assert messages_of(response) == [
        "Saved “Renamed”.",
        "Published “Renamed”; 0 follow-up emails queued.",
    ]
    recording.refresh_from_db()
    assert (recording.title, recording.is_published) == ("Renamed", True)
    assert 'name="_unpublish"' in response.content.decode()


UNPUBLISH_FIRST = "Unpublish it first (“Save and unpublish”)."


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"speakers_consented": None},
            "speakers_consented",
            "This recording is published, so the speakers' consent cannot be withdrawn here. "
            + UNPUBLISH_FIRST,
        ),
        (
            {"speaker_consent_note": "  "},
            "speaker_consent_note",
            "This recording is published, so the note of how the speakers agreed cannot be "
            "emptied. " + UNPUBLISH_FIRST,
        ),
        (
            {"embed_url": ""},
            "embed_url",
            "This recording is published, so it must keep a video. Give another one, or "
            "unpublish it first (“Save and unpublish”).",
        ),
    ],
    ids=["consent-unticked", "note-blanked", "embed-emptied"],
)
def test_a_published_recording_keeps_its_consent_and_video(
    organiser_client, overrides, field, message
):
    recording = RecordingFactory()

    response = organiser_client.post(
        change_url(recording),
        recording_form_data(
            recording=recording, **{"embed_url": "https://youtu.be/dQw4w9WgXcQ", **overrides}
        ),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [message]}
    recording.refresh_from_db()
    assert recording.is_published
    assert (recording.speakers_consented, recording.speaker_consent_note) == (
        True,
        "Consent forms signed.",
    )
    assert (recording.video_provider, recording.video_id) == ("youtube", "dQw4w9WgXcQ")


def test_a_published_recordings_file_cannot_be_cleared(organiser_client):
    recording = file_recording()

    response = organiser_client.post(
        change_url(recording),
        recording_form_data(recording=recording, **{"video_file-clear": "on"}),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "video_file": [
            "This recording is published, so it must keep a video. Give another one, or "
            "unpublish it first (“Save and unpublish”)."
        ]
    }
    recording.refresh_from_db()
    assert (recording.video_provider, recording.is_published) == ("file", True)
    assert stored_files() == [recording.video_file.name]


def test_a_published_recording_may_change_to_another_video(
    organiser_client, django_capture_on_commit_callbacks
):
    recording = file_recording()

    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(
            change_url(recording),
            recording_form_data(
                recording=recording,
                embed_url="https://vimeo.com/76979871",
                speaker_consent_note="Emails on file.",
                **{"video_file-clear": "on"},
            ),
        )

    assert response.status_code == 302
    recording.refresh_from_db()
    assert (recording.video_provider, recording.video_id) == ("vimeo", "76979871")
    assert (recording.speaker_consent_note, recording.is_published) == ("Emails on file.", True)
    assert stored_files() == []


def test_save_and_unpublish_may_withdraw_consent_and_remove_the_video(organiser_client):
    recording = RecordingFactory()

    response = organiser_client.post(
        change_url(recording),
        recording_form_data(
            recording=recording,
            embed_url="",
            speakers_consented=None,
            speaker_consent_note="",
            _unpublish="Save and unpublish",
        ),
        follow=True,
    )

    assert messages_of(response) == [
        f"Saved “{recording.title}”.",
        f"Unpublished “{recording.title}”: only organisers can see it now.",
    ]
    recording.refresh_from_db()
    assert (recording.is_published, recording.speakers_consented) == (False, False)
    assert (recording.video_provider, recording.video_id) == ("", "")


def test_the_admin_deletes_replaced_files_through_the_service(organiser_client, monkeypatch):
    recording = file_recording(unpublished=True)
    old_name = recording.video_file.name
    deleted = []
    monkeypatch.setattr(
        "webinars.admin.recordings.private_file_delete_after_commit",
        lambda *, storage, name: deleted.append(name),
    )

    organiser_client.post(
        change_url(recording),
        recording_form_data(recording=recording, video_file=SimpleUploadedFile("new.mp4", MP4)),
    )

    assert deleted == [old_name]


# --- Who may publish --------------------------------------------------------------


@pytest.fixture
def adder_client(client):
    """A staff member who may add and view recordings, but not change (or publish) them."""
    user = StaffFactory(email="adder@jlgc.example")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="webinars",
            codename__in=[
                "add_recording",
                "view_recording",
                "add_recordingchapter",
                "add_recordingmaterial",
            ],
        )
    )
    client.force_login(user)
    return client


def test_save_and_publish_by_someone_who_may_only_add_saves_without_publishing(
    adder_client, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        "notifications.services.recording_followups_queue",
        lambda *, recording: queued.append(recording.pk) or 0,
    )
    seminar = SeminarFactory(past=True)
    page = adder_client.get(ADD).content.decode()
    assert 'name="_publish"' not in page

    response = adder_client.post(
        ADD,
        recording_form_data(
            seminar, embed_url="https://youtu.be/dQw4w9WgXcQ", _publish="Save and publish"
        ),
        follow=True,
    )

    recording = Recording.objects.get(seminar=seminar)
    assert recording.published_at is None
    assert queued == []
    assert "Only organisers who may change recordings can publish or unpublish them." in (
        messages_of(response)
    )


def test_the_publish_action_needs_the_change_permission(adder_client):
    recording = RecordingFactory(unpublished=True)

    response = _action(adder_client, "publish_recordings", recording)

    # Django offers them no actions at all, so the POST only shows the list again.
    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert messages_of(response) == []
    recording.refresh_from_db()
    assert recording.published_at is None


# --- Deleting -------------------------------------------------------------------


def test_an_unpublished_never_announced_recording_can_be_deleted_with_its_files(
    organiser_client, django_capture_on_commit_callbacks
):
    recording = file_recording(unpublished=True, transcript_file=ContentFile(VTT, name="t.vtt"))
    RecordingMaterialFactory(recording=recording)
    assert len(stored_files()) == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(
            reverse("admin:webinars_recording_delete", args=[recording.pk]), {"post": "yes"}
        )

    assert response.status_code == 302
    assert Recording.objects.count() == 0
    assert stored_files() == []


@pytest.mark.parametrize(
    "state",
    [{}, {"published_at": None, "followups_queued_at": "2026-01-01T10:00:00Z"}],
    ids=["published", "announced then unpublished"],
)
def test_a_published_or_announced_recording_cannot_be_deleted(organiser_client, state):
    recording = RecordingFactory(**state)

    response = organiser_client.post(
        reverse("admin:webinars_recording_delete", args=[recording.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Recording.objects.count() == 1


def test_there_is_no_bulk_delete_action(organiser_client):
    RecordingFactory()

    response = organiser_client.get(CHANGELIST)

    actions = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert actions == ["", "publish_recordings", "unpublish_recordings"]


# --- List -----------------------------------------------------------------------


def test_list_shows_views_and_state_without_a_query_per_row(
    organiser_client, django_assert_max_num_queries
):

    first = RecordingFactory(title="Kyushu onsen")
    RecordingViewFactory(recording=first, viewer_key="user:1", day="2026-01-01")
    RecordingViewFactory(recording=first, viewer_key="user:2", day="2026-01-01")

    with django_assert_max_num_queries(14) as one:
        response = organiser_client.get(CHANGELIST)
    rows = {
        recording.title: recording.view_count for recording in response.context["cl"].result_list
    }
    assert rows == {"Kyushu onsen": 2}

    RecordingFactory.create_batch(19, unpublished=True)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = organiser_client.get(CHANGELIST)
    assert response.context["cl"].result_count == 20


def test_list_filters_by_publication(organiser_client):
    published = RecordingFactory(title="Published one")
    RecordingFactory(title="Hidden one", unpublished=True)

    response = organiser_client.get(CHANGELIST, {"published": "yes"})

    assert [row.pk for row in response.context["cl"].result_list] == [published.pk]


def test_list_filters_by_series_and_searches_seminar_titles(organiser_client):
    series = SeriesFactory()
    wanted = RecordingFactory(seminar=SeminarFactory(past=True, series=series, title="Aso"))
    RecordingFactory(seminar=SeminarFactory(past=True, title="Nagasaki"))

    by_series = organiser_client.get(CHANGELIST, {"seminar__series__id__exact": series.pk})
    by_search = organiser_client.get(CHANGELIST, {"q": "aso"})

    assert [row.pk for row in by_series.context["cl"].result_list] == [wanted.pk]
    assert [row.pk for row in by_search.context["cl"].result_list] == [wanted.pk]


# --- The seminar's "Recording" button --------------------------------------------


def test_past_published_seminar_offers_to_add_then_edit_its_recording(organiser_client):
    seminar = SeminarFactory(past=True)
    seminar_url = reverse("admin:webinars_seminar_change", args=[seminar.pk])

    page = organiser_client.get(seminar_url).content.decode()
    assert f'<a href="{ADD}?seminar={seminar.pk}">Add the recording</a>' in page

    recording = RecordingFactory(seminar=seminar)
    page = organiser_client.get(seminar_url).content.decode()
    assert f'<a href="{change_url(recording)}">Edit the recording</a>' in page


def test_upcoming_or_draft_seminars_have_no_recording_button(organiser_client):
    for seminar in (SeminarFactory(), SeminarFactory(past=True, draft=True)):
        page = organiser_client.get(
            reverse("admin:webinars_seminar_change", args=[seminar.pk])
        ).content.decode()
        assert "the recording</a>" not in page


def test_organisers_group_may_manage_recordings_but_not_edit_cues_or_views(organiser):
    assert organiser.has_perms(
        [
            "webinars.add_recording",
            "webinars.change_recording",
            "webinars.delete_recording",
            "webinars.add_recordingmaterial",
            "webinars.add_recordingchapter",
        ]
    )
    assert not organiser.has_perm("webinars.change_transcriptcue")
    assert not organiser.has_perm("webinars.change_recordingview")


def test_audience_types_are_offered_as_checkboxes(organiser_client):
    AudienceTypeFactory(name="Researchers", slug="researchers")

    response = organiser_client.get(ADD)

    assert 'type="checkbox" name="audience_types"' in response.content.decode()
