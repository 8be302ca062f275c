"""The interface language: chosen with the header's switcher, remembered for guests in
Django's language cookie and for signed-in people on their profile (which also sets the
language of the emails sent to their account).

The switcher posts to :func:`language_set`. Guests post without a CSRF token: a token in
the header would make every public page personal, and the page cache (webinars.cache)
would never serve one; a forged post could only change the language cookie. A signed-in
person's post changes their profile, so it must carry the token (their pages are never
cached anyway).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts.models import Language, User


def _refused_by_csrf(request: HttpRequest) -> HttpResponse | None:
    return CsrfViewMiddleware(lambda _request: HttpResponse()).process_view(
        request, set_language, (), {}
    )


@csrf_exempt
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language, then return to the page (``next``). A language
    the site does not offer changes nothing: the page stays in the one it was."""
    user = request.user
    if user.is_authenticated:
        refused = _refused_by_csrf(request)
        if refused is not None:
            return refused
    language = request.POST.get("language", "")
    if language not in Language.values:
        # Django would set a cookie for any language it ships (fr, ja-jp): only ours.
        request.POST = request.POST.copy()
        request.POST["language"] = ""
    response = set_language(request)
    if user.is_authenticated and language in Language.values:
        User.objects.filter(pk=user.pk).exclude(preferred_language=language).update(
            preferred_language=language
        )
    return response


class ProfileLanguageMiddleware:
    """A signed-in person without the language cookie (a new browser, a fresh sign-in)
    reads the site in their profile's language.

    No cookie is set here: the cookie records a choice made with the switcher (or on the
    profile page), and a profile changed later must take effect at once. After
    AuthenticationMiddleware; LocaleMiddleware, earlier, went by the browser.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.preferred_language in Language.values
        ):
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        return self.get_response(request)


def language_cookie_set(response: HttpResponse, language: str) -> None:
    """Remember ``language`` in the browser, as Django's set_language does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
