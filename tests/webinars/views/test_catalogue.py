import html
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.template import loader
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AudienceTypeFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    SeriesFactory,
    SpeakerFactory,
    TopicFactory,
    london,
)
from webinars import services
from webinars.models import Seminar, SeminarSpeaker

pytestmark = pytest.mark.django_db

MEETING_URL = "https://zoom.example/j/98765432100?pwd=SeCrEtMeEtInG"
PASSCODE = "Pass-7731-xq"
SPEAKER_JOIN_URL = "https://zoom.example/s/panellist-only-4242"
SPEAKER_EMAIL = "private.speaker@example.jp"


def _text(response) -> str:
    return response.content.decode()


def _titles(response) -> list[str]:
    return [seminar.title for seminar in response.context["seminars"]]


def _upcoming(days: float = 7, **kwargs) -> Seminar:
    starts_at = (timezone.now() + timedelta(days=days)).replace(microsecond=0)
    return SeminarFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), **kwargs)


def _past(days: float = 7, **kwargs) -> Seminar:
    starts_at = (timezone.now() - timedelta(days=days)).replace(microsecond=0)
    return SeminarFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), **kwargs)


def _json_ld(response) -> dict:
    match = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', _text(response), re.DOTALL
    )
    assert match is not None
    return json.loads(match.group(1))


def _link_href(response, label: str) -> str:
    match = re.search(rf'<a [^>]*href="([^"]+)"[^>]*>{re.escape(label)}</a>', _text(response))
    assert match is not None, label
    return html.unescape(match.group(1))


# --- Home -----------------------------------------------------------------------------------------


def test_home_shows_the_next_three_seminars_soonest_first_and_the_series(client):
    series = SeriesFactory(name="Japan Local Attraction Seminars", tagline="Japan's regions")
    for days, title in [(4, "Fourth"), (1, "First"), (3, "Third"), (2, "Second")]:
        _upcoming(days, title=title, series=series)
    _upcoming(0.5, title="Secret draft", draft=True, series=series)
    _past(title="Already over", series=series)

    response = client.get(reverse("webinars:home"))

    assert response.status_code == 200
    assert [s.title for s in response.context["next_seminars"]] == ["First", "Second", "Third"]
    assert [(s.name, s.upcoming_count) for s in response.context["series_list"]] == [
        ("Japan Local Attraction Seminars", 4)
    ]
    content = _text(response)
    assert "Fourth" not in content
    assert "Secret draft" not in content
    assert f'href="{series.get_absolute_url()}"' in content
    assert f'href="{reverse("webinars:all_calendar")}"' in content


def test_home_next_seminars_and_series_count_leave_out_cancelled_seminars(client):
    series = SeriesFactory(name="JLGC Seminars")
    _upcoming(1, title="Called off", series=series, status=Seminar.Status.CANCELLED)
    _upcoming(2, title="Also called off", series=series, status=Seminar.Status.CANCELLED)
    for days, title in [(3, "First"), (4, "Second"), (5, "Third"), (6, "Fourth")]:
        _upcoming(days, title=title, series=series)

    response = client.get(reverse("webinars:home"))

    assert [s.title for s in response.context["next_seminars"]] == ["First", "Second", "Third"]
    assert [(s.name, s.upcoming_count) for s in response.context["series_list"]] == [
        ("JLGC Seminars", 4)
    ]
    content = _text(response)
    assert "Called off" not in content
    assert "4 upcoming seminars" in content


def test_home_links_topics_of_upcoming_seminars_only(client):
    _upcoming(title="Now").topics.add(TopicFactory(name="Onsen", slug="onsen"))
    _past(title="Then").topics.add(TopicFactory(name="Castles", slug="castles"))
    _upcoming(title="Hidden", draft=True).topics.add(TopicFactory(name="Secret", slug="secret"))

    response = client.get(reverse("webinars:home"))

    assert [topic.slug for topic in response.context["topics"]] == ["onsen"]
    assert f'href="{reverse("webinars:seminar_list")}?topic=onsen"' in _text(response)


# --- Upcoming and past lists ----------------------------------------------------------------------


def test_upcoming_list_is_soonest_first_with_cancelled_marked_and_no_drafts(client):
    _upcoming(3, title="Later")
    _upcoming(1, title="Sooner")
    _upcoming(2, title="Called off", status=Seminar.Status.CANCELLED)
    _upcoming(1.5, title="Draft only", draft=True)
    _past(title="Over")

    response = client.get(reverse("webinars:seminar_list"))

    assert _titles(response) == ["Sooner", "Called off", "Later"]
    content = _text(response)
    assert content.count('<p class="badge badge-cancelled">Cancelled</p>') == 1
    assert "Draft only" not in content
    assert "3 seminars" in content


def test_seminar_still_running_is_upcoming_not_past(client):
    starts_at = timezone.now() - timedelta(minutes=30)
    SeminarFactory(title="Running now", starts_at=starts_at, ends_at=starts_at + timedelta(hours=1))

    assert _titles(client.get(reverse("webinars:seminar_list"))) == ["Running now"]
    assert _titles(client.get(reverse("webinars:seminar_past"))) == []


