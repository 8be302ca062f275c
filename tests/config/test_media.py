import pytest


@pytest.fixture
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "seminars").mkdir(parents=True)
    (settings.MEDIA_ROOT / "private").mkdir()
    (settings.MEDIA_ROOT / "seminars" / "beppu.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (settings.MEDIA_ROOT / "private" / "slides.pdf").write_bytes(b"%PDF-1.7")
    return settings.MEDIA_ROOT


def test_cover_images_are_served_without_debug(client, settings, uploads):
    settings.DEBUG = False

    response = client.get("/media/seminars/beppu.png")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x89PNG\r\n\x1a\nfake"
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "max-age=86400" in response["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "/media/private/slides.pdf",
        "/media/seminars/../private/slides.pdf",
        "/media/seminars/none.png",
    ],
)
def test_other_uploads_and_escapes_are_not_found(client, uploads, path):
    assert client.get(path).status_code == 404


def test_uploads_cannot_be_posted_to(client, uploads):
    assert client.post("/media/seminars/beppu.png").status_code == 405
