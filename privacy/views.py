"""Download and erase one's data: account holders from their account, guests from the
manage link of their registration. Every page is personal (never cached or indexed)."""

import json

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from config.http import personal_page
from privacy.services import account_delete, person_data_export, registration_erase
from webinars.errors import RegistrationBusy
from webinars.views.access import access_by_token, token_route

STAFF_ACCOUNT_MESSAGE = gettext_lazy(
    "Organiser and administrator accounts cannot delete themselves, because the record of "
    "what was done in the admin would go with them. Please ask an administrator to close "
    "your account."
)


def _json_download(data: dict, *, name: str) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="kizuna-{name}-{stamp}.json"'
    return response


def _busy(request: HttpRequest) -> HttpResponse:
    # A seat lock held by a registration rush: nothing was lost, the erasure can be retried.
    return render(request, "privacy/busy.html", status=503)


# --- Account holders ---------------------------------------------------------------------


@personal_page
@login_required
@require_safe
def account_privacy(request: HttpRequest) -> HttpResponse:
    """``/accounts/privacy/``: download my data, delete my account."""
    return render(
        request,
        "privacy/account_privacy.html",
        {"staff_account_message": STAFF_ACCOUNT_MESSAGE},
    )


@personal_page
@login_required
@require_safe
def account_data(request: HttpRequest) -> HttpResponse:
    """``/accounts/privacy/data.json``: everything kept about the signed-in person."""
    return _json_download(person_data_export(user=request.user), name="my-data")


@personal_page
@login_required
@require_http_methods(["POST"])
@reauthentication_required
def account_delete_view(request: HttpRequest) -> HttpResponse:
    """Delete the account (after the password again): places cancelled, data erased."""
    if request.POST.get("confirm") != "delete":
        messages.error(request, _("Tick the box to confirm that you want to delete your account."))
        return redirect("privacy:account_privacy")
    user = request.user
    if user.is_staff or user.is_superuser:
        # Django's admin history (LogEntry) goes with a deleted account: staff accounts are
        # closed by an administrator, who decides what becomes of that record.
        messages.error(request, STAFF_ACCOUNT_MESSAGE)
        return redirect("privacy:account_privacy")
    try:
        account_delete(user=user)
    except RegistrationBusy:
        return _busy(request)
    logout(request)
    messages.success(
        request,
        _(
            "Your account has been deleted. Your places at coming seminars were cancelled "
            "and your details erased. Thank you for joining our seminars."
        ),
    )
    return redirect("webinars:home")


# --- Guests, from the manage link -----------------------------------------------------------


@personal_page
@require_safe
@token_route
def registration_data(request: HttpRequest, token: str) -> HttpResponse:
    """``/r/<token>/data.json``: what is kept about this registration."""
    registration = access_by_token(token, cancelled_too=True).registration
    return _json_download(person_data_export(registration=registration), name="registration")


@personal_page
@require_http_methods(["GET", "HEAD", "POST"])
@token_route
def registration_erase_view(request: HttpRequest, token: str) -> HttpResponse:
    """``/r/<token>/erase/``: GET asks to confirm; POST cancels the place (if the seminar
    is still to come) and erases the registration's details and emails."""
    access = access_by_token(token, cancelled_too=True)
    seminar = access.seminar
    if request.method == "POST":
        try:
            registration_erase(registration=access.registration)
        except RegistrationBusy:
            return _busy(request)
        return render(request, "privacy/registration_erased.html", {"seminar": seminar})
    return render(
        request, "privacy/registration_erase.html", {"access": access, "seminar": seminar}
    )
