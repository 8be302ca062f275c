"""Template context every page needs: the site address, whom to write to, and where the
language switcher returns to."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.utils.encoding import escape_uri_path

from webinars.cache import PAGE_QUERY_PARAMETERS


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "SITE_URL": settings.SITE_URL,
        "ORGANISER_CONTACT_EMAIL": settings.ORGANISER_CONTACT_EMAIL,
    }


def language_switch(request: HttpRequest) -> dict[str, object]:
    """The page to come back to after switching language. A page served from the shared
    cache keeps only the query parameters it reads (the cache key's), so that one
    visitor's stray parameter can never be served to others; any other page keeps its
    whole address (a login's ``?next=``, the insights' filter)."""
    match = getattr(request, "resolver_match", None)
    if not getattr(getattr(match, "func", None), "page_cached", False):
        return {"LANGUAGE_SWITCH_NEXT": request.get_full_path()}
    query = [
        (name, value)
        for name, values in request.GET.lists()
        if name in PAGE_QUERY_PARAMETERS
        for value in values
    ]
    path = escape_uri_path(request.path) + (f"?{urlencode(query)}" if query else "")
    return {"LANGUAGE_SWITCH_NEXT": path}
