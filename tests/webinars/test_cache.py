from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from webinars.cache import cache_public_page, catalogue_changed, catalogue_version


def _counting_view():
    calls = []

    @cache_public_page
    def view(request):
        calls.append(request.get_full_path())
        return HttpResponse(f"render {len(calls)}")

    return view, calls


def _get(path="/seminars/?q=onsen", **cookies):
    request = RequestFactory().get(path)
    request.COOKIES.update(cookies)
    request.user = AnonymousUser()
    return request


def test_anonymous_page_is_rendered_once_then_served_from_cache():
    view, calls = _counting_view()

    first = view(_get())
    second = view(_get())

    assert calls == ["/seminars/?q=onsen"]
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert second.content == b"render 1"


def test_query_string_is_part_of_the_cache_key():
    view, calls = _counting_view()

    view(_get("/seminars/?q=onsen"))
    view(_get("/seminars/?q=kyushu"))

    assert calls == ["/seminars/?q=onsen", "/seminars/?q=kyushu"]


def test_visitors_with_a_session_are_never_served_from_cache():
    view, calls = _counting_view()

    view(_get(sessionid="abc"))
    view(_get(sessionid="abc"))

    assert len(calls) == 2


def test_catalogue_change_invalidates_after_commit(django_capture_on_commit_callbacks, db):
    view, calls = _counting_view()
    view(_get())
    before = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        catalogue_changed()
    response = view(_get())

    assert catalogue_version() != before
    assert response.content == b"render 2"
    assert len(calls) == 2


def test_rolled_back_change_keeps_the_cache(django_capture_on_commit_callbacks, db):
    view, calls = _counting_view()
    view(_get())
    before = catalogue_version()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        catalogue_changed()

    assert len(callbacks) == 1
    assert catalogue_version() == before
    assert view(_get()).content == b"render 1"
    assert len(calls) == 1
