"""Checks on the files organisers upload for recordings: size, name and real content.

A file is judged by its first bytes, never by its name or the browser's claimed type:
a ".mp4" that is really an HTML page would otherwise be served from our own domain.
Forms call :func:`validate_upload` in ``clean``, so nothing is stored when it fails.
"""

import codecs
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

# Enough for every signature below; ZIP parts are read from the archive's directory.
SNIFF_BYTES = 8192
MAX_NAME_LENGTH = 120
# What we serve each accepted extension as, and the content its file must have.
_EXTENSIONS: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    "video": {
        "mp4": ("video/mp4", frozenset({"isobmff"})),
        "m4v": ("video/mp4", frozenset({"isobmff"})),
        "mov": ("video/quicktime", frozenset({"isobmff", "quicktime"})),
        "webm": ("video/webm", frozenset({"webm"})),
        "mp3": ("audio/mpeg", frozenset({"mp3"})),
        "m4a": ("audio/mp4", frozenset({"isobmff"})),
    },
    "material": {
        "pdf": ("application/pdf", frozenset({"pdf"})),
        "pptx": (
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            frozenset({"pptx"}),
        ),
        "docx": (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            frozenset({"docx"}),
        ),
        "xlsx": (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            frozenset({"xlsx"}),
        ),
        "ppt": ("application/vnd.ms-powerpoint", frozenset({"cfb"})),
        "doc": ("application/msword", frozenset({"cfb"})),
        "xls": ("application/vnd.ms-excel", frozenset({"cfb"})),
        "png": ("image/png", frozenset({"png"})),
        "jpg": ("image/jpeg", frozenset({"jpeg"})),
        "jpeg": ("image/jpeg", frozenset({"jpeg"})),
    },
    "transcript": {"vtt": ("text/vtt", frozenset({"vtt"}))},
}
_SIZE_SETTINGS = {
    "video": "RECORDING_VIDEO_MAX_MB",
    "material": "RECORDING_MATERIAL_MAX_MB",
    "transcript": "RECORDING_TRANSCRIPT_MAX_MB",
}
_KIND_WORDS = {
    "video": gettext_lazy("a video"),
    "material": gettext_lazy("a material"),
    "transcript": gettext_lazy("a transcript"),
}
# What a file really is, in words for the message when its name says otherwise.
_FORMAT_WORDS = {
    "isobmff": gettext_lazy("an MP4 or QuickTime video"),
    "quicktime": gettext_lazy("a QuickTime video"),
    "webm": gettext_lazy("a WebM video"),
    "matroska": gettext_lazy("a Matroska (MKV) video"),
    "mp3": gettext_lazy("an MP3 audio file"),
    "pdf": gettext_lazy("a PDF document"),
    "pptx": gettext_lazy("a PowerPoint presentation (.pptx)"),
    "docx": gettext_lazy("a Word document (.docx)"),
    "xlsx": gettext_lazy("an Excel workbook (.xlsx)"),
    "zip": gettext_lazy("a ZIP archive"),
    "cfb": gettext_lazy("an older Office document (.doc, .xls or .ppt)"),
    "png": gettext_lazy("a PNG image"),
    "jpeg": gettext_lazy("a JPEG image"),
    "gif": gettext_lazy("a GIF image"),
    "vtt": gettext_lazy("a WebVTT transcript"),
    "html": gettext_lazy("an HTML page"),
    "svg": gettext_lazy("an SVG image"),
    "xml": gettext_lazy("an XML document"),
}
# OOXML packages name their main part's folder; the first match decides.
_OOXML_FOLDERS = (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx"))
# Classic QuickTime files may start with these atoms instead of "ftyp".
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
# Box and atom types, and brands, are four ASCII letters, digits or spaces ("qt  ", "M4A ").
_FOURCC = re.compile(rb"[A-Za-z0-9 ]{4}")
# An "ftyp" box holds a few brands; a bigger one is not the start of a video.
MAX_FTYP_SIZE = 4096
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<svg")
# Markup anywhere near the start refuses a file whatever its magic bytes say: a browser
# that sniffs could still render it as a page (defence in depth behind nosniff).
MARKUP_BYTES = 1024
_MARKUP = ((b"<html", "html"), (b"<!doctype", "html"), (b"<script", "html"), (b"<svg", "svg"))
_XML_DECLARATION = b"<?xml"
# Quotes, path and list separators and shell wildcards: never in a name we put in a header.
_NAME_UNSAFE = re.compile(r"[\"'`/\\:;,*?<>|]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class UploadInfo:
    """What we keep about an accepted upload besides its bytes."""

    name: str  # sanitised original name, safe for headers and pages
    content_type: str  # what we will serve it as (from the checked content)
    size: int  # bytes
    extension: str  # lower case, without the dot


def accepted_extensions(kind: str) -> list[str]:
    """The extensions accepted for ``kind``, for help texts and ``accept=`` attributes."""
    return [f".{extension}" for extension in _EXTENSIONS[kind]]


def sanitise_file_name(raw: str, *, fallback: str) -> str:
    """A file name fit for a header and a page: no path, control characters or quotes.

    ``fallback`` (without extension) is used when nothing readable is left.
    """
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if char.isspace() else char
        for char in name
        if char.isspace() or not unicodedata.category(char).startswith("C")
    )
    name = _SPACES.sub(" ", _NAME_UNSAFE.sub("_", name)).strip()
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = "".join(char for char in extension if char.isascii() and char.isalnum())
    extension = extension[:10].lower()
    suffix = f".{extension}" if extension else ""
    stem = stem.strip(" ._-")[: MAX_NAME_LENGTH - len(suffix)].rstrip(" ._-")
    return f"{stem or fallback}{suffix}"


def _extension(name: str) -> str:
    base = re.split(r"[/\\]", name or "")[-1]
    stem, dot, extension = base.rpartition(".")
    return extension.lower() if dot and stem.strip(" .") else ""


def _box(head: bytes) -> tuple[bytes, int, int] | None:
    """Type, size and header length of the first ISO BMFF box / QuickTime atom, or None.

    The size is big-endian; 1 means a 64-bit size follows, 0 that the box runs to the end.
    """
    if len(head) < 8 or not _FOURCC.fullmatch(head[4:8]):
        return None
    size, header = int.from_bytes(head[:4], "big"), 8
    if size == 1:
        if len(head) < 16:
            return None
        size, header = int.from_bytes(head[8:16], "big"), 16
    return head[4:8], size, header


def _isobmff(head: bytes) -> bool:
    """An MP4-family file: a small "ftyp" box whose major brand is a four-character code."""
    box = _box(head)
    if box is None or box[0] != b"ftyp":
        return False
    _kind, size, header = box
    brand = head[header : header + 4]
    return header + 8 <= size <= MAX_FTYP_SIZE and _FOURCC.fullmatch(brand) is not None


def _quicktime(head: bytes, file_size: int) -> bool:
    """A classic QuickTime file: a known first atom that fits in the file.

    When the next atom starts within ``head``, its type must be a four-character code too.
    """
    box = _box(head)
    if box is None or box[0] not in _QUICKTIME_ATOMS:
        return False
    kind, size, header = box
    if size == 0:
        return kind == b"mdat"  # only the media data runs to the end of the file
    if not header <= size <= file_size:
        return False
    following = head[size + 4 : size + 8]
    return len(following) < 4 or _FOURCC.fullmatch(following) is not None


def _id3(head: bytes) -> bool:
    """An ID3v2 tag (MP3): version 2 to 4, no undefined flags and a syncsafe size."""
    return (
        len(head) >= 10
        and head.startswith(b"ID3")
        and head[3] in (2, 3, 4)
        and head[4] != 0xFF
        and head[5] & 0x0F == 0
        and all(byte < 0x80 for byte in head[6:10])
    )


def _markup(head: bytes) -> str | None:
    """Which markup ("html", "svg" or "xml") the first kilobyte holds, or None."""
    start = head[:MARKUP_BYTES].lower()
    for tag, found in _MARKUP:
        if tag in start:
            return found
    # OOXML packages are XML inside a ZIP; a part stored uncompressed shows its declaration.
    if _XML_DECLARATION in start and not head.startswith(b"PK\x03\x04"):
        return "xml"
    return None


def _mp3_frame(head: bytes) -> bool:
    """An MPEG audio layer III frame header (for MP3 files without an ID3 tag)."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0x3, (head[1] >> 1) & 0x3
    bitrate, sample_rate = head[2] >> 4, (head[2] >> 2) & 0x3
    return version != 1 and layer == 1 and bitrate not in (0, 0xF) and sample_rate != 3


def _utf8_prefix(head: bytes) -> str | None:
    """``head`` as text when it is valid UTF-8 (a character cut at the end is fine)."""
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None


def _zip_format(upload: IO[bytes]) -> str:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "unknown"
    if "[Content_Types].xml" in names:
        for folder, found in _OOXML_FOLDERS:
            if any(name.startswith(folder) for name in names):
                return found
    return "zip"


def sniff(head: bytes, upload: IO[bytes], *, size: int) -> str:
    """The format of a file of ``size`` bytes from its first bytes (ZIPs: their parts).

    "unknown" when it is none we know; markup near the start wins over any magic bytes.
    """
    markup = _markup(head)
    if markup is not None:
        return markup
    if _isobmff(head):
        return "isobmff"
    if _quicktime(head, size):
        return "quicktime"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # The EBML header names its DocType near the start: "webm" or "matroska".
        return "webm" if b"webm" in head[:64] else "matroska"
    if _id3(head) or _mp3_frame(head):
        return "mp3"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(upload)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "cfb"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    text = _utf8_prefix(head)
    if text is not None:
        text = text.removeprefix("\ufeff")
        if text.startswith("WEBVTT") and text[6:7] in ("", " ", "\t", "\n", "\r"):
            return "vtt"
        if text.lstrip().lower().encode().startswith(_HTML_STARTS):
            return "html"
    return "unknown"


def _size(upload: IO[bytes]) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    return int(size)


def validate_upload(upload: IO[bytes], *, kind: str) -> UploadInfo:
    """Accept ``upload`` as a ``kind`` file ("video", "material", "transcript") or say why not.

    Raises ``ValidationError`` naming the file; the file is rewound either way.
    """
    accepted = _EXTENSIONS[kind]
    raw_name = getattr(upload, "name", "") or ""
    extension = _extension(raw_name)
    name = sanitise_file_name(raw_name, fallback=kind)
    if extension not in accepted:
        raise ValidationError(
            _("“%(name)s” cannot be uploaded as %(what)s: accepted files are %(extensions)s.")
            % {
                "name": name,
                "what": _KIND_WORDS[kind],
                "extensions": ", ".join(accepted_extensions(kind)),
            },
            code="extension",
        )
    size = _size(upload)
    if size == 0:
        raise ValidationError(
            _("“%(name)s” is empty (0 bytes). Choose the file again.") % {"name": name},
            code="empty",
        )
    limit = getattr(settings, _SIZE_SETTINGS[kind]) * 1024 * 1024
    if size > limit:
        size_text, limit_text = filesizeformat(size), filesizeformat(limit)
        if size_text == limit_text:  # "1.0 MB; … at most 1.0 MB" would read as a contradiction
            size_text = ngettext("%(count)s byte", "%(count)s bytes", size) % {"count": f"{size:,}"}
        raise ValidationError(
            _("“%(name)s” is %(size)s; %(what)s can be at most %(limit)s.")
            % {"name": name, "size": size_text, "what": _KIND_WORDS[kind], "limit": limit_text},
            code="too_large",
        )
    content_type, formats = accepted[extension]
    try:
        upload.seek(0)
        head = upload.read(SNIFF_BYTES)
        found = sniff(head, upload, size=size)
    finally:
        upload.seek(0)
    if found not in formats:
        if found in _FORMAT_WORDS:
            message = _("“%(name)s” is not a real .%(extension)s file: its content is %(found)s.")
        else:
            message = _(
                "“%(name)s” is not a real .%(extension)s file: its content is not in that format."
            )
        raise ValidationError(
            message % {"name": name, "extension": extension, "found": _FORMAT_WORDS.get(found)},
            code="content",
        )
    return UploadInfo(name=name, content_type=content_type, size=size, extension=extension)