def test_past_list_is_newest_first_without_drafts(client):
    _past(10, title="Long ago")
    _past(2, title="Recently")
    _past(5, title="Cancelled then", status=Seminar.Status.CANCELLED)
    _past(3, title="Never published", draft=True)
    _upcoming(title="Coming")

    response = client.get(reverse("webinars:seminar_past"))

    assert _titles(response) == ["Recently", "Cancelled then", "Long ago"]
    assert "Never published" not in _text(response)


def test_upcoming_list_links_the_calendar_feed_and_its_topic_variant(client):
    _upcoming(title="Onsen").topics.add(TopicFactory(name="Onsen", slug="onsen"))
    feed = reverse("webinars:all_calendar")

    plain = _text(client.get(reverse("webinars:seminar_list")))
    by_topic = _text(client.get(reverse("webinars:seminar_list") + "?topic=onsen"))

    assert f'href="{feed}"' in plain
    assert f'href="{feed}?topic=onsen"' in by_topic


@pytest.fixture
def catalogue():
    """Four upcoming seminars that differ in every filterable way."""
    jlgc = SeriesFactory(name="JLGC Seminars", slug="jlgc")
    local = SeriesFactory(name="Japan Local Attraction Seminars", slug="local")
    agents = AudienceTypeFactory(name="Travel agent", slug="travel-agent")
    media = AudienceTypeFactory(name="Media", slug="media")
    onsen = TopicFactory(name="Onsen", slug="onsen")
    food = TopicFactory(name="Food and drink", slug="food")

    kumamoto = _upcoming(
        1,
        title="Aso caldera walks",
        slug="aso",
        series=local,
        prefecture="JP-43",
        language="en",
        summary="Volcano trails.",
        description="Guided hikes.",
    )
    kumamoto.topics.set([onsen, food])
    kumamoto.allowed_audience_types.set([agents])
    SeminarSpeakerFactory(
        seminar=kumamoto,
        speaker=SpeakerFactory(name="Hana Mori", organisation="Kumamoto Prefecture"),
    )
    SeminarSpeakerFactory(
        seminar=kumamoto,
        speaker=SpeakerFactory(name="Hanako Ito", organisation="Aso City"),
    )

    hokkaido = _upcoming(
        2,
        title="Snow festivals",
        slug="snow",
        series=local,
        prefecture="JP-01",
        language="ja",
        summary="Sapporo in winter.",
        description="Ice sculptures.",
    )
    hokkaido.topics.set([food])
    hokkaido.allowed_audience_types.set([media])

    policy = _upcoming(
        3,
        title="Ageing towns",
        slug="ageing",
        series=jlgc,
        language="en",
        summary="Local government answers to demographic change.",
        description="A panel with **European** partners.",
    )
    SeminarSpeakerFactory(
        seminar=policy, speaker=SpeakerFactory(name="Claire Dupont", organisation="Ville de Lyon")
    )

    open_to_all = _upcoming(
        4,
        title="Open house",
        slug="open",
        series=jlgc,
        language="en",
        summary="Everyone welcome.",
        description="Questions answered.",
    )
    open_to_all.topics.set([onsen])
    return {"kumamoto": kumamoto, "hokkaido": hokkaido, "policy": policy, "open": open_to_all}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("series=local", ["Aso caldera walks", "Snow festivals"]),
        ("series=jlgc", ["Ageing towns", "Open house"]),
        ("audience=travel-agent", ["Aso caldera walks", "Ageing towns", "Open house"]),
        ("audience=media", ["Snow festivals", "Ageing towns", "Open house"]),
        ("topic=onsen", ["Aso caldera walks", "Open house"]),
        ("topic=food", ["Aso caldera walks", "Snow festivals"]),
        ("prefecture=JP-43", ["Aso caldera walks"]),
        ("prefecture=JP-13", []),
        ("language=ja", ["Snow festivals"]),
        ("language=en", ["Aso caldera walks", "Ageing towns", "Open house"]),
        ("series=local&language=en", ["Aso caldera walks"]),
        ("topic=food&audience=media", ["Snow festivals"]),
    ],
)
def test_upcoming_list_filters(client, catalogue, query, expected):
    response = client.get(f"{reverse('webinars:seminar_list')}?{query}")

    assert response.status_code == 200
    assert _titles(response) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("caldera", ["Aso caldera walks"]),  # title
        ("SAPPORO", ["Snow festivals"]),  # summary, any case
        ("european", ["Ageing towns"]),  # description
        ("hana", ["Aso caldera walks"]),  # two speakers match: still listed once
        ("Lyon", ["Ageing towns"]),  # speaker's organisation
        ("onsen", ["Aso caldera walks", "Open house"]),  # topic name
        ("kumamoto", ["Aso caldera walks"]),  # featured prefecture's name
        ("aso walks", ["Aso caldera walks"]),  # every word must match
        ("aso festivals", []),
        ("zzz-nothing", []),
    ],
)
def test_upcoming_list_text_search(client, catalogue, q, expected):
    response = client.get(reverse("webinars:seminar_list"), {"q": q})

    assert _titles(response) == expected


