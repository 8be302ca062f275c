"""Access-checked downloads of a recording's files: the uploaded video, materials, transcript.

Every file is asked about through ``webinars.recording_access`` (the rule of the watch
page), served as an attachment with ``nosniff`` so that no upload can run as a page of
ours, and streamed (or handed to the web server with ``X-Accel-Redirect``), never read
into memory. From an object store (``PRIVATE_STORAGE_URL``), a GET that passed the check
is redirected to a short-lived signed link with the same headers instead.
"""

import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from webinars.models import Recording, RecordingMaterial
from webinars.recording_access import access_denial, viewer_for
from webinars.selectors.recordings import recording_for_page
from webinars.storage import PrivateS3Storage

# Public recordings may sit in the browser's cache for a while; the rest never do.
PUBLIC_MAX_AGE = 3600
CHUNK_SIZE = 64 * 1024
TRANSCRIPT_CONTENT_TYPE = "text/vtt; charset=utf-8"
# 18 digits reach an exabyte; longer numbers are not a range of any file we hold, and
# int() of thousands of digits is slow and then refused (a 500 instead of the file).
_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$", re.ASCII)


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9 ._()+-]", "_", text).strip(" ._")


def _content_disposition(name: str) -> str:
    """``attachment`` named ``name`` (RFC 6266), with an ASCII fallback when Django gives none.

    Django quotes a printable ASCII name and writes any other as ``filename*`` only, which
    some clients ignore; for those we add a ``filename`` they can read.
    """
    header = content_disposition_header(as_attachment=True, filename=name)
    if header is None or "filename*=" not in header:
        return header or "attachment"
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    ascii_extension = _ascii(extension)
    ascii_name = (_ascii(stem) or "download") + (f".{ascii_extension}" if ascii_extension else "")
    disposition, _separator, expression = header.partition("; ")
    return f'{disposition}; filename="{ascii_name}"; {expression}'


def _recording_or_denial(request: HttpRequest, slug: str) -> tuple[Recording, HttpResponse | None]:
    """The recording behind ``slug`` for this viewer: 404 when hidden, a 403 page when denied."""
    recording = recording_for_page(slug)
    if recording is None:
        raise Http404
    viewer = viewer_for(request)
    if not recording.is_published and not viewer.is_organiser:
        raise Http404
    denial = access_denial(recording, viewer)
    if denial is None:
        return recording, None
    page = render(
        request,
        "webinars/recording_file_denied.html",
        {"recording": recording, "reason": denial},
        status=403,
    )
    page["Cache-Control"] = "private, no-store"
    return recording, page


class _RangeNotSatisfiable(Exception):
    pass


def _requested_range(request: HttpRequest, size: int) -> tuple[int, int] | None:
    """The one byte range asked for, as (first, last), or None: send it all.

    Several ranges, malformed ones and conditional ones (``If-Range``, we keep no
    validators) are answered with the whole file, as RFC 9110 allows.
    """
    header = request.headers.get("Range", "")
    if not header or "If-Range" in request.headers:
        return None
    match = _RANGE.match(header.strip())
    if match is None or not (match[1] or match[2]):
        return None
    if match[1]:
        first = int(match[1])
        last = min(int(match[2]), size - 1) if match[2] else size - 1
        if match[2] and int(match[2]) < first:
            return None  # syntactically invalid: ignore it
        if first >= size:
            raise _RangeNotSatisfiable
        return first, last
    suffix = int(match[2])
    if suffix == 0 or size == 0:
        raise _RangeNotSatisfiable
    return max(size - suffix, 0), size - 1


