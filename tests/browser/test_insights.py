"""An organiser reads the insights in a real browser: the charts are drawn and coloured
by our stylesheet under the site's strict CSP (no console errors), and the filter works
without a script."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from tests.browser import test_smoke
from tests.browser.test_admin import sign_in_with_two_factors
from tests.browser.test_smoke import SCREENSHOTS, PageProblems
from tests.factories import (
    JoinClickFactory,
    RegistrationFactory,
    SeminarFactory,
    SeriesFactory,
    StaffFactory,
)
from webinars.models import Registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

chromium = test_smoke.chromium
browser_page = test_smoke.browser_page


def test_an_organiser_reads_the_figures_as_charts_and_tables_and_filters_a_series(
    live_server, browser_page
):
    # A superuser: transactional tests flush the migrations' "Organisers" group.
    organiser = StaffFactory(is_superuser=True, email="organiser@jlgc.example")
    EmailAddress.objects.create(user=organiser, email=organiser.email, verified=True, primary=True)
    attractions = SeriesFactory(name="Japan Local Attraction Seminars", slug="attractions")
    other = SeriesFactory(name="JLGC Seminars", slug="jlgc")
    starts = timezone.now() - timedelta(days=20)
    hokkaido = SeminarFactory(
        series=attractions,
        title="Hokkaido in winter",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
    )
    SeminarFactory(series=other, title="Waste policy in Kobe", past=True)
    for number in range(4):
        registration = RegistrationFactory(
            seminar=hokkaido,
            attended=Registration.Attendance.YES if number < 3 else Registration.Attendance.NO,
        )
        JoinClickFactory(registration=registration)
    page = browser_page
    problems = PageProblems()
    problems.watch(page)

    sign_in_with_two_factors(page, live_server, organiser)
    page.goto(live_server.url + reverse("webinars:organiser_insights"))
    page.wait_for_load_state("networkidle")

    funnel = page.get_by_role(
        "img", name="Registered, joined, attended and watched, by audience type"
    )
    assert funnel.is_visible()
    bar_fill = page.locator("#chart-funnel rect.chart-series-0").first.evaluate(
        "element => getComputedStyle(element).fill"
    )
    assert bar_fill == "rgb(34, 55, 90)"  # --ai from site.css: the stylesheet applies
    assert page.get_by_role("row", name="Hokkaido in winter").count() >= 1
    assert page.get_by_role("row", name="Waste policy in Kobe").count() == 1

    page.get_by_label("Series").select_option(label="Japan Local Attraction Seminars")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state("networkidle")

    assert "series=attractions" in page.url
    assert page.get_by_role("row", name="Waste policy in Kobe").count() == 0
    page.get_by_role("link", name="Hokkaido in winter").first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Hokkaido in winter", level=1).is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "organiser_seminar_insights.png"), full_page=True)
    assert problems.messages == [], "\n".join(problems.messages)
