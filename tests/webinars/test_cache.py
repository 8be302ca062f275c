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


def test_tracking_parameters_share_the_cached_page():
    view, calls = _counting_view()

    view(_get("/seminars/?q=onsen&utm_source=newsletter"))
    response = view(_get("/seminars/?utm_campaign=x&q=onsen&fbclid=1"))

    assert calls == ["/seminars/?q=onsen&utm_source=newsletter"]
    assert response["X-Page-Cache"] == "hit"


def test_page_that_used_the_csrf_token_is_not_cached():
    from django.middleware.csrf import get_token

    calls = []

    @cache_public_page
    def view_with_form(request):
        calls.append(1)
        return HttpResponse(f"<input name=csrfmiddlewaretoken value={get_token(request)}>")

    view_with_form(_get())
    response = view_with_form(_get())

    assert len(calls) == 2
    assert response["X-Page-Cache"] == "miss"


def test_rate_limit_counters_are_not_in_the_page_cache():
    from django.core.cache import caches

    view, _calls = _counting_view()
    caches["default"].set("rl:login:1.2.3.4", 3)

    view(_get())
    caches["pages"].clear()

    assert caches["default"].get("rl:login:1.2.3.4") == 3
