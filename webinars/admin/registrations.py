"""The registrations admin, and a seminar's registrants from its own admin page.

Organisers see, search and export registrations, mark and import attendance and
promote from the waiting list; every change goes through ``webinars.services``.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms import Textarea
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import ControlCharacterFreeSearchMixin
from webinars import selectors
from webinars.attendance_import import AttendanceReportError, attendance_import, parse_report
from webinars.content_languages import BothLanguagesStackedInline, both
from webinars.errors import (
    AudienceNotAllowed,
    RegistrationBusy,
    RegistrationClosed,
    RegistrationError,
    RegistrationFull,
    RegistrationNotConfirmed,
    RegistrationNotWaitlisted,
    WaitlistDisabled,
)
from webinars.exports import answer_text, registrants_csv_response
from webinars.forms.catalogue import (
    AudienceQuotaFormSet,
)
from webinars.forms.registrations import (
    ActForAttendeesForm,
    AttendanceImportForm,
    OrganiserRegistrationForm,
    RegistrationQuestionForm,
)
from webinars.models import (
    AudienceQuota,
    ConsentRecord,
    Registration,
    RegistrationAct,
    RegistrationQuestion,
    Seminar,
)
from webinars.services import (
    RegistrationAlreadyCancelled,
    attendance_mark,
    registration_add_for_attendee,
    registration_cancel_for_attendee,
    registration_move_to_waitlist_for_attendee,
    registration_promote,
)
from webinars.sources import SOURCE_FIELDS


class AudienceQuotaInline(admin.TabularInline):
    model = AudienceQuota
    formset = AudienceQuotaFormSet
    fields = ["audience_type", "seats"]
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("audience_type")


class RegistrationQuestionInline(BothLanguagesStackedInline):
    model = RegistrationQuestion
    form = RegistrationQuestionForm
    fields = [("position", "kind", "required"), both("label"), both("choices"), both("help_text")]
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 3, "cols": 30})}}
    ordering = ["position", "pk"]
    extra = 0


def _refusal_reason(error: RegistrationError) -> str:
    """Why the rules refused an organiser's act on one place, in words."""
    if isinstance(error, RegistrationAlreadyCancelled):
        return gettext("cancelled already")
    if isinstance(error, RegistrationNotConfirmed):
        return gettext("not a confirmed place (%(status)s)") % {"status": error.args[0]}
    if isinstance(error, WaitlistDisabled):
        return gettext("the seminar has no waiting list: cancel the place instead")
    if isinstance(error, RegistrationClosed):
        return gettext("the seminar is a draft, cancelled or over")
    return str(error)


