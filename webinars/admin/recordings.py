"""The organiser admin for recordings: video, chapters, transcript, materials, publication.

Uploads are checked in the forms (``webinars.forms.recordings``), so a refused file is
never stored; consent, transcripts, publication and the search index go through
``webinars.services``. Replaced, cleared and deleted files leave storage once the
change commits.
"""

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, QuerySet
from django.forms import Field
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats
from django.utils import timezone as dj_timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import ControlCharacterFreeSearchMixin
from webinars.admin.mixins import CatalogueChangeAdminMixin
from webinars.content_languages import BothLanguagesAdmin, both, language_columns
from webinars.errors import RecordingNotPublishable
from webinars.forms.recordings import (
    UNBOUNDED_FILE_NAME,
    VIDEO_OFFSET_OVERRIDES,
    RecordingAdminForm,
    RecordingMaterialForm,
    file_widget,
)
from webinars.models import Recording, RecordingChapter, RecordingMaterial, Seminar
from webinars.services import (
    private_file_delete_after_commit,
    recording_consent_record,
    recording_publish,
    recording_search_index,
    recording_transcript_attach,
    recording_transcript_remove,
    recording_unpublish,
)
from webinars.uploads import accepted_extensions

# A seminar id in "?seminar=": ASCII digits that fit a bigint ("²" passes str.isdigit()).
_SEMINAR_ID = re.compile(r"[0-9]{1,18}")


class RecordingChapterInline(admin.TabularInline):
    model = RecordingChapter
    fields = ["starts_at", "title"]
    formfield_overrides = VIDEO_OFFSET_OVERRIDES
    ordering = ["starts_at", "pk"]
    extra = 0


class RecordingMaterialInline(admin.TabularInline):
    model = RecordingMaterial
    form = RecordingMaterialForm
    fields = ["position", "title", "file", "file_details"]
    readonly_fields = ["file_details"]
    formfield_overrides = {
        models.FileField: {"widget": file_widget("material"), **UNBOUNDED_FILE_NAME}
    }
    ordering = ["position", "pk"]
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("recording")

    @admin.display(description=_("file"))
    def file_details(self, material: RecordingMaterial) -> str:
        if not material.pk:
            return "—"
        return (
            f"{material.original_name} · {material.content_type} · {filesizeformat(material.size)}"
        )


class PublishedListFilter(admin.SimpleListFilter):
    title = _("published")
    parameter_name = "published"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", _("Published")), ("no", _("Not published"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(published_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(published_at__isnull=True)
        return queryset


def seminar_recording_link(request: HttpRequest, seminar: Seminar) -> dict[str, str] | None:
    """The seminar page's "Recording" button: add or edit it (past published seminars only)."""
    if seminar.pk is None or not seminar.is_published or seminar.ends_at > dj_timezone.now():
        return None
    recording = Recording.objects.filter(seminar=seminar).only("pk").first()
    if recording is not None and request.user.has_perm("webinars.change_recording"):
        return {
            "url": reverse("admin:webinars_recording_change", args=[recording.pk]),
            "label": gettext("Edit the recording"),
        }
    if recording is None and request.user.has_perm("webinars.add_recording"):
        return {
            "url": f"{reverse('admin:webinars_recording_add')}?seminar={seminar.pk}",
            "label": gettext("Add the recording"),
        }
    return None


