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

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import ratelimit
from accounts.models import User
from config.http import personal_page
from webinars import ical, selectors, timezones
from webinars.errors import RegistrationBusy
from webinars.forms.registrations import RegistrationDetailsForm
from webinars.models import (
    Registration,
    RegistrationQuerySet,
    RegistrationToken,
    Seminar,
    SurveyResponse,
)
from webinars.recording_access import can_watch, grant_registration, viewer_for
from webinars.selectors import registration_link
from webinars.services.registrations import (
    join_click_record,
    registration_cancel,
    registration_links_renew,
    registration_token_issue,
    registration_update_details,
)

# --- Finding the registration -------------------------------------------------


@dataclass(frozen=True)
class Access:
    """A registration and the links of the route it was reached by (token or account)."""

    registration: Registration
    manage_url: str
    cancel_url: str
    invite_url: str
    join_url: str
    by_account: bool
    # Emailed manage links only: the token (for the privacy app's routes under /r/)
    # and asking for fresh links (account routes need neither).
    new_links_url: str = ""
    token: str = ""
    certificate_url: str = ""

    @property
    def seminar(self) -> Seminar:
        return self.registration.seminar


# Invite downloads per registration per day: each mints a join link (a row).
INVITE_DOWNLOAD_RATE = "20/86400"
MANAGE_SCOPES = (RegistrationToken.Scope.MANAGE,)
# A link from an email sent before links had scopes still joins (it is in old invites).
JOIN_SCOPES = (
    RegistrationToken.Scope.MANAGE,
    RegistrationToken.Scope.JOIN,
    RegistrationToken.Scope.EARLIER,
)
# The links emails carry beside the join link: today's manage link, and an earlier one,
# which still opens the recording and asks for fresh links (they go to the registrant's
# inbox, never to whoever asks).
EMAILED_LINK_SCOPES = (RegistrationToken.Scope.MANAGE, RegistrationToken.Scope.EARLIER)


def access_by_token(
    token: str, *, scopes: Collection[str] = MANAGE_SCOPES, cancelled_too: bool = False
) -> Access:
    """The registration behind an emailed link of one of ``scopes``; 404 otherwise.

    Raises :class:`LinkNoLongerWorks` for the link of a cancelled or erased registration:
    the token routes (:func:`token_route`) answer with a plain page that does nothing.
    ``cancelled_too`` lets a cancelled (not erased) registration through: the privacy
    routes, so a person can still download or erase what is kept after cancelling.
    """
    earlier = RegistrationToken.Scope.EARLIER
    link = registration_link(token, scopes={*scopes, earlier})
    if link is None:
        raise Http404(_("This link is not valid. Please use the latest email we sent you."))
    registration = link.registration
    if registration.anonymised_at or (registration.is_cancelled and not cancelled_too):
        manage_token = token if link.scope == RegistrationToken.Scope.MANAGE else ""
        raise LinkNoLongerWorks(registration, manage_token=manage_token)
    if link.scope == earlier and earlier not in scopes:
        raise LinkFromEarlierEmail(registration)
    if link.scope == RegistrationToken.Scope.JOIN:
        # A join link manages nothing: its pages offer no manage, cancel or invite links.
        manage_url = cancel_url = invite_url = new_links_url = ""
    elif link.scope == earlier:
        manage_url = cancel_url = invite_url = ""
        new_links_url = reverse("webinars:registration_new_links", args=[token])
    else:
        manage_url = reverse("webinars:registration_manage", args=[token])
        cancel_url = reverse("webinars:registration_cancel", args=[token])
        invite_url = reverse("webinars:registration_invite", args=[token])
        new_links_url = reverse("webinars:registration_new_links", args=[token])
    return Access(
        registration=registration,
        manage_url=manage_url,
        cancel_url=cancel_url,
        invite_url=invite_url,
        join_url=reverse("webinars:registration_join", args=[token]),
        by_account=False,
        new_links_url=new_links_url,
        token=token if manage_url else "",
        certificate_url=(
            reverse("webinars:registration_certificate", args=[token]) if manage_url else ""
        ),
    )


class LinkFromEarlierEmail(Exception):
    """A link minted before links had scopes (it travelled in calendar invites): it joins,
    but for anything else it only offers to email fresh links to the registrant."""

    def __init__(self, registration: Registration) -> None:
        super().__init__(registration.pk)
        self.registration = registration


class LinkNoLongerWorks(Exception):
    """An emailed link of a registration that was cancelled or erased: it no longer acts."""

    def __init__(self, registration: Registration, *, manage_token: str = "") -> None:
        super().__init__(registration.pk)
        self.registration = registration
        # Set for an emailed manage link: its owner may still download or erase their data.
        self.manage_token = manage_token


def token_route(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer a cancelled registration's link with the plain "was cancelled" page (410),
    and a link from an earlier email, where it may not act, with its "fresh links" page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, token: str, **kwargs: str) -> HttpResponse:
        try:
            return view(request, token, **kwargs)
        except LinkFromEarlierEmail as earlier:
            context = {
                "seminar": earlier.registration.seminar,
                "new_links_url": reverse("webinars:registration_new_links", args=[token]),
            }
            return render(request, "webinars/registration_link_earlier.html", context)
        except LinkNoLongerWorks as inert:
            seminar = inert.registration.seminar
            erased = bool(inert.registration.anonymised_at)
            context = {
                "seminar": seminar,
                "erased": erased,
                "data_token": "" if erased else inert.manage_token,
            }
            return render(request, "webinars/registration_link_inert.html", context, status=410)

    return wrapper


def registrations_of_user(user: User) -> RegistrationQuerySet:
    """Registrations that belong to a signed-in person.

    Those linked to the account, and those made as a guest with the account's email:
    email verification is mandatory, so the account holder owns that address.
    """
    return Registration.objects.filter(Q(user=user) | Q(email=user.email.lower()))


def access_by_account(request: HttpRequest, pk: int) -> Access:
    """The signed-in person's registration ``pk``, with the account routes' links; 404
    for anyone else's."""
    registration = (
        registrations_of_user(request.user)
        .select_related("seminar__series", "audience_type", "user")
        .filter(pk=pk)
        .first()
    )
    if registration is None:
        raise Http404(_("No registration of yours was found."))
    return Access(
        registration=registration,
        manage_url=reverse("webinars:my_registration", args=[pk]),
        cancel_url=reverse("webinars:my_registration_cancel", args=[pk]),
        invite_url=reverse("webinars:my_registration_invite", args=[pk]),
        join_url=reverse("webinars:my_registration_join", args=[pk]),
        by_account=True,
        certificate_url=reverse("webinars:my_registration_certificate", args=[pk]),
    )


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