def test_filters_apply_to_the_past_list_too(client, catalogue):
    _past(title="Past onsen tour", language="ja").topics.add(catalogue["open"].topics.get())
    _past(title="Past policy talk", language="en")

    response = client.get(reverse("webinars:seminar_past"), {"topic": "onsen"})

    assert _titles(response) == ["Past onsen tour"]


def test_filter_form_keeps_the_chosen_values(client, catalogue):
    response = client.get(
        reverse("webinars:seminar_list"), {"series": "local", "language": "en", "q": "caldera"}
    )

    content = _text(response)
    assert '<option value="local" selected>Japan Local Attraction Seminars</option>' in content
    assert '<option value="en" selected>English</option>' in content
    assert 'value="caldera"' in content
    assert '<label for="id_q">Search</label>' in content
    assert '<label for="id_prefecture">Prefecture</label>' in content
    assert f'href="{reverse("webinars:seminar_list")}">Clear filters</a>' in content


LONG_QUERY = "京都" * 3000
ALL = ["Aso caldera walks", "Snow festivals", "Ageing towns", "Open house"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("series=nope", ["Aso caldera walks", "Snow festivals", "Ageing towns", "Open house"]),
        ("prefecture=JP-99", ["Aso caldera walks", "Snow festivals", "Ageing towns", "Open house"]),
        ("language=xx", ["Aso caldera walks", "Snow festivals", "Ageing towns", "Open house"]),
        ("audience=%27%3B--", ALL),
        ("topic=%00", ["Aso caldera walks", "Snow festivals", "Ageing towns", "Open house"]),
        ("page=abc", ["Aso caldera walks", "Snow festivals", "Ageing towns", "Open house"]),
        ("series=nope&prefecture=JP-99&page=abc&language=xx", [
            "Aso caldera walks", "Snow festivals", "Ageing towns", "Open house"
        ]),
        (f"q={LONG_QUERY}", []),
        ("q=%00%01%7F", ["Aso caldera walks", "Snow festivals", "Ageing towns", "Open house"]),
        ("q=%ED%A0%80%F0%9F%98%80%E2%80%AE", []),  # lone surrogate, emoji, RTL override
        ("q=%25", []),  # LIKE wildcards are literal
        ("q=_", []),
        ("series=local&series=nope", ALL),
    ],
)  # fmt: skip
def test_junk_query_parameters_give_a_list_never_an_error(client, catalogue, query, expected):
    response = client.get(f"{reverse('webinars:seminar_list')}?{query}")

    assert response.status_code == 200
    assert _titles(response) == expected


def test_junk_filter_values_are_not_echoed_as_errors(client, catalogue):
    response = client.get(reverse("webinars:seminar_list"), {"series": "nope", "q": LONG_QUERY})

    content = _text(response)
    assert "aria-invalid" not in content
    assert "errorlist" not in content
    # Only the language switcher's way back keeps the query as it came (escaped).
    assert "nope" not in content.split("<main", 1)[1]
    assert f'value="{"京都" * 50}"' in content  # the search as applied: cut to 100 characters


def test_pagination_splits_twelve_per_page_and_keeps_filters(client):
    for day in range(1, 15):
        _upcoming(day, title=f"Seminar day {day:02d}", language="en")

    first = client.get(reverse("webinars:seminar_list"), {"language": "en", "junk": "x"})
    second = client.get(reverse("webinars:seminar_list"), {"language": "en", "page": "2"})

    assert _titles(first) == [f"Seminar day {day:02d}" for day in range(1, 13)]
    assert _titles(second) == ["Seminar day 13", "Seminar day 14"]
    next_href = _link_href(first, 'Next <span aria-hidden="true">→</span>')
    assert parse_qs(urlsplit(next_href).query) == {"language": ["en"], "page": ["2"]}
    assert '<a href="?language=en&amp;page=2" rel="next"' not in _text(first)
    assert "14 seminars" in _text(first)


@pytest.mark.parametrize(
    ("page", "expected_number"),
    [("abc", 1), ("", 1), ("1.5", 1), ("9999", 2), ("0", 2), ("-1", 2), ("2", 2), ("99" * 30, 2)],
)
def test_pagination_edge_cases_fall_back_to_a_real_page(client, page, expected_number):
    for day in range(1, 15):
        _upcoming(day)

    response = client.get(reverse("webinars:seminar_list"), {"page": page})

    assert response.status_code == 200
    assert response.context["page_obj"].number == expected_number


def test_empty_list_says_so(client):
    response = client.get(reverse("webinars:seminar_list"))

    assert "No seminars are scheduled just now." in _text(response)
    assert "0 seminars" in _text(response)


# --- Seminar page ---------------------------------------------------------------------------------


def _seminar_at(start, **kwargs) -> Seminar:
    return SeminarFactory(starts_at=start, ends_at=start + timedelta(hours=1), **kwargs)


@time_machine.travel(london(2026, 10, 1, 12), tick=False)
def test_seminar_before_uk_clocks_go_back_shows_an_eight_hour_gap(client):
    seminar = _seminar_at(london(2026, 10, 23, 10), title="Friday talk")

    content = _text(client.get(seminar.get_absolute_url()))

    assert "Friday 23 October 2026" in content
    assert '<span class="zone-time">10:00–11:00 BST</span>' in content
    assert '<span class="zone-time">18:00–19:00 JST</span>' in content
    assert (
        "UK clocks go back one hour on Sunday 25 October 2026: "
        "the London–Tokyo gap is then 9 hours (8 hours before)."
    ) in content


@time_machine.travel(london(2026, 10, 1, 12), tick=False)
def test_seminar_after_uk_clocks_go_back_shows_a_nine_hour_gap(client):
    seminar = _seminar_at(london(2026, 10, 26, 10), title="Monday talk")

    content = _text(client.get(seminar.get_absolute_url()))

    assert "Monday 26 October 2026" in content
    assert '<span class="zone-time">10:00–11:00 GMT</span>' in content
    assert '<span class="zone-time">19:00–20:00 JST</span>' in content
    assert (
        "UK clocks go back one hour on Sunday 25 October 2026: "
        "the London–Tokyo gap is then 9 hours (8 hours before)."
    ) in content


@time_machine.travel(london(2026, 10, 1, 12), tick=False)
def test_list_cards_show_uk_and_japan_times_around_the_clock_change(client):
    _seminar_at(london(2026, 10, 23, 10), title="Friday talk")
    _seminar_at(london(2026, 10, 26, 10), title="Monday talk")

    content = _text(client.get(reverse("webinars:seminar_list")))

    assert content.count('<span class="zone-time">10:00–11:00 BST</span>') == 1
    assert content.count('<span class="zone-time">18:00–19:00 JST</span>') == 1
    assert content.count('<span class="zone-time">10:00–11:00 GMT</span>') == 1
    assert content.count('<span class="zone-time">19:00–20:00 JST</span>') == 1


@time_machine.travel(london(2026, 5, 1, 12), tick=False)
def test_no_clock_change_note_far_from_a_change(client):
    seminar = _seminar_at(london(2026, 6, 12, 10))

    content = _text(client.get(seminar.get_absolute_url()))

    assert "UK clocks" not in content
    assert '<span class="zone-time">18:00–19:00 JST</span>' in content


@time_machine.travel(london(2026, 5, 1, 12), tick=False)
def test_seminar_in_another_zone_shows_that_zone_then_uk_then_japan(client):
    seminar = _seminar_at(london(2026, 6, 12, 17), timezone="Europe/Paris")

    content = _text(client.get(seminar.get_absolute_url()))

    paris = content.index("18:00–19:00 CEST")
    uk = content.index("17:00–18:00 BST")
    japan = content.index("01:00–02:00 JST")
    assert paris < uk < japan
    assert "Saturday 13 June 2026" in content  # Tokyo is already on the next day


@time_machine.travel(london(2026, 5, 1, 12), tick=False)
def test_seminar_page_prepares_the_viewers_own_time_for_the_script(client):
    seminar = _seminar_at(london(2026, 6, 12, 10))

    content = _text(client.get(seminar.get_absolute_url()))

    assert (
        '<time datetime="2026-06-12T09:00:00Z" data-local-time data-end="2026-06-12T10:00:00Z" '
        'data-zones="Europe/London Asia/Tokyo" data-format="long"></time>'
    ) in content
    assert "<script>" not in content
    assert 'src="/static/js/site.js"' in content


def test_seminar_page_shows_its_content(client):
    series = SeriesFactory(name="Japan Local Attraction Seminars")
    seminar = _upcoming(
        title="Kyushu by rail",
        series=series,
        summary="From Fukuoka to Kagoshima.",
        description="## Programme\n\n1. Welcome\n2. **Rail passes**",
        prefecture="JP-40",
        language="ja",
        partner_organisations="Kyushu Tourism Promotion Organisation\n\nJR Kyushu\n",
        capacity=80,
        waitlist_enabled=True,
        platform=Seminar.Platform.TEAMS,
    )
    seminar.topics.set([TopicFactory(name="Railways", slug="rail")])
    seminar.allowed_audience_types.set(
        [AudienceTypeFactory(name="Inbound tour operators", slug="inbound")]
    )

    content = _text(client.get(seminar.get_absolute_url()))

    assert '<h1 id="seminar-title">Kyushu by rail</h1>' in content
    assert f'<a href="{series.get_absolute_url()}">Japan Local Attraction Seminars</a>' in content
    assert "From Fukuoka to Kagoshima." in content
    assert "<h3>Programme</h3>\n<ol>\n<li>Welcome</li>\n<li><strong>Rail passes</strong>" in content
    assert '<dd><a href="/regions/fukuoka/">Fukuoka</a></dd>' in content
    assert "<dd>Japanese</dd>" in content
    assert "<li>Kyushu Tourism Promotion Organisation</li><li>JR Kyushu</li>" in content
    assert "80 seats" in content
    assert "Waiting list when full" in content
    assert "<li>Inbound tour operators</li>" in content
    assert f'href="{reverse("webinars:seminar_list")}?topic=rail">Railways</a>' in content
    assert "Online (Microsoft Teams)" in content