@admin.register(Recording)
class RecordingAdmin(
    ControlCharacterFreeSearchMixin, CatalogueChangeAdminMixin, BothLanguagesAdmin
):
    form = RecordingAdminForm
    formfield_overrides = {
        **VIDEO_OFFSET_OVERRIDES,
        models.FileField: {"widget": file_widget("video"), **UNBOUNDED_FILE_NAME},
    }
    list_display = [
        "title",
        "seminar",
        "access",
        "is_published",
        "speakers_consented",
        "view_count",
    ]
    list_select_related = ["seminar"]
    list_filter = [PublishedListFilter, "access", "seminar__series"]
    search_fields = ["title_en", "title_ja", "slug", "seminar__title_en", "seminar__title_ja"]
    ordering = ["-seminar__starts_at", "-pk"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [RecordingChapterInline, RecordingMaterialInline]
    actions = ["publish_recordings", "unpublish_recordings"]
    change_form_template = "admin/webinars/recording/change_form.html"

    def get_fieldsets(self, request: HttpRequest, obj: Recording | None = None) -> list[tuple]:
        consent_fields = ["speakers_consented", "speaker_consent_note"]
        transcript_fields = ["transcript_upload"]
        fieldsets = [
            (None, {"fields": ["seminar", both("title"), "slug", both("description")]}),
            (
                _("Video"),
                {
                    "fields": ["embed_url", "video_file", "duration"],
                    "description": _(
                        "Paste the address of the video on YouTube or Vimeo, or upload the "
                        "video file (%(extensions)s), not both."
                    )
                    % {"extensions": ", ".join(accepted_extensions("video"))},
                },
            ),
            (_("Transcript"), {"fields": transcript_fields}),
            (_("Who may watch"), {"fields": ["access", "audience_types"]}),
            (
                _("Speaker consent"),
                {
                    "fields": consent_fields,
                    "description": _(
                        "A recording is published only once every speaker has agreed."
                    ),
                },
            ),
        ]
        if obj is not None:
            transcript_fields.append("transcript_summary")
            if obj.transcript_file:
                transcript_fields.append("transcript_remove")
            consent_fields += ["speaker_consent_recorded_by", "speaker_consent_recorded_at"]
            fieldsets.append(
                (
                    _("Publication"),
                    {
                        "fields": ["published_at", "followups_queued_at"],
                        "description": _(
                            "Publish with the button below or the action of the recording "
                            "list. The first publication emails the registrants who asked to "
                            "hear about the recording."
                        ),
                    },
                )
            )
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Recording | None = None) -> list:
        fields = [
            "transcript_summary",
            "speaker_consent_recorded_by",
            "speaker_consent_recorded_at",
            "published_at",
            "followups_queued_at",
        ]
        return ["seminar", *fields] if obj is not None else fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("seminar", "speaker_consent_recorded_by")
            .annotate(view_count=Count("views"))
        )

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any) -> Field:
        if db_field.name == "seminar":
            kwargs["queryset"] = Seminar.objects.filter(
                status=Seminar.Status.PUBLISHED, recording__isnull=True
            ).order_by("-starts_at")
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "seminar":
            field.label_from_instance = lambda seminar: "{} ({})".format(
                seminar.title,
                formats.date_format(dj_timezone.localtime(seminar.starts_at), "j M Y"),
            )
        return field

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs: Any) -> Field:
        if db_field.name == "audience_types":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """``?seminar=<id>`` preselects the seminar and names the recording after it."""
        initial = super().get_changeform_initial_data(request)
        seminar_id = str(initial.get("seminar", ""))
        if not _SEMINAR_ID.fullmatch(seminar_id):
            initial.pop("seminar", None)
            return initial
        seminar = (
            Seminar.objects.filter(pk=int(seminar_id))
            .only(*language_columns("title"), "slug")
            .first()
        )
        if seminar is not None:
            for column in language_columns("title"):
                initial.setdefault(column, getattr(seminar, column))
            initial.setdefault("slug", seminar.slug)
        return initial

    def get_form(
        self, request: HttpRequest, obj: Recording | None = None, change: bool = False, **kwargs
    ) -> type[RecordingAdminForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "_unpublish" in request.POST and self.has_change_permission(request, obj):
            # Saved and unpublished in one transaction: the rules of a published one do not hold.
            form = type(form.__name__, (form,), {"unpublishing": True})
        return form

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Recording | None = None,
    ) -> HttpResponse:
        context["publication_button"] = self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Recording | None = None) -> bool:
        # Once published or announced, people have the link: unpublish it instead.
        if obj is not None and (obj.published_at or obj.followups_queued_at):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # Bulk deletion would skip the per-recording rule above.
        actions.pop("delete_selected", None)
        return actions

    # --- Display -------------------------------------------------------------

    @admin.display(description=_("published"), boolean=True, ordering="published_at")
    def is_published(self, obj: Recording) -> bool:
        return obj.is_published

    @admin.display(description=_("views"), ordering="view_count")
    def view_count(self, obj: Recording) -> int:
        return obj.view_count

    @admin.display(description=_("current transcript"))
    def transcript_summary(self, obj: Recording) -> SafeString | str:
        if not obj.transcript_file:
            return gettext("None yet.")
        cues = obj.cues.count()
        return format_html(
            '<a href="{}">{}</a> · {}',
            reverse("webinars:recording_transcript", kwargs={"slug": obj.slug}),
            f"{obj.slug}.vtt",
            ngettext("%(count)d cue", "%(count)d cues", cues) % {"count": cues},
        )

    # --- Saving ----------------------------------------------------------------

    def save_model(
        self, request: HttpRequest, obj: Recording, form: RecordingAdminForm, change: bool
    ) -> None:
        recording_consent_record(recording=obj, consented=obj.speakers_consented, by=request.user)
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("transcript_remove") and obj.transcript_file:
            recording_transcript_remove(recording=obj)  # rebuilds the search index too
        if form.previous_video_name != (obj.video_file.name or ""):
            private_file_delete_after_commit(
                storage=obj.video_file.storage, name=form.previous_video_name
            )

    def save_related(
        self, request: HttpRequest, form: RecordingAdminForm, formsets: list, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        recording = form.instance
        upload = form.cleaned_data.get("transcript_upload")
        # After the inlines: the index reads everything saved. Attaching a transcript
        # rebuilds it itself; any other save may have changed the title or description.
        if upload and form.transcript_info is not None:
            recording_transcript_attach(
                recording=recording,
                upload=upload,
                cues=form.transcript_cues,
                file_name=form.transcript_info.name,
            )
        elif not form.cleaned_data.get("transcript_remove"):
            recording_search_index(recording=recording)

    def save_formset(
        self, request: HttpRequest, form: RecordingAdminForm, formset: Any, change: bool
    ) -> None:
        if formset.model is not RecordingMaterial:
            super().save_formset(request, form, formset, change)
            return
        dropped = [
            row.initial["file"].name
            for row in formset.initial_forms
            if row.initial.get("file")
            and (row in formset.deleted_forms or "file" in row.changed_data)
        ]
        super().save_formset(request, form, formset, change)
        storage = RecordingMaterial._meta.get_field("file").storage
        for name in dropped:
            private_file_delete_after_commit(storage=storage, name=name)

    def delete_model(self, request: HttpRequest, obj: Recording) -> None:
        names = [
            obj.video_file.name,
            obj.transcript_file.name,
            *obj.materials.values_list("file", flat=True),
        ]
        super().delete_model(request, obj)
        for name in names:
            private_file_delete_after_commit(storage=obj.video_file.storage, name=name)

    # --- Publication ---------------------------------------------------------------

    def _publish(self, request: HttpRequest, recording: Recording) -> bool:
        announced_before = recording.followups_queued_at is not None
        try:
            queued = recording_publish(recording=recording)
        except RecordingNotPublishable as error:
            self.message_user(
                request,
                gettext("“%(title)s” was not published: %(reasons)s")
                % {"title": recording.title, "reasons": error},
                messages.ERROR,
            )
            return False
        if announced_before:
            message = gettext(
                "Published “%(title)s” again; no follow-up emails (they went out when it "
                "was first published)."
            ) % {"title": recording.title}
        else:
            message = ngettext(
                "Published “%(title)s”; %(count)d follow-up email queued.",
                "Published “%(title)s”; %(count)d follow-up emails queued.",
                queued,
            ) % {"title": recording.title, "count": queued}
        self.message_user(request, message, messages.SUCCESS)
        return True

    def _unpublish(self, request: HttpRequest, recording: Recording) -> None:
        recording_unpublish(recording=recording)
        self.message_user(
            request,
            gettext("Unpublished “%(title)s”: only organisers can see it now.")
            % {"title": recording.title},
            messages.SUCCESS,
        )

    @admin.action(description=_("Publish selected recordings"), permissions=["change"])
    def publish_recordings(self, request: HttpRequest, queryset: QuerySet) -> None:
        for recording in queryset.select_related("seminar").order_by("pk"):
            if recording.is_published:
                self.message_user(
                    request,
                    gettext("“%(title)s” is already published.") % {"title": recording.title},
                    messages.INFO,
                )
            else:
                self._publish(request, recording)

    @admin.action(description=_("Unpublish selected recordings"), permissions=["change"])
    def unpublish_recordings(self, request: HttpRequest, queryset: QuerySet) -> None:
        for recording in queryset.order_by("pk"):
            if recording.is_published:
                self._unpublish(request, recording)

    def _after_save(self, request: HttpRequest, obj: Recording) -> HttpResponse | None:
        """The change form's "Save and publish" / "Save and unpublish" buttons."""
        if "_publish" not in request.POST and "_unpublish" not in request.POST:
            return None
        if not self.has_change_permission(request, obj):
            # The buttons are not shown to them; a hand-made POST still only saves.
            self.message_user(
                request,
                gettext("Only organisers who may change recordings can publish or unpublish them."),
                messages.ERROR,
            )
            return None
        self.message_user(
            request, gettext("Saved “%(title)s”.") % {"title": obj.title}, messages.SUCCESS
        )
        if "_publish" in request.POST and not obj.is_published:
            self._publish(request, obj)
        elif "_unpublish" in request.POST and obj.is_published:
            self._unpublish(request, obj)
        return HttpResponseRedirect(reverse("admin:webinars_recording_change", args=[obj.pk]))

    def response_add(
        self, request: HttpRequest, obj: Recording, post_url_continue: str | None = None
    ) -> HttpResponse:
        return self._after_save(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request: HttpRequest, obj: Recording) -> HttpResponse:
        return self._after_save(request, obj) or super().response_change(request, obj)
