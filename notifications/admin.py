"""The outbox in the admin: what was sent to whom, what failed and why, and "Resend"."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import ControlCharacterFreeSearchMixin
from notifications.models import OutgoingEmail
from notifications.services import email_resend


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ControlCharacterFreeSearchMixin, admin.ModelAdmin):
    list_display = (
        "kind",
        "to_email",
        "seminar",
        "status",
        "attempts",
        "created_at",
        "sent_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("to_email", "subject")
    list_select_related = ("seminar",)
    date_hierarchy = "created_at"
    actions = ["resend"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "kind",
                    ("to_name", "to_email"),
                    "language",
                    ("seminar", "registration"),
                    "subject",
                    "body_text",
                )
            },
        ),
        (
            _("Delivery"),
            {
                "fields": (
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "last_error",
                    ("created_at", "updated_at", "sent_at"),
                    "dedupe_key",
                )
            },
        ),
        (
            _("Calendar invite"),
            {"classes": ("collapse",), "fields": ("calendar_method", "calendar_body")},
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: OutgoingEmail | None = None):
        # The row is the exact message that was (or will be) sent: nobody edits it.
        return [field.name for field in OutgoingEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutgoingEmail | None = None) -> bool:
        return False

    @admin.action(description=_("Resend (failed or cancelled emails)"), permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]) -> None:
        resent = sum(email_resend(email=email) for email in queryset)
        skipped = queryset.count() - resent
        if resent:
            self.message_user(
                request,
                ngettext("%(count)d email queued again.", "%(count)d emails queued again.", resent)
                % {"count": resent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d email was not failed or cancelled and was left as it is.",
                    "%(count)d emails were not failed or cancelled and were left as they are.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
