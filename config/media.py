"""Serving the public uploads (cover images, speaker photos) in every setup.

Only images that appear on public pages are served here; anything uploaded
under another prefix (recordings, materials) needs its own access-checked view.
"""

import posixpath

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from django.views.static import serve

PUBLIC_MEDIA_PREFIXES = ("seminars/", "speakers/")


@require_safe
def public_media(request: HttpRequest, path: str) -> HttpResponse:
    # Normalise first, as serve() does, so "seminars/../private/x" cannot slip through.
    path = posixpath.normpath(path).lstrip("/")
    if not path.startswith(PUBLIC_MEDIA_PREFIXES):
        raise Http404
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, public=True, max_age=60 * 60 * 24)
    return response