def test_seminar_with_capacity_and_no_waitlist_says_so(client):
    seminar = _upcoming(capacity=1, waitlist_enabled=False)

    content = _text(client.get(seminar.get_absolute_url()))

    assert '<dd>1 seat<span class="fact-extra">No waiting list</span></dd>' in content


def test_seminar_without_capacity_says_there_is_no_seat_limit(client):
    content = _text(client.get(_upcoming(capacity=None).get_absolute_url()))

    assert "No seat limit" in content
    assert "Waiting list" not in content


def test_seminar_speakers_are_ordered_with_role_organisation_and_jet_placement(client):
    seminar = _upcoming()
    moderator = SpeakerFactory(name="Tom Baker", slug="tom", title="Director", organisation="JLGC")
    jet = SpeakerFactory(
        name="Amy Clarke",
        name_ja="エイミー・クラーク",
        slug="amy",
        title="Coordinator for International Relations",
        organisation="Kumamoto Prefectural Government",
        is_jet_participant=True,
        jet_prefecture="JP-43",
        jet_municipality="Aso",
        jet_year_from=2016,
        jet_year_to=2019,
    )
    SeminarSpeakerFactory(seminar=seminar, speaker=moderator, role="moderator", position=2)
    SeminarSpeakerFactory(seminar=seminar, speaker=jet, role="presenter", position=1)

    content = _text(client.get(seminar.get_absolute_url()))

    assert content.index("Amy Clarke") < content.index("Tom Baker")
    assert '<a href="/speakers/amy/">Amy Clarke</a>' in content
    assert '<span class="speaker-name-ja" lang="ja">エイミー・クラーク</span>' in content
    assert "Coordinator for International Relations, Kumamoto Prefectural Government" in content
    assert "Aso, Kumamoto (2016–2019)" in content
    assert '<p class="speaker-role">Moderator</p>' in content
    assert '<p class="speaker-role">Presenter</p>' in content


def test_seminar_description_is_sanitised(client):
    seminar = _upcoming(
        description='Hello <script>alert("x")</script> [click](javascript:alert(1)) '
        '<img src="/x.png" onerror="alert(2)">'
    )

    content = _text(client.get(seminar.get_absolute_url()))

    assert "alert(" not in content
    assert "javascript:" not in content
    assert "onerror" not in content


def test_cancelled_seminar_says_so_with_its_message_and_offers_no_calendar_links(client):
    seminar = _upcoming(
        status=Seminar.Status.CANCELLED,
        cancellation_message="The speaker is unwell.\nWe will announce a new date.",
    )

    content = _text(client.get(seminar.get_absolute_url()))

    assert '<h2 id="cancelled-heading">This seminar was cancelled</h2>' in content
    assert "<p>The speaker is unwell.<br>We will announce a new date.</p>" in content
    assert "calendar.google.com" not in content
    assert reverse("webinars:seminar_calendar", args=[seminar.slug]) not in content


def test_past_seminar_says_it_has_ended(client):
    seminar = _past()

    content = _text(client.get(seminar.get_absolute_url()))

    assert "This seminar has ended." in content
    assert "calendar.google.com" not in content


def test_draft_seminar_page_is_not_found(client):
    seminar = _upcoming(draft=True)

    assert client.get(seminar.get_absolute_url()).status_code == 404


def test_seminar_cancelled_before_publication_is_not_found(client):
    seminar = _upcoming(status=Seminar.Status.CANCELLED, published_at=None)

    assert client.get(seminar.get_absolute_url()).status_code == 404


def test_unknown_seminar_is_not_found(client):
    assert client.get(reverse("webinars:seminar_detail", args=["nope"])).status_code == 404


def test_add_to_calendar_links(client):
    seminar = SeminarFactory(
        title="Onsen & ryokan: a guide",
        slug="onsen-guide",
        summary="Hot springs, etiquette + tips.",
        starts_at=london(2027, 1, 15, 9),
        ends_at=london(2027, 1, 15, 10, 30),
    )

    response = client.get(seminar.get_absolute_url())

    assert _link_href(response, "Download (.ics)") == "/seminars/onsen-guide/calendar.ics"
    google = _link_href(response, "Google Calendar")
    assert google == (
        "https://calendar.google.com/calendar/render?action=TEMPLATE"
        "&text=Onsen%20%26%20ryokan%3A%20a%20guide"
        "&dates=20270115T090000Z%2F20270115T103000Z"
        "&details=Hot%20springs%2C%20etiquette%20%2B%20tips.%0A%0A"
        "http%3A%2F%2Flocalhost%3A8000%2Fseminars%2Fonsen-guide%2F"
        "&location=http%3A%2F%2Flocalhost%3A8000%2Fseminars%2Fonsen-guide%2F"
        "&ctz=Europe%2FLondon"
    )
    outlook = _link_href(response, "Outlook")
    parts = urlsplit(outlook)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://outlook.office.com/calendar/0/deeplink/compose"
    )
    assert "+" not in parts.query
    assert parse_qs(parts.query) == {
        "path": ["/calendar/action/compose"],
        "rru": ["addevent"],
        "subject": ["Onsen & ryokan: a guide"],
        "startdt": ["2027-01-15T09:00:00Z"],
        "enddt": ["2027-01-15T10:30:00Z"],
        "body": ["Hot springs, etiquette + tips.\n\nhttp://localhost:8000/seminars/onsen-guide/"],
        "location": ["http://localhost:8000/seminars/onsen-guide/"],
    }


