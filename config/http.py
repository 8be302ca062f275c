"""Site-wide helpers for views of every app."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse


def personal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a response as one person's own: not stored, not indexed, no referrer.

    ``Referrer-Policy: strict-origin`` keeps a token in the address from leaking in a
    Referer (only the origin is sent). Not ``no-referrer``: with it browsers post forms
    with ``Origin: null``, which Django's CSRF check rightly refuses.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "strict-origin"
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapper
