"""Forms of the recording archive: its filters, and the organisers' recording and material forms.

The archive's filter form, like the seminar lists' (whose base it shares), never fails:
an unknown series, topic or prefecture is ignored and the search text is cleaned and
shortened. Uploads are checked in ``clean`` (``webinars.uploads``), so a refused file is
never stored; the admin (``webinars.admin.recordings``) saves through the services.
"""

import re
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from webinars import selectors
from webinars.embeds import parse_video_url, watch_url
from webinars.forms.catalogue import MAX_SEARCH_LENGTH, CatalogueFilterForm, SearchField
from webinars.models import Recording, Topic
from webinars.recording_access import ANONYMOUS, Viewer
from webinars.uploads import UploadInfo, accepted_extensions, validate_upload
from webinars.vtt import Cue, VttError, format_offset, parse_vtt


class RecordingFilterForm(CatalogueFilterForm):
    """No audience filter (who may watch is decided per viewer) nor language."""

    q = SearchField(
        label=_("Search recordings"),
        required=False,
        help_text=_("Words said in the seminar, a title or a speaker. Use quotes for a phrase."),
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "maxlength": MAX_SEARCH_LENGTH,
                "placeholder": _("e.g. “local attractions”, onsen, Kumamoto"),
                "autocomplete": "off",
            }
        ),
    )

    def __init__(self, *args: Any, viewer: Viewer = ANONYMOUS, **kwargs: Any):
        self.viewer = viewer
        super().__init__(*args, **kwargs)

    def topic_choices(self) -> QuerySet[Topic]:
        # Only topics of recordings this viewer may watch: a restricted recording's topic
        # would tell anonymous visitors (and the cached page) that it exists.
        return selectors.recording_topics(self.viewer)


# m:ss (minutes may pass 59) or h:mm:ss, as organisers read times off a video player.
_OFFSET = re.compile(
    r"(?:(?P<hours>\d{1,3}):(?P<minutes>[0-5]\d)|(?P<total_minutes>\d{1,4})):"
    r"(?P<seconds>[0-5]\d)"
)


BOTH_VIDEO_SOURCES = _("Give either an embed URL or an uploaded video file, not both.")


# The model's max_length bounds the stored name, which is random and short; the original
# name is kept sanitised and shortened elsewhere, so a long one must not be refused.
UNBOUNDED_FILE_NAME = {"max_length": None}


