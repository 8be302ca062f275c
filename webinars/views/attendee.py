"""A registrant's own pages: manage, cancel, invite download, join.

A registration is reached two ways. Emails carry secret links (``/r/<token>/`` to
manage, ``/j/<token>/`` to join); only the token's hash is stored, so the site can
never rebuild those links. A link does one thing: a join token (the one calendar
invites carry) only joins; a manage token also joins. Once a registration is cancelled
its links lead to a plain "this registration was cancelled" page and do nothing else;
the person can also ask for new links, and every earlier one stops working.

Signed-in people reach their own registrations through account routes instead
(``/me/registrations/<id>/…``), checked against their account. Both routes share the
same views below, with a different lookup.

Every page here is personal: never cached anywhere (``Cache-Control: private,
no-store``), never indexed, and sent with ``Referrer-Policy: strict-origin`` so the
token in the address never leaks in a Referer (the meeting platform included): only the
origin is sent. Not ``no-referrer``: with it browsers post forms with ``Origin: null``,
which Django's CSRF check rightly refuses.
GET never changes a registration; cancelling and editing are POSTs. Opening a join
link records the click, which is what the link is for.

The seminar's meeting URL and passcode never appear in any page: the join view
only ever sends the meeting URL as a redirect's ``Location``.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import ratelimit
from config.http import personal_page
from webinars import ical, selectors, timezones
from webinars.errors import RegistrationBusy
from webinars.forms.registrations import RegistrationDetailsForm
from webinars.models import (
    Registration,
    RegistrationToken,
    Seminar,
    SurveyResponse,
)
from webinars.recording_access import can_watch, grant_registration, viewer_for
from webinars.services.registrations import (
    join_click_record,
    registration_cancel,
    registration_links_renew,
    registration_token_issue,
    registration_update_details,
)
from webinars.views.access import (
    EMAILED_LINK_SCOPES,
    JOIN_SCOPES,
    Access,
    access_by_account,
    access_by_token,
    token_route,
)

# --- Finding the registration (webinars.views.access) --------------------------

# Invite downloads per registration per day: each mints a join link (a row).
INVITE_DOWNLOAD_RATE = "20/86400"


# --- Times as the reader reads them ---------------------------------------------


def _reader_zone(registration: Registration) -> str:
    """The registrant's own zone: the one given when registering, else their account's."""
    if registration.time_zone:
        return registration.time_zone
    if registration.user_id and registration.user and registration.user.time_zone:
        return registration.user.time_zone
    return ""


def _spans(
    seminar: Seminar, starts_at: datetime, ends_at: datetime, reader_zone: str
) -> list[timezones.ZonedSpan]:
    """The seminar's zone, UK and Japan time, then the reader's zone if not shown yet."""
    spans = timezones.seminar_spans(starts_at, ends_at, seminar.timezone)
    if reader_zone and reader_zone not in {span.zone for span in spans}:
        spans.append(timezones.zoned_span(starts_at, ends_at, reader_zone))
    return spans


def _moment_texts(moment: datetime, spans: list[timezones.ZonedSpan]) -> list[str]:
    """One instant as "Friday 23 October 2026, 09:30 BST (London)" in each shown zone."""
    texts = []
    for span in spans:
        local = timezones.zoned_span(moment, moment, span.zone).starts
        texts.append(
            _("%(date)s, %(time)s %(zone)s (%(city)s)")
            % {
                "date": dateformat.format(local, timezones.long_date_format()),
                "time": dateformat.format(local, timezones.time_format()),
                "zone": local.tzname() or span.zone,
                "city": span.city,
            }
        )
    return texts


def _seminar_context(access: Access) -> dict[str, object]:
    seminar = access.seminar
    reader_zone = _reader_zone(access.registration)
    spans = _spans(seminar, seminar.starts_at, seminar.ends_at, reader_zone)
    return {
        "access": access,
        "registration": access.registration,
        "seminar": seminar,
        "spans": spans,
        "reader_zone": reader_zone,
    }


def _survey_url(access: Access) -> str:
    """The post-seminar survey's address, while this registrant has one to answer."""
    registration = access.registration
    round = SurveyResponse.Round.AFTER
    if not registration.seminar.is_past or selectors.survey_closed_reason(registration, round):
        return ""
    if not selectors.survey_questions(registration.seminar, round):
        return ""
    if access.by_account:
        return reverse("webinars:my_registration_survey", args=[registration.pk, round])
    if access.token:
        return reverse("webinars:registration_survey", args=[access.token, round])
    return ""


def _can_cancel(registration: Registration) -> bool:
    seminar = registration.seminar
    return not (registration.is_cancelled or seminar.is_cancelled or seminar.is_past)


