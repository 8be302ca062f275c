"""The organiser admin: series, seminars, speakers, topics, audience types and registrations.

Every change to a seminar goes through ``webinars.services`` (so a published seminar's
calendar ``sequence`` grows when attendees must hear of a change), and every save or delete
here invalidates the cached public pages once the transaction commits.
"""

import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms import Field, ModelForm, Textarea
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import dateformat
from django.utils import timezone as dj_timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import AudienceTypeAdmin, ControlCharacterFreeSearchMixin
from accounts.models import AudienceType
from accounts.validators import available_time_zones
from webinars.attendance_import import AttendanceReportError, attendance_import, parse_report
from webinars.cache import catalogue_changed
from webinars.errors import (
    RegistrationClosed,
    RegistrationError,
    RegistrationFull,
    RegistrationNotWaitlisted,
    SeminarAlreadyCancelled,
    SeminarError,
)
from webinars.exports import answer_text, registrants_csv_response
from webinars.forms.catalogue import (
    AudienceQuotaFormSet,
    CancelSeminarsForm,
    SeminarAdminForm,
    SpeakerAdminForm,
)
from webinars.forms.registrations import AttendanceImportForm, RegistrationQuestionForm
from webinars.models import (
    AudienceQuota,
    Registration,
    RegistrationQuestion,
    Seminar,
    SeminarSpeaker,
    Series,
    Speaker,
    Topic,
)
from webinars.services import (
    attendance_mark,
    recordings_search_reindex,
    registration_promote,
    seminar_cancel,
    seminar_create,
    seminar_duplicate,
    seminar_publish,
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
SEMINAR_DATETIME_FIELDS = (
    "starts_at",
    "ends_at",
    "registration_opens_at",
    "registration_closes_at",
)
# Filled in by the database, not by a service call.
_AUTOMATIC_FIELDS = ("id", "created_at", "updated_at")
# Meeting and profile links are pasted whole; a bare host name is meant as https.
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


def _in_zone(moment: datetime, zone_name: str, format_string: str) -> str:
    return dateformat.format(dj_timezone.localtime(moment, ZoneInfo(zone_name)), format_string)


def _span_in_zone(starts_at: datetime, ends_at: datetime, zone_name: str) -> str:
    """Start to end in one zone; the end's date is repeated only when it differs."""
    zone = ZoneInfo(zone_name)
    start, end = dj_timezone.localtime(starts_at, zone), dj_timezone.localtime(ends_at, zone)
    end_format = "H:i T" if start.date() == end.date() else "D j M Y, H:i T"
    return "{} \N{EN DASH} {}".format(
        dateformat.format(start, "D j M Y, H:i"), dateformat.format(end, end_format)
    )


class CatalogueChangeAdminMixin:
    """Public pages are cached: a save or delete here must invalidate them after commit."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        catalogue_changed()

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        catalogue_changed()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        catalogue_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, queryset)
        catalogue_changed()


class WhenListFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("upcoming", _("Upcoming or running")), ("past", _("Past"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "upcoming":
            return queryset.upcoming()
        if self.value() == "past":
            return queryset.past()
        return queryset


class SeminarSpeakerInline(admin.TabularInline):
    model = SeminarSpeaker
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    fields = ["speaker", "role", "position", "join_url"]
    autocomplete_fields = ["speaker"]
    ordering = ["position", "pk"]
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("speaker")


class AudienceQuotaInline(admin.TabularInline):
    model = AudienceQuota
    formset = AudienceQuotaFormSet
    fields = ["audience_type", "seats"]
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("audience_type")


class RegistrationQuestionInline(admin.TabularInline):
    model = RegistrationQuestion
    form = RegistrationQuestionForm
    fields = ["position", "label", "kind", "choices", "required", "help_text"]
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 3, "cols": 30})}}
    ordering = ["position", "pk"]
    extra = 0


def _registration_count(status: str) -> Coalesce:
    """A seminar's registrations with one status, as a subquery (no GROUP BY on the list)."""
    counts = (
        Registration.objects.filter(seminar=OuterRef("pk"), status=status)
        .order_by()
        .values("seminar")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


@admin.register(Seminar)
class SeminarAdmin(ControlCharacterFreeSearchMixin, CatalogueChangeAdminMixin, admin.ModelAdmin):
    form = SeminarAdminForm
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = [
        "title",
        "series",
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
        "title",
        "slug",
        "summary",
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
    # The seminar's own change form plus its "Recording" button (webinars.admin_recordings).
    change_form_template = "admin/webinars/recording/seminar_change_form.html"

    def get_fieldsets(self, request: HttpRequest, obj: Seminar | None = None) -> list[tuple]:
        when_description = gettext(
            "Enter the start and end in %(zone)s time, the time zone of this admin, whatever "
            "the seminar's own time zone: for example, 19:00 in Tokyo is entered as 10:00 "
            "while UK clocks are on GMT and as 11:00 while they are on BST. The seminar's time "
            "zone does not move the seminar: it is the zone in which its pages and calendar "
            "invites present the times. After saving, check the times shown below."
        ) % {"zone": dj_timezone.get_current_timezone_name()}
        when_fields = ["starts_at", "ends_at", "timezone"]
        if obj is not None:
            when_fields.append("times_overview")
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
                        "title",
                        "slug",
                        "series",
                        "summary",
                        "description",
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

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs: Any) -> Field | None:
        if db_field.name in SEMINAR_DATETIME_FIELDS:
            kwargs["help_text"] = gettext("In %(zone)s time.") % {
                "zone": dj_timezone.get_current_timezone_name()
            }
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """``?series=<id>`` preselects that series' default audience types."""
        initial = super().get_changeform_initial_data(request)
        series_id = str(initial.get("series", ""))
        if series_id.isdigit() and "allowed_audience_types" not in initial:
            series = Series.objects.filter(pk=series_id).first()
            if series is not None:
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
                confirmed_count=_registration_count(Registration.Status.CONFIRMED),
                waitlisted_count=_registration_count(Registration.Status.WAITLISTED),
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
            context["recording_link"] = admin_recordings.seminar_recording_link(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # Bulk deletion would take published seminars with it; drafts are deleted one by one.
        actions.pop("delete_selected", None)
        return actions

    # --- Display -------------------------------------------------------------

    @admin.display(description=_("starts (UK time)"), ordering="starts_at")
    def starts_in_uk(self, obj: Seminar) -> str:
        return _in_zone(obj.starts_at, settings.UK_TIME_ZONE, "D j M Y, H:i T")

    @admin.display(description=_("Japan time"), ordering="starts_at")
    def starts_in_japan(self, obj: Seminar) -> str:
        return _in_zone(obj.starts_at, settings.JAPAN_TIME_ZONE, "D j M, H:i T")

    @admin.display(description=_("times as attendees see them"))
    def times_overview(self, obj: Seminar) -> SafeString | str:
        if not (obj.starts_at and obj.ends_at) or obj.timezone not in available_time_zones():
            return "—"
        zones = dict.fromkeys([obj.timezone, settings.UK_TIME_ZONE, settings.JAPAN_TIME_ZONE])
        rows = ((zone, _span_in_zone(obj.starts_at, obj.ends_at, zone)) for zone in zones)
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", rows))

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
                "<path:object_id>/registrants.csv",
                self.admin_site.admin_view(self.registrants_csv_view),
                name="{}_{}_registrants_csv".format(*info),
            ),
            path(
                "<path:object_id>/import-attendance/",
                self.admin_site.admin_view(self.import_attendance_view),
                name="{}_{}_import_attendance".format(*info),
            ),
            *super().get_urls(),
        ]

    def _seminar_for_registrations(
        self, request: HttpRequest, object_id: str, registration_permission: str
    ) -> Seminar:
        seminar = self.get_object(request, object_id)
        if seminar is None:
            raise Http404(gettext("No such seminar."))
        if not (
            self.has_view_permission(request, seminar)
            and request.user.has_perm(f"webinars.{registration_permission}_registration")
        ):
            raise PermissionDenied
        return seminar

    def registrants_csv_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        seminar = self._seminar_for_registrations(request, object_id, "view")
        return registrants_csv_response(
            Registration.objects.filter(seminar=seminar), name=seminar.slug
        )

    def import_attendance_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        seminar = self._seminar_for_registrations(request, object_id, "change")
        summary = None
        if request.method == "POST":
            form = AttendanceImportForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    report = parse_report(form.cleaned_data["report"].read())
                except AttendanceReportError as error:
                    form.add_error("report", str(error))
                else:
                    summary = attendance_import(
                        seminar=seminar,
                        report=report,
                        mark_absent=form.cleaned_data["mark_absent"],
                    )
                    form = AttendanceImportForm()
        else:
            form = AttendanceImportForm()
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import attendance: %(title)s") % {"title": seminar.title},
            "opts": self.opts,
            "original": seminar,
            "form": form,
            "summary": summary,
            "registrations_url": (
                f"{reverse('admin:webinars_registration_changelist')}"
                f"?seminar__id__exact={seminar.pk}"
            ),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/webinars/seminar/import_attendance.html", context)

    @admin.action(description=_("Export registrants (CSV)"), permissions=["view"])
    def export_registrants(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        if not request.user.has_perm("webinars.view_registration"):
            raise PermissionDenied
        seminars = list(queryset.values_list("slug", flat=True)[:2])
        name = seminars[0] if len(seminars) == 1 else "selection"
        return registrants_csv_response(
            Registration.objects.filter(seminar__in=queryset.values("pk")), name=name
        )

    # --- Saving through the services ------------------------------------------

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

    @admin.action(description=_("Write to registrants"), permissions=["write_to_registrants"])
    def write_to_registrants(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Open a new announcement for the one selected seminar that has registrants."""
        seminars = list(queryset[:2])
        if len(seminars) != 1:
            self.message_user(
                request,
                gettext("Select exactly one seminar to write to its registrants."),
                messages.ERROR,
            )
            return None
        (seminar,) = seminars
        # A draft, or a draft cancelled before publication, never had registrants.
        if seminar.published_at is None:
            self.message_user(
                request,
                gettext("“%(title)s” is a draft: it has no registrants to write to.")
                % {"title": seminar.title},
                messages.ERROR,
            )
            return None
        url = reverse("admin:notifications_announcement_add")
        return HttpResponseRedirect(f"{url}?seminar={seminar.pk}")

    def has_write_to_registrants_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.add_announcement")

    @admin.action(description=_("Publish selected seminars"), permissions=["change"])
    def publish_seminars(self, request: HttpRequest, queryset: QuerySet) -> None:
        published, already_published = 0, []
        for seminar in queryset.order_by("starts_at", "pk"):
            if seminar.is_published:
                already_published.append(seminar.title)
                continue
            try:
                seminar_publish(seminar=seminar)
            except SeminarError as error:
                self.message_user(
                    request,
                    gettext("“%(title)s” was not published: %(reason)s")
                    % {"title": seminar.title, "reason": error},
                    messages.ERROR,
                )
            else:
                published += 1
        if published:
            self.message_user(
                request,
                ngettext("Published %(count)d seminar.", "Published %(count)d seminars.", published)
                % {"count": published},
                messages.SUCCESS,
            )
        if already_published:
            self.message_user(
                request,
                gettext("Already published: %(titles)s.")
                % {"titles": ", ".join(f"“{title}”" for title in already_published)},
                messages.INFO,
            )

    @admin.action(description=_("Cancel selected seminars…"), permissions=["change"])
    def cancel_seminars(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Ask for the message to registrants first; cancel on the confirmed POST."""
        seminars = list(queryset.select_related("series").order_by("starts_at", "pk"))
        if "confirm" in request.POST:
            form = CancelSeminarsForm(request.POST)
            if form.is_valid():
                self._cancel(request, seminars, message=form.cleaned_data["message"])
                return None
        else:
            form = CancelSeminarsForm()
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Cancel seminars"),
            "opts": self.opts,
            "seminars": seminars,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "cancel_seminars",
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, "admin/webinars/seminar/cancel_seminars_confirmation.html", context
        )

    def _cancel(self, request: HttpRequest, seminars: list[Seminar], *, message: str) -> None:
        cancelled, already_cancelled = 0, []
        for seminar in seminars:
            try:
                seminar_cancel(seminar=seminar, message=message)
            except SeminarAlreadyCancelled:
                already_cancelled.append(seminar.title)
            else:
                cancelled += 1
        if cancelled:
            self.message_user(
                request,
                ngettext("Cancelled %(count)d seminar.", "Cancelled %(count)d seminars.", cancelled)
                % {"count": cancelled},
                messages.SUCCESS,
            )
        if already_cancelled:
            self.message_user(
                request,
                gettext("Already cancelled, left unchanged: %(titles)s.")
                % {"titles": ", ".join(f"“{title}”" for title in already_cancelled)},
                messages.WARNING,
            )

    @admin.action(description=_("Duplicate selected seminars"), permissions=["add"])
    def duplicate_seminars(self, request: HttpRequest, queryset: QuerySet) -> None:
        copies = [
            seminar_duplicate(seminar=seminar) for seminar in queryset.order_by("starts_at", "pk")
        ]
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:webinars_seminar_change", args=[copy.pk]), copy.title)
                for copy in copies
            ),
        )
        summary = ngettext(
            "Created %(count)d draft copy:", "Created %(count)d draft copies:", len(copies)
        ) % {"count": len(copies)}
        self.message_user(request, format_html("{} {}", summary, links), messages.SUCCESS)


