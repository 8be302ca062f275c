import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AudienceType
from tests.factories import (
    AudienceTypeFactory,
    RecordingFactory,
    RecordingMaterialFactory,
    RegistrationFactory,
    UserFactory,
    enrol_second_factor,
)
from tests.utils import MP4, PDF, VTT, recording_file_url
from webinars.models import Recording, Registration
from webinars.recording_access import SESSION_GRANTS_KEY

pytestmark = pytest.mark.django_db

# A video long enough for ranges to mean something.
VIDEO = MP4 + bytes(range(256)) * 4
ROUTES = ("video", "material", "transcript")
VIEWERS = (
    "anonymous",
    "stranger",
    "registrant",
    "guest",
    "waitlisted",
    "cancelled",
    "other_type",
    "claimed_type",
    "confirmed_type",
    "organiser",
    "organiser_without_second_factor",
)
# Who gets the file (200); everyone else is told why not (403).
ALLOWED = {
    "public": set(VIEWERS),
    "signed_in": set(VIEWERS) - {"anonymous", "guest"},
    # Staff act as organisers only with a second factor, as on the organiser pages.
    "registrants": {"registrant", "guest", "organiser"},
    # A type the person picked for themselves is not enough: an organiser confirms it.
    "audience_types": {"confirmed_type", "organiser"},
}


@pytest.fixture
def chosen_type():
    return AudienceTypeFactory(name="Academic", slug="academic")


def make_recording(*, access: str = "public", audience_types=(), **fields) -> Recording:
    """A recording with an uploaded video, a transcript and one material (slides.pdf)."""
    recording = RecordingFactory(
        access=access,
        audience_types=list(audience_types),
        video_provider=Recording.VideoProvider.FILE,
        video_id="",
        video_file=ContentFile(VIDEO, name="talk.mp4"),
        video_file_name="Kyushu talk.mp4",
        video_file_size=len(VIDEO),
        video_content_type="video/mp4",
        transcript_file=ContentFile(VTT, name="transcript.vtt"),
        **fields,
    )
    recording.material = RecordingMaterialFactory(recording=recording, original_name="slides.pdf")
    return recording


def become(client, viewer: str, recording: Recording) -> None:
    """Make ``client`` the given kind of viewer of ``recording``'s seminar."""
    seminar = recording.seminar
    if viewer == "anonymous":
        return
    if viewer == "guest":
        registration = RegistrationFactory(seminar=seminar)
        session = client.session
        session[SESSION_GRANTS_KEY] = [registration.pk]
        session.save()
        return
    user = UserFactory()
    if viewer == "registrant":
        RegistrationFactory(seminar=seminar, user=user, email=user.email)
    elif viewer in ("waitlisted", "cancelled"):
        status = Registration.Status.WAITLISTED if viewer == "waitlisted" else "cancelled"
        RegistrationFactory(seminar=seminar, user=user, email=user.email, status=status)
    elif viewer == "other_type":
        user.audience_type = AudienceTypeFactory(name="Media", slug="media")
        user.save()
    elif viewer in ("claimed_type", "confirmed_type"):
        user.audience_type = AudienceType.objects.get(slug="academic")
        if viewer == "confirmed_type":
            user.audience_type_confirmed_at = timezone.now()
        user.save()
    elif viewer in ("organiser", "organiser_without_second_factor"):
        user.is_staff = True
        user.save()
        user.groups.add(Group.objects.get(name="Organisers"))
        if viewer == "organiser":
            enrol_second_factor(user)
    client.force_login(user)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Who gets which file ----------------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("access", list(ALLOWED))
