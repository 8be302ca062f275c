"""Follows in the admin: who follows what, to see interest and to stop a follow on request.

A follow is the person's own decision: organisers read and stop follows, never write
them (a person confirms their own address). Stopping goes through the service, so a
follow of every seminar also unticks "future seminars" in the consent ledger.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin import ControlCharacterFreeSearchMixin
from webinars.models import Follow
from webinars.services import follow_stop


class ConfirmedFilter(admin.SimpleListFilter):
    title = _("confirmed")
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("yes", _("Confirmed")), ("no", _("Waiting for confirmation"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(confirmed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(confirmed_at=None)
        return queryset


@admin.register(Follow)
class FollowAdmin(ControlCharacterFreeSearchMixin, admin.ModelAdmin):
    list_display = ("email", "kind", "target", "language", "source", "created_at", "confirmed_at")
    list_filter = ("kind", "place", "topic", "series", ConfirmedFilter, "source", "language")
    list_select_related = ("topic", "series")
    search_fields = ("email",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Follow._meta.fields]

    @admin.display(description=_("follows"))
    def target(self, follow: Follow) -> str:
        return follow.target_name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Follow | None = None) -> bool:
        return False  # viewed read-only; a follow is changed only by its owner

    def delete_model(self, request: HttpRequest, obj: Follow) -> None:
        follow_stop(follow=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Follow]) -> None:
        for follow in queryset:
            follow_stop(follow=follow)
