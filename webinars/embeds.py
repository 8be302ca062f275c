"""Video embeds: turn a pasted YouTube or Vimeo address into its canonical id, and back.

Only the id is stored; pages build the player address themselves, on YouTube's
privacy-enhanced domain and with Vimeo's do-not-track flag, so a pasted link can
never carry tracking parameters or another host into the page.
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_URL_LENGTH = 500
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_ID = re.compile(r"[0-9]{1,12}")
_VIMEO_HASH = re.compile(r"[0-9a-f]{6,20}")
_YOUTUBE_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}
_VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}


@dataclass(frozen=True)
class VideoRef:
    provider: str  # Recording.VideoProvider value: "youtube" or "vimeo"
    video_id: str  # YouTube: the 11-character id; Vimeo: "123456" or "123456:abcdef" (unlisted)


def _invalid() -> ValidationError:
    return ValidationError(
        _(
            "Give the address of a YouTube or Vimeo video, e.g. https://www.youtube.com/watch?v=… "
            "or https://vimeo.com/123456789."
        ),
        code="invalid_embed_url",
    )


def parse_video_url(url: str) -> VideoRef:
    """The canonical reference behind a YouTube or Vimeo address; ValidationError otherwise."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise _invalid()
    try:
        # urlsplit refuses an unclosed "[" (IPv6) and hosts that change under NFKC;
        # .port refuses "javascript:alert(1)//…" (host "javascript", port "alert(1)").
        parts = urlsplit(url if "://" in url else f"https://{url}")
        port = parts.port
        host = (parts.hostname or "").lower()
    except ValueError:
        raise _invalid() from None
    if parts.scheme not in ("http", "https") or parts.username or parts.password or port:
        raise _invalid()
    segments = [segment for segment in parts.path.split("/") if segment]
    if host in _YOUTUBE_HOSTS or host == "youtu.be":
        candidate = ""
        if host == "youtu.be" and len(segments) == 1:
            candidate = segments[0]
        elif segments == ["watch"]:
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(segments) == 2 and segments[0] in ("embed", "live", "shorts", "v"):
            candidate = segments[1]
        if _YOUTUBE_ID.fullmatch(candidate):
            return VideoRef(provider="youtube", video_id=candidate)
        raise _invalid()
    if host in _VIMEO_HOSTS:
        if host == "player.vimeo.com":
            segments = segments[1:] if segments[:1] == ["video"] else []
        elif segments[:1] == ["channels"] and len(segments) >= 3:
            segments = segments[2:]
        elif segments[:1] == ["groups"] and len(segments) >= 4 and segments[2] == "videos":
            segments = segments[3:]
        if not segments or not _VIMEO_ID.fullmatch(segments[0]):
            raise _invalid()
        video_id = segments[0]
        unlisted_hash = segments[1] if len(segments) == 2 else ""
        unlisted_hash = unlisted_hash or (parse_qs(parts.query).get("h") or [""])[0]
        if unlisted_hash:
            if not _VIMEO_HASH.fullmatch(unlisted_hash):
                raise _invalid()
            video_id = f"{video_id}:{unlisted_hash}"
        elif len(segments) > 1:
            raise _invalid()
        return VideoRef(provider="vimeo", video_id=video_id)
    raise _invalid()


def embed_src(*, provider: str, video_id: str, start_seconds: int = 0) -> str:
    """The player address for an iframe: privacy-enhanced, optionally from a given second."""
    start = max(int(start_seconds), 0)
    if provider == "youtube":
        if not _YOUTUBE_ID.fullmatch(video_id):
            raise ValueError(f"Not a YouTube video id: {video_id!r}")
        # enablejsapi: the watch page listens for the player's time (postMessage only, no
        # script of YouTube's) to record how much a registrant watched.
        query = "rel=0&enablejsapi=1" + (f"&start={start}&autoplay=1" if start else "")
        return f"https://www.youtube-nocookie.com/embed/{video_id}?{query}"
    if provider == "vimeo":
        number, _sep, unlisted_hash = video_id.partition(":")
        if not _VIMEO_ID.fullmatch(number) or (
            unlisted_hash and not _VIMEO_HASH.fullmatch(unlisted_hash)
        ):
            raise ValueError(f"Not a Vimeo video id: {video_id!r}")
        query = "dnt=1" + (f"&h={unlisted_hash}" if unlisted_hash else "")
        query += "&autoplay=1" if start else ""
        return f"https://player.vimeo.com/video/{number}?{query}" + (
            f"#t={start}s" if start else ""
        )
    raise ValueError(f"Unknown video provider: {provider!r}")


def watch_url(*, provider: str, video_id: str) -> str:
    """The address of the video on its own site (for the admin's "open on YouTube" link)."""
    if provider == "youtube":
        return f"https://www.youtube.com/watch?v={video_id}"
    number, _sep, unlisted_hash = video_id.partition(":")
    return f"https://vimeo.com/{number}" + (f"/{unlisted_hash}" if unlisted_hash else "")
