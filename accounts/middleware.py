"""Staff accounts hold the key to every registrant's data and to mass email, so:

- their sessions end a fixed time after sign-in and after a while without a request
  (a laptop left open in a shared office, a session cookie copied off a machine);
- they reach the organiser pages only with a second factor set up (allauth.mfa).
  Every way in is allauth's login (the admin's own login form redirects to it, see
  config/urls.py), which asks for that factor once it exists.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.mfa import has_second_factor

STAFF_SESSION_KEY = "staff_session"
# The idle clock is written back at most this often, not on every request.
SEEN_RESOLUTION_SECONDS = 60


def start_staff_session(session: SessionBase, user_id: int) -> None:
    """Start a staff session's clocks (sign-in time and last request) at now."""
    now = int(time.time())
    session[STAFF_SESSION_KEY] = {"user": user_id, "since": now, "seen": now}
    # The cookie and the stored session expire with the idle window.
    session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)


def _is_staff(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


class StaffSessionMiddleware:
    """End a staff session STAFF_SESSION_MAX_SECONDS after it began and after
    STAFF_SESSION_IDLE_SECONDS without a request; the person signs in again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_staff(request) and self._session_has_ended(request):
            logout(request)
            messages.info(
                request,
                _("Your organiser session has ended. Please sign in again to continue."),
            )
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)

    @staticmethod
    def _session_has_ended(request: HttpRequest) -> bool:
        state = request.session.get(STAFF_SESSION_KEY)
        if not isinstance(state, dict) or state.get("user") != request.user.pk:
            # The first request since this person signed in: the clocks start now.
            start_staff_session(request.session, request.user.pk)
            return False
        now = int(time.time())
        if (
            now - state["since"] >= settings.STAFF_SESSION_MAX_SECONDS
            or now - state["seen"] >= settings.STAFF_SESSION_IDLE_SECONDS
        ):
            return True
        if now - state["seen"] >= SEEN_RESOLUTION_SECONDS:
            request.session[STAFF_SESSION_KEY] = {**state, "seen": now}
            request.session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
        return False


class StaffTwoFactorMiddleware:
    """Send staff without a second factor to set one up before any organiser page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path_info.startswith(tuple(settings.STAFF_TWO_FACTOR_PATHS))
            and _is_staff(request)
            and not has_second_factor(request.user)
        ):
            messages.warning(
                request,
                _(
                    "Organiser accounts need two-step sign-in. Set up an authenticator app "
                    "(or a security key) first; you will then reach the organiser pages."
                ),
            )
            return redirect("mfa_index")
        return self.get_response(request)
