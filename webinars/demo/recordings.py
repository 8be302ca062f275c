"""Seeding the demo recordings, with their chapters, transcript and slides, and describing them.

Two past seminars have recordings. "Kyushu by rail" is published, with chapters, a WebVTT
transcript and PDF slides; it is created as published with its follow-ups counted as
already sent, so seeding writes no email. The digital transformation seminar's recording
is ready but unpublished: publishing it from the admin sends the three follow-up wordings
(attended, missed, attendance unknown) to ``var/outbox/``, to the named registrants and to
the seminar's crowd (``crowds``) who asked for it. Both recordings are titled and
described in English and Japanese, so a Japanese search of the archive (温泉, 別府, 九州)
finds the published one.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile

from accounts.models import User
from webinars import services
from webinars.demo.content.recordings import RECORDINGS, DemoRecording
from webinars.demo.rows import in_both_languages, upsert
from webinars.models import Recording, RecordingChapter, RecordingMaterial, Seminar
from webinars.vtt import parse_vtt


def seed_recordings(
    *, now: datetime, seminars: dict[str, Seminar], organiser: User
) -> dict[str, Recording]:
    """The recordings of two past seminars, keyed by seminar slug; none sends email.

    Chapters, transcript and slides are rewritten only when they differ from the demo's;
    the video and its length, the access level and the published state are set on
    creation only, so an organiser who uploads a video, restricts access or (un)publishes
    keeps their choice.
    """
    seeded = {}
    for spec in RECORDINGS:
        seminar = seminars[spec.seminar_slug]
        recording = _seed_recording(spec, seminar=seminar, organiser=organiser, now=now)
        _seed_chapters(recording, spec=spec)
        if spec.transcript:
            _seed_transcript(recording, spec=spec)
        if spec.slides:
            _seed_slides(recording, spec=spec)
        services.recording_search_index(recording=recording)
        seeded[spec.seminar_slug] = recording
    return seeded


def _seed_recording(
    spec: DemoRecording, *, seminar: Seminar, organiser: User, now: datetime
) -> Recording:
    values = {
        **in_both_languages(spec, "title", "description"),
        "slug": spec.seminar_slug,
        "speaker_consent_note": spec.consent_note,
    }
    if Recording.objects.filter(seminar=seminar).exists():
        # The video (with its length) and who may watch are the organiser's to change (a
        # real address, an uploaded file): a re-run keeps them, as it keeps publication.
        return upsert(Recording, lookup={"seminar": seminar}, values=values)
    recording = Recording(
        seminar=seminar,
        video_provider=Recording.VideoProvider.YOUTUBE,
        video_id=spec.youtube_id,
        duration=spec.duration,
        access=spec.access,
        **values,
    )
    services.recording_consent_record(recording=recording, consented=True, by=organiser)
    if spec.published:
        # Published a few days after the seminar, its follow-ups counted as sent: seeding
        # must not write to the registrants (recording_publish would).
        published_at = min(now, seminar.ends_at + timedelta(days=3))
        recording.published_at = recording.followups_queued_at = published_at
    recording.full_clean()
    recording.save()
    return recording


def _seed_chapters(recording: Recording, *, spec: DemoRecording) -> None:
    current = list(recording.chapters.order_by("starts_at", "pk").values_list("starts_at", "title"))
    if current == list(spec.chapters):
        return
    recording.chapters.all().delete()
    RecordingChapter.objects.bulk_create(
        RecordingChapter(recording=recording, starts_at=starts_at, title=title)
        for starts_at, title in spec.chapters
    )


def _seed_transcript(recording: Recording, *, spec: DemoRecording) -> None:
    cues = parse_vtt(spec.transcript)
    stored = recording.transcript_file
    if (
        stored
        and stored.storage.exists(stored.name)
        and recording.transcript_text == "\n".join(cue.text for cue in cues)
    ):
        return
    services.recording_transcript_attach(
        recording=recording,
        upload=ContentFile(spec.transcript.encode()),
        cues=cues,
        file_name=f"{spec.seminar_slug}.vtt",
    )


def _seed_slides(recording: Recording, *, spec: DemoRecording) -> None:
    title = "Slides (PDF)"
    data = slides_pdf(title=spec.title, pages=spec.slides)
    original_name = f"{spec.seminar_slug}-slides.pdf"
    material = recording.materials.filter(title=title).first()
    if (
        material is not None
        and material.file
        and material.file.storage.exists(material.file.name)
        and material.size == len(data)
    ):
        return
    if material is None:
        material = RecordingMaterial(recording=recording, title=title, position=1)
    old_name = material.file.name if material.file else ""
    material.file.save(original_name, ContentFile(data), save=False)
    material.original_name = original_name
    material.content_type = "application/pdf"
    material.size = len(data)
    material.save()
    if old_name != material.file.name:
        services.private_file_delete_after_commit(storage=material.file.storage, name=old_name)


def slides_pdf(*, title: str, pages: tuple[tuple[str, tuple[str, ...]], ...]) -> bytes:
    """A small, valid PDF: one landscape A4 page per (heading, lines), in Helvetica.

    Built by hand (no PDF library is needed for a few lines of text); the same input
    always gives the same bytes, so a re-run finds the stored slides unchanged.
    """

    def text(value: str) -> bytes:
        # WinAnsi covers the accented Latin of the demo names (é, á); escape PDF's specials.
        encoded = value.encode("cp1252", errors="replace")
        return encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    page_ids = [4 + 2 * index for index in range(len(pages))]
    info_id = 4 + 2 * len(pages)
    kids = " ".join(f"{page_id} 0 R" for page_id in page_ids)
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    for page_id, (heading, lines) in zip(page_ids, pages, strict=True):
        stream = b"BT /F1 26 Tf 60 510 Td (" + text(heading) + b") Tj /F1 16 Tf 0 -50 Td"
        for line in lines:
            stream += b" (" + text(line) + b") Tj 0 -28 Td"
        stream += b" ET"
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents " + f"{page_id + 1} 0 R >>".encode()
        )
        objects[page_id + 1] = (
            f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream"
        )
    objects[info_id] = b"<< /Title (" + text(title) + b") /Producer (Kizuna demo data) >>"
    output = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for object_id in sorted(objects):
        offsets[object_id] = len(output)
        output += f"{object_id} 0 obj\n".encode() + objects[object_id] + b"\nendobj\n"
    xref_at = len(output)
    output += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for object_id in sorted(objects):
        output += f"{offsets[object_id]:010d} 00000 n \n".encode()
    output += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info_id} 0 R >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return bytes(output)


def recordings_summary(recordings: Iterable[Recording], *, admin_url: str) -> list[str]:
    """One line per demo recording: what it holds, and how to see its follow-ups go out."""
    lines = []
    for recording in recordings:
        contents = ", ".join(
            _counted(count, noun)
            for count, noun in (
                (recording.chapters.count(), "chapter"),
                (recording.cues.count(), "transcript cue"),
                (recording.materials.count(), "material"),
            )
        )
        if recording.is_published:
            lines.append(
                f"Recording published ({recording.get_access_display()}): {recording.title} "
                f"[{contents}] {settings.SITE_URL}{recording.get_absolute_url()}"
            )
        else:
            lines.append(
                f"Recording ready to publish ({recording.get_access_display()}): "
                f"{recording.title} [{contents}]. Publish it at "
                f"{admin_url}webinars/recording/{recording.pk}/change/ and its follow-up "
                "emails land in var/outbox/."
            )
    return lines


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
