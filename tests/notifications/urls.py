"""The project's URLs plus stand-ins for the registration link routes not yet wired.

The attendee pages are built beside this app; the emails only need the agreed URL
names to reverse, so any name missing from ``webinars.urls`` gets a stub here.
"""

from django.http import HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns
from webinars import urls as webinar_urls


def _stub(request, token: str) -> HttpResponse:
    return HttpResponse(token)


_AGREED = [
    path("r/<str:token>/", _stub, name="registration_manage"),
    path("j/<str:token>/", _stub, name="registration_join"),
]
_existing = {pattern.name for pattern in webinar_urls.urlpatterns}
_stubs = [pattern for pattern in _AGREED if pattern.name not in _existing]

urlpatterns = [p for p in project_urlpatterns if getattr(p, "namespace", None) != "webinars"]
urlpatterns.append(path("", include((webinar_urls.urlpatterns + _stubs, "webinars"))))
