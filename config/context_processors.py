"""Template context every page needs: the site address, whom to write to, and where the
language switcher returns to."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest

from webinars.cache import PAGE_QUERY_PARAMETERS


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "SITE_URL": settings.SITE_URL,
        "ORGANISER_CONTACT_EMAIL": settings.ORGANISER_CONTACT_EMAIL,
    }


def language_switch(request: HttpRequest) -> dict[str, object]:
    """The page to come back to after switching language: its path and the query
    parameters the page reads, nothing else. Public pages are cached by exactly those
    (webinars.cache), so a visitor's stray parameter can never be served to others."""
    query = [
        (name, value)
        for name, values in request.GET.lists()
        if name in PAGE_QUERY_PARAMETERS
        for value in values
    ]
    path = request.path + (f"?{urlencode(query)}" if query else "")
    return {"LANGUAGE_SWITCH_NEXT": path}
