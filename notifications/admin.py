"""Mail in the admin: the outbox ("Resend"), announcements (write, preview, send once) and
the addresses that unsubscribed from announcements."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import ControlCharacterFreeSearchMixin
from notifications.forms import AnnouncementForm, EmailOptOutForm
from notifications.models import (
    Announcement,
    EmailOptOut,
    OutgoingEmail,
    PeriodicTaskRun,
    SeminarAlert,
    SeminarChangeNotice,
)
from notifications.services import (
    AnnouncementAlreadySent,
    AnnouncementError,
    AnnouncementWithoutRecipients,
    NotSent,
    announcement_check,
    announcement_recipients,
    announcement_render,
    announcement_send,
    email_opt_out,
    email_render,
    email_resend,
    opted_out_count,
    recipient_breakdown,
    unsubscribe_url,
)
from webinars.content_languages import BothLanguagesAdmin, both, language_columns
from webinars.models import Registration


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
                    "message_state",
                    "message_subject",
                    "message_text",
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
        return [
            *(field.name for field in OutgoingEmail._meta.fields),
            "message_state",
            "message_subject",
            "message_text",
        ]

    def _message(self, obj: OutgoingEmail) -> OutgoingEmail | str:
        """The row's message: as stored, or for a lean row as it would read if sent now
        (rendered in memory, not stored), or why it would not be sent."""
        if obj.rendered:
            return obj
        cached = getattr(obj, "_admin_preview", None)
        if cached is None:
            try:
                cached = email_render(email=obj)
            except NotSent as reason:
                cached = str(reason)
            obj._admin_preview = cached
        return cached

    @admin.display(description=_("message"))
    def message_state(self, obj: OutgoingEmail) -> str:
        if obj.rendered:
            return gettext("Written: this is the message as it was (or will be) sent.")
        message = self._message(obj)
        if isinstance(message, str):
            return gettext("Not written yet, and it will not be sent: %(reason)s") % {
                "reason": message
            }
        return gettext(
            "Not written yet: the delivery worker writes this message just before it sends "
            "it. Below, the message as it would read now."
        )

    @admin.display(description=_("subject"))
    def message_subject(self, obj: OutgoingEmail) -> str:
        message = self._message(obj)
        return "" if isinstance(message, str) else message.subject

    @admin.display(description=_("text"))
    def message_text(self, obj: OutgoingEmail) -> str:
        message = self._message(obj)
        return "" if isinstance(message, str) else message.body_text

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


# Who wrote it and what sending did: filled in by the admin and the service, never typed.
_ANNOUNCEMENT_RECORD_FIELDS = ("created_by", "created_at", "sent_at", "recipient_count")
_ANNOUNCEMENT_DRAFT_FIELDS = (
    "seminar",
    both("subject"),
    both("body"),
    "statuses",
    "audience_types",
)
# Read-only fields are named one by one, not by line.
_ANNOUNCEMENT_DRAFT_COLUMNS = (
    "seminar",
    *language_columns("subject"),
    *language_columns("body"),
    "statuses",
    "audience_types",
)


@admin.register(Announcement)
class AnnouncementAdmin(ControlCharacterFreeSearchMixin, BothLanguagesAdmin):
    """Write a draft, check its preview (the email and who gets it), then send it once."""

    form = AnnouncementForm
    list_display = (
        "subject",
        "seminar",
        "state",
        "recipient_count",
        "created_by",
        "created_at",
        "sent_at",
    )
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    search_fields = ("subject_en", "subject_ja", "seminar__title_en", "seminar__title_ja")
    list_select_related = ("seminar", "created_by")
    autocomplete_fields = ("seminar",)
    date_hierarchy = "created_at"

    def get_fields(self, request: HttpRequest, obj: Announcement | None = None) -> list[str]:
        if obj is None:
            return list(_ANNOUNCEMENT_DRAFT_FIELDS)
        if obj.sent_at is not None:
            return [
                "seminar",
                both("subject"),
                both("body"),
                "statuses_display",
                "audience_types_display",
                *_ANNOUNCEMENT_RECORD_FIELDS,
            ]
        return [*_ANNOUNCEMENT_DRAFT_FIELDS, *_ANNOUNCEMENT_RECORD_FIELDS]

    def get_readonly_fields(self, request: HttpRequest, obj: Announcement | None = None):
        if obj is not None and obj.sent_at is not None:
            # What went out is a record: nothing of a sent announcement can change.
            return [
                *_ANNOUNCEMENT_DRAFT_COLUMNS,
                "statuses_display",
                "audience_types_display",
                *_ANNOUNCEMENT_RECORD_FIELDS,
            ]
        return list(_ANNOUNCEMENT_RECORD_FIELDS)

    def has_change_permission(self, request: HttpRequest, obj: Announcement | None = None) -> bool:
        if obj is not None and obj.sent_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Announcement | None = None) -> bool:
        if obj is not None and obj.sent_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("seminar__series", "created_by")

    def save_model(
        self, request: HttpRequest, obj: Announcement, form: ModelForm, change: bool
    ) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    # --- Display ---------------------------------------------------------------

    @admin.display(description=_("state"), ordering="sent_at")
    def state(self, obj: Announcement) -> str:
        return gettext("Draft") if obj.sent_at is None else gettext("Sent")

    @admin.display(description=_("registration statuses"))
    def statuses_display(self, obj: Announcement) -> str:
        labels = dict(Registration.Status.choices)
        return ", ".join(str(labels.get(status, status)) for status in obj.statuses) or "—"

    @admin.display(description=_("audience types"))
    def audience_types_display(self, obj: Announcement) -> str:
        names = [audience_type.name for audience_type in obj.audience_types.all()]
        return ", ".join(names) or gettext("All audience types")

    # --- Saving leads to the preview ---------------------------------------------

    def _preview_url(self, obj: Announcement) -> str:
        return reverse("admin:notifications_announcement_preview", args=[quote(obj.pk)])

    def response_add(
        self, request: HttpRequest, obj: Announcement, post_url_continue: str | None = None
    ) -> HttpResponse:
        if "_addanother" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(
            request,
            gettext("The draft is saved. Check the email and its recipients, then send it."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._preview_url(obj))

    def response_change(self, request: HttpRequest, obj: Announcement) -> HttpResponse:
        if "_addanother" in request.POST:
            return super().response_change(request, obj)
        self.message_user(
            request,
            gettext("The draft is saved. Check the email and its recipients, then send it."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._preview_url(obj))

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="notifications_announcement_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: the email as the first recipient reads it, and who gets it. POST: send it."""
        announcement = self.get_object(request, unquote(object_id))
        if announcement is None:
            raise Http404(gettext("No such announcement."))
        if not self.has_view_permission(request, announcement):
            raise PermissionDenied
        if request.method == "POST":
            # Model-level: a sent announcement refuses change, and the service says so.
            if not self.has_change_permission(request):
                raise PermissionDenied
            self._send(request, announcement)
            return HttpResponseRedirect(self._preview_url(announcement))
        return TemplateResponse(
            request,
            "admin/notifications/announcement/preview.html",
            self._preview_context(request, announcement),
        )

    def _send(self, request: HttpRequest, announcement: Announcement) -> None:
        try:
            count = announcement_send(announcement=announcement)
        except AnnouncementAlreadySent as error:
            self.message_user(request, str(error), messages.WARNING)
        except AnnouncementError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                ngettext(
                    "Sent to %(count)d person: the email is in the outbox.",
                    "Sent to %(count)d people: the emails are in the outbox.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )

    def _preview_context(self, request: HttpRequest, announcement: Announcement) -> dict[str, Any]:
        seminar = announcement.seminar
        recipients = announcement_recipients(announcement=announcement)
        problem = None
        if announcement.sent_at is None:
            try:
                announcement_check(announcement=announcement)
                if not recipients:
                    raise AnnouncementWithoutRecipients
            except AnnouncementError as error:
                problem = str(error)
        if recipients:
            reader = recipients[0]
        else:
            # Nobody to show it to yet: an example reader in the seminar's language.
            reader = Registration(
                seminar=seminar, email="someone@example.org", language=seminar.language
            )
        rendered = announcement_render(
            announcement=announcement,
            registration=reader,
            unsubscribe=unsubscribe_url(email=reader.email),
        )
        return {
            **self.admin_site.each_context(request),
            "title": gettext("Preview: %(subject)s") % {"subject": announcement.subject},
            "opts": self.opts,
            "original": announcement,
            "announcement": announcement,
            "seminar": seminar,
            "reader": reader,
            "reader_is_example": not recipients,
            "rendered": rendered,
            "recipient_count": len(recipients),
            "breakdown": recipient_breakdown(recipients),
            "opted_out_count": opted_out_count(announcement=announcement),
            "problem": problem,
            "can_send": problem is None
            and announcement.sent_at is None
            and self.has_change_permission(request, announcement),
            "can_edit": self.has_change_permission(request, announcement),
        }


@admin.register(EmailOptOut)
class EmailOptOutAdmin(ControlCharacterFreeSearchMixin, admin.ModelAdmin):
    """Addresses that get no announcements; organisers add one for someone who asked by email."""

    form = EmailOptOutForm
    list_display = ("email", "source", "created_at")
    list_filter = ("source",)
    search_fields = ("email",)
    date_hierarchy = "created_at"

    def get_fields(self, request: HttpRequest, obj: EmailOptOut | None = None) -> list[str]:
        if obj is None:
            return ["email"]
        return ["email", "source", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: EmailOptOut | None = None):
        if obj is None:
            return []
        return ["email", "source", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: EmailOptOut | None = None) -> bool:
        # An opt-out is the person's decision: it is recorded or removed, never rewritten.
        return False

    def save_model(
        self, request: HttpRequest, obj: EmailOptOut, form: ModelForm, change: bool
    ) -> None:
        saved = email_opt_out(email=obj.email, source="admin")
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the system keeps for itself: organisers look, nobody edits."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SeminarChangeNotice)
class SeminarChangeNoticeAdmin(ReadOnlyAdmin):
    """Time or delivery edits waiting to be told to attendees, and what became of them."""

    list_display = ("seminar", "first_change_at", "last_change_at", "due_at", "sent_at", "outcome")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    list_select_related = ("seminar",)
    search_fields = ("seminar__title_en", "seminar__title_ja")
    date_hierarchy = "first_change_at"


@admin.register(PeriodicTaskRun)
class PeriodicTaskRunAdmin(ReadOnlyAdmin):
    """When beat's periodic tasks last ran: a stale reminder scan means beat is down."""

    list_display = ("name", "last_started_at", "last_finished_at")


@admin.register(SeminarAlert)
class SeminarAlertAdmin(admin.ModelAdmin):
    """Seminars announced to their followers: when, and how many heard (read-only)."""

    list_display = (
        "seminar",
        "occasion",
        "created_at",
        "expanded_at",
        "recipient_count",
        "outcome",
    )
    list_filter = ("occasion",)
    list_select_related = ("seminar",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in SeminarAlert._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SeminarAlert | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SeminarAlert | None = None) -> bool:
        return False
