import io
import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.admin import ControlCharacterFreeSearchMixin
from accounts.models import AudienceType
from tests.factories import (
    AudienceQuotaFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    SeriesFactory,
    SpeakerFactory,
    StaffFactory,
    TopicFactory,
    london,
)
from tests.utils import (
    SEMINAR_CHANGELIST,
    SEMINAR_ENDS,
    SEMINAR_STARTS,
    form_errors,
    messages_of,
    seminar_change_url,
    seminar_form_data,
    upcoming_seminar,
)
from webinars.cache import catalogue_version
from webinars.models import AudienceQuota, Seminar

pytestmark = pytest.mark.django_db

ADD = reverse("admin:webinars_seminar_add")


def _png(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "teal").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _quota_errors(response) -> tuple[list[str], list[dict[str, list[str]]]]:
    """The audience quota inline's errors: those of the whole formset, then row by row."""
    formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "audience_quotas"
    )
    rows = [{name: list(errors) for name, errors in form.errors.items()} for form in formset]
    return list(formset.non_form_errors()), rows


def _new_quotas(*quotas: tuple[str, object]) -> dict[str, object]:
    """Inline data for new quota rows, each (audience type slug, seats)."""
    data: dict[str, object] = {"audience_quotas-TOTAL_FORMS": str(len(quotas))}
    for index, (slug, seats) in enumerate(quotas):
        data[f"audience_quotas-{index}-audience_type"] = AudienceType.objects.get(slug=slug).pk
        data[f"audience_quotas-{index}-seats"] = str(seats)
    return data


# --- Branding -------------------------------------------------------------


def test_admin_is_branded_for_organisers(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="/admin/">Kizuna organiser admin</a>' in html
    assert "<title>Site administration | Kizuna organiser admin</title>" in html


# --- Changelist -----------------------------------------------------------


def test_changelist_shows_start_in_uk_and_japan_time(admin_client):
    upcoming_seminar(title="Winter seminar", starts_at=london(2031, 1, 14, 10))
    upcoming_seminar(title="Summer seminar", starts_at=london(2031, 7, 1, 10))

    response = admin_client.get(SEMINAR_CHANGELIST)

    html = response.content.decode()
    assert '<td class="field-starts_in_uk">Tue 14 Jan 2031, 10:00 GMT</td>' in html
    assert '<td class="field-starts_in_japan">Tue 14 Jan, 19:00 JST</td>' in html
    assert '<td class="field-starts_in_uk">Tue 1 Jul 2031, 10:00 BST</td>' in html
    assert '<td class="field-starts_in_japan">Tue 1 Jul, 18:00 JST</td>' in html


def test_changelist_lists_newest_first(admin_client):
    upcoming_seminar(title="Earlier", starts_at=SEMINAR_STARTS)
    upcoming_seminar(title="Later", starts_at=SEMINAR_STARTS + timedelta(days=30))

    response = admin_client.get(SEMINAR_CHANGELIST)

    assert [seminar.title for seminar in response.context["cl"].result_list] == [
        "Later",
        "Earlier",
    ]


@pytest.mark.parametrize(("when", "titles"), [("upcoming", ["Next"]), ("past", ["Last"])])
def test_changelist_filters_upcoming_and_past(admin_client, when, titles):
    upcoming_seminar(title="Next")
    SeminarFactory(title="Last", past=True)

    response = admin_client.get(SEMINAR_CHANGELIST, {"when": when})

    assert [seminar.title for seminar in response.context["cl"].result_list] == titles


def test_changelist_search_finds_seminars_by_speaker_name(admin_client):
    seminar = upcoming_seminar(title="Snow festivals")
    upcoming_seminar(title="Rice terraces")
    SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(name="Aiko Tanaka"))

    response = admin_client.get(SEMINAR_CHANGELIST, {"q": "tanaka"})

    assert [seminar.title for seminar in response.context["cl"].result_list] == ["Snow festivals"]


# Django's own changelist search form refuses a NUL; the autocomplete view has no such form,
# and PostgreSQL answers a NUL in a query parameter with DataError, so a 500.
@pytest.mark.parametrize("control_character", ["\x01", "\x1b"])
def test_changelist_search_takes_control_characters_as_spaces(admin_client, control_character):
    seminar = upcoming_seminar(title="Snow festivals")
    upcoming_seminar(title="Rice terraces")
    SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(name="Aiko Tanaka"))

    alone = admin_client.get(SEMINAR_CHANGELIST, {"q": control_character})
    between_words = admin_client.get(SEMINAR_CHANGELIST, {"q": f"aiko{control_character}tanaka"})

    assert (alone.status_code, between_words.status_code) == (200, 200)
    assert sorted(seminar.title for seminar in alone.context["cl"].result_list) == [
        "Rice terraces",
        "Snow festivals",
    ]
    found = [seminar.title for seminar in between_words.context["cl"].result_list]
    assert found == ["Snow festivals"]