@pytest.mark.parametrize("route", ROUTES)
def test_access_matrix(client, chosen_type, route, access, viewer):
    recording = make_recording(access=access, audience_types=[chosen_type])
    become(client, viewer, recording)

    response = client.get(recording_file_url(route, recording))

    expected = 200 if viewer in ALLOWED[access] else 403
    assert response.status_code == expected
    if expected == 200:
        assert body(response) == {"video": VIDEO, "material": PDF, "transcript": VTT}[route]
    else:
        assert response.templates[0].name == "webinars/recording_file_denied.html"
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("route", ROUTES)
def test_unpublished_recordings_files_are_hidden_from_all_but_organisers(client, route, viewer):
    recording = make_recording(unpublished=True)
    become(client, viewer, recording)

    response = client.get(recording_file_url(route, recording))

    assert response.status_code == (200 if viewer == "organiser" else 404)
    if viewer == "organiser":
        # A preview: never cached, even for a recording that will be public.
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("reason_access", "viewer", "explanation"),
    [
        ("signed_in", "anonymous", "Sign in to see whether you may"),
        ("registrants", "stranger", "for the seminar's registrants only"),
        ("audience_types", "other_type", "shared with some audience types only"),
    ],
)
def test_denied_page_says_why_and_links_to_the_watch_page(
    client, chosen_type, reason_access, viewer, explanation
):
    recording = make_recording(access=reason_access, audience_types=[chosen_type])
    become(client, viewer, recording)

    response = client.get(recording_file_url("video", recording))

    page = response.content.decode()
    assert response.status_code == 403
    assert explanation in page
    assert f'href="{recording.get_absolute_url()}"' in page


def test_not_found_cases(client):
    recording = make_recording()
    other = make_recording()
    youtube = RecordingFactory()  # embed only: no file, no transcript

    def status(url: str) -> int:
        return client.get(url).status_code

    assert status(reverse("webinars:recording_video", kwargs={"slug": "no-such"})) == 404
    assert status(reverse("webinars:recording_video", kwargs={"slug": youtube.slug})) == 404
    assert status(reverse("webinars:recording_transcript", kwargs={"slug": youtube.slug})) == 404
    foreign_material = reverse(
        "webinars:recording_material", kwargs={"slug": recording.slug, "pk": other.material.pk}
    )
    assert status(foreign_material) == 404
    recording.video_file.storage.delete(recording.video_file.name)
    assert status(recording_file_url("video", recording)) == 404


def test_only_get_and_head_are_allowed(client):
    recording = make_recording()

    assert client.post(recording_file_url("video", recording)).status_code == 405
    assert client.head(recording_file_url("material", recording)).status_code == 200


# --- Headers ---------------------------------------------------------------------


def test_files_are_attachments_named_as_uploaded_and_nosniff(client):
    recording = make_recording(access="signed_in")
    recording.material.original_name = "会議 資料.pdf"
    recording.material.save()
    become(client, "stranger", recording)

    material = client.get(recording_file_url("material", recording))
    video = client.get(recording_file_url("video", recording))
    transcript = client.get(recording_file_url("transcript", recording))

    # A non-ASCII name also gets an ASCII fallback for clients that ignore filename*.
    assert material["Content-Disposition"] == (
        "attachment; filename=\"download.pdf\"; filename*=utf-8''"
        "%E4%BC%9A%E8%AD%B0%20%E8%B3%87%E6%96%99.pdf"
    )
    assert material["Content-Type"] == "application/pdf"
    assert video["Content-Disposition"] == 'attachment; filename="Kyushu talk.mp4"'
    assert video["Content-Type"] == "video/mp4"
    assert transcript["Content-Disposition"] == f'attachment; filename="{recording.slug}.vtt"'

    assert transcript["Content-Type"] == "text/vtt; charset=utf-8"
    for response in (material, video, transcript):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ('Slides "v2".pdf', r'attachment; filename="Slides \"v2\".pdf"'),
        ("back\\slash.pdf", r'attachment; filename="back\\slash.pdf"'),
        (
            "Slides\r\nSet-Cookie: a=b.pdf",
            'attachment; filename="Slides__Set-Cookie_ a_b.pdf"; '
            "filename*=utf-8''Slides%0D%0ASet-Cookie%3A%20a%3Db.pdf",
        ),
        (
            'Café "menu"\t.pdf',
            'attachment; filename="Cafe _menu.pdf"; '
            "filename*=utf-8''Caf%C3%A9%20%22menu%22%09.pdf",
        ),
    ],
    ids=["quote", "backslash", "crlf", "non-ascii-quote-tab"],
)
def test_quotes_and_line_breaks_in_names_cannot_break_the_header(client, name, header):
    # Names are sanitised on upload; this guards rows written any other way.
    recording = make_recording()
    recording.material.original_name = name
    recording.material.save()

    response = client.get(recording_file_url("material", recording))

    assert response.status_code == 200
    assert response["Content-Disposition"] == header
    assert "Set-Cookie" not in {key for key, _value in response.items()}


