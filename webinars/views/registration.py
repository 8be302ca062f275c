"""The registration form of a seminar, and the privacy notice it links to.

Never cached: the form carries a CSRF token and signed-in visitors see their own details.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import ratelimit
from accounts.human_check import HumanCheck
from accounts.models import Language
from webinars import selectors
from webinars.cache import cache_public_page
from webinars.errors import (
    AudienceNotAllowed,
    RegistrationBusy,
    RegistrationClosed,
    RegistrationFull,
)
from webinars.forms.registrations import (
    RegistrationForm,
    one_click_data,
    profile_ready_for_one_click,
)
from webinars.models import ConsentRecord, Seminar
from webinars.services.registrations import registration_create
from webinars.sources import session_source

REGISTER_TEMPLATE = "webinars/register.html"
DONE_TEMPLATE = "webinars/register_done.html"
ONE_CLICK_FIELD = "one_click"


def _closed(request: HttpRequest, seminar: Seminar, reason: str) -> HttpResponse:
    return render(
        request, REGISTER_TEMPLATE, {"seminar": seminar, "closed_reason": reason, "form": None}
    )


def _too_many(request: HttpRequest, message: str) -> HttpResponse:
    # The shared 429 page, saying which limit it was.
    return render(request, "429.html", {"message": message}, status=429)


def _language() -> str:
    language = (get_language() or "").split("-")[0]
    return language if language in Language.values else Language.ENGLISH


@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, slug: str) -> HttpResponse:
    """GET shows the form (or why registration is closed); POST registers."""
    seminar = selectors.seminar_for_registration(slug)
    if seminar is None:
        raise Http404(_("No seminar found."))
    reason = selectors.registration_closed_reason(seminar)
    if reason is not None:
        return _closed(request, seminar, reason)

    user = request.user if request.user.is_authenticated else None
    audience_types = selectors.seminar_audience_types(seminar)
    questions = list(seminar.questions.all())
    one_click = user is not None and profile_ready_for_one_click(
        user=user, audience_types=audience_types, questions=questions
    )
    form_kwargs = {
        "seminar": seminar,
        "audience_types": audience_types,
        "questions": questions,
        "user": user,
        # A signed-in person proved their address; a guest may be asked to prove a browser.
        "human_check": None if user else HumanCheck.for_request(request, scope="register"),
    }
    context = {"seminar": seminar, "one_click": one_click, "closed_reason": None}

    if request.method == "GET":
        form = RegistrationForm(**form_kwargs)
        return render(request, REGISTER_TEMPLATE, {**context, "form": form})

    if not ratelimit.hit(
        scope="register-ip",
        key=ratelimit.client_ip(request),
        rate=settings.REGISTRATION_RATE_LIMIT_PER_IP,
    ):
        return _too_many(
            request,
            _("Too many registrations from your network in a short while. Please try later."),
        )
    data = request.POST
    consent_source = ConsentRecord.Source.REGISTRATION_FORM
    if one_click and request.POST.get(ONE_CLICK_FIELD):
        data = one_click_data(user)
        consent_source = ConsentRecord.Source.ONE_CLICK
    form = RegistrationForm(data, **form_kwargs)
    if form.honeypot_filled:
        # Tell a bot it worked, and write nothing.
        typed = str(form.data.get("email", "")).strip().lower()[:254]
        return render(
            request, DONE_TEMPLATE, {"seminar": seminar, "state": "received", "email": typed}
        )
    if not form.is_valid():
        return render(request, REGISTER_TEMPLATE, {**context, "form": form}, status=200)

    email = form.cleaned_data["email"]
    if not ratelimit.hit(
        scope="register-email", key=email, rate=settings.REGISTRATION_RATE_LIMIT_PER_EMAIL
    ):
        return _too_many(
            request,
            _("Too many registrations for this email address in a short while. Please try later."),
        )
    try:
        result = registration_create(
            seminar=seminar,
            email=email,
            name=form.cleaned_data["name"],
            audience_type=form.cleaned_data["audience_type"],
            organisation=form.cleaned_data["organisation"],
            job_title=form.cleaned_data["job_title"],
            country=form.cleaned_data["country"],
            answers=form.answers(),
            marketing_opt_in=form.cleaned_data["marketing_opt_in"],
            recording_followup_opt_in=form.cleaned_data["recording_followup_opt_in"],
            language=_language(),
            time_zone=form.cleaned_data["time_zone"],
            user=user,
            consent_source=consent_source,
            source=session_source(request),
            # Only a signed-in person is sent to their manage page; a guest's links go
            # to their inbox alone.
            manage_token=user is not None,
        )
    except RegistrationClosed as closed:
        return _closed(request, seminar, closed.reason)
    except RegistrationFull:
        return _closed(request, seminar, "full")
    except AudienceNotAllowed:
        form.add_error("audience_type", _("This seminar is not open to this audience type."))
        return render(request, REGISTER_TEMPLATE, {**context, "form": form})
    except RegistrationBusy:
        return render(request, DONE_TEMPLATE, {"seminar": seminar, "state": "busy"}, status=503)

    registration = result.registration
    if user is None:
        # Anyone may type any address, so a guest gets the same answer whether the address
        # is new here or already has a place: "check your inbox". The links go only to the
        # inbox (the existing ones again, at most once per CONFIRMATION_RESEND_SECONDS), so
        # whoever holds a manage link has shown they read that address's mail.
        return render(
            request, DONE_TEMPLATE, {"seminar": seminar, "state": "received", "email": email}
        )
    if not result.created:
        messages.info(request, _("You're already registered for this seminar."))
        return redirect(reverse("webinars:my_registration", args=[registration.pk]))
    if registration.is_confirmed:
        messages.success(request, _("You're registered. We've emailed you the details."))
    else:
        messages.info(
            request, _("You're on the waiting list. We'll email you if a seat comes free.")
        )
    return redirect(reverse("webinars:registration_manage", args=[result.token]))


@cache_public_page
@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy notice: what registration stores and why, with its version."""
    return render(
        request,
        "webinars/privacy.html",
        {
            "version": settings.PRIVACY_NOTICE_VERSION,
            "contact_email": settings.ORGANISER_CONTACT_EMAIL,
            "retention_months": settings.RETENTION_MONTHS,
            "outbox_days": settings.OUTBOX_RETENTION_DAYS,
        },
    )