def test_changelist_search_with_a_nul_byte_lists_everything_and_says_why(admin_client):
    upcoming_seminar(title="Snow festivals")
    upcoming_seminar(title="Rice terraces")

    response = admin_client.get(SEMINAR_CHANGELIST, {"q": "snow\x00"})

    assert response.status_code == 200
    assert sorted(seminar.title for seminar in response.context["cl"].result_list) == [
        "Rice terraces",
        "Snow festivals",
    ]
    assert messages_of(response) == ["Null characters are not allowed."]


@pytest.mark.parametrize(
    ("url_name", "make"),
    [
        ("admin:webinars_series_changelist", lambda: upcoming_seminar().series),
        ("admin:webinars_speaker_changelist", SpeakerFactory),
        ("admin:webinars_topic_changelist", TopicFactory),
        ("admin:accounts_audiencetype_changelist", lambda: None),
    ],
)
def test_other_changelists_search_ignores_control_characters(admin_client, url_name, make):
    make()
    make()

    response = admin_client.get(reverse(url_name), {"q": "\x01"})

    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.result_count == changelist.model.objects.count() >= 2


@pytest.mark.parametrize("control_character", ["\x00", "\x01"])
def test_speaker_autocomplete_ignores_control_characters(admin_client, control_character):
    SpeakerFactory(name="Aiko Tanaka")
    SpeakerFactory(name="Tom Baker")
    lookup = {"app_label": "webinars", "model_name": "seminarspeaker", "field_name": "speaker"}
    url = reverse("admin:autocomplete")

    alone = admin_client.get(url, {**lookup, "term": control_character})
    after_a_word = admin_client.get(url, {**lookup, "term": f"aiko{control_character}"})

    assert (alone.status_code, after_a_word.status_code) == (200, 200)
    assert [result["text"] for result in alone.json()["results"]] == ["Aiko Tanaka", "Tom Baker"]
    assert [result["text"] for result in after_a_word.json()["results"]] == ["Aiko Tanaka"]


def test_topic_autocomplete_ignores_a_nul_byte(admin_client):
    TopicFactory(name="Onsen", slug="onsen")
    TopicFactory(name="Castles", slug="castles")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "webinars", "model_name": "seminar", "field_name": "topics", "term": "\x00"},
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["Castles", "Onsen"]


def test_every_kizuna_admin_strips_control_characters_from_searches():
    model_admins = [
        admin.site.get_model_admin(model)
        for label in ("accounts", "webinars")
        for model in apps.get_app_config(label).get_models()
        if admin.site.is_registered(model)
    ]

    assert len(model_admins) == 9
    assert [
        type(model_admin).__name__
        for model_admin in model_admins
        if not isinstance(model_admin, ControlCharacterFreeSearchMixin)
    ] == []


def test_changelist_filters_by_topic(admin_client):
    onsen = TopicFactory(name="Onsen", slug="onsen")
    seminar = upcoming_seminar(title="Hot springs")
    seminar.topics.add(onsen)
    upcoming_seminar(title="Castles")

    response = admin_client.get(SEMINAR_CHANGELIST, {"topics__id__exact": onsen.pk})

    assert [seminar.title for seminar in response.context["cl"].result_list] == ["Hot springs"]


@pytest.mark.parametrize("count", [1, 20])
def test_changelist_query_count_does_not_grow_with_seminars(
    admin_client, django_assert_max_num_queries, count
):
    series = SeriesFactory()
    for _ in range(count):
        upcoming_seminar(series=series, capacity=50)
    SeminarSpeakerFactory(seminar=Seminar.objects.first())

    with django_assert_max_num_queries(11):
        response = admin_client.get(SEMINAR_CHANGELIST)

    assert len(response.context["cl"].result_list) == count


@pytest.mark.parametrize("count", [1, 20])
def test_organiser_changelist_query_count_does_not_grow_with_seminars(
    organiser_client, django_assert_max_num_queries, count
):
    for _ in range(count):
        upcoming_seminar()

    with django_assert_max_num_queries(13):
        response = organiser_client.get(SEMINAR_CHANGELIST)

    assert len(response.context["cl"].result_list) == count


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize(
    ("url_name", "make"),
    [
        ("admin:webinars_series_changelist", lambda: upcoming_seminar().series),
        ("admin:webinars_speaker_changelist", SpeakerFactory),
        ("admin:webinars_topic_changelist", TopicFactory),
    ],
)
def test_other_changelists_query_count_does_not_grow(
    admin_client, django_assert_max_num_queries, count, url_name, make
):
    for _ in range(count):
        make()

    with django_assert_max_num_queries(7):
        response = admin_client.get(reverse(url_name))

    assert len(response.context["cl"].result_list) == count


# --- Add and change forms ---------------------------------------------------


