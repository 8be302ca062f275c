"""Caching of anonymous public pages, invalidated whenever organisers edit.

Every cached page's key carries the catalogue version; any change to the
catalogue (through a service or the admin) sets a new version after commit,
so all cached pages go stale at once. A short TTL covers what changes with
the clock alone (a seminar moving from "upcoming" to "past").
"""

import functools
import hashlib
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

CATALOGUE_VERSION_KEY = "catalogue:version"
# The only query parameters public pages read. Others (utm_source, fbclid, …) change
# nothing on the page, so they stay out of the key and cannot multiply the entries.
PAGE_QUERY_PARAMETERS = frozenset(
    {"series", "audience", "topic", "prefecture", "language", "q", "page"}
)


def _page_cache():
    # Its own cache alias, so a flood of distinct URLs can never evict rate-limit counters.
    return caches["pages"]


def catalogue_version() -> str:
    cache = _page_cache()
    version = cache.get(CATALOGUE_VERSION_KEY)
    if version is None:
        cache.add(CATALOGUE_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(CATALOGUE_VERSION_KEY)
    return version


def _bump_catalogue_version() -> None:
    _page_cache().set(CATALOGUE_VERSION_KEY, uuid.uuid4().hex, None)


def catalogue_changed() -> None:
    """Invalidate every cached public page once the current transaction commits."""
    # robust: a cache outage after commit must not turn a saved change into a 500.
    transaction.on_commit(_bump_catalogue_version, robust=True)


def _cacheable(request: HttpRequest) -> bool:
    # Anyone with a session or pending messages may see a personalised page.
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def _page_key(request: HttpRequest) -> str:
    query = sorted(
        (name, value)
        for name, values in request.GET.lists()
        if name in PAGE_QUERY_PARAMETERS
        for value in values
    )
    identity = repr((request.path, query))
    return f"page:{get_language()}:{hashlib.sha256(identity.encode()).hexdigest()}"


def _personalised(request: HttpRequest, response: HttpResponse) -> bool:
    """True when the rendered page carries something of this visitor's own."""
    session = getattr(request, "session", None)
    return bool(
        response.cookies
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        or (session is not None and session.modified)
    )


def cache_public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the page from the shared cache to anonymous visitors."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        cache = _page_cache()
        key = _page_key(request)
        # The version and the page in one round trip: this is the hot path.
        found = cache.get_many([CATALOGUE_VERSION_KEY, key])
        version = found.get(CATALOGUE_VERSION_KEY) or catalogue_version()
        cached = found.get(key)
        if cached is not None and cached[0] == version:
            _, content, content_type = cached
            response = HttpResponse(content, content_type=content_type)
            response["X-Page-Cache"] = "hit"
        else:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if response.status_code == 200 and not _personalised(request, response):
                cache.set(
                    key,
                    (version, response.content, response["Content-Type"]),
                    settings.PAGE_CACHE_SECONDS,
                )
            response["X-Page-Cache"] = "miss"
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        return response

    # Read by the language switcher (config.context_processors.language_switch).
    wrapper.page_cached = True  # type: ignore[attr-defined]
    return wrapper
