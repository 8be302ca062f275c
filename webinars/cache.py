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
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

CATALOGUE_VERSION_KEY = "catalogue:version"


def catalogue_version() -> str:
    version = cache.get(CATALOGUE_VERSION_KEY)
    if version is None:
        cache.add(CATALOGUE_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(CATALOGUE_VERSION_KEY)
    return version


def _bump_catalogue_version() -> None:
    cache.set(CATALOGUE_VERSION_KEY, uuid.uuid4().hex, None)


def catalogue_changed() -> None:
    """Invalidate every cached public page once the current transaction commits."""
    transaction.on_commit(_bump_catalogue_version)


def _cacheable(request: HttpRequest) -> bool:
    # Anyone with a session or pending messages may see a personalised page.
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def cache_public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the page from the shared cache to anonymous visitors."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
        key = f"page:{get_language()}:{digest}"
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
            if response.status_code == 200 and not response.cookies:
                cache.set(
                    key,
                    (version, response.content, response["Content-Type"]),
                    settings.PAGE_CACHE_SECONDS,
                )
            response["X-Page-Cache"] = "miss"
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        return response

    return wrapper