class VideoOffsetField(forms.DurationField):
    """A time into a video: "12:30" is 12 min 30 s and "1:02:30" is 1 h 2 min 30 s.

    Django's own duration parsing reads "90" as 90 seconds and shows "00:12:30"; here a
    bare number is refused and values are shown back as they were typed.
    """

    default_error_messages = {
        "invalid": _("Write the time as m:ss or h:mm:ss, e.g. 12:30 or 1:02:30."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 8, "placeholder": "12:30"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return format_offset(value) if isinstance(value, timedelta) else value

    def to_python(self, value: Any) -> timedelta | None:
        if value in self.empty_values:
            return None
        if isinstance(value, timedelta):
            return value
        match = _OFFSET.fullmatch(str(value).strip())
        if match is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        minutes = int(match["total_minutes"] or 0) + int(match["minutes"] or 0)
        return timedelta(
            hours=int(match["hours"] or 0), minutes=minutes, seconds=int(match["seconds"])
        )


VIDEO_OFFSET_OVERRIDES = {models.DurationField: {"form_class": VideoOffsetField}}


class _CurrentFile:
    """What the file widget shows for a stored file: its original name and its download."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url

    def __str__(self) -> str:
        return self.name


class PrivateFileWidget(AdminFileWidget):
    """A file input whose "Currently" link is the access-checked download, not a storage URL.

    Private storage has no public URL; the form sets ``current`` for a stored file.
    """

    current: _CurrentFile | None = None

    def format_value(self, value: Any) -> Any:
        value = super().format_value(value)
        return self.current if value and self.current else None

    def is_initial(self, value: Any) -> bool:
        return bool(value) and self.current is not None


def file_widget(kind: str) -> PrivateFileWidget:
    accept = ",".join(accepted_extensions(kind))
    return PrivateFileWidget(attrs={"accept": accept})


class RecordingAdminForm(forms.ModelForm):
    """The recording with its video source, transcript upload and access rules checked."""

    embed_url = forms.CharField(
        label=_("Embed URL"),
        required=False,
        help_text=_(
            "The address of the video on YouTube or Vimeo, e.g. "
            "https://www.youtube.com/watch?v=… or https://vimeo.com/123456789. "
            "Leave empty to upload a file instead."
        ),
        widget=forms.URLInput(attrs={"size": 60}),
    )
    transcript_upload = forms.FileField(
        label=_("Upload a transcript"),
        required=False,
        help_text=_("A WebVTT (.vtt) file; it replaces the current transcript."),
        widget=forms.FileInput(attrs={"accept": ".vtt,text/vtt"}),
    )
    transcript_remove = forms.BooleanField(
        label=_("Remove the transcript"),
        required=False,
        help_text=_("Deletes the transcript file, its cues and its searchable text."),
    )
    # Set by the admin for "Save and unpublish": the recording will not stay published.
    unpublishing = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        recording = self.instance
        self.previous_video_name = recording.video_file.name if recording.video_file else ""
        self.video_info: UploadInfo | None = None
        self.transcript_info: UploadInfo | None = None
        self.transcript_cues: list[Cue] = []
        if recording.video_provider in (
            Recording.VideoProvider.YOUTUBE,
            Recording.VideoProvider.VIMEO,
        ):
            self.initial.setdefault(
                "embed_url",
                watch_url(provider=recording.video_provider, video_id=recording.video_id),
            )
        if "video_file" in self.fields and recording.pk and recording.video_file:
            self.fields["video_file"].widget.current = _CurrentFile(
                recording.video_file_name or recording.video_file.name.rpartition("/")[2],
                reverse("webinars:recording_video", kwargs={"slug": recording.slug}),
            )

    def clean_video_file(self) -> Any:
        video = self.cleaned_data.get("video_file")
        if isinstance(video, UploadedFile):
            self.video_info = validate_upload(video, kind="video")
        return video

    def clean_transcript_upload(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("transcript_upload")
        if not upload:
            return None
        self.transcript_info = validate_upload(upload, kind="transcript")
        try:
            self.transcript_cues = parse_vtt(upload.read())
        except VttError as error:
            raise ValidationError(str(error), code="vtt") from None
        finally:
            upload.seek(0)
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        if self.instance.is_published and not self.unpublishing:
            self._clean_still_publishable(cleaned_data)
        self._clean_consent(cleaned_data)
        self._clean_video(cleaned_data)
        if cleaned_data.get("transcript_upload") and cleaned_data.get("transcript_remove"):
            self.add_error(
                "transcript_remove",
                _("Either upload a new transcript or remove the current one, not both."),
            )
        access = cleaned_data.get("access")
        if (
            access == Recording.Access.AUDIENCE_TYPES
            and "audience_types" in cleaned_data
            and not cleaned_data["audience_types"]
        ):
            self.add_error(
                "audience_types",
                _("Choose at least one audience type, or another access level."),
            )
        return cleaned_data

    def _clean_still_publishable(self, cleaned_data: dict[str, Any]) -> None:
        """A published recording keeps its consent and its video (unpublish it first)."""
        if cleaned_data.get("speakers_consented") is False:
            self.add_error(
                "speakers_consented",
                _(
                    "This recording is published, so the speakers' consent cannot be "
                    "withdrawn here. Unpublish it first (“Save and unpublish”)."
                ),
            )
        elif not cleaned_data.get("speaker_consent_note", "x").strip():
            self.add_error(
                "speaker_consent_note",
                _(
                    "This recording is published, so the note of how the speakers agreed "
                    "cannot be emptied. Unpublish it first (“Save and unpublish”)."
                ),
            )
        if "embed_url" not in cleaned_data or "video_file" not in cleaned_data:
            return
        if not cleaned_data["embed_url"].strip() and not cleaned_data["video_file"]:
            self.add_error(
                "video_file" if self.instance.video_file else "embed_url",
                _(
                    "This recording is published, so it must keep a video. Give another "
                    "one, or unpublish it first (“Save and unpublish”)."
                ),
            )

    def _clean_consent(self, cleaned_data: dict[str, Any]) -> None:
        """Consent is recorded with how it was given (publishing needs both)."""
        if (
            cleaned_data.get("speakers_consented")
            and "speaker_consent_note" in cleaned_data
            and not cleaned_data["speaker_consent_note"].strip()
        ):
            self.add_error(
                "speaker_consent_note",
                _("Note how the speakers agreed, e.g. “Consent forms signed 12 May”."),
            )

    def _clean_video(self, cleaned_data: dict[str, Any]) -> None:
        """Work out the one video source (embed, uploaded file or none) and set it."""
        if "embed_url" not in cleaned_data or "video_file" not in cleaned_data:
            return  # a field error is already shown
        embed_url = cleaned_data["embed_url"].strip()
        video = cleaned_data["video_file"]  # new upload, kept FieldFile, False (cleared), None
        keeps_file = bool(video)
        if embed_url and keeps_file:
            message = BOTH_VIDEO_SOURCES
            if not isinstance(video, UploadedFile):
                message = format_html(
                    "{} {}", message, _("Tick “Clear” next to the current file to use the embed.")
                )
            self.add_error("embed_url", message)
            return
        recording = self.instance
        if embed_url:
            try:
                reference = parse_video_url(embed_url)
            except ValidationError as error:
                self.add_error("embed_url", error)
                return
            recording.video_provider, recording.video_id = reference.provider, reference.video_id
        elif isinstance(video, UploadedFile) and self.video_info is not None:
            recording.video_provider, recording.video_id = Recording.VideoProvider.FILE, ""
            recording.video_file_name = self.video_info.name
            recording.video_file_size = self.video_info.size
            recording.video_content_type = self.video_info.content_type
            return
        elif keeps_file:
            return
        else:
            recording.video_provider, recording.video_id = "", ""
        recording.video_file_name, recording.video_file_size = "", None
        recording.video_content_type = ""


class RecordingMaterialForm(forms.ModelForm):
    """A material whose file is checked; the title defaults to the file's name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        material = self.instance
        if material.pk and material.file and material.recording_id:
            self.fields["file"].widget.current = _CurrentFile(
                material.original_name or material.file.name.rpartition("/")[2],
                reverse(
                    "webinars:recording_material",
                    kwargs={"slug": material.recording.slug, "pk": material.pk},
                ),
            )

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            info = validate_upload(upload, kind="material")
            self.instance.original_name = info.name
            self.instance.content_type = info.content_type
            self.instance.size = info.size
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        if not cleaned_data.get("title") and self.instance.original_name:
            cleaned_data["title"] = self.instance.original_name.rpartition(".")[0][:200]
        elif not cleaned_data.get("title") and "file" in cleaned_data:
            self.add_error("title", _("Give the material a title."))
        return cleaned_data