def _chunks(field_file: FieldFile, first: int, length: int) -> Iterator[bytes]:
    handle = field_file.storage.open(field_file.name, "rb")
    try:
        handle.seek(first)
        while length > 0:
            chunk = handle.read(min(CHUNK_SIZE, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _streamed(
    request: HttpRequest, field_file: FieldFile, *, content_type: str, ranges: bool
) -> HttpResponse:
    """The file's bytes from storage: all of them, one requested range, or none (HEAD)."""
    storage, stored_name = field_file.storage, field_file.name
    try:
        size = storage.size(stored_name)
    except FileNotFoundError:
        raise Http404 from None
    try:
        wanted = _requested_range(request, size) if ranges else None
    except _RangeNotSatisfiable:
        response = HttpResponse(b"", status=416, content_type=content_type)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if request.method == "HEAD":
        response = HttpResponse(b"", content_type=content_type)
        response["Content-Length"] = str(size)
    elif wanted is None:
        response = FileResponse(storage.open(stored_name, "rb"), content_type=content_type)
    else:
        first, last = wanted
        response = StreamingHttpResponse(
            _chunks(field_file, first, last - first + 1), status=206, content_type=content_type
        )
        response["Content-Length"] = str(last - first + 1)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    return response


def _accel_path(prefix: str, name: str) -> str:
    """nginx's internal address of a stored file: prefix and name joined by exactly one "/"."""
    return f"{prefix.rstrip('/')}/{quote(name.lstrip('/'), safe='/')}"


def _file_response(
    request: HttpRequest,
    field_file: FieldFile,
    *,
    name: str,
    content_type: str,
    public: bool,
    ranges: bool = False,
    link_seconds: int | None = None,
) -> HttpResponse:
    """Serve ``field_file`` as an attachment called ``name`` (streamed, or sent by nginx).

    Called only once access is granted. From an object store a GET with ``link_seconds``
    is redirected to a signed link valid that long; HEAD (a signed GET link cannot answer
    it) and files without ``link_seconds`` are streamed through here.
    """
    cache_control = f"private, max-age={PUBLIC_MAX_AGE}" if public else "private, no-store"
    storage = field_file.storage
    in_object_store = isinstance(storage, PrivateS3Storage)
    if in_object_store and link_seconds and request.method == "GET":
        url = storage.signed_download_url(
            field_file.name,
            seconds=link_seconds,
            content_type=content_type,
            content_disposition=_content_disposition(name),
            cache_control=cache_control,
        )
        redirect = HttpResponseRedirect(url)
        # The link expires: neither the browser nor a proxy may keep this answer.
        redirect["Cache-Control"] = "private, no-store"
        return redirect
    accel_prefix = settings.PRIVATE_MEDIA_ACCEL_REDIRECT
    if accel_prefix and not in_object_store:
        # nginx sends the bytes (and answers ranges) from its internal location.
        response = HttpResponse(b"", content_type=content_type)
        response["X-Accel-Redirect"] = _accel_path(accel_prefix, field_file.name)
    else:
        response = _streamed(request, field_file, content_type=content_type, ranges=ranges)
        if ranges:
            response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = _content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache_control
    return response


def _is_public(recording: Recording) -> bool:
    return recording.is_published and recording.access == Recording.Access.PUBLIC


@require_safe
def recording_video(request: HttpRequest, slug: str) -> HttpResponse:
    """The uploaded video (the watch page's ``<video>``), with byte ranges for seeking."""
    recording, denied = _recording_or_denial(request, slug)
    if denied is not None:
        return denied
    if recording.video_provider != Recording.VideoProvider.FILE or not recording.video_file:
        raise Http404
    extension = recording.video_file.name.rpartition(".")[2]
    return _file_response(
        request,
        recording.video_file,
        name=recording.video_file_name or f"{recording.slug}.{extension}",
        content_type=recording.video_content_type or "application/octet-stream",
        public=_is_public(recording),
        ranges=True,
        # The player seeks with the link it was redirected to: it must outlive the talk.
        link_seconds=settings.PRIVATE_VIDEO_LINK_SECONDS,
    )


@require_safe
def recording_material(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One material (slides, handouts) of the recording."""
    recording, denied = _recording_or_denial(request, slug)
    if denied is not None:
        return denied
    material = get_object_or_404(RecordingMaterial, recording=recording, pk=pk)
    if not material.file:
        raise Http404
    return _file_response(
        request,
        material.file,
        name=material.original_name or material.file.name.rpartition("/")[2],
        content_type=material.content_type or "application/octet-stream",
        public=_is_public(recording),
        link_seconds=settings.PRIVATE_DOWNLOAD_LINK_SECONDS,
    )


@require_safe
def recording_transcript(request: HttpRequest, slug: str) -> HttpResponse:
    """The WebVTT transcript as uploaded (also the ``<track>`` of an uploaded video).

    Always streamed by this view, from an object store too: a ``<track>`` follows no
    redirect to another origin, and a transcript is small.
    """
    recording, denied = _recording_or_denial(request, slug)
    if denied is not None:
        return denied
    if not recording.transcript_file:
        raise Http404
    return _file_response(
        request,
        recording.transcript_file,
        name=f"{recording.slug}.vtt",
        content_type=TRANSCRIPT_CONTENT_TYPE,
        public=_is_public(recording),
    )