def test_add_form_asks_for_the_zone_first_and_times_in_it(admin_client):
    response = admin_client.get(ADD)

    html = response.content.decode()
    assert "Choose the seminar's time zone first, then type the start and end" in html
    assert html.index('name="timezone"') < html.index('name="starts_at_0"')
    assert "<div>In the seminar's time zone.</div>" in html


def test_the_form_carries_the_live_preview_with_the_series_next_seminars(admin_client):
    series = SeriesFactory()
    nxt = upcoming_seminar(series=series)
    upcoming_seminar(series=series, status=Seminar.Status.CANCELLED)

    html = admin_client.get(ADD).content.decode()

    assert '<script src="/static/js/seminar-times.js"></script>' in html
    box = re.search(r"<div class=\"seminar-time-preview\"[^>]*>", html).group(0)
    starts = json.loads(unescape(re.search(r'data-series-starts="([^"]*)"', box).group(1)))
    texts = json.loads(unescape(re.search(r'data-texts="([^"]*)"', box).group(1)))
    assert starts == {str(series.pk): [nxt.starts_at.isoformat()]}  # cancelled ones left out
    assert texts["outside_uk_hours"] == "Outside 08:00–21:00 in London."


def test_add_from_a_series_starts_in_the_series_zone(admin_client):
    series = SeriesFactory(timezone="Asia/Tokyo")

    response = admin_client.get(f"{ADD}?series={series.pk}")

    assert response.context["adminform"].form["timezone"].value() == "Asia/Tokyo"


# Friday 23 October 2026 is on BST, Monday 26 October on GMT (the UK clocks go back on
# Sunday 25 October); Japan has no clock change.
@pytest.mark.parametrize(
    ("zone", "day", "typed", "expected_utc", "london", "tokyo"),
    [
        (
            "Asia/Tokyo",
            "2026-10-23",
            "19:00",
            datetime(2026, 10, 23, 10, 0, tzinfo=UTC),
            "Fri 23 Oct 2026, 11:00 BST",
            "Fri 23 Oct, 19:00 JST",
        ),
        (
            "Asia/Tokyo",
            "2026-10-26",
            "19:00",
            datetime(2026, 10, 26, 10, 0, tzinfo=UTC),
            "Mon 26 Oct 2026, 10:00 GMT",
            "Mon 26 Oct, 19:00 JST",
        ),
        (
            "Europe/London",
            "2026-10-23",
            "10:00",
            datetime(2026, 10, 23, 9, 0, tzinfo=UTC),
            "Fri 23 Oct 2026, 10:00 BST",
            "Fri 23 Oct, 18:00 JST",
        ),
        (
            "Europe/London",
            "2026-10-26",
            "10:00",
            datetime(2026, 10, 26, 10, 0, tzinfo=UTC),
            "Mon 26 Oct 2026, 10:00 GMT",
            "Mon 26 Oct, 19:00 JST",
        ),
    ],
)
def test_times_are_typed_in_the_seminars_zone_across_the_uk_clock_change(
    admin_client, zone, day, typed, expected_utc, london, tokyo
):
    end = f"{int(typed[:2]) + 1:02d}{typed[2:]}"
    data = seminar_form_data(
        timezone=zone, starts_at_0=day, starts_at_1=typed, ends_at_0=day, ends_at_1=end
    )

    with time_machine.travel("2026-10-01 09:00Z", tick=False):
        response = admin_client.post(ADD, data)
        seminar = Seminar.objects.get()
        form = admin_client.get(seminar_change_url(seminar)).context["adminform"].form
        listing = admin_client.get(SEMINAR_CHANGELIST).content.decode()

    assert response.status_code == 302, form_errors(response)
    assert (seminar.starts_at, seminar.timezone) == (expected_utc, zone)
    # The form shows the same wall clock back; the list shows London and Tokyo.
    assert form["starts_at"].value().strftime("%Y-%m-%d %H:%M") == f"{day} {typed}"
    assert london in listing
    assert tokyo in listing


@pytest.mark.parametrize(
    ("zone", "day", "typed", "message"),
    [
        (
            "Europe/London",
            "2031-03-30",
            "01:30:00",
            "30 March 2031, 01:30 does not exist in Europe/London: the clocks go forward then.",
        ),
        (
            "Europe/London",
            "2031-10-26",
            "01:30:00",
            "26 October 2031, 01:30 happens twice in Europe/London: the clocks go back then.",
        ),
    ],
)
def test_a_time_the_clocks_skip_or_repeat_in_the_seminars_zone_is_refused(
    admin_client, zone, day, typed, message
):
    data = seminar_form_data(
        timezone=zone, starts_at_0=day, starts_at_1=typed, ends_at_0=day, ends_at_1="03:00:00"
    )

    response = admin_client.post(ADD, data)

    assert list(form_errors(response)) == ["starts_at"]
    assert message in form_errors(response)["starts_at"][0]
    assert not Seminar.objects.exists()