# --- Structured data ------------------------------------------------------------------------------


def test_seminar_json_ld_describes_an_online_event(client):
    seminar = SeminarFactory(
        title="Tea country",
        slug="tea",
        summary="Shizuoka's tea fields.",
        starts_at=london(2027, 1, 15, 9),
        ends_at=london(2027, 1, 15, 10),
        timezone="Asia/Tokyo",
        language="ja",
    )
    SeminarSpeakerFactory(
        seminar=seminar,
        speaker=SpeakerFactory(
            name="Yui Sato", slug="yui", title="Officer", organisation="Shizuoka"
        ),
    )

    data = _json_ld(client.get(seminar.get_absolute_url()))

    assert data == {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": "Tea country",
        "description": "Shizuoka's tea fields.",
        "url": "http://localhost:8000/seminars/tea/",
        "startDate": "2027-01-15T18:00:00+09:00",
        "endDate": "2027-01-15T19:00:00+09:00",
        "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode",
        "eventStatus": "https://schema.org/EventScheduled",
        "location": {"@type": "VirtualLocation", "url": "http://localhost:8000/seminars/tea/"},
        "inLanguage": "ja",
        "organizer": {
            "@type": "Organization",
            "name": "Japan Local Government Centre (JLGC), London",
            "url": "http://localhost:8000",
        },
        "performer": [
            {
                "@type": "Person",
                "name": "Yui Sato",
                "url": "http://localhost:8000/speakers/yui/",
                "jobTitle": "Officer",
                "affiliation": {"@type": "Organization", "name": "Shizuoka"},
            }
        ],
    }


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"status": Seminar.Status.CANCELLED}, "https://schema.org/EventCancelled"),
        ({"sequence": 2}, "https://schema.org/EventScheduled"),
        ({"status": Seminar.Status.CANCELLED, "sequence": 2}, "https://schema.org/EventCancelled"),
    ],
)
def test_seminar_json_ld_event_status(client, changes, status):
    seminar = _upcoming(**changes)

    assert _json_ld(client.get(seminar.get_absolute_url()))["eventStatus"] == status


def test_seminar_json_ld_stays_scheduled_after_a_passcode_change(client):
    seminar = _upcoming()
    services.seminar_update(seminar=seminar, meeting_passcode="new-passcode")
    assert seminar.sequence == 1

    data = _json_ld(client.get(seminar.get_absolute_url()))

    assert data["eventStatus"] == "https://schema.org/EventScheduled"


def test_seminar_json_ld_says_rescheduled_from_the_start_first_announced(client):
    seminar = _upcoming(timezone="Asia/Tokyo")
    announced = seminar.starts_at
    for days in (1, 2):  # moved twice: the start people first saw is the previous one
        services.seminar_update(
            seminar=seminar,
            starts_at=announced + timedelta(days=days),
            ends_at=seminar.ends_at + timedelta(days=1),
        )

    data = _json_ld(client.get(seminar.get_absolute_url()))

    assert data["eventStatus"] == "https://schema.org/EventRescheduled"
    assert data["previousStartDate"] == announced.astimezone(seminar.tzinfo).isoformat()
    assert data["startDate"] == seminar.starts_at.astimezone(seminar.tzinfo).isoformat()


def test_seminar_json_ld_is_scheduled_again_when_moved_back_and_a_draft_never_reschedules(client):
    seminar = _upcoming()
    announced, ends = seminar.starts_at, seminar.ends_at
    later = {"starts_at": announced + timedelta(hours=3), "ends_at": ends + timedelta(hours=3)}
    services.seminar_update(seminar=seminar, **later)
    services.seminar_update(seminar=seminar, starts_at=announced, ends_at=ends)
    draft = _upcoming(status=Seminar.Status.DRAFT)
    services.seminar_update(
        seminar=draft,
        starts_at=draft.starts_at + timedelta(days=1),
        ends_at=draft.ends_at + timedelta(days=1),
    )

    data = _json_ld(client.get(seminar.get_absolute_url()))
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert "previousStartDate" not in data
    draft.refresh_from_db()
    assert draft.previous_starts_at is None


def test_a_cancelled_move_is_cancelled_in_json_ld(client):
    seminar = _upcoming()
    services.seminar_update(
        seminar=seminar,
        starts_at=seminar.starts_at + timedelta(days=1),
        ends_at=seminar.ends_at + timedelta(days=1),
    )
    Seminar.objects.filter(pk=seminar.pk).update(status=Seminar.Status.CANCELLED)

    data = _json_ld(client.get(seminar.get_absolute_url()))

    assert data["eventStatus"] == "https://schema.org/EventCancelled"
    assert "previousStartDate" not in data