class SpeakerSeminarInline(admin.TabularInline):
    """The speaker's seminars, for reference; they are edited on the seminar."""

    model = SeminarSpeaker
    fk_name = "speaker"
    fields = ["seminar_link", "seminar_starts", "seminar_status", "role"]
    readonly_fields = fields
    ordering = ["-seminar__starts_at"]
    extra = 0
    can_delete = False
    verbose_name = _("seminar")
    verbose_name_plural = _("seminars")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("seminar")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("seminar"))
    def seminar_link(self, link: SeminarSpeaker) -> SafeString:
        url = reverse("admin:webinars_seminar_change", args=[link.seminar_id])
        return format_html('<a href="{}">{}</a>', url, link.seminar.title)

    @admin.display(description=_("starts (UK time)"))
    def seminar_starts(self, link: SeminarSpeaker) -> str:
        return _in_zone(link.seminar.starts_at, settings.UK_TIME_ZONE, "D j M Y, H:i T")

    @admin.display(description=_("status"))
    def seminar_status(self, link: SeminarSpeaker) -> str:
        return link.seminar.get_status_display()


@admin.register(Speaker)
class SpeakerAdmin(ControlCharacterFreeSearchMixin, CatalogueChangeAdminMixin, admin.ModelAdmin):
    form = SpeakerAdminForm
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ["name", "name_ja", "organisation", "is_jet_participant", "jet_prefecture"]
    list_filter = ["is_jet_participant", "jet_prefecture"]
    search_fields = ["name", "name_ja", "slug", "organisation"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SpeakerSeminarInline]
    # Recordings are found by their speakers' names and organisations.
    SEARCHED_FIELDS = frozenset({"name", "name_ja", "organisation"})
    fieldsets = [
        (
            _("Profile"),
            {"fields": ["name", "name_ja", "slug", "title", "organisation", "bio", "photo"]},
        ),
        (_("Contact and links"), {"fields": ["email", "website", "links"]}),
        (
            _("JET Programme"),
            {
                "fields": [
                    "is_jet_participant",
                    "jet_prefecture",
                    "jet_municipality",
                    "jet_year_from",
                    "jet_year_to",
                ]
            },
        ),
    ]

    def save_model(self, request: HttpRequest, obj: Speaker, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and self.SEARCHED_FIELDS.intersection(form.changed_data):
            recordings_search_reindex(speaker=obj)


@admin.register(Series)
class SeriesAdmin(ControlCharacterFreeSearchMixin, CatalogueChangeAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "seminar_count", "position", "add_seminar_link"]
    list_editable = ["position"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["default_audience_types"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "tagline", "description", "position"]}),
        (
            _("Defaults for its seminars"),
            {"fields": ["default_audience_types", "reminder_offsets_minutes"]},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(seminar_count=Count("seminars"))

    @admin.display(description=_("seminars"), ordering="seminar_count")
    def seminar_count(self, obj: Series) -> int:
        return obj.seminar_count

    @admin.display(description=_("new seminar"))
    def add_seminar_link(self, obj: Series) -> SafeString:
        url = f"{reverse('admin:webinars_seminar_add')}?series={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, gettext("Add a seminar"))


@admin.register(Topic)
class TopicAdmin(ControlCharacterFreeSearchMixin, CatalogueChangeAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "seminar_count"]
    search_fields = ["name", "slug"]
    # The seminar count's GROUP BY drops Meta.ordering, and the topic autocomplete pages
    # through this queryset: without an ordering its pages are unstable.
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(seminar_count=Count("seminars"))

    @admin.display(description=_("seminars"), ordering="seminar_count")
    def seminar_count(self, obj: Topic) -> int:
        return obj.seminar_count


# Audience types belong to accounts, whose admin must not depend on webinars; their names
# appear on public pages, so here they gain the catalogue's cache invalidation.
admin.site.unregister(AudienceType)


@admin.register(AudienceType)
class CatalogueAudienceTypeAdmin(CatalogueChangeAdminMixin, AudienceTypeAdmin):
    pass


@admin.register(Registration)
class RegistrationAdmin(ControlCharacterFreeSearchMixin, admin.ModelAdmin):
    """Registrations by seminar: attendance, promotion from the waitlist and CSV export.

    Registrations are made through the registration form (seats, emails, consent) and are
    never deleted here; the person's consents are theirs to change, from their manage link.
    """

    list_display = [
        "name",
        "email",
        "audience_type",
        "status",
        "attended",
        "created_at",
        "seminar",
    ]
    list_select_related = ["seminar", "audience_type"]
    list_filter = [
        ("seminar", admin.RelatedOnlyFieldListFilter),
        "status",
        "audience_type",
        "attended",
        "seminar__series",
    ]
    search_fields = ["name", "email", "organisation"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    actions = [
        "mark_attended",
        "mark_did_not_attend",
        "mark_attendance_unknown",
        "promote_from_waitlist",
        "export_csv",
    ]
    readonly_fields = [
        "seminar",
        "email",
        "audience_type",
        "status",
        "user",
        "answers_display",
        "privacy_notice_version",
        "privacy_consented_at",
        "marketing_opt_in",
        "recording_followup_opt_in",
        "created_at",
        "confirmation_sent_at",
        "promoted_at",
        "cancelled_at",
        "join_click_count",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "seminar",
                    "status",
                    "attended",
                    "created_at",
                    "promoted_at",
                    "cancelled_at",
                ]
            },
        ),
        (
            _("Registrant"),
            {
                "fields": [
                    "name",
                    "email",
                    "organisation",
                    "job_title",
                    "country",
                    "audience_type",
                    "language",
                    "time_zone",
                    "user",
                ]
            },
        ),
        (_("Answers"), {"fields": ["answers_display"]}),
        (
            _("Consent"),
            {
                "fields": [
                    "privacy_notice_version",
                    "privacy_consented_at",
                    "marketing_opt_in",
                    "recording_followup_opt_in",
                ]
            },
        ),
        (_("Emails and joining"), {"fields": ["confirmation_sent_at", "join_click_count"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("answers"))
    def answers_display(self, obj: Registration) -> SafeString | str:
        answers = obj.answers if isinstance(obj.answers, dict) else {}
        questions = obj.seminar.questions.all()
        rows = [
            (question.label, answer_text(answers.get(str(question.pk)))) for question in questions
        ]
        if not rows:
            return "—"
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))

    @admin.display(description=_("join clicks"))
    def join_click_count(self, obj: Registration) -> int:
        return obj.join_clicks.count()

    # --- Actions ---------------------------------------------------------------

    def _mark(self, request: HttpRequest, queryset: QuerySet, attended: str) -> None:
        changed = attendance_mark(
            registrations=list(queryset.select_related(None).only("pk")), attended=attended
        )
        label = Registration.Attendance(attended).label
        self.message_user(
            request,
            ngettext(
                "Marked %(count)d registration as “%(attended)s”.",
                "Marked %(count)d registrations as “%(attended)s”.",
                changed,
            )
            % {"count": changed, "attended": label},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark as attended"), permissions=["change"])
    def mark_attended(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._mark(request, queryset, Registration.Attendance.YES)

    @admin.action(description=_("Mark as did not attend"), permissions=["change"])
    def mark_did_not_attend(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._mark(request, queryset, Registration.Attendance.NO)

    @admin.action(description=_("Mark attendance unknown"), permissions=["change"])
    def mark_attendance_unknown(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._mark(request, queryset, Registration.Attendance.UNKNOWN)

    @admin.action(description=_("Promote from waitlist"), permissions=["change"])
    def promote_from_waitlist(self, request: HttpRequest, queryset: QuerySet) -> None:
        promoted, refused = [], []
        for registration in queryset.select_related("seminar").order_by("created_at", "pk"):
            try:
                registration_promote(registration=registration)
            except RegistrationNotWaitlisted:
                reason = gettext("not on the waitlist (%(status)s)") % {
                    "status": registration.get_status_display()
                }
                refused.append((registration.name, registration.email, reason))
            except RegistrationFull:
                reason = gettext("no seat left: raise the seminar's capacity first")
                refused.append((registration.name, registration.email, reason))
            except RegistrationClosed:
                reason = gettext("the seminar is a draft, cancelled or over")
                refused.append((registration.name, registration.email, reason))
            except RegistrationError as error:
                refused.append((registration.name, registration.email, str(error)))
            else:
                promoted.append(registration)
        if promoted:
            self.message_user(
                request,
                ngettext(
                    "Promoted %(count)d registration from the waitlist; they are told by email.",
                    "Promoted %(count)d registrations from the waitlist; they are told by email.",
                    len(promoted),
                )
                % {"count": len(promoted)},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                "{} {}".format(
                    gettext("Not promoted:"),
                    "; ".join(f"{name} <{email}>: {reason}" for name, email, reason in refused),
                ),
                messages.WARNING,
            )

    @admin.action(description=_("Export as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return registrants_csv_response(
            Registration.objects.filter(pk__in=queryset.values("pk")), name="selection"
        )


# Registers the recording admin; imported last because it builds on the classes above.
from webinars import admin_recordings  # noqa: E402
