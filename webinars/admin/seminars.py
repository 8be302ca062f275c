"""The seminar admin: plan, publish, change, cancel and duplicate seminars.

Every change to a seminar goes through ``webinars.services`` (so a published seminar's
calendar ``sequence`` grows when attendees must hear of a change), and every save or delete
here invalidates the cached public pages once the transaction commits.
"""

import json
import math
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone as dj_timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import ControlCharacterFreeSearchMixin
from accounts.validators import available_time_zones
from webinars import selectors
from webinars.admin.catalogue import SeminarSpeakerInline
from webinars.admin.mixins import (
    URL_FIELDS_ASSUME_HTTPS,
    CatalogueChangeAdminMixin,
    WhenListFilter,
    in_zone,
    span_in_zone,
)
from webinars.admin.recordings import seminar_recording_link
from webinars.admin.registrations import (
    AudienceQuotaInline,
    RegistrationQuestionInline,
    SeminarRegistrantsAdminMixin,
    registration_count,
)
from webinars.admin.seminar_actions import SeminarActionsAdminMixin
from webinars.certificates import pdf_response
from webinars.content_languages import BothLanguagesAdmin, both
from webinars.errors import SeminarBusy
from webinars.forms.catalogue import (
    SeminarAdminForm,
)
from webinars.models import (
    Registration,
    Seminar,
    SeminarSpeaker,
    Series,
    Speaker,
)
from webinars.services import (
    certificate_issue_for_speaker,
    recordings_search_reindex,
    seminar_create,
    seminar_speakers_notify,
    seminar_update,
)

# Set by the services or the publish/cancel actions, never typed in.
SEMINAR_LIFECYCLE_FIELDS = (
    "status",
    "uid",
    "sequence",
    "published_at",
    "cancelled_at",
    "cancellation_message",
)


def _series_upcoming_starts(*, exclude: int | None) -> dict[str, list[str]]:
    """Each series' next seminars (UTC, ISO), for the warning that UK clocks change
    within the series: the same Tokyo time then falls at another London time."""
    starts: dict[str, list[str]] = {}
    upcoming = (
        Seminar.objects.filter(starts_at__gt=dj_timezone.now())
        .exclude(pk=exclude)
        .exclude(status=Seminar.Status.CANCELLED)
        .order_by("starts_at")
        .values_list("series_id", "starts_at")
    )
    for series_id, starts_at in upcoming[:200]:
        series_starts = starts.setdefault(str(series_id), [])
        if len(series_starts) < 6:
            series_starts.append(starts_at.isoformat())
    return starts


def _preview_texts() -> dict[str, str]:
    """The live preview's words, translated here ({date}, {zone} filled in by the script)."""
    return {
        "uk": settings.UK_TIME_ZONE,
        "japan": settings.JAPAN_TIME_ZONE,
        "ends_before_start": gettext("The end is before the start."),
        "clock_change_before": gettext(
            "The UK clocks change on {date}, before this seminar: check the London time."
        ),
        "clock_change_series": gettext(
            "The UK clocks change on {date}, between this seminar and another of its series: "
            "the same time in {zone} falls an hour apart in London."
        ),
        "outside_uk_hours": gettext("Outside 08:00–21:00 in London."),
        "outside_japan_hours": gettext("Outside 08:00–22:00 in Tokyo."),
    }


# Filled in by the database, not by a service call.
_AUTOMATIC_FIELDS = ("id", "created_at", "updated_at")