def absolute_url(path: str) -> str:
    """``path`` as a full address on this site (emails and feeds need the host)."""
    return settings.SITE_URL + path


# --- Manage -----------------------------------------------------------------


def _manage(request: HttpRequest, access: Access) -> HttpResponse:
    registration = access.registration
    can_edit = not registration.is_cancelled
    form = RegistrationDetailsForm(registration=registration)
    if request.method == "POST":
        if not can_edit:
            messages.error(request, _("A cancelled registration cannot be changed."))
            return redirect(access.manage_url)
        form = RegistrationDetailsForm(request.POST, registration=registration)
        if form.is_valid():
            registration_update_details(registration=registration, **form.cleaned_data)
            messages.success(request, _("Your details have been saved."))
            return redirect(access.manage_url)
    context = _seminar_context(access)
    context.update(
        {
            "form": form,
            "can_edit": can_edit,
            "can_cancel": _can_cancel(registration),
            "join_opens_minutes": settings.JOIN_OPENS_MINUTES_BEFORE,
            "certificate_min_percent": settings.CERTIFICATE_MIN_WATCH_PERCENT,
            # Once the seminar has taken place (a few more queries, only then).
            "certificate_standing": (
                selectors.certificate_standing(registration)
                if registration.is_confirmed and registration.seminar.is_past
                else None
            ),
            "survey_url": _survey_url(access),
        }
    )
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "webinars/registration_manage.html", context, status=status)


@personal_page
@require_http_methods(["GET", "HEAD", "POST"])
@token_route
def registration_manage(request: HttpRequest, token: str) -> HttpResponse:
    """``/r/<token>/``: where the registrant stands, their details, and what they can do."""
    return _manage(request, access_by_token(token))


@personal_page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_registration(request: HttpRequest, pk: int) -> HttpResponse:
    """``/me/registrations/<id>/``: the manage page for a signed-in person's registration."""
    return _manage(request, access_by_account(request, pk))


# --- Cancel -----------------------------------------------------------------


def _cancel(request: HttpRequest, access: Access) -> HttpResponse:
    registration = access.registration
    if request.method == "POST":
        if registration.is_cancelled:
            messages.info(request, _("This registration was already cancelled."))
        elif not _can_cancel(registration):
            messages.error(request, _("This registration can no longer be cancelled."))
        else:
            try:
                registration_cancel(registration=registration)
            except RegistrationBusy:
                messages.error(
                    request, _("We are very busy right now. Please try again in a moment.")
                )
                return redirect(access.cancel_url)
            messages.success(
                request,
                _("Your registration has been cancelled. We have sent you an email to confirm."),
            )
            if not access.by_account:
                # Its links act no more: say so here rather than redirect to a page that
                # now answers 410. Posting again finds the same page, and changes nothing.
                return render(
                    request,
                    "webinars/registration_link_inert.html",
                    {"seminar": access.seminar},
                )
        return redirect(access.manage_url)
    context = _seminar_context(access)
    context["can_cancel"] = _can_cancel(registration)
    return render(request, "webinars/registration_cancel.html", context)


@personal_page
@require_http_methods(["GET", "HEAD", "POST"])
@token_route
def registration_cancel_view(request: HttpRequest, token: str) -> HttpResponse:
    """``/r/<token>/cancel/``: GET asks for confirmation, only POST cancels."""
    return _cancel(request, access_by_token(token))


@personal_page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_registration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """``/me/registrations/<id>/cancel/``: as above, for a signed-in person."""
    return _cancel(request, access_by_account(request, pk))


# --- New links --------------------------------------------------------------------


@personal_page
@require_POST
@token_route
def registration_new_links(request: HttpRequest, token: str) -> HttpResponse:
    """``/r/<token>/new-links/`` (POST): every link of this registration stops working and
    fresh ones go to its email address. The page says so; this link is now one of the old."""
    registration = access_by_token(token, scopes=EMAILED_LINK_SCOPES).registration
    registration_links_renew(registration=registration)
    return render(
        request, "webinars/registration_links_sent.html", {"seminar": registration.seminar}
    )


# --- Invite download ----------------------------------------------------------


