"""Follows in the admin: organisers read them and stop one on request, never write one."""

import pytest
from django.urls import reverse

from tests.factories import FollowFactory, RegistrationFactory
from webinars.models import ConsentRecord, Follow

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:webinars_follow_changelist")


def test_organisers_see_who_follows_what_filtered_by_place(organiser_client):
    FollowFactory(email="kyushu-fan@example.org", place="kyushu")
    FollowFactory(email="tohoku-fan@example.org", place="tohoku")
    page = organiser_client.get(CHANGELIST, {"place": "kyushu"}).content.decode()
    assert "kyushu-fan@example.org" in page
    assert "tohoku-fan@example.org" not in page


def test_organisers_cannot_add_or_edit_a_follow(organiser_client):
    follow = FollowFactory()
    assert organiser_client.get(reverse("admin:webinars_follow_add")).status_code == 403
    change = reverse("admin:webinars_follow_change", args=[follow.pk])
    organiser_client.post(change, {"email": "someone-else@example.org"})
    follow.refresh_from_db()
    assert follow.email.startswith("follower")


def test_deleting_a_follow_of_everything_unticks_future_seminars(organiser_client):
    registration = RegistrationFactory(email="ken@example.org", marketing_opt_in=True)
    follow = FollowFactory(email="ken@example.org", kind=Follow.Kind.ALL, place="")
    organiser_client.post(
        reverse("admin:webinars_follow_delete", args=[follow.pk]), {"post": "yes"}
    )
    assert not Follow.objects.exists()
    registration.refresh_from_db()
    assert registration.marketing_opt_in is False
    assert ConsentRecord.objects.filter(
        registration=registration, consent="news", given=False
    ).exists()


@pytest.mark.parametrize("count", [1, 20])
def test_the_list_reads_the_same_number_of_times_for_few_or_many(
    organiser_client, django_assert_max_num_queries, count
):
    for _ in range(count):
        FollowFactory()
    with django_assert_max_num_queries(16):
        assert organiser_client.get(CHANGELIST).status_code == 200