def test_01_30_on_the_uk_spring_change_is_fine_for_a_tokyo_seminar(admin_client):
    data = seminar_form_data(
        timezone="Asia/Tokyo",
        starts_at_0="2031-03-30",
        starts_at_1="01:30:00",
        ends_at_0="2031-03-30",
        ends_at_1="03:00:00",
    )

    response = admin_client.post(ADD, data)

    assert response.status_code == 302, form_errors(response)
    assert Seminar.objects.get().starts_at == datetime(2031, 3, 29, 16, 30, tzinfo=UTC)


def test_add_creates_a_draft_with_topics_speakers_and_quotas(admin_client):
    topic = TopicFactory(name="Onsen", slug="onsen")
    first, second = SpeakerFactory(name="Aiko Tanaka"), SpeakerFactory(name="Tom Baker")
    audience = AudienceType.objects.get(slug="travel-agent")
    data = seminar_form_data(
        topics=[topic.pk],
        allowed_audience_types=[audience.pk],
        **{
            "speaker_links-TOTAL_FORMS": "2",
            "speaker_links-0-speaker": second.pk,
            "speaker_links-0-role": "moderator",
            "speaker_links-0-position": "2",
            "speaker_links-1-speaker": first.pk,
            "speaker_links-1-role": "presenter",
            "speaker_links-1-position": "1",
            "audience_quotas-TOTAL_FORMS": "1",
            "audience_quotas-0-audience_type": audience.pk,
            "audience_quotas-0-seats": "25",
        },
    )

    response = admin_client.post(ADD, data)

    assert response.status_code == 302, form_errors(response)
    seminar = Seminar.objects.get()
    assert (seminar.title, seminar.status, seminar.sequence, seminar.published_at) == (
        "Onsen towns of Kyushu",
        "draft",
        0,
        None,
    )
    assert (seminar.starts_at, seminar.ends_at) == (SEMINAR_STARTS, SEMINAR_ENDS)
    assert list(seminar.topics.all()) == [topic]
    assert list(seminar.allowed_audience_types.all()) == [audience]
    assert list(seminar.speaker_links.values_list("speaker__name", "role")) == [
        ("Aiko Tanaka", "presenter"),
        ("Tom Baker", "moderator"),
    ]
    assert list(AudienceQuota.objects.values_list("seminar_id", "seats")) == [(seminar.pk, 25)]


def test_add_and_change_store_the_cover_image(admin_client):
    data = seminar_form_data(
        cover_image=_png("kyushu.png"), cover_image_alt="Steam rising from a bath"
    )

    response = admin_client.post(ADD, data)

    assert response.status_code == 302, form_errors(response)
    seminar = Seminar.objects.get()
    assert seminar.cover_image.name == "seminars/kyushu.png"
    assert seminar.cover_image.read().startswith(b"\x89PNG")

    response = admin_client.post(
        seminar_change_url(seminar), seminar_form_data(seminar, cover_image=_png("beppu.png"))
    )

    assert response.status_code == 302, form_errors(response)
    seminar.refresh_from_db()
    assert seminar.cover_image.name == "seminars/beppu.png"


def test_meeting_url_without_a_scheme_is_taken_as_https(admin_client):
    response = admin_client.post(ADD, seminar_form_data(meeting_url="zoom.example/j/123"))

    assert response.status_code == 302, form_errors(response)
    assert Seminar.objects.get().meeting_url == "https://zoom.example/j/123"


def test_add_invalidates_the_catalogue_cache_after_commit(
    admin_client, django_capture_on_commit_callbacks
):
    data = seminar_form_data()
    before = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(ADD, data)

    assert response.status_code == 302
    assert catalogue_version() != before


def test_add_from_a_series_preselects_its_default_audience_types(admin_client):
    series = SeriesFactory()
    agents = AudienceType.objects.get(slug="travel-agent")
    operators = AudienceType.objects.get(slug="tour-operator")
    series.default_audience_types.set([agents, operators])

    response = admin_client.get(ADD, {"series": series.pk})

    form = response.context["adminform"].form
    assert form.initial["series"] == str(series.pk)
    assert sorted(form.initial["allowed_audience_types"]) == sorted([agents.pk, operators.pk])


def test_changing_the_time_of_a_published_seminar_bumps_sequence(admin_client):
    seminar = upcoming_seminar(title="Kyushu by rail")

    response = admin_client.post(
        seminar_change_url(seminar),
        seminar_form_data(seminar, starts_at_1="11:00:00", ends_at_1="12:30:00"),
    )

    assert response.status_code == 302, form_errors(response)
    seminar.refresh_from_db()
    assert (seminar.sequence, seminar.starts_at) == (1, SEMINAR_STARTS + timedelta(hours=1))


