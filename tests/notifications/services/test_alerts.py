"""Alerts of new seminars: recorded at publication, found per follower, one digest a day."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import AlertItem, OutgoingEmail, SeminarAlert
from notifications.services import NotSent, email_render, seminar_alerts_run
from notifications.services.alerts import digest_dedupe_key
from tests.factories import (
    FollowFactory,
    RegistrationFactory,
    SeminarFactory,
    SeriesFactory,
    TopicFactory,
)
from tests.utils import rendered
from webinars.follow_links import alerts_claim
from webinars.models import Follow, Seminar
from webinars.prefectures import Prefecture
from webinars.services import (
    follow_stop,
    registration_create,
    registration_update_details,
    seminar_cancel,
    seminar_create,
    seminar_publish,
    seminar_update,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
STARTS = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _alert_settings(settings):
    settings.ALERT_DIGEST_DELAY_MINUTES = 15


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _draft(**overrides) -> Seminar:
    starts_at = overrides.pop("starts_at", STARTS)
    fields = {
        "draft": True,
        "prefecture": Prefecture.KUMAMOTO,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=1),
    }
    return SeminarFactory(**{**fields, **overrides})


def _published(**overrides) -> Seminar:
    return seminar_publish(seminar=_draft(**overrides))


def _run_after_delay(clock, minutes: int = 16):
    clock.shift(timedelta(minutes=minutes))
    return seminar_alerts_run()


def _digests():
    return list(OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.SEMINAR_ALERTS).order_by("pk"))


# --- Recording ---------------------------------------------------------------------


def test_publishing_records_one_alert_and_publishing_again_adds_none(clock):
    seminar = _published()
    seminar_publish(seminar=seminar)
    assert list(SeminarAlert.objects.values_list("seminar_id", "occasion")) == [
        (seminar.pk, "published")
    ]


def test_a_draft_created_or_a_seminar_copied_in_as_published_long_ago_records_nothing(clock):
    series = SeriesFactory()
    common = {
        "series": series,
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=1),
        "timezone": "Europe/London",
        "meeting_url": "https://zoom.example/j/1",
        "summary": "A seminar.",
    }
    seminar_create(title="Draft", slug="draft", status=Seminar.Status.DRAFT, **common)
    seminar_create(
        title="Imported",
        slug="imported",
        status=Seminar.Status.PUBLISHED,
        published_at=NOW - timedelta(days=40),
        **common,
    )
    assert not SeminarAlert.objects.exists()
    created = seminar_create(title="New", slug="new", status=Seminar.Status.PUBLISHED, **common)
    assert list(SeminarAlert.objects.values_list("seminar_id", flat=True)) == [created.pk]


# --- Who hears of a seminar ----------------------------------------------------------


def test_followers_of_its_prefecture_region_topic_series_or_everything_hear_of_it(clock):
    topic = TopicFactory(slug="onsen", name="Onsen")
    series = SeriesFactory()
    seminar = _draft(series=series)
    seminar.topics.set([topic])
    FollowFactory(email="region@example.org", place="kyushu")
    FollowFactory(email="prefecture@example.org", place="kumamoto")
    FollowFactory(email="topic@example.org", kind=Follow.Kind.TOPIC, place="", topic=topic)
    FollowFactory(email="series@example.org", kind=Follow.Kind.SERIES, place="", series=series)
    FollowFactory(email="all@example.org", kind=Follow.Kind.ALL, place="")
    # Not reached: another region, another prefecture of the region, another topic or
    # series, and a follow never confirmed.
    FollowFactory(email="tohoku@example.org", place="tohoku")
    FollowFactory(email="oita@example.org", place="oita")
    FollowFactory(
        email="other-topic@example.org",
        kind=Follow.Kind.TOPIC,
        place="",
        topic=TopicFactory(slug="sake"),
    )
    FollowFactory(
        email="other-series@example.org", kind=Follow.Kind.SERIES, place="", series=SeriesFactory()
    )
    FollowFactory(email="unconfirmed@example.org", confirmed_at=None)

    seminar_publish(seminar=seminar)
    run = _run_after_delay(clock)

    assert run.alerts == 1
    assert sorted(email.to_email for email in _digests()) == [
        "all@example.org",
        "prefecture@example.org",
        "region@example.org",
        "series@example.org",
        "topic@example.org",
    ]


def test_nothing_is_found_before_the_delay_in_which_a_publication_can_be_undone(clock):
    FollowFactory(email="region@example.org")
    _published()
    clock.shift(timedelta(minutes=14))
    assert seminar_alerts_run().alerts == 0
    assert not _digests()
    clock.shift(timedelta(minutes=2))
    assert seminar_alerts_run().digests == 1


def test_someone_already_registered_is_not_alerted_of_the_same_seminar(clock):
    FollowFactory(email="registered@example.org")
    FollowFactory(email="new@example.org")
    seminar = _published()
    RegistrationFactory(seminar=seminar, email="registered@example.org")
    _run_after_delay(clock)
    assert [email.to_email for email in _digests()] == ["new@example.org"]


def test_an_address_following_in_several_ways_gets_one_item_and_one_digest(clock):
    topic = TopicFactory(slug="onsen", name="Onsen")
    seminar = _draft()
    seminar.topics.set([topic])
    FollowFactory(email="keen@example.org", place="kyushu")
    FollowFactory(email="keen@example.org", place="kumamoto")
    FollowFactory(email="keen@example.org", kind=Follow.Kind.TOPIC, place="", topic=topic)
    seminar_publish(seminar=seminar)
    run = _run_after_delay(clock)
    assert (run.items, run.digests) == (1, 1)
    body = rendered(_digests()[0]).body_text
    assert "Because you follow: Kumamoto, Kyushu, Onsen" in body


# --- One digest a day ----------------------------------------------------------------


def test_one_digest_per_person_per_day_however_many_seminars_are_published(clock):
    FollowFactory(email="region@example.org")
    first = _published(title="Kumamoto Castle")
    second = _published(title="Aso by bike", starts_at=STARTS + timedelta(days=1))
    third = _published(title="Beppu baths", starts_at=STARTS + timedelta(days=2))
    _run_after_delay(clock)
    [digest] = _digests()
    message = rendered(digest)
    assert message.subject == "3 new seminars"
    for seminar in (first, second, third):
        assert seminar.title in message.body_text

    # Later the same day: found, but held for the day to pass.
    fourth = _published(title="Saga pottery", starts_at=STARTS + timedelta(days=3))
    clock.shift(timedelta(hours=6))
    run = seminar_alerts_run()
    assert (run.alerts, run.items, run.digests) == (1, 1, 0)
    clock.shift(timedelta(hours=17))
    assert seminar_alerts_run().digests == 0

    # Twenty-four hours after the first digest: the next one, with only what is new.
    clock.shift(timedelta(hours=1))
    assert seminar_alerts_run().digests == 1
    later = rendered(_digests()[1])
    assert later.subject == f"New seminar: {fourth.title}"
    assert first.title not in later.body_text


def test_running_again_or_twice_writes_no_second_digest(clock):
    FollowFactory(email="region@example.org")
    _published()
    _run_after_delay(clock)
    assert seminar_alerts_run() == seminar_alerts_run()
    assert len(_digests()) == 1
    assert AlertItem.objects.get().digest_id == _digests()[0].pk


def test_the_days_dedupe_key_stops_a_second_digest_even_if_items_were_not_marked(clock):
    FollowFactory(email="region@example.org")
    _published()
    _run_after_delay(clock)
    # As if a second run had not seen the first one's marks.
    AlertItem.objects.update(digest=None, digested_at=None)
    assert seminar_alerts_run().digests == 0
    assert digest_dedupe_key(email="region@example.org", now=NOW) == (
        "alerts:2026-11-02:region@example.org"
    )


# --- Cancelled in between ------------------------------------------------------------


def test_a_seminar_cancelled_before_the_digest_goes_is_dropped_from_it(clock):
    FollowFactory(email="region@example.org")
    kept = _published(title="Kumamoto Castle")
    dropped = _published(title="Aso by bike", starts_at=STARTS + timedelta(days=1))
    _run_after_delay(clock)
    seminar_cancel(seminar=dropped, message="Speaker unwell.")
    message = rendered(_digests()[0])
    assert kept.title in message.body_text
    assert dropped.title not in message.body_text
    assert message.subject == f"New seminar: {kept.title}"


def test_a_digest_whose_every_seminar_was_cancelled_is_not_sent(clock):
    FollowFactory(email="region@example.org")
    seminar = _published()
    _run_after_delay(clock)
    seminar_cancel(seminar=seminar)
    with pytest.raises(NotSent, match="cancelled"):
        email_render(email=_digests()[0])


def test_a_seminar_cancelled_before_its_followers_are_found_alerts_nobody(clock):
    FollowFactory(email="region@example.org")
    seminar = _published()
    seminar_cancel(seminar=seminar)
    run = _run_after_delay(clock)
    assert (run.alerts, run.items, run.digests) == (1, 0, 0)
    assert SeminarAlert.objects.get().outcome.startswith("not announced")


# --- Registration opening later ------------------------------------------------------


def test_registration_opening_after_publication_is_announced_once(clock):
    FollowFactory(email="region@example.org")
    seminar = _published(registration_opens_at=NOW + timedelta(days=3))
    _run_after_delay(clock)
    first = rendered(_digests()[0])
    assert "Registration opens on Thursday 5 November 2026" in first.body_text
    assert "/register/" not in first.body_text

    clock.move_to(NOW + timedelta(days=3, minutes=1))
    assert seminar_alerts_run().openings == 1
    assert seminar_alerts_run().openings == 0
    clock.shift(timedelta(minutes=16))
    seminar_alerts_run()
    second = rendered(_digests()[1])
    assert f"{seminar.get_absolute_url()}register/" in second.body_text
    assert "Registration opens" not in second.body_text


# --- What the email says and carries --------------------------------------------------


def test_every_digest_carries_one_click_unsubscribe_in_the_readers_language(clock):
    FollowFactory(email="yuki@example.jp", language="ja", time_zone="Asia/Tokyo")
    _published(title="熊本城と阿蘇", title_ja="熊本城と阿蘇")
    _run_after_delay(clock)
    [digest] = _digests()
    assert digest.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = digest.headers["List-Unsubscribe"].strip("<>")
    token = url.rstrip("/").split("/")[-2]
    claim = alerts_claim(token)
    assert (claim.email, claim.language) == ("yuki@example.jp", "ja")
    message = rendered(digest)
    assert message.subject == "新しいセミナー：熊本城と阿蘇"
    assert "日本時間" in message.body_text
    assert url in message.body_text


def test_a_digest_to_someone_who_stopped_following_since_is_not_sent(clock):
    follow = FollowFactory(email="region@example.org")
    _published()
    _run_after_delay(clock)
    Follow.objects.filter(pk=follow.pk).delete()
    with pytest.raises(NotSent, match="follows nothing"):
        email_render(email=_digests()[0])


def test_a_moved_seminar_is_listed_at_its_new_time(clock):
    FollowFactory(email="region@example.org", time_zone="Europe/London")
    seminar = _published()
    _run_after_delay(clock)
    seminar_update(
        seminar=seminar, starts_at=STARTS + timedelta(hours=2), ends_at=STARTS + timedelta(hours=3)
    )
    assert "12:00" in rendered(_digests()[0]).body_text


# --- Scale ---------------------------------------------------------------------------


def test_the_run_reads_the_same_number_of_times_for_one_follower_or_forty(clock):
    def run_for(followers: int, place: str, prefecture: str) -> int:
        for n in range(followers):
            FollowFactory(email=f"{place}{n}@example.org", place=place)
        _published(prefecture=prefecture)
        clock.shift(timedelta(minutes=16))
        with CaptureQueriesContext(connection) as queries:
            assert seminar_alerts_run().digests == followers
        return len(queries)

    one = run_for(1, "tohoku", Prefecture.IWATE)
    forty = run_for(40, "kyushu", Prefecture.KUMAMOTO)
    # Rows and marks go in batches: nothing is read or written per follower.
    assert one == forty


# --- "Email me about future seminars" -------------------------------------------------


def test_ticking_future_seminars_when_registering_brings_alerts_and_unticking_stops_them(clock):
    registration = registration_create(
        seminar=SeminarFactory(),
        email="mari@example.org",
        name="Mari",
        audience_type=RegistrationFactory.audience_type.function(),
        marketing_opt_in=True,
        language="ja",
    ).registration
    _published(title="Kumamoto Castle")
    _run_after_delay(clock)
    assert [email.to_email for email in _digests()] == ["mari@example.org"]

    registration_update_details(
        registration=registration,
        name="Mari",
        organisation="",
        job_title="",
        country="",
        marketing_opt_in=False,
        recording_followup_opt_in=False,
    )
    clock.shift(timedelta(days=2))
    _published(title="Aso by bike", starts_at=STARTS + timedelta(days=1))
    _run_after_delay(clock)
    assert len(_digests()) == 1


def test_a_seminar_found_through_a_follow_stopped_since_is_left_out(clock):
    topic = TopicFactory(slug="sake", name="Sake")
    FollowFactory(email="ken@example.org", kind=Follow.Kind.TOPIC, place="", topic=topic)
    kyushu = FollowFactory(email="ken@example.org", place="kyushu")
    by_topic = _draft(title="Sake of Saga", starts_at=STARTS + timedelta(days=1))
    by_topic.topics.set([topic])
    seminar_publish(seminar=by_topic)
    _published(title="Kumamoto Castle")
    _run_after_delay(clock)
    follow_stop(follow=kyushu)
    message = rendered(_digests()[0])
    assert "Sake of Saga" in message.body_text
    assert "Kumamoto Castle" not in message.body_text
    assert message.subject == "New seminar: Sake of Saga"
