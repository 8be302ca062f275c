"""Admin for people and audience types. Email is the login: there are no usernames."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import AudienceType, User

# C0 control characters (U+0000 to U+001F) become spaces in a search term. PostgreSQL
# refuses a NUL in a text parameter (DataError, so a 500 for ``?q=%00``), and none of them
# means anything in a search box; tabs and newlines still separate words as spaces do.
_C0_CONTROL_CHARACTERS_TO_SPACES = dict.fromkeys(range(0x20), " ")


class ControlCharacterFreeSearchMixin:
    """Search (changelist ``?q=`` and autocomplete ``?term=``) without control characters.

    Every Kizuna ModelAdmin with ``search_fields`` uses it: the admin's autocomplete view
    runs the search of the related model's admin, so one admin without it is enough for a 500.
    """

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        search_term = search_term.translate(_C0_CONTROL_CHARACTERS_TO_SPACES)
        if search_term.isspace():
            search_term = ""
        return super().get_search_results(request, queryset, search_term)


class _EmailIsUniqueIgnoringCase:
    """Reject an email that differs from another account's only in case.

    The database enforces this with a constraint on ``Lower(email)``; checking it on the
    field gives the organiser a message next to the email instead of the constraint's name.
    """

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        others = User.objects.filter(email__iexact=email)
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                _("A user with this email address already exists."), code="unique"
            )
        return email


class UserCreationAdminForm(_EmailIsUniqueIgnoringCase, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserChangeAdminForm(_EmailIsUniqueIgnoringCase, UserChangeForm):
    class Meta:
        model = User
        fields = (
            "email",
            "password",
            "full_name",
            "audience_type",
            "organisation",
            "job_title",
            "country",
            "preferred_language",
            "time_zone",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        )


@admin.register(User)
class UserAdmin(ControlCharacterFreeSearchMixin, DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Profile"),
            {
                "fields": (
                    "full_name",
                    "audience_type",
                    "audience_type_confirmed_at",
                    "organisation",
                    "job_title",
                    "country",
                    "preferred_language",
                    "time_zone",
                )
            },
        ),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
                "description": _(
                    "Organisers are staff members of the “Organisers” group; only give "
                    "superuser status to the people who run the site."
                ),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined", "audience_type_confirmed_at")
    actions = ["confirm_audience_type"]
    # Who may do what: only a superuser changes it, whoever else may edit people.
    PRIVILEGE_FIELDS = ("is_superuser", "groups", "user_permissions")
    list_display = (
        "email",
        "full_name",
        "organisation",
        "audience_type",
        "audience_type_confirmed",
        "is_staff",
        "is_active",
    )
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "audience_type")
    list_select_related = ("audience_type",)
    search_fields = ("email", "full_name", "organisation")
    ordering = ("email",)
    filter_horizontal = ("groups", "user_permissions")

    @admin.display(description=_("type confirmed"), boolean=True)
    def audience_type_confirmed(self, obj: User) -> bool:
        return obj.audience_type_confirmed_at is not None

    def has_confirm_audience_type_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.confirm_audience_type")

    @admin.action(
        description=_("Confirm their audience type"), permissions=["confirm_audience_type"]
    )
    def confirm_audience_type(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """After checking who they are (recordings for chosen audiences trust only this)."""
        confirmed = queryset.filter(
            audience_type__isnull=False, audience_type_confirmed_at=None
        ).update(audience_type_confirmed_at=timezone.now())
        self.message_user(
            request,
            ngettext(
                "Audience type confirmed for %(count)d person.",
                "Audience type confirmed for %(count)d people.",
                confirmed,
            )
            % {"count": confirmed},
            messages.SUCCESS,
        )

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return fields + self.PRIVILEGE_FIELDS


@admin.register(AudienceType)
class AudienceTypeAdmin(ControlCharacterFreeSearchMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "position", "is_active")
    list_editable = ("position", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