def registration_count(status: str) -> Coalesce:
    """A seminar's registrations with one status, as a subquery (no GROUP BY on the list)."""
    counts = (
        Registration.objects.filter(seminar=OuterRef("pk"), status=status)
        .order_by()
        .values("seminar")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


# Why "Add a registration" was refused: the rules of the public form hold for organisers.
CLOSED_FOR_ORGANISERS = {
    selectors.ClosedReason.DRAFT: _(
        "The seminar is a draft: publish it before adding registrations."
    ),
    selectors.ClosedReason.CANCELLED: _("The seminar was cancelled."),
    selectors.ClosedReason.ENDED: _("The seminar has ended."),
    selectors.ClosedReason.STARTED: _("The seminar has started: registration is over."),
    selectors.ClosedReason.NOT_OPEN: _(
        "Registration has not opened yet (see the seminar's window)."
    ),
    selectors.ClosedReason.CLOSED: _("Registration has closed (see the seminar's window)."),
}


class SeminarRegistrantsAdminMixin:
    """A seminar's registrants, from its admin: CSV export, attendance import, announcements.

    The seminar admin's URLs and actions (``SeminarAdmin.get_urls``, ``actions``) name
    these views and actions.
    """

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

    def add_registration_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Register someone who phoned or wrote, through the same service as the form."""
        seminar = self._seminar_for_registrations(request, object_id, "change")
        form_kwargs = {
            "seminar": seminar,
            "audience_types": selectors.seminar_audience_types(seminar),
            "questions": list(seminar.questions.all()),
        }
        form = OrganiserRegistrationForm(request.POST or None, **form_kwargs)
        if request.method == "POST" and form.is_valid():
            outcome = self._add_registration(request, seminar, form)
            if outcome is not None:
                return outcome
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Add a registration: %(title)s") % {"title": seminar.title},
            "opts": self.opts,
            "original": seminar,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/webinars/seminar/add_registration.html", context)

    def _add_registration(
        self, request: HttpRequest, seminar: Seminar, form: OrganiserRegistrationForm
    ) -> HttpResponse | None:
        data = form.cleaned_data
        try:
            result = registration_add_for_attendee(
                seminar=seminar,
                actor=request.user,
                email=data["email"],
                name=data["name"],
                audience_type=data["audience_type"],
                organisation=data["organisation"],
                job_title=data["job_title"],
                country=data["country"],
                answers=form.answers(),
                marketing_opt_in=data["marketing_opt_in"],
                recording_followup_opt_in=data["recording_followup_opt_in"],
                language=data["language"],
                note=data["note"],
            )
        except RegistrationClosed as closed:
            form.add_error(None, CLOSED_FOR_ORGANISERS.get(closed.reason, str(closed)))
            return None
        except RegistrationFull:
            form.add_error(None, gettext("The seminar is full and has no waiting list."))
            return None
        except AudienceNotAllowed:
            form.add_error("audience_type", gettext("This seminar is not open to this type."))
            return None
        except RegistrationBusy:
            form.add_error(None, gettext("Lots of people are registering: try again in a moment."))
            return None
        registration = result.registration
        if result.created:
            self.message_user(
                request,
                gettext(
                    "%(name)s is registered (%(status)s). They get the same emails and "
                    "calendar invite as if they had registered themselves."
                )
                % {"name": registration.name, "status": registration.get_status_display().lower()},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                gettext("%(email)s already has a place (%(status)s): here it is.")
                % {
                    "email": registration.email,
                    "status": registration.get_status_display().lower(),
                },
                messages.WARNING,
            )
        return redirect("admin:webinars_registration_change", registration.pk)

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


class RegistrationRecordInline(admin.TabularInline):
    """An append-only record of a registration: shown to whoever may see the registration,
    never added to, edited or deleted here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("webinars.view_registration")


class ConsentRecordInline(RegistrationRecordInline):
    """The registration's consent ledger."""

    model = ConsentRecord
    fields = ("created_at", "consent", "given", "source", "notice_version")
    readonly_fields = fields
    verbose_name_plural = _("consent ledger")


class RegistrationActInline(RegistrationRecordInline):
    """What organisers did for this attendee, oldest first."""

    model = RegistrationAct
    fields = ("created_at", "kind", "actor", "note")
    readonly_fields = fields
    verbose_name_plural = _("done by organisers")


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
    inlines = [RegistrationActInline, ConsentRecordInline]
    list_filter = [
        ("seminar", admin.RelatedOnlyFieldListFilter),
        "status",
        "audience_type",
        "attended",
        "seminar__series",
        "utm_source",
        "utm_medium",
    ]
    search_fields = ["name", "email", "organisation"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    actions = [
        "mark_attended",
        "mark_did_not_attend",
        "mark_attendance_unknown",
        "promote_from_waitlist",
        "cancel_for_attendees",
        "move_to_waitlist_for_attendees",
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
        "waitlisted_at",
        "cancelled_at",
        "join_click_count",
        *SOURCE_FIELDS,
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
                    "waitlisted_at",
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
        (_("Where they came from"), {"fields": list(SOURCE_FIELDS)}),
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
            (question.label, answer_text(answers.get(str(question.pk)), question))
            for question in questions
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

    def _act_for_attendees(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        *,
        action_name: str,
        title: str,
        act: Callable[..., object],
        done_message: Callable[[int], str],
    ) -> HttpResponse | None:
        """Ask for a note, then ``act`` on each selected place, recorded as done by this
        organiser. A place the rules refuse is named with why; the others go ahead."""
        registrations = list(queryset.select_related("seminar").order_by("pk"))
        form = ActForAttendeesForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            done, refused = 0, []
            for registration in registrations:
                try:
                    act(
                        registration=registration,
                        actor=request.user,
                        note=form.cleaned_data["note"],
                    )
                except RegistrationBusy:
                    self.message_user(
                        request,
                        gettext("A registration rush held the seats: try the rest again."),
                        messages.WARNING,
                    )
                    break
                except RegistrationError as error:
                    refused.append(
                        f"{registration.name} <{registration.email}>: {_refusal_reason(error)}"
                    )
                else:
                    done += 1
            if done:
                self.message_user(request, done_message(done), messages.SUCCESS)
            if refused:
                self.message_user(
                    request,
                    "{} {}".format(gettext("Left as they were:"), "; ".join(refused)),
                    messages.WARNING,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "selected": registrations,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": action_name,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, f"admin/webinars/registration/{action_name}.html", context)

    @admin.action(
        description=_("Cancel selected places for their holders…"), permissions=["change"]
    )
    def cancel_for_attendees(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Cancel each place as its holder would (CANCEL invite, the seat to the waiting
        list)."""
        return self._act_for_attendees(
            request,
            queryset,
            action_name="cancel_for_attendees",
            title=gettext("Cancel places for their holders"),
            act=registration_cancel_for_attendee,
            done_message=lambda count: (
                ngettext("Cancelled %(count)d place.", "Cancelled %(count)d places.", count)
                % {"count": count}
            ),
        )

    @admin.action(
        description=_("Move selected places to the waiting list…"), permissions=["change"]
    )
    def move_to_waitlist_for_attendees(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        """Move each confirmed place to the end of the waiting list (CANCEL invite, the
        seat to the next on the list)."""
        batch = list(queryset.values_list("pk", flat=True))

        def move(**act: Any) -> Registration | None:
            # None of the batch may take back a seat that another of it just left.
            return registration_move_to_waitlist_for_attendee(**act, passing_over=batch)

        return self._act_for_attendees(
            request,
            queryset,
            action_name="move_to_waitlist_for_attendees",
            title=gettext("Move places to the waiting list"),
            act=move,
            done_message=lambda count: (
                ngettext(
                    "Moved %(count)d place to the waiting list.",
                    "Moved %(count)d places to the waiting list.",
                    count,
                )
                % {"count": count}
            ),
        )

    @admin.action(description=_("Export as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return registrants_csv_response(
            Registration.objects.filter(pk__in=queryset.values("pk")), name="selection"
        )
