import pytest
from django.core.exceptions import ValidationError

from webinars.embeds import VideoRef, embed_src, parse_video_url, watch_url

YOUTUBE_ID = "dQw4w9WgXcQ"
INVALID = (
    "Give the address of a YouTube or Vimeo video, e.g. https://www.youtube.com/watch?v=… "
    "or https://vimeo.com/123456789."
)


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v={YOUTUBE_ID}",
        f"https://www.youtube.com/watch?feature=share&v={YOUTUBE_ID}&t=42s",
        f"http://m.youtube.com/watch?v={YOUTUBE_ID}",
        f"youtube.com/watch?v={YOUTUBE_ID}",
        f"https://youtu.be/{YOUTUBE_ID}?si=tracking123",
        f"https://www.youtube.com/embed/{YOUTUBE_ID}?start=30",
        f"https://www.youtube.com/live/{YOUTUBE_ID}",
        f"https://www.youtube.com/shorts/{YOUTUBE_ID}",
        f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}",
        f"  https://youtube-nocookie.com/embed/{YOUTUBE_ID}  ",
    ],
)
def test_youtube_addresses(url):
    assert parse_video_url(url) == VideoRef(provider="youtube", video_id=YOUTUBE_ID)


@pytest.mark.parametrize(
    ("url", "video_id"),
    [
        ("https://vimeo.com/76979871", "76979871"),
        ("https://www.vimeo.com/76979871?share=copy", "76979871"),
        ("https://player.vimeo.com/video/76979871", "76979871"),
        ("https://player.vimeo.com/video/76979871?h=abc123def&dnt=1", "76979871:abc123def"),
        ("https://vimeo.com/channels/staffpicks/76979871", "76979871"),
        ("https://vimeo.com/groups/jlgc/videos/76979871", "76979871"),
        ("https://vimeo.com/76979871/abc123def", "76979871:abc123def"),
    ],
)
def test_vimeo_addresses(url, video_id):
    assert parse_video_url(url) == VideoRef(provider="vimeo", video_id=video_id)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://example.com/watch?v=dQw4w9WgXcQ",
        "https://dailymotion.com/video/x7tgad0",
        f"https://youtube.com.evil.example/watch?v={YOUTUBE_ID}",
        f"https://evil.example/youtube.com/watch?v={YOUTUBE_ID}",
        f"https://notyoutube.com/watch?v={YOUTUBE_ID}",
        "https://vimeo.com.evil.example/76979871",
        f"https://www.youtube.com@evil.example/watch?v={YOUTUBE_ID}",
        f"https://user:pass@www.youtube.com/watch?v={YOUTUBE_ID}",
        f"https://www.youtube.com:8443/watch?v={YOUTUBE_ID}",
        "javascript://www.youtube.com/%0aalert(1)",
        f"ftp://www.youtube.com/watch?v={YOUTUBE_ID}",
        f"https://www.youtube.com/watch?v={YOUTUBE_ID}&x=" + "a" * 500,
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ1",
        'https://www.youtube.com/watch?v=dQw4w9W"XcQ',
        "https://youtu.be/dQw4w9WgXcQ/extra",
        "https://www.youtube.com/playlist?list=PL123",
        "https://www.youtube.com/watch v=dQw4w9WgXcQ",
        "https://vimeo.com/abc",
        "https://vimeo.com/76979871/NOTAHASH",
        "https://vimeo.com/76979871/abc123def/extra",
        "https://player.vimeo.com/76979871",
        "https://vimeo.com/1234567890123",
    ],
)
def test_rejections(url):
    with pytest.raises(ValidationError) as caught:
        parse_video_url(url)

    assert caught.value.messages == [INVALID]
    assert caught.value.code == "invalid_embed_url"


@pytest.mark.parametrize(
    "url",
    [
        f"https://[youtube.com/watch?v={YOUTUBE_ID}",
        f"[www.youtube.com/watch?v={YOUTUBE_ID}",
        f"https://www.youtube.com]/watch?v={YOUTUBE_ID}",
        f"https://www.youtube.com\uff03@evil.example/watch?v={YOUTUBE_ID}",
        f"https://youtube.com\u2100/watch?v={YOUTUBE_ID}",
        f"https://[::1]/watch?v={YOUTUBE_ID}",
    ],
    ids=[
        "unclosed-bracket",
        "bracket-no-scheme",
        "closing-bracket",
        "nfkc-hash",
        "nfkc-ac",
        "ipv6",
    ],
)
def test_addresses_urlsplit_refuses_are_rejected_not_a_crash(url):
    with pytest.raises(ValidationError) as caught:
        parse_video_url(url)

    assert caught.value.messages == [INVALID]


def test_javascript_url_with_a_colon_is_rejected_not_a_crash():
    with pytest.raises(ValidationError) as caught:
        parse_video_url(f"javascript:alert(1)//youtube.com/watch?v={YOUTUBE_ID}")

    assert caught.value.messages == [INVALID]


@pytest.mark.parametrize(
    ("provider", "video_id", "start", "src"),
    [
        (
            "youtube",
            YOUTUBE_ID,
            0,
            f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}?rel=0&enablejsapi=1",
        ),
        (
            "youtube",
            YOUTUBE_ID,
            750,
            f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}?rel=0&enablejsapi=1&start=750&autoplay=1",
        ),
        (
            "youtube",
            YOUTUBE_ID,
            -5,
            f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}?rel=0&enablejsapi=1",
        ),
        ("vimeo", "76979871", 0, "https://player.vimeo.com/video/76979871?dnt=1"),
        (
            "vimeo",
            "76979871:abc123def",
            90,
            "https://player.vimeo.com/video/76979871?dnt=1&h=abc123def&autoplay=1#t=90s",
        ),
    ],
)
def test_embed_src(provider, video_id, start, src):
    assert embed_src(provider=provider, video_id=video_id, start_seconds=start) == src


@pytest.mark.parametrize(
    ("provider", "video_id"),
    [
        ("youtube", "bad id"),
        ("youtube", "x" * 12),
        ("vimeo", "abc"),
        ("vimeo", "123:NOT-HEX"),
        ("dailymotion", "x7tgad0"),
    ],
)
def test_embed_src_refuses_what_parse_would_never_produce(provider, video_id):
    with pytest.raises(ValueError):
        embed_src(provider=provider, video_id=video_id)


def test_watch_url_round_trips():
    for url in (f"https://www.youtube.com/watch?v={YOUTUBE_ID}", "https://vimeo.com/1/abc123"):
        reference = parse_video_url(url)
        assert watch_url(provider=reference.provider, video_id=reference.video_id) == url
