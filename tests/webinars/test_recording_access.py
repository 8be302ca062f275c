"""The viewer behind a request and the recordings it may list, at their exact edges.

Written for what mutation testing (``make mutate MODULE=recording-access``) showed no test
would notice: the viewer kept on the request and dropped when a link is used, a request
without an account or session, registrations found by account or by address but never
other people's, and recordings for chosen audiences matched per recording and per series.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import AudienceType
from tests.factories import (
    RecordingFactory,
    RegistrationFactory,
    SeminarFactory,
    SeriesFactory,
    UserFactory,
)
from webinars.models import Recording
from webinars.recording_access import (
    ANONYMOUS,
    SESSION_GRANTS_KEY,
    Viewer,
    grant_registration,
    recordings_watchable,
    viewer_for,
)

pytestmark = pytest.mark.django_db


def _request(user=None, grants=None):
    request = RequestFactory().get("/recordings/")
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    if grants is not None:
        request.session[SESSION_GRANTS_KEY] = grants
    return request


def _type(slug: str) -> AudienceType:
    return AudienceType.objects.get(slug=slug)


def test_a_request_without_an_account_or_a_session_is_the_anonymous_viewer(
    django_assert_num_queries,
):
    bare = RequestFactory().get("/recordings/")

    with django_assert_num_queries(0):
        assert viewer_for(bare) == ANONYMOUS


def test_the_viewer_is_read_once_per_request(django_assert_num_queries):
    user = UserFactory()
    RegistrationFactory(user=user, email=user.email)
    request = _request(user)

    with django_assert_num_queries(1):
        first = viewer_for(request)
    with django_assert_num_queries(0):
        assert viewer_for(request) is first


def test_a_link_used_in_this_browser_counts_at_once_on_the_same_request():
    registration = RegistrationFactory()
    request = _request()
    assert viewer_for(request).seminar_ids == frozenset()

    grant_registration(request, registration)

    assert viewer_for(request).seminar_ids == {registration.seminar_id}
    assert request.session[SESSION_GRANTS_KEY] == [registration.pk]


def test_an_account_holds_its_own_places_by_account_or_address_and_its_links_too():
    user = UserFactory(email="Aiko@Example.org")
    by_account = RegistrationFactory(user=user, email="old-address@example.org")
    by_address = RegistrationFactory(user=None, email="aiko@example.org")
    by_link = RegistrationFactory(user=None, email="colleague@example.org")
    someone_elses = RegistrationFactory(user=None, email="someone@example.org")

    viewer = viewer_for(_request(user, grants=[by_link.pk]))

    assert viewer.seminar_ids == {
        by_account.seminar_id,
        by_address.seminar_id,
        by_link.seminar_id,
    }
    assert someone_elses.seminar_id not in viewer.seminar_ids
    assert viewer == Viewer(
        user_id=user.pk,
        seminar_ids=viewer.seminar_ids,
        registrations=frozenset((r.seminar_id, r.pk) for r in (by_account, by_address, by_link)),
    )


def _for_audiences(*slugs: str, series=None) -> Recording:
    seminar = SeminarFactory(past=True, series=series or SeriesFactory())
    recording = RecordingFactory(seminar=seminar, access=Recording.Access.AUDIENCE_TYPES)
    recording.audience_types.set([_type(slug) for slug in slugs])
    return recording


def test_recordings_for_chosen_audiences_are_matched_recording_by_recording():
    public = RecordingFactory()
    for_media = _for_audiences("media")
    _for_audiences("travel-agent")
    journalist = UserFactory(
        audience_type=_type("media"), audience_type_confirmed_at=timezone.now()
    )

    viewer = viewer_for(_request(journalist))

    # Recordings open to everyone stay listed beside those for chosen audiences.
    assert sorted(recordings_watchable(viewer), key=lambda r: r.pk) == [public, for_media]


def test_an_audience_proven_by_attending_opens_that_series_only_and_adds_to_the_account():
    kyushu = SeriesFactory()
    for_media = _for_audiences("media")
    agents_in_kyushu = _for_audiences("travel-agent", series=kyushu)
    _for_audiences("travel-agent")  # another series
    _for_audiences("public-sector-partner", series=kyushu)  # another audience
    attended = RegistrationFactory(
        seminar=SeminarFactory(past=True, series=kyushu),
        audience_type=_type("travel-agent"),
        attended="yes",
    )
    user = UserFactory(
        email=attended.email,
        audience_type=_type("media"),
        audience_type_confirmed_at=timezone.now(),
    )

    viewer = viewer_for(_request(user))

    assert sorted(recordings_watchable(viewer), key=lambda r: r.pk) == [for_media, agents_in_kyushu]
