"""Following: the follow page, the confirmation link, the alerts pages, the account's list.

- ``/follow/?place=kyushu`` (or ``topic=``, ``series=``, ``all=1``): a guest gives an
  address and is sent a confirmation link; a signed-in person follows at once.
- ``/follow/confirm/<token>/``: GET asks (mail scanners open links), POST confirms.
- ``/alerts/<token>/``: an address's follows, each with a button to stop it, from the
  link in every alert; no sign-in, the token is the signed address.
- ``/alerts/<token>/stop/``: stops every alert; its POST is also the one-click
  unsubscribe mail providers send (RFC 8058: no cookie, no CSRF token), so it is exempt
  from CSRF, which is safe because it can only stop mail and needs the signed token.
- ``/me/follows/``: an account holder's follows, to add and stop.

Pages reached from an alert are shown in the alert's language.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts import ratelimit
from accounts.human_check import HumanCheck
from config.http import personal_page
from webinars import selectors, services
from webinars.follow_links import (
    ConfirmationExpired,
    ConfirmationInvalid,
    alerts_claim,
    alerts_token,
    confirmation_claim,
)
from webinars.forms.follows import AccountFollowForm, FollowForm
from webinars.models import ConsentRecord, Follow

ONE_CLICK_FIELD, ONE_CLICK_VALUE = "List-Unsubscribe", "One-Click"


def _target_from(request: HttpRequest) -> selectors.FollowTarget:
    # In the query string for GET and POST alike (the form posts to its own address).
    params = request.GET
    target = selectors.follow_target(
        place=params.get("place", "")[:40],
        topic=params.get("topic", "")[:80],
        series=params.get("series", "")[:150],
        every=params.get("all") == "1",
    )
    if target is None:
        raise Http404(_("There is nothing to follow at this address."))
    return target


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


@personal_page
@require_http_methods(["GET", "HEAD", "POST"])
def follow(request: HttpRequest) -> HttpResponse:
    """The follow page of one target: a guest's address, or one button when signed in."""
    target = _target_from(request)
    user = request.user if request.user.is_authenticated else None
    if user is not None:
        following = target.follows().filter(email=user.email.lower()).confirmed().exists()
        if request.method == "POST":
            services.follow_request(
                email=user.email,
                target=target,
                language=_language(),
                time_zone=user.time_zone or "",
                user=user,
                source=Follow.Source.PAGE,
            )
            messages.success(
                request,
                _("You follow %(name)s: new seminars come in one email a day at most.")
                % {"name": target.name},
            )
            return redirect("webinars:my_follows")
        return render(request, "webinars/follow.html", {"target": target, "following": following})

    human_check = HumanCheck.for_request(request, scope="follow")
    if request.method == "GET":
        form = FollowForm(human_check=human_check)
        return render(request, "webinars/follow.html", {"target": target, "form": form})
    if not ratelimit.hit(
        scope="follow-ip",
        key=ratelimit.client_ip(request),
        rate=settings.FOLLOW_RATE_LIMIT_PER_IP,
    ):
        return render(
            request,
            "429.html",
            {
                "message": _(
                    "Too many requests from your network in a short while. Please try later."
                )
            },
            status=429,
        )
    form = FollowForm(request.POST, human_check=human_check)
    if form.honeypot_filled:
        typed = str(form.data.get("email", "")).strip().lower()[:254]
        return _sent(request, target, typed)
    if not form.is_valid():
        return render(request, "webinars/follow.html", {"target": target, "form": form}, status=200)
    email = form.cleaned_data["email"]
    if not ratelimit.hit(
        scope="follow-email", key=email, rate=settings.FOLLOW_RATE_LIMIT_PER_EMAIL
    ):
        # However many places, topics and series are asked for: one inbox must not be
        # flooded with confirmation links.
        return render(
            request,
            "429.html",
            {
                "message": _(
                    "Too many requests for this email address in a short while. Please try later."
                )
            },
            status=429,
        )
    services.follow_request(
        email=email,
        target=target,
        language=_language(),
        time_zone=form.cleaned_data["time_zone"],
        source=Follow.Source.PAGE,
    )
    # The same answer whether the address is new, waiting or following already: anyone
    # may type any address, and this page must not tell what an address follows.
    return _sent(request, target, email)


def _sent(request: HttpRequest, target: selectors.FollowTarget, email: str) -> HttpResponse:
    return render(
        request,
        "webinars/follow_sent.html",
        {"target": target, "email": email, "days": settings.FOLLOW_CONFIRMATION_DAYS},
    )