def test_changing_the_meeting_url_of_a_published_seminar_bumps_sequence(admin_client):
    seminar = upcoming_seminar()

    admin_client.post(
        seminar_change_url(seminar),
        seminar_form_data(seminar, meeting_url="https://zoom.example/j/42"),
    )

    seminar.refresh_from_db()
    assert (seminar.sequence, seminar.meeting_url) == (1, "https://zoom.example/j/42")


def test_changing_the_title_of_a_published_seminar_keeps_sequence(admin_client):
    seminar = upcoming_seminar()

    response = admin_client.post(
        seminar_change_url(seminar), seminar_form_data(seminar, title="A new title")
    )

    assert response.status_code == 302, form_errors(response)
    seminar.refresh_from_db()
    assert (seminar.sequence, seminar.title) == (0, "A new title")


def test_changing_the_time_of_a_draft_keeps_sequence(admin_client):
    seminar = upcoming_seminar(draft=True)

    admin_client.post(
        seminar_change_url(seminar), seminar_form_data(seminar, starts_at_1="11:00:00")
    )

    seminar.refresh_from_db()
    assert (seminar.sequence, seminar.starts_at) == (0, SEMINAR_STARTS + timedelta(hours=1))


def test_change_invalidates_the_catalogue_cache_after_commit(
    admin_client, django_capture_on_commit_callbacks
):
    seminar = upcoming_seminar()
    data = seminar_form_data(seminar, summary="A better summary.")
    before = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(seminar_change_url(seminar), data)

    assert catalogue_version() != before


def test_changing_only_topics_invalidates_the_catalogue_cache_after_commit(
    admin_client, django_capture_on_commit_callbacks
):
    seminar = upcoming_seminar()
    onsen = TopicFactory(name="Onsen", slug="onsen")
    data = seminar_form_data(seminar, topics=[onsen.pk])
    before = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(seminar_change_url(seminar), data)

    assert list(seminar.topics.all()) == [onsen]
    assert seminar.updated_at == Seminar.objects.get(pk=seminar.pk).updated_at
    assert catalogue_version() != before


def test_status_and_calendar_fields_cannot_be_posted(admin_client):
    seminar = upcoming_seminar(draft=True)

    admin_client.post(
        seminar_change_url(seminar),
        seminar_form_data(seminar, status="published", sequence="7", uid="x"),
    )

    seminar.refresh_from_db()
    assert (seminar.status, seminar.sequence) == ("draft", 0)


def test_change_page_shows_the_times_in_the_seminar_zone_uk_and_japan(admin_client):
    seminar = upcoming_seminar(timezone="Asia/Tokyo")

    response = admin_client.get(seminar_change_url(seminar))

    html = response.content.decode()
    assert (
        "<ul><li>Asia/Tokyo: Tue 4 Mar 2031, 19:00 \N{EN DASH} 20:30 JST</li>"
        "<li>Europe/London: Tue 4 Mar 2031, 10:00 \N{EN DASH} 11:30 GMT</li></ul>"
    ) in html


@pytest.mark.parametrize("status", [Seminar.Status.PUBLISHED, Seminar.Status.CANCELLED])
def test_announced_seminar_has_a_view_on_site_link(admin_client, status):
    seminar = upcoming_seminar(slug="kyushu-by-rail", status=status)

    response = admin_client.get(seminar_change_url(seminar))

    assert '<a href="/seminars/kyushu-by-rail/" class="viewsitelink">' in response.content.decode()


@pytest.mark.parametrize(
    "fields",
    [{"draft": True}, {"draft": True, "status": Seminar.Status.CANCELLED}],
    ids=["draft", "cancelled-before-publication"],
)
def test_unannounced_seminar_has_no_view_on_site_link(admin_client, fields):
    seminar = upcoming_seminar(**fields)

    response = admin_client.get(seminar_change_url(seminar))

    assert response.status_code == 200
    assert "viewsitelink" not in response.content.decode()


# --- Validation errors shown on the form ----------------------------------


def test_add_with_end_before_start_shows_the_error_on_the_end(admin_client):
    response = admin_client.post(
        ADD, seminar_form_data(ends_at_0="2031-03-04", ends_at_1="09:00:00")
    )

    assert response.status_code == 200
    assert form_errors(response) == {"ends_at": ["The seminar must end after it starts."]}
    assert "The seminar must end after it starts." in response.content.decode()
    assert Seminar.objects.count() == 0


def test_change_with_end_equal_to_start_shows_the_error(admin_client):
    seminar = upcoming_seminar()

    response = admin_client.post(
        seminar_change_url(seminar), seminar_form_data(seminar, ends_at_1="10:00:00")
    )

    assert form_errors(response) == {"ends_at": ["The seminar must end after it starts."]}
    seminar.refresh_from_db()
    assert seminar.ends_at == SEMINAR_ENDS


