"""What the catalogue admins share: cache invalidation, times in a zone, https links, filters."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import dateformat
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from webinars.cache import catalogue_changed

# Meeting and profile links are pasted whole; a bare host name is meant as https.
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


def in_zone(moment: datetime, zone_name: str, format_string: str) -> str:
    """``moment`` as the clock in ``zone_name`` reads it, in ``format_string``."""
    return dateformat.format(dj_timezone.localtime(moment, ZoneInfo(zone_name)), format_string)


def span_in_zone(starts_at: datetime, ends_at: datetime, zone_name: str) -> str:
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
