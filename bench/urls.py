"""The project's URLs plus a trivial view: the baseline every page is measured against."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def trivial(request: HttpRequest) -> HttpResponse:
    """No database, no template: what the server and middleware cost on their own."""
    return HttpResponse("ok")


urlpatterns = [path("bench/trivial/", trivial, name="bench_trivial"), *project_urlpatterns]