def _invite(request: HttpRequest, access: Access) -> HttpResponse:
    registration = access.registration
    seminar = access.seminar
    if not registration.is_confirmed or seminar.is_cancelled:
        raise Http404(_("Only a confirmed place at a seminar that goes ahead has an invite."))
    join_url = access.join_url
    content_type = ical.calendar_content_type("REQUEST")
    if not access.by_account:
        # Each download mints a join link (below): a link checker's HEAD (mail scanners
        # open every link) gets the headers only, and downloads are counted per place.
        if request.method == "HEAD":
            return _invite_response(b"", content_type)
        if not ratelimit.hit(
            scope="invite-download", key=str(registration.pk), rate=INVITE_DOWNLOAD_RATE
        ):
            message = _(
                "This invite was downloaded many times today. Please use one you already "
                "have, or try again tomorrow."
            )
            return render(request, "429.html", {"message": message}, status=429)
        # The invite travels to calendars and their delegates: it gets a join-only link
        # of its own, never the manage link this page was opened with.
        token = registration_token_issue(
            registration=registration, scope=RegistrationToken.Scope.JOIN
        )
        join_url = reverse("webinars:registration_join", args=[token])
    with translation.override(registration.language or translation.get_language()):
        body = ical.build_invite(
            seminar=seminar,
            method="REQUEST",
            organizer_email=settings.ORGANISER_CONTACT_EMAIL,
            organizer_name=ical.organizer_name(seminar),
            attendee_email=registration.email,
            attendee_name=registration.name,
            join_url=absolute_url(join_url),
        )
    return _invite_response(body, content_type)


def _invite_response(body: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = 'attachment; filename="invite.ics"'
    return response


@personal_page
@require_safe
@token_route
def registration_invite(request: HttpRequest, token: str) -> HttpResponse:
    """``/r/<token>/invite.ics``: the personal ``METHOD:REQUEST`` invite, to import."""
    return _invite(request, access_by_token(token))


@personal_page
@login_required
@require_safe
def my_registration_invite(request: HttpRequest, pk: int) -> HttpResponse:
    return _invite(request, access_by_account(request, pk))


# --- Join -------------------------------------------------------------------


def _record_click(request: HttpRequest, registration: Registration, *, redirected: bool) -> None:
    # HEAD is what link scanners in mail filters send: a person clicking sends GET.
    if request.method == "GET":
        join_click_record(registration=registration, redirected=redirected)


def _join(request: HttpRequest, access: Access) -> HttpResponse:
    registration = access.registration
    seminar = access.seminar
    context = _seminar_context(access)
    if seminar.is_cancelled:
        return render(request, "webinars/join_ended.html", {**context, "reason": "cancelled"})
    if not registration.is_confirmed:
        reason = "waitlisted" if registration.is_waitlisted else "registration_cancelled"
        return render(
            request, "webinars/join_ended.html", {**context, "reason": reason}, status=403
        )
    now = timezone.now()
    opens_at = seminar.starts_at - timedelta(minutes=settings.JOIN_OPENS_MINUTES_BEFORE)
    if now >= seminar.ends_at:
        _record_click(request, registration, redirected=False)
        context.update(_recording_after_the_end(request, registration))
        return render(request, "webinars/join_ended.html", {**context, "reason": "ended"})
    if now < opens_at:
        _record_click(request, registration, redirected=False)
        context.update(
            {
                "opens_at": opens_at,
                "opens_texts": _moment_texts(opens_at, context["spans"]),
                "join_opens_minutes": settings.JOIN_OPENS_MINUTES_BEFORE,
            }
        )
        return render(request, "webinars/join_countdown.html", context)
    if not seminar.meeting_url:
        # The organisers have not added the meeting yet: say so rather than fail.
        _record_click(request, registration, redirected=False)
        return render(
            request, "webinars/join_ended.html", {**context, "reason": "no_meeting"}, status=503
        )
    _record_click(request, registration, redirected=True)
    return HttpResponseRedirect(seminar.meeting_url)


def grant_recording_link(request: HttpRequest, registration: Registration) -> bool:
    """Let an emailed link open the seminar's registrants-only recording in this browser.

    Only a confirmed place counts: a waitlisted or cancelled registration's link proves
    nothing about attending. True when granted.
    """
    if not registration.is_confirmed:
        return False
    grant_registration(request, registration)
    return True


def _recording_after_the_end(request: HttpRequest, registration: Registration) -> dict:
    """After the end the join link leads to the recording once it is published, and opens
    it in this browser as the emailed recording link does."""
    recording = selectors.published_recording_of_seminar(registration.seminar)
    if recording is None:
        return {"recording": None}
    grant_recording_link(request, registration)
    return {"recording": recording, "can_watch": can_watch(recording, viewer_for(request))}


@personal_page
@require_safe
@token_route
def registration_join(request: HttpRequest, token: str) -> HttpResponse:
    """``/j/<token>/``: to the meeting when the joining window is open, else why not."""
    return _join(request, access_by_token(token, scopes=JOIN_SCOPES))


@personal_page
@login_required
@require_safe
def my_registration_join(request: HttpRequest, pk: int) -> HttpResponse:
    """``/me/registrations/<id>/join/``: the join link of a signed-in person."""
    return _join(request, access_by_account(request, pk))