def test_hybrid_seminar_json_ld_is_mixed_with_the_venue(client):
    seminar = _upcoming(venue="JLGC, 15 Whitehall", slug="hybrid")

    data = _json_ld(client.get(seminar.get_absolute_url()))

    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert data["location"] == [
        {"@type": "VirtualLocation", "url": "http://localhost:8000/seminars/hybrid/"},
        {
            "@type": "Place",
            "name": "JLGC, 15 Whitehall",
            "address": "JLGC, 15 Whitehall",
        },
    ]


def test_seminar_json_ld_cannot_be_broken_out_of(client):
    title = "</script><script>alert(1)</script> & <b>"
    seminar = _upcoming(title=title)

    response = client.get(seminar.get_absolute_url())

    assert "</script><script>alert(1)" not in _text(response)
    assert _json_ld(response)["name"] == title


# --- Secrets stay secret --------------------------------------------------------------------------


@pytest.fixture
def seminar_with_secrets():
    seminar = _upcoming(
        slug="secretive", meeting_url=MEETING_URL, meeting_passcode=PASSCODE, venue=""
    )
    speaker = SpeakerFactory(slug="speaker-with-secrets", email=SPEAKER_EMAIL)
    SeminarSpeakerFactory(seminar=seminar, speaker=speaker, join_url=SPEAKER_JOIN_URL)
    _past(
        meeting_url=MEETING_URL, meeting_passcode=PASSCODE, series=seminar.series
    ).speaker_links.create(speaker=speaker, role=SeminarSpeaker.Role.PANELLIST)
    return seminar


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/seminars/",
        "/seminars/?q=secretive",
        "/seminars/past/",
        "/seminars/secretive/",
        "/speakers/speaker-with-secrets/",
    ],
)
def test_meeting_details_and_speaker_secrets_never_appear_in_public_pages(
    client, seminar_with_secrets, url
):
    response = client.get(url)

    assert response.status_code == 200
    content = _text(response)
    for secret in (MEETING_URL, "98765432100", PASSCODE, SPEAKER_JOIN_URL, SPEAKER_EMAIL):
        assert secret not in content
        assert html.escape(secret) not in content


def test_series_page_never_shows_meeting_details(client, seminar_with_secrets):
    content = _text(client.get(seminar_with_secrets.series.get_absolute_url()))

    assert "98765432100" not in content
    assert PASSCODE not in content
    assert SPEAKER_JOIN_URL not in content


# --- Series page ----------------------------------------------------------------------------------


def test_series_page_lists_its_upcoming_and_past_seminars_only(client):
    series = SeriesFactory(
        name="JLGC Seminars", slug="jlgc", description="Knowledge exchange with **Europe**."
    )
    other = SeriesFactory()
    _upcoming(2, title="Next in series", series=series)
    _upcoming(1, title="Other series", series=other)
    _upcoming(1, title="Series draft", series=series, draft=True)
    _past(3, title="Earlier in series", series=series)

    response = client.get(series.get_absolute_url())

    assert [s.title for s in response.context["upcoming_seminars"]] == ["Next in series"]
    assert [s.title for s in response.context["past_seminars"]] == ["Earlier in series"]
    content = _text(response)
    assert "<p>Knowledge exchange with <strong>Europe</strong>.</p>" in content
    assert f'href="{reverse("webinars:series_calendar", args=["jlgc"])}"' in content
    assert "Other series" not in content
    assert "Series draft" not in content


def test_series_page_links_to_all_past_seminars_when_there_are_more(client):
    series = SeriesFactory(slug="busy")
    for day in range(1, 9):
        _past(day, series=series)

    response = client.get(series.get_absolute_url())

    assert len(response.context["past_seminars"]) == 6
    assert f'href="{reverse("webinars:seminar_past")}?series=busy"' in _text(response)


def test_unknown_series_is_not_found(client):
    assert client.get(reverse("webinars:series_detail", args=["nope"])).status_code == 404


# --- Speaker page ---------------------------------------------------------------------------------