def test_public_recordings_files_may_be_cached_privately(client):
    recording = make_recording(access="public")

    response = client.get(recording_file_url("material", recording))

    assert response["Cache-Control"] == "private, max-age=3600"


# --- Ranges (seeking in the <video>) ------------------------------------------------


def test_whole_video_advertises_ranges(client):
    recording = make_recording()

    response = client.get(recording_file_url("video", recording))

    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(VIDEO))
    assert body(response) == VIDEO


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-", 100, len(VIDEO) - 1),
        ("bytes=-16", len(VIDEO) - 16, len(VIDEO) - 1),
        ("bytes=1000-999999", 1000, len(VIDEO) - 1),
    ],
)
def test_one_range_is_answered_with_206(client, header, first, last):
    recording = make_recording()

    response = client.get(recording_file_url("video", recording), headers={"range": header})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(VIDEO)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert body(response) == VIDEO[first : last + 1]


@pytest.mark.parametrize("header", [f"bytes={len(VIDEO)}-", "bytes=99999-", "bytes=-0"])
def test_unsatisfiable_range_is_416(client, header):
    recording = make_recording()

    response = client.get(recording_file_url("video", recording), headers={"range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO)}"
    assert response.content == b""


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-1,5-6",
        "bytes=9-3",
        "items=0-1",
        "bytes=x-",
        # Numbers longer than any file (int() of thousands of digits would fail).
        "bytes=" + "9" * 5000 + "-",
        "bytes=0-" + "9" * 5000,
        "bytes=-" + "9" * 5000,
        "bytes=" + "1" * 19 + "-",
        # Only ASCII digits are digits in HTTP.
        "bytes=\u0661\u0662-",
    ],
    ids=[
        "several",
        "backwards",
        "unit",
        "letters",
        "huge-first",
        "huge-last",
        "huge-suffix",
        "19-digits",
        "arabic-digits",
    ],
)
def test_several_or_malformed_ranges_get_the_whole_file(client, header):
    recording = make_recording()

    response = client.get(recording_file_url("video", recording), headers={"range": header})

    assert response.status_code == 200
    assert body(response) == VIDEO


def test_ranges_are_checked_for_access_too(client, chosen_type):
    recording = make_recording(access="registrants")

    response = client.get(recording_file_url("video", recording), headers={"range": "bytes=0-9"})

    assert response.status_code == 403


def test_head_gives_the_length_without_the_body(client):
    recording = make_recording()

    response = client.head(recording_file_url("video", recording))

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(VIDEO))
    assert response.content == b""


# --- Behind nginx -------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/protected/", "/protected", "/protected//"])
def test_accel_redirect_hands_the_file_to_the_web_server(client, settings, prefix):
    settings.PRIVATE_MEDIA_ACCEL_REDIRECT = prefix
    recording = make_recording(access="signed_in")
    become(client, "stranger", recording)

    response = client.get(recording_file_url("video", recording), headers={"range": "bytes=0-9"})

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected/{recording.video_file.name}"
    assert response.content == b""
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Disposition"] == 'attachment; filename="Kyushu talk.mp4"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    material = client.get(recording_file_url("material", recording))
    assert material["X-Accel-Redirect"] == f"/protected/{recording.material.file.name}"


def test_accel_redirect_still_refuses_the_unauthorised(client, settings):
    settings.PRIVATE_MEDIA_ACCEL_REDIRECT = "/protected/"
    recording = make_recording(access="signed_in")

    response = client.get(recording_file_url("video", recording))

    assert response.status_code == 403
    assert "X-Accel-Redirect" not in response