@admin.register(Seminar)
class SeminarAdmin(
    SeminarActionsAdminMixin,
    SeminarRegistrantsAdminMixin,
    ControlCharacterFreeSearchMixin,
    CatalogueChangeAdminMixin,
    BothLanguagesAdmin,
):
    form = SeminarAdminForm
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = [
        "title",
        "series",
        "starts_in_seminar_zone",
        "starts_in_uk",
        "starts_in_japan",
        "status",
        "sequence",
        "capacity",
        "registrations_summary",
    ]
    list_select_related = ["series"]
    list_filter = ["status", WhenListFilter, "series", "language", "prefecture", "topics"]
    search_fields = [
        "title_en",
        "title_ja",
        "slug",
        "summary_en",
        "summary_ja",
        "speaker_links__speaker__name",
        "speaker_links__speaker__name_ja",
    ]
    date_hierarchy = "starts_at"
    ordering = ["-starts_at"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["topics"]
    filter_horizontal = ["allowed_audience_types"]
    readonly_fields = [*SEMINAR_LIFECYCLE_FIELDS, "times_overview"]
    inlines = [SeminarSpeakerInline, AudienceQuotaInline, RegistrationQuestionInline]
    actions = [
        "publish_seminars",
        "cancel_seminars",
        "duplicate_seminars",
        "export_registrants",
        "write_to_registrants",
    ]
    # The seminar's own change form plus its "Recording" button (webinars.admin.recordings).
    change_form_template = "admin/webinars/recording/seminar_change_form.html"

    class Media:
        js = ["js/seminar-times.js"]

    def get_fieldsets(self, request: HttpRequest, obj: Seminar | None = None) -> list[tuple]:
        when_description = gettext(
            "Choose the seminar's time zone first, then type the start and end as clocks "
            "show them there: 19:00 in Tokyo is 19:00 with Asia/Tokyo, whatever the UK "
            "clocks do. The same moment in London and Tokyo is shown as you type, with a "
            "warning when the UK clocks change before the seminar."
        )
        when_fields = ["timezone", "starts_at", "ends_at", "rehearsal_starts_at", "times_overview"]
        publication_fields = ["status"]
        if obj is not None:
            publication_fields += [
                "published_at",
                "cancelled_at",
                "cancellation_message",
                "uid",
                "sequence",
            ]
        return [
            (
                _("Basics"),
                {
                    "fields": [
                        both("title"),
                        "slug",
                        "series",
                        both("summary"),
                        both("description"),
                        "cover_image",
                        "cover_image_alt",
                        "topics",
                        "prefecture",
                        "partner_organisations",
                        "language",
                    ]
                },
            ),
            (_("When"), {"fields": when_fields, "description": when_description}),
            (
                _("Delivery"),
                {
                    "fields": ["platform", "meeting_url", "meeting_passcode", "venue"],
                    "description": _(
                        "Attendees never see the meeting URL: they get a personal join link. "
                        "Changing the time or the delivery of a published seminar updates "
                        "everyone's calendar entry."
                    ),
                },
            ),
            (
                _("Registration"),
                {
                    "fields": [
                        "capacity",
                        "waitlist_enabled",
                        "registration_opens_at",
                        "registration_closes_at",
                        "allowed_audience_types",
                        "reminder_offsets_minutes",
                    ]
                },
            ),
            (
                _("Publication"),
                {
                    "fields": publication_fields,
                    "description": _(
                        "New seminars are drafts. Publish or cancel them with the actions of "
                        "the seminar list."
                    ),
                },
            ),
        ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """``?series=<id>`` preselects that series' default audience types."""
        initial = super().get_changeform_initial_data(request)
        series_id = str(initial.get("series", ""))
        series = Series.objects.filter(pk=series_id).first() if series_id.isdigit() else None
        if series is not None:
            initial.setdefault("timezone", series.timezone)
            if "allowed_audience_types" not in initial:
                initial["allowed_audience_types"] = list(
                    series.default_audience_types.values_list("pk", flat=True)
                )
        return initial

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("series")
            .annotate(
                confirmed_count=registration_count(Registration.Status.CONFIRMED),
                waitlisted_count=registration_count(Registration.Status.WAITLISTED),
            )
        )

    def view_on_site(self, obj: Seminar) -> str | None:
        # Drafts (and drafts cancelled before publication) have no public page.
        if not Seminar.objects.visible().filter(pk=obj.pk).exists():
            return None
        return obj.get_absolute_url()

    def has_delete_permission(self, request: HttpRequest, obj: Seminar | None = None) -> bool:
        # A published seminar is in people's calendars: it is cancelled, never deleted.
        if obj is not None and obj.status != Seminar.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Seminar | None = None,
    ) -> HttpResponse:
        if obj is not None:
            context["recording_link"] = seminar_recording_link(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # Bulk deletion would take published seminars with it; drafts are deleted one by one.
        actions.pop("delete_selected", None)
        return actions

    # --- Display -------------------------------------------------------------

    @admin.display(description=_("starts (seminar's zone)"), ordering="starts_at")
    def starts_in_seminar_zone(self, obj: Seminar) -> str:
        return in_zone(obj.starts_at, obj.timezone, "D j M Y, H:i T")

    @admin.display(description=_("starts (UK time)"), ordering="starts_at")
    def starts_in_uk(self, obj: Seminar) -> str:
        return in_zone(obj.starts_at, settings.UK_TIME_ZONE, "D j M Y, H:i T")

    @admin.display(description=_("Japan time"), ordering="starts_at")
    def starts_in_japan(self, obj: Seminar) -> str:
        return in_zone(obj.starts_at, settings.JAPAN_TIME_ZONE, "D j M, H:i T")

    @admin.display(description=_("the same moment elsewhere"))
    def times_overview(self, obj: Seminar) -> SafeString:
        """The saved times in the seminar's zone, London and Tokyo; static/js/seminar-times.js
        redraws it as the organiser types, with the clock-change warnings and hints."""
        rows: SafeString | str = ""
        if obj.starts_at and obj.ends_at and obj.timezone in available_time_zones():
            zones = dict.fromkeys([obj.timezone, settings.UK_TIME_ZONE, settings.JAPAN_TIME_ZONE])
            rows = format_html_join(
                "",
                "<li>{}: {}</li>",
                ((zone, span_in_zone(obj.starts_at, obj.ends_at, zone)) for zone in zones),
            )
        return format_html(
            '<div class="seminar-time-preview" data-seminar-time-preview '
            'data-series-starts="{}" data-texts="{}" aria-live="polite">'
            '<ul>{}</ul><p class="seminar-time-warnings"></p></div>',
            json.dumps(_series_upcoming_starts(exclude=obj.pk)),
            json.dumps(_preview_texts()),
            rows,
        )

    @admin.display(description=_("registrations"), ordering="confirmed_count")
    def registrations_summary(self, obj: Seminar) -> SafeString:
        text = gettext("%(confirmed)d confirmed, %(waitlisted)d waitlisted") % {
            "confirmed": obj.confirmed_count,
            "waitlisted": obj.waitlisted_count,
        }
        url = f"{reverse('admin:webinars_registration_changelist')}?seminar__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, text)

    # --- Registrants: export and attendance import ----------------------------

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/add-registration/",
                self.admin_site.admin_view(self.add_registration_view),
                name="{}_{}_add_registration".format(*info),
            ),
            path(
                "<path:object_id>/registrants.csv",
                self.admin_site.admin_view(self.registrants_csv_view),
                name="{}_{}_registrants_csv".format(*info),
            ),
            path(
                "<path:object_id>/speakers/<int:link_id>/certificate.pdf",
                self.admin_site.admin_view(self.speaker_certificate_view),
                name="{}_{}_speaker_certificate".format(*info),
            ),
            path(
                "<path:object_id>/import-attendance/",
                self.admin_site.admin_view(self.import_attendance_view),
                name="{}_{}_import_attendance".format(*info),
            ),
            *super().get_urls(),
        ]

    def speaker_certificate_view(
        self, request: HttpRequest, object_id: str, link_id: int
    ) -> HttpResponse:
        """A speaker's certificate of presentation, for the organiser to pass on."""
        seminar = self.get_object(request, unquote(object_id))
        if seminar is None or not self.has_view_permission(request, seminar):
            raise PermissionDenied
        link = seminar.speaker_links.select_related("speaker").filter(pk=link_id).first()
        if link is None or not selectors.speaker_certificate_allowed(link):
            raise Http404(gettext("No certificate: the seminar has not taken place."))
        certificate = certificate_issue_for_speaker(link=link)
        language = request.GET.get("language") or link.speaker.language or "en"
        return pdf_response(certificate, language="ja" if language == "ja" else "en")

    # --- Saving through the services ------------------------------------------

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SeminarBusy as error:
            # The whole save rolled back (the admin saves in one transaction): say so and
            # show the form again as it is stored; a second save usually goes through.
            self.message_user(
                request,
                gettext("%(problem)s Please save again in a moment.") % {"problem": error},
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: Seminar, form: ModelForm, change: bool) -> None:
        if change:
            model_fields = {field.name for field in Seminar._meta.concrete_fields}
            changes = {
                name: getattr(obj, name) for name in form.changed_data if name in model_fields
            }
            if changes:
                sequence = obj.sequence
                seminar_update(seminar=obj, **changes)
                if obj.is_published and obj.sequence > sequence:
                    self._tell_when_change_notice_goes(request, obj)
            return
        created = seminar_create(
            **{
                field.name: getattr(obj, field.name)
                for field in Seminar._meta.concrete_fields
                if field.name not in _AUTOMATIC_FIELDS
            }
        )
        # The admin goes on with `obj` (the inline formsets and m2m saving point at it),
        # so it must become the row the service saved.
        obj.pk = created.pk
        obj._state.adding = False
        obj._state.db = created._state.db
        obj.refresh_from_db()

    def _tell_when_change_notice_goes(self, request: HttpRequest, seminar: Seminar) -> None:
        """Say when registrants and speakers hear of a time or delivery change (coalesced)."""
        notice = seminar.change_notices.filter(sent_at__isnull=True).first()
        if notice is None:
            return
        seconds = (notice.due_at - dj_timezone.now()).total_seconds()
        minutes = max(1, math.ceil(seconds / 60))
        self.message_user(
            request,
            ngettext(
                "Registrants and speakers will be emailed about this change in about "
                "%(minutes)d minute (further edits before then go into the same email).",
                "Registrants and speakers will be emailed about this change in about "
                "%(minutes)d minutes (further edits before then go into the same email).",
                minutes,
            )
            % {"minutes": minutes},
            messages.INFO,
        )

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: Any, change: bool
    ) -> None:
        if formset.model is not SeminarSpeaker:
            super().save_formset(request, form, formset, change)
            return
        # A row whose speaker was swapped keeps its pk: the old speaker is removed, the new one
        # added. Read the old speaker before saving overwrites the form's instance.
        replaced = {
            row.instance.pk: row.initial["speaker"]
            for row in formset.initial_forms
            if "speaker" in row.changed_data and row not in formset.deleted_forms
        }
        super().save_formset(request, form, formset, change)
        if formset.has_changed():
            # The speakers' names are part of the recording's search text.
            recordings_search_reindex(seminar=form.instance)
        added = list(formset.new_objects)
        updated = []
        removed_ids = [link.speaker_id for link in formset.deleted_objects]
        for link, fields in formset.changed_objects:
            if link.pk in replaced:
                removed_ids.append(replaced[link.pk])
                added.append(link)
            elif "join_url" in fields:
                updated.append(link)
        if added or updated or removed_ids:
            seminar_speakers_notify(
                seminar=form.instance,
                added=added,
                updated=updated,
                removed=list(Speaker.objects.filter(pk__in=removed_ids).order_by("pk")),
            )

    # --- Actions ---------------------------------------------------------------
