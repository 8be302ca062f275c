"""The seminar admin's list actions: publish, cancel with a message to everyone, duplicate.

Each goes through ``webinars.services`` one seminar at a time and tells the organiser,
per seminar, what happened or why it was refused.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from webinars.errors import (
    SeminarAlreadyCancelled,
    SeminarError,
)
from webinars.forms.catalogue import (
    CancelSeminarsForm,
    DuplicateSeminarsForm,
)
from webinars.models import (
    Seminar,
)
from webinars.services import (
    seminar_cancel,
    seminar_duplicate,
    seminar_publish,
)


class SeminarActionsAdminMixin:
    """Publish, cancel and duplicate, for ``SeminarAdmin.actions``."""

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
        return self._confirmation_page(
            request, seminars, form, action_name="cancel_seminars", title=gettext("Cancel seminars")
        )

    def _confirmation_page(
        self,
        request: HttpRequest,
        seminars: list[Seminar],
        form: forms.Form,
        *,
        action_name: str,
        title: str,
    ) -> TemplateResponse:
        """The page between choosing a list action and doing it: which seminars, one form."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "selected": seminars,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": action_name,
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, f"admin/webinars/seminar/{action_name}_confirmation.html", context
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

    @admin.action(description=_("Duplicate selected seminars…"), permissions=["add"])
    def duplicate_seminars(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Ask how many days later the copies start; copy on the confirmed POST."""
        seminars = list(queryset.select_related("series").order_by("starts_at", "pk"))
        if "confirm" in request.POST:
            form = DuplicateSeminarsForm(request.POST)
            if form.is_valid():
                self._duplicate(request, seminars, days_later=form.cleaned_data["days_later"])
                return None
        else:
            form = DuplicateSeminarsForm()
        return self._confirmation_page(
            request,
            seminars,
            form,
            action_name="duplicate_seminars",
            title=gettext("Duplicate seminars"),
        )

    def _duplicate(self, request: HttpRequest, seminars: list[Seminar], *, days_later: int) -> None:
        copies = [seminar_duplicate(seminar=seminar, days_later=days_later) for seminar in seminars]
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