def test_add_with_unknown_time_zone_shows_the_error(admin_client):
    response = admin_client.post(ADD, seminar_form_data(timezone="Europe/Londn"))

    message = (
        "“Europe/Londn” is not a known time zone. Choose one from the list, such as Europe/London."
    )
    assert form_errors(response) == {"timezone": [message]}
    assert message in response.content.decode()


def test_add_with_a_taken_slug_shows_the_error(admin_client):
    upcoming_seminar(slug="onsen-towns-of-kyushu")

    response = admin_client.post(ADD, seminar_form_data())

    assert form_errors(response) == {"slug": ["Seminar with this Slug already exists."]}
    assert "Seminar with this Slug already exists." in response.content.decode()
    assert Seminar.objects.count() == 1


def test_add_with_negative_capacity_shows_the_error(admin_client):
    response = admin_client.post(ADD, seminar_form_data(capacity="-1"))

    assert form_errors(response) == {
        "capacity": ["Ensure this value is greater than or equal to 0."]
    }
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()


def test_add_with_a_quota_over_capacity_shows_the_error_on_its_row(admin_client):
    response = admin_client.post(
        ADD, seminar_form_data(capacity="100", **_new_quotas(("travel-agent", 60), ("media", 101)))
    )

    assert response.status_code == 200
    assert _quota_errors(response) == (
        [],
        [{}, {"seats": ["More seats than the seminar's capacity (100)."]}],
    )
    assert "More seats than the seminar&#x27;s capacity (100)." in response.content.decode()
    assert Seminar.objects.count() == 0


def test_add_with_quotas_adding_up_to_more_than_capacity_shows_the_error(admin_client):
    response = admin_client.post(
        ADD, seminar_form_data(capacity="100", **_new_quotas(("travel-agent", 60), ("media", 60)))
    )

    message = "The quotas add up to 120 seats, more than the seminar's capacity of 100."
    assert _quota_errors(response) == ([message], [{}, {}])
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert Seminar.objects.count() == 0


def test_add_with_quotas_filling_the_capacity_exactly_saves_them(admin_client):
    response = admin_client.post(
        ADD,
        seminar_form_data(
            capacity="100",
            **_new_quotas(("travel-agent", 60), ("media", 40), ("academic", 0)),
        ),
    )

    assert response.status_code == 302, _quota_errors(response)
    assert sorted(AudienceQuota.objects.values_list("audience_type__slug", "seats")) == [
        ("academic", 0),
        ("media", 40),
        ("travel-agent", 60),
    ]


def test_add_without_capacity_accepts_any_quota(admin_client):
    response = admin_client.post(
        ADD, seminar_form_data(capacity="", **_new_quotas(("travel-agent", 500), ("media", 500)))
    )

    assert response.status_code == 302, _quota_errors(response)
    assert sorted(AudienceQuota.objects.values_list("seats", flat=True)) == [500, 500]


def test_add_with_a_negative_quota_shows_the_error_on_its_row(admin_client):
    response = admin_client.post(ADD, seminar_form_data(capacity="", **_new_quotas(("media", -1))))

    assert _quota_errors(response) == (
        [],
        [{"seats": ["Ensure this value is greater than or equal to 0."]}],
    )
    assert Seminar.objects.count() == 0


def test_add_with_an_audience_type_twice_shows_the_error(admin_client):
    response = admin_client.post(
        ADD, seminar_form_data(capacity="", **_new_quotas(("media", 10), ("media", 20)))
    )

    non_form_errors, rows = _quota_errors(response)
    assert non_form_errors == ["Each audience type can have only one quota."]
    assert rows == [{}, {"__all__": ["Please correct the duplicate values below."]}]
    assert "Each audience type can have only one quota." in response.content.decode()
    assert Seminar.objects.count() == 0


def test_change_lowering_capacity_below_a_quota_shows_the_error(admin_client):
    seminar = upcoming_seminar(capacity=100)
    quota = AudienceQuotaFactory(
        seminar=seminar, audience_type=AudienceType.objects.get(slug="media"), seats=80
    )
    existing_row = {
        "audience_quotas-TOTAL_FORMS": "1",
        "audience_quotas-INITIAL_FORMS": "1",
        "audience_quotas-0-id": quota.pk,
        "audience_quotas-0-seminar": seminar.pk,
        "audience_quotas-0-audience_type": quota.audience_type_id,
        "audience_quotas-0-seats": "80",
    }

    response = admin_client.post(
        seminar_change_url(seminar), seminar_form_data(seminar, capacity="50", **existing_row)
    )

    assert _quota_errors(response) == (
        [],
        [{"seats": ["More seats than the seminar's capacity (50)."]}],
    )
    seminar.refresh_from_db()
    assert seminar.capacity == 100