def test_speaker_page_shows_profile_and_public_seminars(client):
    speaker = SpeakerFactory(
        name="Amy Clarke",
        name_ja="エイミー・クラーク",
        slug="amy",
        title="CIR",
        organisation="Kumamoto Prefectural Government",
        bio="Loves **onsen**.<script>alert(1)</script>",
        is_jet_participant=True,
        jet_prefecture="JP-43",
        jet_municipality="Aso",
        jet_year_from=2016,
        jet_year_to=2019,
        website="https://amy.example.org",
        links="https://www.linkedin.com/in/amy\njavascript:alert(1)\n",
        email=SPEAKER_EMAIL,
    )
    SeminarSpeakerFactory(
        seminar=_upcoming(2, title="Upcoming talk"), speaker=speaker, role="moderator"
    )
    SeminarSpeakerFactory(seminar=_past(2, title="Past talk"), speaker=speaker)
    SeminarSpeakerFactory(seminar=_upcoming(1, title="Draft talk", draft=True), speaker=speaker)

    response = client.get(speaker.get_absolute_url())

    assert [s.title for s in response.context["upcoming_seminars"]] == ["Upcoming talk"]
    assert [s.title for s in response.context["past_seminars"]] == ["Past talk"]
    content = _text(response)
    assert '<span class="profile-name-ja" lang="ja">エイミー・クラーク</span>' in content
    assert "CIR, Kumamoto Prefectural Government" in content
    assert "Placement: Aso, Kumamoto (2016–2019)" in content
    assert "<p>Loves <strong>onsen</strong>.</p>" in content
    assert (
        '<a href="https://amy.example.org" rel="noopener nofollow">amy.example.org</a>' in content
    )
    assert 'href="https://www.linkedin.com/in/amy"' in content
    assert "javascript:" not in content
    assert "alert(1)" not in content
    assert SPEAKER_EMAIL not in content
    assert "Draft talk" not in content
    assert '<span class="card-role">Moderator</span>' in content


def test_speaker_of_drafts_only_has_no_public_page(client):
    speaker = SpeakerFactory()
    SeminarSpeakerFactory(seminar=_upcoming(draft=True), speaker=speaker)

    assert client.get(speaker.get_absolute_url()).status_code == 404


# --- Query counts ---------------------------------------------------------------------------------


def _populate(count: int):
    """``count`` upcoming and ``count`` past seminars, each with 3 speakers and 2 topics."""
    series = SeriesFactory(name="Many", slug="many")
    speaker = SpeakerFactory(slug="busy-speaker")
    topics = [TopicFactory(name="Alpha", slug="alpha"), TopicFactory(name="Beta", slug="beta")]
    audience = AudienceTypeFactory(name="Counted", slug="counted")
    for index in range(count):
        for seminar in (_upcoming(index + 1, series=series), _past(index + 1, series=series)):
            seminar.topics.set(topics)
            seminar.allowed_audience_types.set([audience])
            SeminarSpeakerFactory(seminar=seminar, speaker=speaker, position=0)
            SeminarSpeakerFactory(seminar=seminar, position=1)
            SeminarSpeakerFactory(seminar=seminar, position=2)


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize(
    ("url", "max_queries", "items_key", "shown_at_most"),
    [
        ("/", 6, "next_seminars", 3),
        ("/seminars/", 7, "seminars", 12),
        ("/seminars/?q=seminar&topic=alpha&series=many&audience=counted", 7, "seminars", 12),
        ("/seminars/past/", 7, "seminars", 12),
        ("/series/many/", 8, "upcoming_seminars", 20),
        ("/speakers/busy-speaker/", 8, "past_seminars", 20),
    ],
)
def test_query_count_does_not_grow_with_items(
    client, django_assert_max_num_queries, url, max_queries, items_key, shown_at_most, count
):
    _populate(count)

    with django_assert_max_num_queries(max_queries):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context[items_key]) == min(count, shown_at_most)


@pytest.mark.parametrize("speakers", [1, 20])
def test_seminar_page_query_count_does_not_grow_with_speakers(
    client, django_assert_max_num_queries, speakers
):
    seminar = _upcoming()
    for position in range(speakers):
        SeminarSpeakerFactory(seminar=seminar, position=position)
    seminar.topics.set([TopicFactory() for _ in range(5)])

    with django_assert_max_num_queries(4):
        response = client.get(seminar.get_absolute_url())

    assert response.status_code == 200
    assert len(_json_ld(response)["performer"]) == speakers


# --- Caching --------------------------------------------------------------------------------------


def test_anonymous_pages_come_from_the_cache_and_carry_no_csrf_token(client):
    _upcoming(title="Cached")

    first = client.get(reverse("webinars:seminar_list"))
    second = client.get(reverse("webinars:seminar_list"))

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert "csrfmiddlewaretoken" not in _text(first)
    assert not first.cookies


def test_signed_in_visitor_gets_a_fresh_page_with_sign_out(client):
    from tests.factories import UserFactory

    _upcoming(title="Personal")
    client.force_login(UserFactory())

    response = client.get(reverse("webinars:home"))

    assert "X-Page-Cache" not in response
    assert "Sign out" in _text(response)


# --- Error pages ----------------------------------------------------------------------------------


def test_not_found_page_uses_the_site_layout(client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    content = _text(response)
    assert '<h1 id="error-heading">We couldn\'t find that page</h1>' in content
    assert '<a class="skip-link" href="#main">Skip to content</a>' in content
    assert '<link rel="stylesheet" href="/static/css/site.css">' in content
    assert (
        f'<form class="error-search" method="get" action="{reverse("webinars:seminar_list")}"'
        in content
    )


def test_server_error_page_renders_without_request_or_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        content = loader.get_template("500.html").render()

    assert "Something went wrong on our side" in content
    assert '<link rel="stylesheet" href="/static/css/site.css">' in content
