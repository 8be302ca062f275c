import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import SeminarFactory
from tests.utils import MP4, PDF, VTT, management_data, recording_form_data, stored_files
from webinars.models import Recording, RecordingMaterial
from webinars.uploads import UploadInfo, sanitise_file_name, validate_upload

ADD = reverse("admin:webinars_recording_add")
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 32
M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom" + b"\x00" * 32
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02" + b"\x00" * 32
)
MKV = WEBM.replace(b"\x84webm", b"\x88matroska")
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 32
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 32
CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
HTML = b"\n  <!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
# An "ftyp" box with its 64-bit size form (size 1, then 24 as eight bytes).
MP4_LARGESIZE = (
    b"\x00\x00\x00\x01ftyp" + (24).to_bytes(8, "big") + b"isom\x00\x00\x02\x00" + bytes(32)
)
# Classic QuickTime: a "wide" placeholder atom, then the media data.
MOV_WIDE = b"\x00\x00\x00\x08wide\x00\x00\x00\x28mdat" + bytes(32)
MOV_MOOV = b"\x00\x00\x00\x10moov" + bytes(8) + b"\x00\x00\x00\x10free" + bytes(8)
MOV_MDAT_TO_END = b"\x00\x00\x00\x00mdat" + bytes(32)


def zip_of(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


PPTX = zip_of("[Content_Types].xml", "_rels/.rels", "ppt/presentation.xml")
DOCX = zip_of("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX = zip_of("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")
PLAIN_ZIP = zip_of("notes.txt", "photo.jpg")


def stored_xml_docx() -> bytes:
    """A .docx whose parts are stored uncompressed: "<?xml" shows in its first bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


STORED_XML_DOCX = stored_xml_docx()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def refusal(kind: str, name: str, data: bytes) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload(name, data), kind=kind)
    return caught.value.messages


# --- Accepted ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "data", "content_type"),
    [
        ("video", "talk.mp4", MP4, "video/mp4"),
        ("video", "talk.M4V", MP4, "video/mp4"),
        ("video", "talk.mov", MOV, "video/quicktime"),
        ("video", "talk.mp4", MP4_LARGESIZE, "video/mp4"),
        ("video", "talk.mov", MOV_WIDE, "video/quicktime"),
        ("video", "talk.mov", MOV_MOOV, "video/quicktime"),
        ("video", "talk.mov", MOV_MDAT_TO_END, "video/quicktime"),
        ("video", "talk.mp3", b"ID3\x03\x00\xe0\x00\x00\x07\x76" + bytes(32), "audio/mpeg"),
        ("video", "talk.mp3", b"ID3\x02\x00\x00\x00\x00\x00\x00" + bytes(32), "audio/mpeg"),
        ("material", "slides.pdf", PDF + b" " * 1100 + b"<script>", "application/pdf"),
        (
            "material",
            "notes.docx",
            STORED_XML_DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("video", "talk.m4a", M4A, "audio/mp4"),
        ("video", "talk.webm", WEBM, "video/webm"),
        ("video", "talk.mp3", MP3_ID3, "audio/mpeg"),
        ("video", "talk.mp3", MP3_FRAME, "audio/mpeg"),
        ("material", "slides.pdf", PDF, "application/pdf"),
        (
            "material",
            "slides.pptx",
            PPTX,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (
            "material",
            "notes.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "material",
            "figures.xlsx",
            XLSX,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("material", "slides.ppt", CFB, "application/vnd.ms-powerpoint"),
        ("material", "notes.doc", CFB, "application/msword"),
        ("material", "figures.xls", CFB, "application/vnd.ms-excel"),
        ("material", "map.png", PNG, "image/png"),
        ("material", "photo.jpg", JPEG, "image/jpeg"),
        ("material", "photo.JPEG", JPEG, "image/jpeg"),
        ("transcript", "transcript.vtt", VTT, "text/vtt"),
        ("transcript", "transcript.vtt", b"\xef\xbb\xbfWEBVTT - Kyushu\n\n", "text/vtt"),
    ],
)
def test_good_uploads_are_accepted_with_their_real_type(kind, name, data, content_type):
    file = upload(name, data)

    info = validate_upload(file, kind=kind)

    assert info == UploadInfo(
        name=name.rpartition(".")[0] + "." + name.rpartition(".")[2].lower(),
        content_type=content_type,
        size=len(data),
        extension=name.rpartition(".")[2].lower(),
    )
    assert file.tell() == 0  # rewound for storing


def test_the_name_is_sanitised():
    info = validate_upload(
        upload('..\\..\\C:\\evil/"Kyushu"\x00 slides;\r\n.pdf', PDF), kind="material"
    )

    assert info.name == "Kyushu_ slides.pdf"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        (".pdf", "material.pdf"),
        ("\x00\x1f", "material"),
        ("会議 資料.PPTX", "会議 資料.pptx"),
        ("x\r\nSet-Cookie: a=b.pdf", "x Set-Cookie_ a=b.pdf"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
        ("  ..hidden..pdf", "hidden.pdf"),
    ],
)
def test_sanitise_file_name(raw, expected):
    assert sanitise_file_name(raw, fallback="material") == expected


# --- Refused ----------------------------------------------------------------------


def test_oversized_file_says_its_size_and_the_limit(settings):
    settings.RECORDING_MATERIAL_MAX_MB = 1

    assert refusal("material", "big.pdf", PDF + b"\x00" * (3 * 1024 * 1024)) == [
        "“big.pdf” is 3.0\xa0MB; a material can be at most 1.0\xa0MB."
    ]


def test_a_file_just_over_the_limit_is_told_in_bytes(settings):
    settings.RECORDING_VIDEO_MAX_MB = 1

    assert refusal("video", "talk.mp4", MP4 + b"\x00" * (1024 * 1024 - len(MP4) + 1)) == [
        "“talk.mp4” is 1,048,577 bytes; a video can be at most 1.0\xa0MB."
    ]


@pytest.mark.parametrize(
    ("kind", "name", "message"),
    [
        (
            "material",
            "notes.txt",
            "“notes.txt” cannot be uploaded as a material: accepted files are .pdf, .pptx, "
            ".docx, .xlsx, .ppt, .doc, .xls, .png, .jpg, .jpeg.",
        ),
        (
            "video",
            "talk",
            "“talk” cannot be uploaded as a video: accepted files are .mp4, .m4v, .mov, "
            ".webm, .mp3, .m4a.",
        ),
        (
            "transcript",
            "transcript.srt",
            "“transcript.srt” cannot be uploaded as a transcript: accepted files are .vtt.",
        ),
    ],
)
def test_wrong_extension_is_refused(kind, name, message):
    assert refusal(kind, name, PDF) == [message]


@pytest.mark.parametrize(
    ("kind", "name", "data", "message"),
    [
        (
            "video",
            "talk.mp4",
            HTML,
            "“talk.mp4” is not a real .mp4 file: its content is an HTML page.",
        ),
        (
            "video",
            "talk.webm",
            MKV,
            "“talk.webm” is not a real .webm file: its content is a Matroska (MKV) video.",
        ),
        (
            "video",
            "talk.mp3",
            MP4,
            "“talk.mp3” is not a real .mp3 file: its content is an MP4 or QuickTime video.",
        ),
        (
            "material",
            "slides.pptx",
            PDF,
            "“slides.pptx” is not a real .pptx file: its content is a PDF document.",
        ),
        (
            "material",
            "notes.docx",
            PLAIN_ZIP,
            "“notes.docx” is not a real .docx file: its content is a ZIP archive.",
        ),
        (
            "material",
            "slides.pptx",
            DOCX,
            "“slides.pptx” is not a real .pptx file: its content is a Word document (.docx).",
        ),
        (
            "material",
            "slides.pdf",
            b"just some text",
            "“slides.pdf” is not a real .pdf file: its content is not in that format.",
        ),
        (
            "material",
            "photo.png",
            JPEG,
            "“photo.png” is not a real .png file: its content is a JPEG image.",
        ),
        (
            "transcript",
            "transcript.vtt",
            "WEBVTT\n\n".encode("utf-16"),
            "“transcript.vtt” is not a real .vtt file: its content is not in that format.",
        ),
        (
            "transcript",
            "transcript.vtt",
            b"WEBVTTX\n",
            "“transcript.vtt” is not a real .vtt file: its content is not in that format.",
        ),
    ],
)
def test_disguised_content_is_refused(kind, name, data, message):
    assert refusal(kind, name, data) == [message]


NOT_MP4 = "“talk.mp4” is not a real .mp4 file: its content is not in that format."
NOT_MOV = "“talk.mov” is not a real .mov file: its content is not in that format."
NOT_MP3 = "“talk.mp3” is not a real .mp3 file: its content is not in that format."


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        # Markup whose first bytes happen to pass a magic-number check.
        (
            "talk.mp4",
            b"<svgftyp onload=alert(1)>",
            "“talk.mp4” is not a real .mp4 file: its content is an SVG image.",
        ),
        (
            "talk.mov",
            b"<!--free--><html><script>alert(1)</script>",
            "“talk.mov” is not a real .mov file: its content is an HTML page.",
        ),
        (
            "talk.mp3",
            b"ID3<html><script>alert(1)</script>",
            "“talk.mp3” is not a real .mp3 file: its content is an HTML page.",
        ),
        (
            "talk.mp4",
            MP4 + b"<p>hello</p><SCRIPT>alert(1)</SCRIPT>",
            "“talk.mp4” is not a real .mp4 file: its content is an HTML page.",
        ),
        (
            "talk.mp4",
            MP4 + b' <?xml version="1.0"?><x/>',
            "“talk.mp4” is not a real .mp4 file: its content is an XML document.",
        ),
        # Without any markup: the structure itself is wrong.
        ("talk.mp4", b"AAAAftypmp42" + bytes(32), NOT_MP4),  # a 1 GB "ftyp" box
        ("talk.mp4", b"\x00\x00\x00\x04ftypmp42" + bytes(32), NOT_MP4),  # smaller than a box
        ("talk.mp4", b"\x00\x00\x00\x18ftyp\x00\x01<p" + bytes(32), NOT_MP4),  # brand
        ("talk.mov", b"<!--free-->hello" + bytes(32), NOT_MOV),  # atom larger than the file
        ("talk.mov", b"\x00\x00\x00\x08wide\x00\x00\x00\x28<p>x" + bytes(32), NOT_MOV),
        ("talk.mov", b"\x00\x00\x00\x00free" + bytes(32), NOT_MOV),  # only mdat runs to the end
        ("talk.mp3", b"ID3<p>hello</p>" + bytes(32), NOT_MP3),  # version "<"
        ("talk.mp3", b"ID3\x03\x00\x0f\x00\x00\x00\x00" + bytes(32), NOT_MP3),  # flags
        ("talk.mp3", b"ID3\x03\x00\x00\x80\x00\x00\x00" + bytes(32), NOT_MP3),  # size
    ],
    ids=[
        "svg-as-mp4",
        "html-comment-as-mov",
        "html-after-id3",
        "script-after-ftyp",
        "xml-after-ftyp",
        "ftyp-too-big",
        "ftyp-too-small",
        "brand-not-printable",
        "atom-bigger-than-file",
        "next-atom-not-printable",
        "free-to-end",
        "id3-version",
        "id3-flags",
        "id3-size-not-syncsafe",
    ],
)
def test_markup_and_malformed_boxes_are_refused(name, data, message):
    assert refusal("video", name, data) == [message]


@pytest.mark.parametrize(
    ("name", "data", "found"),
    [
        ("slides.pdf", PDF + b"<svg onload=alert(1)>", "an SVG image"),
        ("map.png", PNG + b'<?xml version="1.0"?>', "an XML document"),
        ("photo.jpg", JPEG + b"<!DocType html>", "an HTML page"),
        ("notes.docx", zip_of("[Content_Types].xml", "word/<html>.xml"), "an HTML page"),
        (
            "transcript.vtt",
            b"WEBVTT\n\n00:01.000 --> 00:02.000\n<script>x</script>\n",
            "an HTML page",
        ),
    ],
)
def test_markup_in_the_first_kilobyte_refuses_any_kind(name, data, found):
    kind = "transcript" if name.endswith(".vtt") else "material"
    extension = name.rpartition(".")[2]

    assert refusal(kind, name, data) == [
        f"“{name}” is not a real .{extension} file: its content is {found}."
    ]


def test_empty_file_is_refused():
    assert refusal("video", "talk.mp4", b"") == [
        "“talk.mp4” is empty (0 bytes). Choose the file again."
    ]


def test_a_broken_zip_is_not_an_office_document():
    assert refusal("material", "slides.pptx", b"PK\x03\x04" + b"\x00" * 40) == [
        "“slides.pptx” is not a real .pptx file: its content is not in that format."
    ]


# --- Through the admin: a refused file is never stored ----------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("talk.mp4", HTML, "“talk.mp4” is not a real .mp4 file: its content is an HTML page."),
        ("talk.mp4", b"", "The submitted file is empty."),
        ("talk.avi", MP4, None),
        ("talk.mp4", MP4 * 40000, "“talk.mp4” is 3.4\xa0MB; a video can be at most 1.0\xa0MB."),
    ],
    ids=["html-as-mp4", "empty", "extension", "oversized"],
)
@pytest.mark.django_db
def test_refused_video_upload_stores_nothing(organiser_client, settings, name, data, message):
    settings.RECORDING_VIDEO_MAX_MB = 1
    seminar = SeminarFactory(past=True)

    response = organiser_client.post(
        ADD, recording_form_data(seminar, video_file=SimpleUploadedFile(name, data))
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["video_file"]
    assert errors == [
        message
        or "“talk.avi” cannot be uploaded as a video: accepted files are .mp4, .m4v, .mov, "
        ".webm, .mp3, .m4a."
    ]
    assert Recording.objects.count() == 0
    assert stored_files() == []


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "slides.pptx",
            PDF,
            "“slides.pptx” is not a real .pptx file: its content is a PDF document.",
        ),
        (
            "notes.docx",
            PLAIN_ZIP,
            "“notes.docx” is not a real .docx file: its content is a ZIP archive.",
        ),
        (
            "slides.pdf",
            PDF * 30000,
            "“slides.pdf” is 1.4\xa0MB; a material can be at most 1.0\xa0MB.",
        ),
        ("page.pdf", HTML, "“page.pdf” is not a real .pdf file: its content is an HTML page."),
    ],
    ids=["pdf-as-pptx", "zip-as-docx", "oversized", "html-as-pdf"],
)
@pytest.mark.django_db
def test_refused_material_stores_nothing(organiser_client, settings, name, data, message):
    settings.RECORDING_MATERIAL_MAX_MB = 1
    seminar = SeminarFactory(past=True)

    response = organiser_client.post(
        ADD,
        recording_form_data(
            seminar,
            embed_url="https://youtu.be/dQw4w9WgXcQ",
            **management_data("materials", total=1),
            **{
                "materials-0-position": 0,
                "materials-0-title": "Slides",
                "materials-0-file": SimpleUploadedFile(name, data),
            },
        ),
    )

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][1].formset
    assert formset.forms[0].errors["file"] == [message]
    assert Recording.objects.count() == 0
    assert RecordingMaterial.objects.count() == 0
    assert stored_files() == []