def test_change_deleting_a_quota_frees_its_seats_for_another(admin_client):
    seminar = upcoming_seminar(capacity=100)
    quota = AudienceQuotaFactory(
        seminar=seminar, audience_type=AudienceType.objects.get(slug="media"), seats=80
    )
    rows = {
        "audience_quotas-TOTAL_FORMS": "2",
        "audience_quotas-INITIAL_FORMS": "1",
        "audience_quotas-0-id": quota.pk,
        "audience_quotas-0-seminar": seminar.pk,
        "audience_quotas-0-audience_type": quota.audience_type_id,
        "audience_quotas-0-seats": "80",
        "audience_quotas-0-DELETE": "on",
        "audience_quotas-1-audience_type": AudienceType.objects.get(slug="academic").pk,
        "audience_quotas-1-seats": "90",
    }

    response = admin_client.post(seminar_change_url(seminar), seminar_form_data(seminar, **rows))

    assert response.status_code == 302, _quota_errors(response)
    assert list(seminar.audience_quotas.values_list("audience_type__slug", "seats")) == [
        ("academic", 90)
    ]


def test_add_with_registration_closing_before_it_opens_shows_the_error(admin_client):
    response = admin_client.post(
        ADD,
        seminar_form_data(
            registration_opens_at_0="2031-02-20",
            registration_opens_at_1="09:00:00",
            registration_closes_at_0="2031-02-10",
            registration_closes_at_1="09:00:00",
        ),
    )

    assert form_errors(response) == {
        "registration_closes_at": ["Registration must close after it opens."]
    }
    assert "Registration must close after it opens." in response.content.decode()


# --- Deletion ---------------------------------------------------------------


