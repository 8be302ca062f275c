"""The erasure log, and "Erase a person" for an organiser answering an Article 17 request."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from privacy.models import Erasure
from privacy.services import account_of_address, person_erase, person_erasure_preview
from webinars.errors import RegistrationBusy


class PersonErasureForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("Every registration, email and account with this address is erased."),
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        user = account_of_address(email)
        if user is not None and (user.is_staff or user.is_superuser):
            # Not even a superuser erases a staff account from here: the admin's history
            # of what that person did would go with it, unnoticed.
            raise forms.ValidationError(
                _(
                    "This address belongs to an organiser or administrator account. An "
                    "administrator must first remove its staff status (Users, then the "
                    "account); then it can be erased here."
                ),
                code="staff",
            )
        return email


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    """Read-only: who asked, by which route, when, and how much went; never whose data."""

    list_display = (
        "created_at",
        "route",
        "requested_by",
        "registrations",
        "cancelled",
        "emails",
        "accounts",
    )
    list_filter = ("route",)
    list_select_related = ("requested_by",)
    change_list_template = "admin/privacy/erasure/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "erase/",
                self.admin_site.admin_view(self.erase_person_view),
                name="privacy_erasure_erase",
            ),
            *super().get_urls(),
        ]

    def erase_person_view(self, request: HttpRequest) -> HttpResponse:
        """Enter an address, see what will go, confirm: the erasure is logged by counts."""
        if not request.user.has_perm("privacy.add_erasure"):
            raise PermissionDenied
        form = PersonErasureForm(request.POST or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            email = form.cleaned_data["email"]
            preview = person_erasure_preview(email=email)
            if request.POST.get("confirmed") == "yes":
                try:
                    erasure = person_erase(email=email, requested_by=request.user)
                except RegistrationBusy:
                    self.message_user(
                        request,
                        _(
                            "A registration rush held a seat lock, so the erasure stopped "
                            "part-way. Nothing was lost: confirm again to finish it."
                        ),
                        messages.WARNING,
                    )
                    preview = person_erasure_preview(email=email)
                    return self._erase_page(request, form, preview)
                self.message_user(
                    request,
                    _(
                        "Erased: %(registrations)d registrations (%(cancelled)d places "
                        "cancelled), %(emails)d emails, %(accounts)d accounts."
                    )
                    % {
                        "registrations": erasure.registrations,
                        "cancelled": erasure.cancelled,
                        "emails": erasure.emails,
                        "accounts": erasure.accounts,
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:privacy_erasure_changelist")
        return self._erase_page(request, form, preview)

    def _erase_page(
        self, request: HttpRequest, form: PersonErasureForm, preview: Any
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Erase a person"),
            "form": form,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/privacy/erasure/erase_person.html", context)
