"""Certificates: the PDF download for registrants and speakers, and the public check.

- ``/r/<token>/certificate.pdf`` (emailed manage link) and
  ``/me/registrations/<pk>/certificate.pdf`` (account): a registrant's certificate of
  attendance, in the registrant's language (``?language=en|ja`` for the other), or a
  page saying what is missing (403).
- ``/me/speaking/<pk>/certificate.pdf``: a speaker's certificate of presentation, for an
  account with the speaker's address; organisers download any from the admin.
- ``/certificates/<code>/``: anyone holding a code sees the name, the seminar and its
  date. An unknown code is the site's plain 404: it says nothing of why.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from config.http import personal_page
from webinars import selectors
from webinars.certificates import certificate_date_text, certificate_title, pdf_response
from webinars.errors import CertificateNotAvailable
from webinars.models import SeminarSpeaker
from webinars.services import certificate_issue, certificate_issue_for_speaker
from webinars.views.access import Access, access_by_account, access_by_token, token_route

LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _language(request: HttpRequest, default: str) -> str:
    asked = request.GET.get("language", "")
    if asked in LANGUAGES:
        return asked
    return default if default in LANGUAGES else settings.LANGUAGE_CODE


def _registrant_certificate(request: HttpRequest, access: Access) -> HttpResponse:
    registration = access.registration
    try:
        certificate = certificate_issue(registration=registration)
    except CertificateNotAvailable as missing:
        context = {
            "seminar": registration.seminar,
            "standing": missing.standing,
            "min_percent": settings.CERTIFICATE_MIN_WATCH_PERCENT,
            "manage_url": access.manage_url,
        }
        return render(request, "webinars/certificate_unavailable.html", context, status=403)
    return pdf_response(certificate, language=_language(request, registration.language))


@personal_page
@require_safe
@token_route
def registration_certificate(request: HttpRequest, token: str) -> HttpResponse:
    return _registrant_certificate(request, access_by_token(token))


@personal_page
@login_required
@require_safe
def my_registration_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    return _registrant_certificate(request, access_by_account(request, pk))


@personal_page
@login_required
@require_safe
def my_speaker_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """A speaker's own certificate: the account's address must be the speaker's."""
    link = (
        SeminarSpeaker.objects.select_related("speaker", "seminar__series")
        .filter(pk=pk, speaker__email__iexact=request.user.email)
        .first()
    )
    if link is None or not selectors.speaker_certificate_allowed(link):
        raise Http404(_("No certificate of presentation of yours was found."))
    certificate = certificate_issue_for_speaker(link=link)
    return pdf_response(certificate, language=_language(request, link.speaker.language))


@require_safe
def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    certificate = selectors.certificate_by_code(code)
    if certificate is None:
        raise Http404(_("No certificate found."))
    language = translation.get_language() or settings.LANGUAGE_CODE
    response = render(
        request,
        "webinars/certificate_verify.html",
        {
            "certificate": certificate,
            "seminar_title": certificate_title(certificate, language),
            "date_text": certificate_date_text(certificate),
        },
    )
    # A holder's name: for whoever holds the code, not for search engines.
    response["X-Robots-Tag"] = "noindex"
    return response
