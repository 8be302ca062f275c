"""The public unsubscribe page, reached from the link (and header) in every announcement.

It works without signing in: the link's token is the signed address. GET never changes
anything (mail scanners open links): it shows a button. Any POST to the unsubscribe URL
unsubscribes, including the one-click POST mail providers send on their own (RFC 8058:
no cookies, no CSRF token, body ``List-Unsubscribe=One-Click``). That view is therefore
exempt from CSRF, which is safe because it is idempotent and can only stop
announcements, and a forger needs the signed token anyway. Subscribing again is a
separate URL that keeps Django's CSRF check, so a forged request can never sign someone
up again after they left.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from config.http import personal_page
from notifications.services import (
    ONE_CLICK_BODY,
    email_opt_in,
    email_opt_out,
    is_opted_out,
    masked_email,
    unsubscribe_email,
)


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/unsubscribe_invalid.html", status=404)


def _is_one_click(request: HttpRequest) -> bool:
    name, _sep, value = ONE_CLICK_BODY.partition("=")
    return request.POST.get(name) == value


@csrf_exempt
@personal_page
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """``/unsubscribe/<token>/``: GET asks, POST (the page's button or one-click) unsubscribes."""
    email = unsubscribe_email(token=token)
    if email is None:
        return _invalid_link(request)
    if request.method == "POST":
        one_click = _is_one_click(request)
        email_opt_out(email=email, source="one-click" if one_click else "page")
        if one_click:
            # The mail provider reads the status only; a short body is all it needs.
            return HttpResponse(
                _("You are unsubscribed from announcements and recording notices."),
                content_type="text/plain; charset=utf-8",
            )
        return redirect("notifications:unsubscribe", token=token)
    context = {
        "token": token,
        "masked_email": masked_email(email),
        "opted_out": is_opted_out(email=email),
        "unsubscribe_url": reverse("notifications:unsubscribe", args=[token]),
        "resubscribe_url": reverse("notifications:resubscribe", args=[token]),
    }
    return render(request, "notifications/unsubscribe.html", context)


@personal_page
@require_POST
def resubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """``/unsubscribe/<token>/again/``: announcements again, from the page's form only (CSRF)."""
    email = unsubscribe_email(token=token)
    if email is None:
        return _invalid_link(request)
    email_opt_in(email=email)
    messages.success(request, _("You will receive announcements and recording notices again."))
    return redirect("notifications:unsubscribe", token=token)