def test_a_draft_can_be_deleted(admin_client):
    seminar = upcoming_seminar(draft=True)

    response = admin_client.post(
        reverse("admin:webinars_seminar_delete", args=[seminar.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert Seminar.objects.count() == 0


def test_a_published_seminar_cannot_be_deleted(admin_client):
    seminar = upcoming_seminar()

    response = admin_client.post(
        reverse("admin:webinars_seminar_delete", args=[seminar.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Seminar.objects.count() == 1


def test_bulk_delete_is_not_offered(admin_client):
    response = admin_client.get(SEMINAR_CHANGELIST)

    actions = [value for value, _label in response.context["action_form"].fields["action"].choices]
    assert actions == [
        "",
        "publish_seminars",
        "cancel_seminars",
        "duplicate_seminars",
        "export_registrants",
        "write_to_registrants",
    ]


# --- Actions ------------------------------------------------------------------


def _run_action(client, action: str, seminars: list[Seminar], **extra):
    data = {"action": action, "_selected_action": [seminar.pk for seminar in seminars], **extra}
    return client.post(SEMINAR_CHANGELIST, data)


def test_publish_action_publishes_drafts_and_explains_refusals(admin_client):
    drafts = [
        upcoming_seminar(draft=True, title="Draft one"),
        upcoming_seminar(draft=True, title="Draft two"),
    ]
    cancelled = upcoming_seminar(draft=True, title="Called off", status=Seminar.Status.CANCELLED)
    ended = SeminarFactory(draft=True, past=True, title="Last year")
    published = upcoming_seminar(title="Already out")

    response = _run_action(admin_client, "publish_seminars", [*drafts, cancelled, ended, published])

    assert response.status_code == 302
    assert sorted(Seminar.objects.filter(status="published").values_list("title", flat=True)) == [
        "Already out",
        "Draft one",
        "Draft two",
    ]
    assert messages_of(response) == [
        "“Last year” was not published: A seminar that has already ended cannot be published.",
        "“Called off” was not published: A cancelled seminar cannot be published again.",
        "Published 2 seminars.",
        "Already published: “Already out”.",
    ]


def test_publish_action_invalidates_the_catalogue_cache(
    admin_client, django_capture_on_commit_callbacks
):
    seminar = upcoming_seminar(draft=True)
    before = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        _run_action(admin_client, "publish_seminars", [seminar])

    assert catalogue_version() != before


def test_cancel_action_first_asks_for_a_message(admin_client):
    seminar = upcoming_seminar(title="Kyushu by rail")
    already = upcoming_seminar(title="Snow festivals", status=Seminar.Status.CANCELLED)

    response = _run_action(admin_client, "cancel_seminars", [seminar, already])

    assert response.status_code == 200
    assert response.templates[0].name == (
        "admin/webinars/seminar/cancel_seminars_confirmation.html"
    )
    html = response.content.decode()
    assert "Kyushu by rail</a>" in html
    assert "already cancelled: it will be left unchanged" in html
    assert '<textarea name="message"' in html
    assert f'<input type="hidden" name="_selected_action" value="{seminar.pk}">' in html
    assert '<input type="hidden" name="action" value="cancel_seminars">' in html
    seminar.refresh_from_db()
    assert seminar.status == "published"


def test_cancel_action_requires_the_message(admin_client):
    seminar = upcoming_seminar()

    response = _run_action(admin_client, "cancel_seminars", [seminar], confirm="yes", message=" ")

    assert response.status_code == 200
    assert response.context["form"].errors == {"message": ["This field is required."]}
    seminar.refresh_from_db()
    assert seminar.status == "published"


def test_cancel_action_cancels_with_the_message_and_reports_already_cancelled(admin_client):
    published = upcoming_seminar(title="Kyushu by rail")
    draft = upcoming_seminar(title="Draft", draft=True)
    already = upcoming_seminar(title="Snow festivals", status=Seminar.Status.CANCELLED)

    response = _run_action(
        admin_client,
        "cancel_seminars",
        [published, draft, already],
        confirm="yes",
        message="The speaker cannot travel.",
    )

    assert response.status_code == 302
    published.refresh_from_db()
    draft.refresh_from_db()
    assert (published.status, published.sequence, published.cancellation_message) == (
        "cancelled",
        1,
        "The speaker cannot travel.",
    )
    assert (draft.status, draft.sequence) == ("cancelled", 0)
    assert messages_of(response) == [
        "Cancelled 2 seminars.",
        "Already cancelled, left unchanged: “Snow festivals”.",
    ]


def test_duplicate_action_asks_how_many_days_later(admin_client):
    seminar = upcoming_seminar(title="Kyushu by rail")

    response = _run_action(admin_client, "duplicate_seminars", [seminar])
    refused = _run_action(
        admin_client, "duplicate_seminars", [seminar], confirm="yes", days_later="-1"
    )

    assert response.templates[0].name == (
        "admin/webinars/seminar/duplicate_seminars_confirmation.html"
    )
    html = response.content.decode()
    assert "Kyushu by rail</a>" in html
    assert 'name="days_later" value="7"' in html
    assert refused.context["form"].errors == {
        "days_later": ["Ensure this value is greater than or equal to 0."]
    }
    assert Seminar.objects.count() == 1


def test_duplicate_action_makes_draft_copies_and_links_to_them(admin_client):
    seminar = upcoming_seminar(title="Kyushu by rail", slug="kyushu-by-rail")

    response = _run_action(
        admin_client, "duplicate_seminars", [seminar], confirm="yes", days_later="7"
    )

    copy = Seminar.objects.get(slug="kyushu-by-rail-copy")
    assert (copy.status, copy.title) == ("draft", "Kyushu by rail (copy)")
    assert copy.starts_at == seminar.starts_at + timedelta(days=7)
    link = f'<a href="/admin/webinars/seminar/{copy.pk}/change/">Kyushu by rail (copy)</a>'
    assert messages_of(response) == [f"Created 1 draft copy: {link}"]
    # The link survives the redirect as markup, not as escaped text.
    assert link in admin_client.get(response["Location"]).content.decode()


# --- Organisers (staff in the Organisers group, not superusers) -------------


def test_organiser_can_open_the_seminar_list_and_add_page(organiser_client):
    upcoming_seminar()

    assert organiser_client.get(SEMINAR_CHANGELIST).status_code == 200
    assert organiser_client.get(ADD).status_code == 200


def test_organiser_can_publish(organiser_client):
    seminar = upcoming_seminar(draft=True)

    response = _run_action(organiser_client, "publish_seminars", [seminar])

    seminar.refresh_from_db()
    assert seminar.status == "published"
    assert messages_of(response) == ["Published 1 seminar."]


def test_organiser_can_add_a_seminar(organiser_client):
    response = organiser_client.post(ADD, seminar_form_data())

    assert response.status_code == 302
    assert Seminar.objects.get().title == "Onsen towns of Kyushu"


def test_a_seminar_takes_its_reminders_as_durations_or_leaves_them_to_its_series(
    organiser_client,
):
    organiser_client.post(ADD, seminar_form_data())
    own = seminar_form_data(
        slug="onsen-own-reminders",
        reminder_offsets_minutes_0=["180"],
        reminder_offsets_minutes_1="2 days",
    )
    response = organiser_client.post(ADD, own)

    assert response.status_code == 302, form_errors(response)
    series_default, with_own = Seminar.objects.order_by("pk")
    assert series_default.reminder_offsets_minutes is None
    assert series_default.reminder_offsets == series_default.series.reminder_offsets_minutes
    assert with_own.reminder_offsets_minutes == [2880, 180]


def test_organiser_can_look_up_speakers_for_the_inline(organiser_client):
    SpeakerFactory(name="Aiko Tanaka")

    response = organiser_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "aiko",
            "app_label": "webinars",
            "model_name": "seminarspeaker",
            "field_name": "speaker",
        },
    )

    assert [result["text"] for result in response.json()["results"]] == ["Aiko Tanaka"]


def test_staff_outside_the_organisers_group_cannot_open_seminars(client):
    client.force_login(StaffFactory())

    assert client.get(SEMINAR_CHANGELIST).status_code == 403
