"""``/organiser/``: the figures on a fixture with known counts, who may see them, the
downloads parsed back, bad filters answered in words, and a query count that does not
grow with seminars."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AudienceType
from tests.factories import (
    JoinClickFactory,
    OrganiserFactory,
    RecordingFactory,
    RecordingViewFactory,
    RegistrationFactory,
    SeminarFactory,
    SeriesFactory,
    StaffFactory,
    UserFactory,
)
from tests.utils import sign_in_staff
from webinars.models import Registration

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("webinars:organiser_insights")

YES, NO = Registration.Attendance.YES, Registration.Attendance.NO


def audience(slug: str) -> AudienceType:
    return AudienceType.objects.get(slug=slug)


@pytest.fixture
def seminars():
    """Two past seminars with attendance reports and one coming, with known figures:

    travel agents: registered 3, joined 2, attended 2, watched 1, cancelled 1, no-shows 1;
    tour operators: registered 3, waiting list 1, joined 1, attended 2, no-shows 0 (one
    place is at the seminar to come, which has no report: the rate is 2 of 2).
    """
    series = SeriesFactory(name="Japan Local Attraction Seminars", slug="attractions")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    first = SeminarFactory(
        series=series,
        title="Hokkaido in winter",
        slug="hokkaido",
        starts_at=now - timedelta(days=30),
        ends_at=now - timedelta(days=30) + timedelta(hours=1),
    )
    second = SeminarFactory(
        series=series,
        title="Kyushu by rail",
        slug="kyushu",
        starts_at=now - timedelta(days=10),
        ends_at=now - timedelta(days=10) + timedelta(hours=1),
    )
    coming = SeminarFactory(series=series, title="Tohoku festivals", slug="tohoku")
    agent, operator = audience("travel-agent"), audience("tour-operator")

    def place(seminar, email, audience_type, **fields):
        return RegistrationFactory(
            seminar=seminar, email=email, audience_type=audience_type, **fields
        )

    returning = place(
        first, "ana@example.org", agent, attended=YES, utm_source="abta-newsletter", country="GB"
    )
    JoinClickFactory(registration=returning)
    recording = RecordingFactory(seminar=first)
    RecordingViewFactory(recording=recording, registration=returning)
    place(first, "ben@example.org", agent, attended=NO, country="GB")  # a no-show
    operator_one = place(
        first, "chie@example.org", operator, attended=YES, country="JP", organisation="Kansai Tours"
    )
    JoinClickFactory(registration=operator_one)
    place(first, "dan@example.org", operator, status=Registration.Status.WAITLISTED, country="FR")
    place(first, "eve@example.org", agent, status=Registration.Status.CANCELLED, country="GB")
    again = place(
        second, "ana@example.org", agent, attended=YES, utm_source="abta-newsletter", country="GB"
    )
    JoinClickFactory(registration=again)
    place(
        second,
        "fumi@example.org",
        operator,
        attended=YES,
        referrer_host="www.jnto.go.jp",
        organisation="kansai tours ",
    )
    place(coming, "gil@example.org", operator)
    return {"first": first, "second": second, "coming": coming, "series": series}


def rows_of(response, slug: str) -> list[list]:
    for section in response.context["sections"]:
        if section.table.slug == slug:
            return section.table.rows
    raise AssertionError(f"no table {slug}")


def test_the_funnel_by_audience_type_counts_what_each_word_means(organiser_client, seminars):
    response = organiser_client.get(OVERVIEW)

    assert response.status_code == 200
    # Audience type, registered, waiting list, cancelled, joined, attended, watched,
    # no-shows, attendance rate.
    assert rows_of(response, "audience-types") == [
        ["Travel agent", 3, 0, 1, 2, 2, 1, 1, 2 / 3],
        ["Tour operator", 3, 1, 0, 1, 2, 0, 0, 1.0],
    ]
    totals = response.context["report"].totals
    assert (totals.registered, totals.joined, totals.attended, totals.watched) == (6, 3, 4, 1)


def test_the_trend_new_and_returning_sources_and_organisations(organiser_client, seminars):
    response = organiser_client.get(OVERVIEW, {"series": "attractions"})

    # Only the seminars with an attendance report have a rate; the coming one has none.
    trend = rows_of(response, "attendance-trend")
    assert [(row[0], row[2], row[3], row[4]) for row in trend] == [
        ("Hokkaido in winter", 3, 2, 2 / 3),
        ("Kyushu by rail", 2, 2, 1.0),
    ]
    # Ana attended Hokkaido, so at Kyushu she is returning.
    assert [(row[0], row[2], row[3]) for row in rows_of(response, "new-and-returning")] == [
        ("Hokkaido in winter", 2, 0),
        ("Kyushu by rail", 1, 1),
    ]
    assert rows_of(response, "sources") == [
        ["Direct, or not known", 5, 3, 1],
        ["abta-newsletter", 2, 2, 2],
        ["↗ www.jnto.go.jp", 1, 1, 1],
    ]
    organisations = rows_of(response, "organisations")
    assert organisations[0] == ["Example Travel Ltd", 6, 2, 3]
    # "Kansai Tours" and "kansai tours " are one organisation.
    assert organisations[1][1:] == [2, 2, 2]
    assert organisations[1][0].lower() == "kansai tours"
    page = response.content.decode()
    assert '<svg class="chart" id="chart-funnel"' in page
    assert 'role="img"' in page


def test_one_seminars_page_by_audience_country_source_and_day(organiser_client, seminars):
    url = reverse("webinars:organiser_seminar_insights", args=["hokkaido"])

    response = organiser_client.get(url)

    assert response.status_code == 200
    assert rows_of(response, "audience-types") == [
        ["Travel agent", 2, 0, 1, 1, 1, 1, 1, 0.5],
        ["Tour operator", 1, 1, 0, 1, 1, 0, 0, 1.0],
    ]
    # Live places (confirmed and waiting list) by country, most first.
    assert rows_of(response, "countries") == [
        ["United Kingdom", 2, 1],
        ["France", 1, 0],
        ["Japan", 1, 1],
    ]
    by_day = rows_of(response, "registrations-by-day")
    # The fixture's registrations were all made today, after the start: none before it.
    assert by_day == []


def test_a_click_outside_the_joining_window_is_not_joining(organiser_client, seminars):
    # Opened on the countdown before the window, or for the recording after the end.
    ben = Registration.objects.get(email="ben@example.org")
    JoinClickFactory(registration=ben, redirected=False)

    response = organiser_client.get(
        reverse("webinars:organiser_seminar_insights", args=["hokkaido"])
    )

    travel_agents = rows_of(response, "audience-types")[0]
    assert (travel_agents[4], travel_agents[7]) == (1, 1)  # joined 1 (Ana), Ben a no-show


def test_a_cancelled_seminar_has_no_no_shows_and_says_it_was_cancelled(organiser_client, seminars):
    hokkaido = seminars["first"]
    hokkaido.status = hokkaido.Status.CANCELLED
    hokkaido.save()

    response = organiser_client.get(
        reverse("webinars:organiser_seminar_insights", args=["hokkaido"])
    )

    assert response.context["report"].totals.no_shows == 0
    assert "This seminar was cancelled" in response.content.decode()


def test_registrations_by_day_run_from_the_first_to_the_start(organiser_client, seminars):
    coming = seminars["coming"]
    earlier = RegistrationFactory(seminar=coming, email="hana@example.org")
    Registration.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - timedelta(days=3))

    response = organiser_client.get(reverse("webinars:organiser_seminar_insights", args=["tohoku"]))

    rows = rows_of(response, "registrations-by-day")
    assert len(rows) == 4  # three days ago up to today, days without any at 0
    assert [row[1] for row in rows] == [1, 0, 0, 1]
    assert [row[2] for row in rows] == [1, 1, 1, 2]


@pytest.mark.parametrize("url_name", ["organiser_insights", "organiser_insights_xlsx"])
def test_a_visitor_is_sent_to_sign_in_and_an_attendee_is_refused(client, url_name):
    url = reverse(f"webinars:{url_name}")

    anonymous = client.get(url)
    client.force_login(UserFactory())
    attendee = client.get(url)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    assert attendee.status_code == 403


def test_an_organiser_sees_the_page_and_it_is_kept_private(organiser_client):
    response = organiser_client.get(OVERVIEW)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "No figures yet." in response.content.decode()


def test_each_table_downloads_as_csv_with_numbers_as_numbers(organiser_client, seminars):
    url = reverse("webinars:organiser_insights_csv", args=["audience-types"])

    response = organiser_client.get(url, {"series": "attractions"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "insights-attractions-" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Audience type"
    assert rows[0][-1] == "Attendance rate (%)"
    assert rows[1] == ["Travel agent", "3", "0", "1", "2", "2", "1", "1", "66.7"]
    assert rows[2] == ["Tour operator", "3", "1", "0", "1", "2", "0", "0", "100.0"]


def test_the_whole_report_downloads_as_a_workbook_with_numbers_as_numbers(
    organiser_client, seminars
):
    response = organiser_client.get(reverse("webinars:organiser_insights_xlsx"))

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "By audience type",
        "Attendance rate per seminar",
        "New and returning attendees",
        "Top sources",
        "Top organisations",
        "Every seminar",
    ]
    sheet = workbook["By audience type"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:8] == ("Travel agent", 3, 0, 1, 2, 2, 1, 1)
    assert rows[1][8] == pytest.approx(2 / 3)
    assert sheet.cell(row=2, column=9).number_format == "0.0%"
    every = list(workbook["Every seminar"].iter_rows(values_only=True))
    assert [row[0] for row in every[1:]] == [
        "Hokkaido in winter",
        "Kyushu by rail",
        "Tohoku festivals",
    ]


def test_a_seminar_report_downloads_too(organiser_client, seminars):
    csv_url = reverse("webinars:organiser_seminar_insights_csv", args=["hokkaido", "countries"])
    xlsx_url = reverse("webinars:organiser_seminar_insights_xlsx", args=["hokkaido"])

    table = organiser_client.get(csv_url)
    workbook = load_workbook(io.BytesIO(organiser_client.get(xlsx_url).content))

    assert table.content.decode("utf-8-sig").splitlines()[1] == "United Kingdom,2,1"
    assert "By country" in workbook.sheetnames


def test_text_that_a_spreadsheet_would_run_stays_text(organiser_client, seminars):
    RegistrationFactory(seminar=seminars["first"], organisation='=HYPERLINK("x")')
    url = reverse("webinars:organiser_insights_xlsx")

    workbook = load_workbook(io.BytesIO(organiser_client.get(url).content))

    names = [row[0] for row in workbook["Top organisations"].iter_rows(values_only=True)]
    assert '\'=HYPERLINK("x")' in names


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"start": "2026-12-01", "end": "2026-01-01"},
            "The end date (2026-01-01) is before the start date (2026-12-01).",
        ),
        (
            {"series": "no-such-series"},
            "There is no series called “no-such-series”. Choose one from the list.",
        ),
        ({"start": "yesterday"}, "Enter the start date as YYYY-MM-DD, e.g. 2026-01-31."),
        ({"end": "9999-12-31"}, "Choose a date between 2000 and 2099."),
        ({"start": "2001-01-01", "end": "2026-01-01"}, "Choose a range of at most ten years."),
    ],
)
def test_a_bad_filter_is_answered_in_words_never_a_500(organiser_client, query, message):
    page = organiser_client.get(OVERVIEW, query)
    download = organiser_client.get(reverse("webinars:organiser_insights_xlsx"), query)

    assert page.status_code == 400
    assert message in page.content.decode()
    assert download.status_code == 400


def test_junk_in_the_query_string_is_ignored(organiser_client, seminars):
    response = organiser_client.get(OVERVIEW, {"utm_source": "x", "page": "<script>", "start": ""})

    assert response.status_code == 200
    assert len(response.context["report"].seminars) == 3


def test_an_unknown_table_or_seminar_is_a_404_that_says_so(organiser_client, seminars):
    table = organiser_client.get(reverse("webinars:organiser_insights_csv", args=["salaries"]))
    seminar = organiser_client.get(reverse("webinars:organiser_seminar_insights", args=["nope"]))

    assert table.status_code == 404
    assert seminar.status_code == 404


def _queries(client, url, **query) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, query).status_code == 200
    return len(captured)


def test_the_query_count_does_not_grow_with_seminars_or_registrations(organiser_client):
    series = SeriesFactory(slug="many")
    agent = audience("travel-agent")

    def seminar_with_places(count: int):
        seminar = SeminarFactory(series=series, past=True)
        for _ in range(count):
            registration = RegistrationFactory(seminar=seminar, audience_type=agent, attended=YES)
            JoinClickFactory(registration=registration)
        return seminar

    first = seminar_with_places(1)
    one = _queries(organiser_client, OVERVIEW)
    one_seminar = _queries(
        organiser_client, reverse("webinars:organiser_seminar_insights", args=[first.slug])
    )
    for _ in range(49):
        seminar_with_places(3)
    fifty = _queries(organiser_client, OVERVIEW)
    busy = seminar_with_places(30)
    busy_seminar = _queries(
        organiser_client, reverse("webinars:organiser_seminar_insights", args=[busy.slug])
    )

    assert fifty == one
    assert busy_seminar == one_seminar


def test_the_seminar_page_and_the_admin_lead_organisers_to_its_insights(client, seminars):
    hokkaido = seminars["first"]
    url = reverse("webinars:organiser_seminar_insights", args=["hokkaido"])
    client.force_login(UserFactory())
    attendee_page = client.get(hokkaido.get_absolute_url()).content.decode()
    client.logout()
    sign_in_staff(client, OrganiserFactory())

    organiser_page = client.get(hokkaido.get_absolute_url()).content.decode()
    admin_page = client.get(
        reverse("admin:webinars_seminar_change", args=[hokkaido.pk])
    ).content.decode()

    assert f'href="{url}"' not in attendee_page
    assert f'href="{url}"' in organiser_page
    assert f'href="{url}"' in admin_page
    assert f'href="{OVERVIEW}"' in admin_page  # beside the admin's own links


def test_staff_who_may_not_see_registrations_may_not_see_the_insights(client):
    staff = StaffFactory()  # staff, with a second factor, in no group
    sign_in_staff(client, staff)

    response = client.get(OVERVIEW)
    home = client.get(reverse("webinars:home")).content.decode()

    assert response.status_code == 403
    assert f'href="{OVERVIEW}"' not in home


def test_a_control_character_in_a_title_does_not_break_the_workbook(organiser_client, seminars):
    seminars["first"].title = "Kyoto\x0bnights"
    seminars["first"].save()

    response = organiser_client.get(reverse("webinars:organiser_insights_xlsx"))

    assert response.status_code == 200
    every = load_workbook(io.BytesIO(response.content))["Every seminar"]
    assert "Kyotonights" in [row[0] for row in every.iter_rows(values_only=True)]


def test_a_charts_days_read_in_the_readers_language():
    from datetime import date

    from django.utils import translation

    from webinars.insights import _day

    with translation.override("ja"):
        japanese = _day(date(2026, 10, 23))
    with translation.override("en"):
        english = _day(date(2026, 10, 23))

    assert (english, japanese) == ("23 Oct 2026", "2026年10月23日")