@personal_page
@require_http_methods(["GET", "HEAD", "POST"])
def follow_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; POST confirms. Expired, altered or spent links get a clear page."""
    try:
        claim = confirmation_claim(token)
    except ConfirmationExpired:
        context = {"state": "expired", "days": settings.FOLLOW_CONFIRMATION_DAYS}
        return render(request, "webinars/follow_confirm.html", context, status=410)
    except ConfirmationInvalid:
        return render(request, "webinars/follow_confirm.html", {"state": "invalid"}, status=404)
    found = Follow.objects.filter(pk=claim.follow_id, email=claim.email).first()
    if found is None:
        return render(request, "webinars/follow_confirm.html", {"state": "gone"}, status=404)
    with translation.override(found.language):
        if request.method == "POST":
            found = services.follow_confirm(claim=claim) or found
        context = {
            "state": "confirmed" if found.is_confirmed else "ask",
            "follow": found,
            "target_name": found.target_name,
            "manage_url": reverse(
                "webinars:alerts_manage",
                args=[alerts_token(email=found.email, language=found.language)],
            ),
        }
        return render(request, "webinars/follow_confirm.html", context)


def _invalid_alerts_link(request: HttpRequest) -> HttpResponse:
    return render(request, "webinars/alerts_invalid.html", status=404)


@personal_page
@require_http_methods(["GET", "HEAD", "POST"])
def alerts_manage(request: HttpRequest, token: str) -> HttpResponse:
    """An address's follows; POST ``stop=<id>`` stops one (CSRF-checked)."""
    claim = alerts_claim(token)
    if claim is None:
        return _invalid_alerts_link(request)
    with translation.override(claim.language):
        if request.method == "POST":
            _stop_one(request, email=claim.email)
            return redirect("webinars:alerts_manage", token=token)
        return render(
            request,
            "webinars/alerts_manage.html",
            {
                "follows": selectors.follows_of(email=claim.email),
                "token": token,
                "masked_email": _masked(claim.email),
            },
        )


@csrf_exempt
@personal_page
@require_http_methods(["GET", "HEAD", "POST"])
def alerts_stop(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks; POST (the page's button, or a mail provider's one-click) stops every alert."""
    claim = alerts_claim(token)
    if claim is None:
        return _invalid_alerts_link(request)
    with translation.override(claim.language):
        if request.method == "POST":
            services.follows_stop_all(email=claim.email, source=ConsentRecord.Source.UNSUBSCRIBE)
            if request.POST.get(ONE_CLICK_FIELD) == ONE_CLICK_VALUE:
                return HttpResponse(
                    _("You will receive no more alerts of new seminars."),
                    content_type="text/plain; charset=utf-8",
                )
            return render(
                request,
                "webinars/alerts_stop.html",
                {"stopped": True, "masked_email": _masked(claim.email)},
            )
        return render(
            request,
            "webinars/alerts_stop.html",
            {
                "stopped": False,
                "masked_email": _masked(claim.email),
                "following": Follow.objects.of_address(claim.email).exists(),
                "manage_url": reverse("webinars:alerts_manage", args=[token]),
            },
        )


def _stop_one(request: HttpRequest, *, email: str) -> None:
    """Stop the follow the form's ``stop`` names, if it is one of ``email``'s."""
    follow_id = request.POST.get("stop", "")
    found = (
        Follow.objects.of_address(email).filter(pk=follow_id).first()
        if follow_id.isascii() and follow_id.isdigit() and len(follow_id) <= 18
        else None
    )
    if found is not None:
        name = found.target_name
        services.follow_stop(follow=found)
        messages.success(request, _("You no longer follow %(name)s.") % {"name": name})


def _masked(email: str) -> str:
    local, at, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}" if at else "***"


@login_required
@personal_page
@require_http_methods(["GET", "HEAD", "POST"])
def my_follows(request: HttpRequest) -> HttpResponse:
    """An account holder's follows: add one from the list, or stop one."""
    user = request.user
    form = AccountFollowForm()
    if request.method == "POST":
        if request.POST.get("stop"):
            _stop_one(request, email=user.email)
            return redirect("webinars:my_follows")
        form = AccountFollowForm(request.POST)
        if form.is_valid():
            target = form.cleaned_data["target"]
            services.follow_request(
                email=user.email,
                target=target,
                language=_language(),
                time_zone=user.time_zone or "",
                user=user,
                source=Follow.Source.ACCOUNT,
            )
            messages.success(request, _("You follow %(name)s.") % {"name": target.name})
            return redirect("webinars:my_follows")
    return render(
        request,
        "webinars/my_follows.html",
        {"follows": selectors.follows_of(email=user.email), "form": form},
    )
