"""Private files in an object store: uploads, access-checked downloads and deletes over S3.

The store here is moto in server mode (``moto.server.ThreadedMotoServer`` on a loopback
port), an emulator of the S3 API, not real S3: the app talks to it over HTTP with boto3
exactly as it would to S3 or MinIO, and a browser's GET of a signed link reaches it the
same way, but moto does not check signatures. What is tested is the app's side: where the
bytes go, that a link is handed out only after the access check, what it asks S3 to
answer with, and that dropped files leave the bucket.
"""

import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import FileField
from django.urls import reverse
from moto.server import ThreadedMotoServer

from tests.factories import (
    RecordingFactory,
    RecordingMaterialFactory,
    SeminarFactory,
    UserFactory,
)
from tests.utils import (
    MP4,
    PDF,
    VTT,
    management_data,
    material_delete_data,
    recording_file_url,
    recording_form_data,
    stored_files,
)
from webinars import services
from webinars.models import Recording, RecordingMaterial
from webinars.models.recordings import private_storage
from webinars.storage import PrivateS3Storage, private_storage_from_url
from webinars.vtt import parse_vtt

pytestmark = pytest.mark.django_db

ACCESS_KEY, SECRET_KEY = "kizuna-test", "kizuna-test-secret"
REGION = "us-east-1"
PREFIX = "kizuna"
# No proxy from the environment between the tests and the loopback emulator.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 API in a thread of this process, on a free loopback port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def private_file_fields() -> list[FileField]:
    """Every model field kept in the ``private`` storage (the migrations name the callable)."""
    return [
        field
        for model in apps.get_models()
        for field in model._meta.fields
        if isinstance(field, FileField)
        and getattr(field, "_storage_callable", None) is private_storage
    ]


def storage_url(bucket: str, endpoint: str, **extra: str) -> str:
    query = "&".join(
        f"{name}={value}"
        for name, value in {
            "endpoint_url": endpoint,
            "region": REGION,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            **extra,
        }.items()
    )
    return f"s3://{bucket}/{PREFIX}?{query}"


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch) -> str:
    """A new bucket, made the private storage of this test (local disk stays the default).

    Changing ``STORAGES`` resets Django's storage handler; the file fields took their
    storage when the models loaded, so they are pointed at the new one for this test.
    """
    name = f"kizuna-{uuid.uuid4().hex[:16]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "private": private_storage_from_url(storage_url(name, s3_endpoint)),
    }
    storage = storages["private"]
    assert isinstance(storage, PrivateS3Storage)
    for field in private_file_fields():
        monkeypatch.setattr(field, "storage", storage)
    return name


def keys(endpoint: str, bucket: str) -> list[str]:
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(entry["Key"] for entry in listing.get("Contents", []))


