"""Template context every page needs: the site address and whom to write to."""

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "SITE_URL": settings.SITE_URL,
        "ORGANISER_CONTACT_EMAIL": settings.ORGANISER_CONTACT_EMAIL,
    }
