"""The catalogue admin around seminars: speakers, series, topics and audience types."""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.forms import ModelForm, Textarea
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import AudienceTypeAdmin, ControlCharacterFreeSearchMixin
from accounts.models import AudienceType
from webinars.admin.mixins import URL_FIELDS_ASSUME_HTTPS, CatalogueChangeAdminMixin, in_zone
from webinars.content_languages import (
    BothLanguagesAdmin,
    BothLanguagesStackedInline,
    both,
    shown_order,
)
from webinars.forms.catalogue import (
    SeriesAdminForm,
    SpeakerAdminForm,
)
from webinars.forms.surveys import SurveyQuestionForm
from webinars.models import (
    SeminarSpeaker,
    Series,
    Speaker,
    SurveyQuestion,
    Topic,
)
from webinars.selectors import speaker_certificate_allowed
from webinars.services import (
    recordings_search_reindex,
)


class SeminarSpeakerInline(admin.TabularInline):
    model = SeminarSpeaker
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    fields = ["speaker", "role", "position", "join_url", "presentation_certificate"]
    # Not "certificate": that name is the link's reverse relation to its Certificate.
    readonly_fields = ["presentation_certificate"]
    autocomplete_fields = ["speaker"]
    ordering = ["position", "pk"]
    extra = 0

    @admin.display(description=_("certificate of presentation"))
    def presentation_certificate(self, link: SeminarSpeaker) -> str:
        """Links to the speaker's certificate (English, Japanese) once the seminar is over."""
        if not link.pk or not speaker_certificate_allowed(link):
            return "—"
        url = reverse("admin:webinars_seminar_speaker_certificate", args=[link.seminar_id, link.pk])
        return format_html(
            '<a href="{}?language=en">{}</a> · <a href="{}?language=ja">{}</a>',
            url,
            gettext("PDF in English"),
            url,
            gettext("PDF in Japanese"),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("speaker", "seminar")


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
        return in_zone(link.seminar.starts_at, settings.UK_TIME_ZONE, "D j M Y, H:i T")

    @admin.display(description=_("status"))
    def seminar_status(self, link: SeminarSpeaker) -> str:
        return link.seminar.get_status_display()


@admin.register(Speaker)
class SpeakerAdmin(ControlCharacterFreeSearchMixin, CatalogueChangeAdminMixin, BothLanguagesAdmin):
    form = SpeakerAdminForm
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ["name", "name_ja", "organisation", "is_jet_participant", "jet_prefecture"]
    list_filter = ["is_jet_participant", "jet_prefecture"]
    search_fields = ["name", "name_ja", "slug", "organisation_en", "organisation_ja"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SpeakerSeminarInline]
    # Recordings are found by their speakers' names and organisations.
    SEARCHED_FIELDS = frozenset({"name", "name_ja", "organisation_en", "organisation_ja"})
    fieldsets = [
        (
            _("Profile"),
            {
                "fields": [
                    ("name", "name_ja"),
                    "slug",
                    both("title"),
                    both("organisation"),
                    both("bio"),
                    "photo",
                ]
            },
        ),
        (
            _("Contact and links"),
            {"fields": ["email", "language", "time_zone", "website", "links"]},
        ),
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


class SurveyQuestionInline(BothLanguagesStackedInline):
    """The questions every seminar of the series asks its registrants afterwards."""

    model = SurveyQuestion
    form = SurveyQuestionForm
    fields = [("position", "kind", "required"), both("label"), both("choices"), both("help_text")]
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 3, "cols": 30})}}
    ordering = ["position", "pk"]
    extra = 0
    verbose_name_plural = _(
        "Post-seminar survey (sent to registrants an hour after each seminar ends; the "
        "outcome question is asked again three and six months later of those who agree)"
    )


@admin.register(Series)
class SeriesAdmin(ControlCharacterFreeSearchMixin, CatalogueChangeAdminMixin, BothLanguagesAdmin):
    form = SeriesAdminForm
    inlines = [SurveyQuestionInline]
    list_display = ["name", "slug", "seminar_count", "position", "add_seminar_link"]
    list_editable = ["position"]
    search_fields = ["name_en", "name_ja", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["default_audience_types"]
    fieldsets = [
        (
            None,
            {"fields": [both("name"), "slug", both("tagline"), both("description"), "position"]},
        ),
        (
            _("Defaults for its seminars"),
            {"fields": ["timezone", "default_audience_types", "reminder_offsets_minutes"]},
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
class TopicAdmin(ControlCharacterFreeSearchMixin, CatalogueChangeAdminMixin, BothLanguagesAdmin):
    list_display = ["name", "slug", "seminar_count"]
    search_fields = ["name_en", "name_ja", "slug"]
    fields = [both("name"), "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_ordering(self, request: HttpRequest) -> list:
        # The seminar count's GROUP BY drops Meta.ordering, and the topic autocomplete
        # pages through this queryset: it needs an order that is stable (the pk breaks
        # ties) and reads as the organiser sees the names (a topic not yet in their
        # language sorts by its other name, not as NULL).
        return [shown_order("name"), "pk"]

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