def fetch(url: str, **headers: str):
    """GET ``url`` as a browser would after the redirect: (status, headers, body)."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with DIRECT.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def file_recording(**fields) -> Recording:
    """A published, public recording with an uploaded video and one material (slides.pdf)."""
    recording = RecordingFactory(
        video_provider=Recording.VideoProvider.FILE,
        video_id="",
        video_file=ContentFile(MP4, name="talk.mp4"),
        video_file_name="Kyushu talk.mp4",
        video_file_size=len(MP4),
        video_content_type="video/mp4",
        **fields,
    )
    recording.material = RecordingMaterialFactory(
        recording=recording, original_name="Kyushu slides.pdf"
    )
    return recording


def test_the_three_private_file_fields_are_switched(bucket):
    assert sorted(f"{field.model.__name__}.{field.name}" for field in private_file_fields()) == [
        "Recording.transcript_file",
        "Recording.video_file",
        "RecordingMaterial.file",
    ]


# --- Uploads go to the bucket -----------------------------------------------------


def test_uploaded_video_is_stored_in_the_bucket_not_on_disk(organiser_client, s3_endpoint, bucket):
    seminar = SeminarFactory(past=True)

    response = organiser_client.post(
        reverse("admin:webinars_recording_add"),
        recording_form_data(
            seminar, video_file=SimpleUploadedFile("Kyushu talk.mp4", MP4, content_type="text/html")
        ),
    )

    assert response.status_code == 302
    recording = Recording.objects.get(seminar=seminar)
    assert recording.video_file.name.startswith("recordings/")
    assert keys(s3_endpoint, bucket) == [f"{PREFIX}/{recording.video_file.name}"]
    assert stored_files() == []
    stored = s3_client(s3_endpoint).get_object(
        Bucket=bucket, Key=f"{PREFIX}/{recording.video_file.name}"
    )
    assert stored["Body"].read() == MP4
    # The browser's claimed type is not kept: a link used bare downloads, never renders.
    assert (stored["ContentType"], stored["ContentDisposition"]) == (
        "application/octet-stream",
        "attachment",
    )


def test_objects_get_no_public_grant(organiser_client, s3_endpoint, bucket):
    recording = RecordingFactory(unpublished=True)

    organiser_client.post(
        reverse("admin:webinars_recording_change", args=[recording.pk]),
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

    material = RecordingMaterial.objects.get(recording=recording)
    key = f"{PREFIX}/{material.file.name}"
    assert keys(s3_endpoint, bucket) == [key]
    grants = s3_client(s3_endpoint).get_object_acl(Bucket=bucket, Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert [grant["Grantee"]["Type"] for grant in grants] == ["CanonicalUser"]
    # An unsigned GET of the object is refused.
    status, _headers, _body = fetch(f"{s3_endpoint}/{bucket}/{key}")
    assert status == 403


def test_transcript_attached_by_the_service_is_stored_in_the_bucket(s3_endpoint, bucket):
    recording = RecordingFactory()

    services.recording_transcript_attach(
        recording=recording, upload=ContentFile(VTT), cues=parse_vtt(VTT.decode())
    )

    assert keys(s3_endpoint, bucket) == [f"{PREFIX}/{recording.transcript_file.name}"]
    assert stored_files() == []


# --- Downloads: the access check, then a signed link ------------------------------


def test_allowed_viewer_is_redirected_to_a_short_lived_link_with_the_files_headers(
    client, s3_endpoint, bucket
):
    recording = file_recording()

    response = client.get(recording_file_url("material", recording))

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    link = urlsplit(response["Location"])
    assert f"{link.scheme}://{link.netloc}" == s3_endpoint
    assert link.path == f"/{bucket}/{PREFIX}/{recording.material.file.name}"
    query = parse_qs(link.query)
    assert query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["response-content-disposition"] == ['attachment; filename="Kyushu slides.pdf"']
    status, headers, body = fetch(response["Location"])
    assert (status, body) == (200, PDF)
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'attachment; filename="Kyushu slides.pdf"'
    # A public recording's file may sit in the viewer's own cache, as from local disk.
    assert headers["Cache-Control"] == "private, max-age=3600"


def test_video_link_outlives_the_talk_and_answers_the_players_ranges(client, settings, bucket):
    recording = file_recording(access=Recording.Access.SIGNED_IN)
    client.force_login(UserFactory())

    response = client.get(recording_file_url("video", recording))

    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["X-Amz-Expires"] == [
        str(settings.PRIVATE_VIDEO_LINK_SECONDS)
    ]
    status, headers, body = fetch(response["Location"], Range="bytes=4-11")
    assert (status, body) == (206, MP4[4:12])
    assert headers["Content-Type"] == "video/mp4"
    assert headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("route", ["video", "material", "transcript"])
def test_denied_viewer_gets_the_same_403_and_no_link(client, s3_endpoint, bucket, route):
    recording = file_recording(access=Recording.Access.REGISTRANTS)
    services.recording_transcript_attach(
        recording=recording, upload=ContentFile(VTT), cues=parse_vtt(VTT.decode())
    )

    response = client.get(recording_file_url(route, recording))

    assert response.status_code == 403
    assert response.templates[0].name == "webinars/recording_file_denied.html"
    assert response["Cache-Control"] == "private, no-store"
    assert "Location" not in response
    page = response.content.decode()
    assert "X-Amz" not in page
    assert s3_endpoint not in page
    assert bucket not in page


@pytest.mark.parametrize("route", ["video", "material"])
def test_unpublished_recordings_files_are_404_with_no_link(client, bucket, route):
    recording = file_recording(published_at=None)

    response = client.get(recording_file_url(route, recording))

    assert response.status_code == 404
    assert "Location" not in response


def test_transcript_is_streamed_by_the_view_for_the_players_track(client, bucket):
    recording = file_recording()
    services.recording_transcript_attach(
        recording=recording, upload=ContentFile(VTT), cues=parse_vtt(VTT.decode())
    )

    response = client.get(recording_file_url("transcript", recording))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == VTT
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_head_is_answered_by_the_view_without_a_link(client, bucket):
    recording = file_recording()

    response = client.head(recording_file_url("video", recording))

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(MP4))
    assert response["Accept-Ranges"] == "bytes"
    assert "Location" not in response


def test_accel_redirect_setting_does_not_apply_to_the_object_store(client, settings, bucket):
    settings.PRIVATE_MEDIA_ACCEL_REDIRECT = "/protected/"
    recording = file_recording()

    response = client.get(recording_file_url("material", recording))

    assert response.status_code == 302
    assert "X-Accel-Redirect" not in response


def test_links_are_signed_for_the_public_endpoint_when_browsers_reach_the_store_elsewhere(
    client, settings, monkeypatch, s3_endpoint, bucket
):
    public = s3_endpoint.replace("127.0.0.1", "localhost")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": private_storage_from_url(
            storage_url(bucket, s3_endpoint, public_endpoint_url=public)
        ),
    }
    storage = storages["private"]
    for field in private_file_fields():
        monkeypatch.setattr(field, "storage", storage)
    recording = file_recording()

    response = client.get(recording_file_url("material", recording))

    assert response.status_code == 302
    assert response["Location"].startswith(f"{public}/{bucket}/{PREFIX}/materials/")
    assert fetch(response["Location"])[0::2] == (200, PDF)


# --- Deleting ---------------------------------------------------------------------


def test_deleting_a_material_deletes_its_object_after_commit(
    organiser_client, s3_endpoint, bucket, django_capture_on_commit_callbacks
):
    recording = RecordingFactory(unpublished=True)
    material = RecordingMaterialFactory(recording=recording)
    assert keys(s3_endpoint, bucket) == [f"{PREFIX}/{material.file.name}"]

    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(
            reverse("admin:webinars_recording_change", args=[recording.pk]),
            recording_form_data(
                recording=recording,
                embed_url="https://youtu.be/dQw4w9WgXcQ",
                **material_delete_data(recording, material),
            ),
        )

    assert response.status_code == 302
    assert RecordingMaterial.objects.count() == 0
    assert keys(s3_endpoint, bucket) == []


def test_removing_the_transcript_deletes_its_object_after_commit(
    s3_endpoint, bucket, django_capture_on_commit_callbacks
):
    recording = RecordingFactory()
    services.recording_transcript_attach(
        recording=recording, upload=ContentFile(VTT), cues=parse_vtt(VTT.decode())
    )
    assert len(keys(s3_endpoint, bucket)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.recording_transcript_remove(recording=recording)

    assert keys(s3_endpoint, bucket) == []


# --- PRIVATE_STORAGE_URL ----------------------------------------------------------


def test_empty_url_keeps_the_files_on_local_disk():
    assert private_storage_from_url("") == {
        "BACKEND": "webinars.storage.PrivateFileStorage",
        "OPTIONS": {"base_url": "/private-files-are-not-served/"},
    }


def test_url_with_every_parameter():
    url = (
        "s3://kizuna-private/site/files?endpoint_url=http://minio:9000"
        "&public_endpoint_url=https://kizuna.example.org&region=eu-west-2"
        "&access_key=AKIA123&secret_key=s%2Fcr%2Bt"
    )

    assert private_storage_from_url(url) == {
        "BACKEND": "webinars.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": "kizuna-private",
            "location": "site/files",
            "signature_version": "s3v4",
            "endpoint_url": "http://minio:9000",
            "public_endpoint_url": "https://kizuna.example.org",
            "addressing_style": "path",
            "region_name": "eu-west-2",
            "access_key": "AKIA123",
            "secret_key": "s/cr+t",
        },
    }


def test_aws_url_needs_only_the_bucket():
    assert private_storage_from_url("s3://kizuna-private")["OPTIONS"] == {
        "bucket_name": "kizuna-private",
        "location": "",
        "signature_version": "s3v4",
        "addressing_style": None,
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://kizuna-private", "its scheme is https://"),
        ("kizuna-private", "its scheme is missing"),
        ("s3://", "'' is not a bucket name"),
        ("s3://Kizuna_Private", "'Kizuna_Private' is not a bucket name"),
        ("s3://kizuna-private:9000", "'kizuna-private:9000' is not a bucket name"),
        ("s3://key:hunter22@kizuna-private", "not before the bucket"),
        ("s3://kizuna-private/a/../b", "may not have empty, . or .. parts"),
        ("s3://kizuna-private?endpoint=http://minio:9000", "unknown parameter endpoint"),
        ("s3://kizuna-private?region=a&region=b", "region given more than once"),
        ("s3://kizuna-private?endpoint_url=minio:9000", "endpoint_url must be an http://"),
        ("s3://kizuna-private?endpoint_url=http://minio:x", "endpoint_url must be an http://"),
        ("s3://kizuna-private?endpoint_url=http://minio/api", "endpoint_url must be an http://"),
        ("s3://kizuna-private?public_endpoint_url=http://cdn", "needs endpoint_url"),
        ("s3://kizuna-private?addressing_style=dns", "path, virtual or auto, not 'dns'"),
        ("s3://kizuna-private?access_key=AKIA123", "access_key and secret_key together"),
        ("s3://kizuna-private?secret_key=hunter22", "access_key and secret_key together"),
    ],
)
def test_bad_url_is_refused_saying_what_is_wrong(url, message):
    with pytest.raises(ImproperlyConfigured, match="PRIVATE_STORAGE_URL") as refused:
        private_storage_from_url(url)

    assert message in str(refused.value)
    assert "hunter22" not in str(refused.value)


@pytest.mark.parametrize(
    "options",
    [
        {"querystring_auth": False},
        {"default_acl": "public-read"},
        {"file_overwrite": True},
        {"custom_domain": "cdn.example.org"},
        {"object_parameters": {"ACL": "public-read"}},
    ],
)
def test_the_storage_refuses_options_that_would_make_files_public(options):
    with pytest.raises(ImproperlyConfigured):
        PrivateS3Storage(bucket_name="kizuna-private", **options)
