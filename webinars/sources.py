"""Where a registrant came from: the UTM fields of the link they followed and the host of
the site that linked to them, kept first-party.

The first page of a visit that names a source (``utm_source``, ``utm_medium``,
``utm_campaign``, or a link from another site) puts it in the visitor's session: no
third-party script, and no cookie of its own (the session cookie, strictly necessary for
the forms, carries it). A registration made in that session stores it, so organisers can
count registrations by partner newsletter or mailing. First touch: a later source in the
same session does not replace it. A direct visit stores nothing and starts no session.
"""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

from accounts.validators import CONTROL_CHARACTERS, LINE_BREAKS

SESSION_KEY = "visit_source"
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
MAX_LENGTH = 100
# The Registration fields that keep a source, and their lengths.
SOURCE_FIELD_LENGTHS = {**dict.fromkeys(UTM_FIELDS, MAX_LENGTH), "referrer_host": 255}
SOURCE_FIELDS = tuple(SOURCE_FIELD_LENGTHS)
# Pages no visitor lands on from a campaign: never a first page.
IGNORED_PREFIXES = ("/admin/", "/static/", "/media/", "/healthz", "/r/", "/j/", "/me/")


def clean_source_value(value: object, max_length: int = MAX_LENGTH) -> str:
    """Text only: one line, no control characters, trimmed and cut to ``max_length``."""
    text = CONTROL_CHARACTERS.sub("", LINE_BREAKS.sub(" ", str(value or "")))
    return " ".join(text.split())[:max_length]


def _referrer_host(request: HttpRequest) -> str:
    """The host of the page that linked here, if it is another site's."""
    referrer = request.META.get("HTTP_REFERER", "")
    try:
        host = (urlsplit(referrer).hostname or "").lower()
    except ValueError:
        return ""
    own = request.get_host().split(":")[0].lower()
    return "" if not host or host == own else clean_source_value(host, 255)


def source_of(request: HttpRequest) -> dict[str, str]:
    """The source this request names (empty for a direct visit or an internal link)."""
    source = {name: clean_source_value(request.GET.get(name)) for name in UTM_FIELDS}
    source["referrer_host"] = _referrer_host(request)
    return {name: value for name, value in source.items() if value}


def session_source(request: HttpRequest) -> dict[str, str]:
    """What the visit's first source was, for a registration made now (registration_create
    cleans and cuts each value to its field)."""
    session = getattr(request, "session", None)
    stored = session.get(SESSION_KEY, {}) if session is not None else {}
    return stored if isinstance(stored, dict) else {}


class VisitSourceMiddleware:
    """Keeps the first source of a visit in its session (after SessionMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and not request.path_info.startswith(IGNORED_PREFIXES):
            # Look at the session only when there is a source: most pages never touch it.
            source = source_of(request)
            if source and SESSION_KEY not in request.session:
                request.session[SESSION_KEY] = source
        return self.get_response(request)
