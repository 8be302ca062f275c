import pytest

from accounts.models import AudienceType
from tests.factories import AudienceQuotaFactory, RegistrationFactory, SeminarFactory
from webinars import selectors
from webinars.models import Registration
from webinars.selectors import SeatState

pytestmark = pytest.mark.django_db

CONFIRMED = Registration.Status.CONFIRMED
WAITLISTED = Registration.Status.WAITLISTED
CANCELLED = Registration.Status.CANCELLED


def audience(slug: str) -> AudienceType:
    return AudienceType.objects.get(slug=slug)


def state(seminar, slug: str = "travel-agent", email: str = "a@example.org") -> SeatState:
    return selectors.seat_state(seminar=seminar, audience_type=audience(slug), email=email)


def test_seat_state_of_an_empty_seminar_open_to_all():
    seminar = SeminarFactory(capacity=10)

    assert state(seminar) == SeatState(
        confirmed=0,
        confirmed_of_type=0,
        quota=None,
        audience_type_allowed=True,
        live_place=False,
        cancelled_place=False,
    )


def test_seat_state_counts_confirmed_places_in_all_and_of_the_type_and_its_quota():
    seminar = SeminarFactory(capacity=10)
    other = SeminarFactory()
    AudienceQuotaFactory(seminar=seminar, audience_type=audience("media"), seats=3)
    AudienceQuotaFactory(seminar=other, audience_type=audience("media"), seats=7)
    for status, slug in [
        (CONFIRMED, "media"),
        (CONFIRMED, "media"),
        (CONFIRMED, "travel-agent"),
        (WAITLISTED, "media"),
        (CANCELLED, "media"),
    ]:
        RegistrationFactory(seminar=seminar, status=status, audience_type=audience(slug))
    RegistrationFactory(seminar=other, audience_type=audience("media"))

    media = state(seminar, "media")
    agents = state(seminar, "travel-agent")

    assert (media.confirmed, media.confirmed_of_type, media.quota) == (3, 2, 3)
    assert (agents.confirmed, agents.confirmed_of_type, agents.quota) == (3, 1, None)


def test_seat_state_allows_only_the_chosen_types_whether_active_or_not():
    seminar = SeminarFactory()
    AudienceType.objects.filter(slug="media").update(is_active=False)
    seminar.allowed_audience_types.set([audience("media")])

    assert state(seminar, "media").audience_type_allowed is True
    assert state(seminar, "travel-agent").audience_type_allowed is False


def test_seat_state_of_a_seminar_open_to_all_refuses_inactive_types():
    seminar = SeminarFactory()
    AudienceType.objects.filter(slug="other").update(is_active=False)

    assert state(seminar, "other").audience_type_allowed is False
    assert state(seminar, "travel-agent").audience_type_allowed is True


@pytest.mark.parametrize(
    ("statuses", "live", "cancelled"),
    [
        ([CONFIRMED], True, False),
        ([WAITLISTED], True, False),
        ([CANCELLED], False, True),
        ([CANCELLED, CANCELLED, WAITLISTED], True, True),
    ],
)
def test_seat_state_tells_the_addresss_live_and_cancelled_places_here_only(
    statuses, live, cancelled
):
    seminar = SeminarFactory()
    for status in statuses:
        RegistrationFactory(seminar=seminar, email="a@example.org", status=status)
    RegistrationFactory(email="b@example.org")  # another seminar
    RegistrationFactory(seminar=seminar, email="c@example.org", status=CANCELLED)

    found = state(seminar, email="a@example.org")
    elsewhere = state(seminar, email="b@example.org")

    assert (found.live_place, found.cancelled_place) == (live, cancelled)
    assert (elsewhere.live_place, elsewhere.cancelled_place) == (False, False)


def test_seat_state_is_one_query(django_assert_num_queries):
    seminar = SeminarFactory()
    media = audience("media")

    with django_assert_num_queries(1):
        selectors.seat_state(seminar=seminar, audience_type=media, email="a@example.org")
