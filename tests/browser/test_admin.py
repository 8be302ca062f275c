"""An organiser in a real browser: password, then the authenticator app's code, then the
admin, whose pages keep to the admin's Content-Security-Policy (no console errors)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from tests.browser import test_smoke
from tests.browser.test_smoke import SCREENSHOTS, PageProblems
from tests.factories import STAFF_TOTP_SECRET, OrganiserFactory, SeminarFactory, StaffFactory
from tests.utils import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

chromium = test_smoke.chromium
browser_page = test_smoke.browser_page


def sign_in_with_two_factors(page, live_server, user) -> None:
    """From /admin/ through allauth's login: the password, then the app's code."""
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.get_by_label("Code", exact=True).fill(totp_code(STAFF_TOTP_SECRET))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(live_server.url + "/admin/")


def test_organiser_signs_in_with_two_factors_and_the_admin_keeps_its_csp(live_server, browser_page):
    organiser = OrganiserFactory()
    EmailAddress.objects.create(user=organiser, email=organiser.email, verified=True, primary=True)
    seminar = SeminarFactory(title="Hokkaido in winter")
    page = browser_page
    problems = PageProblems()
    problems.watch(page)

    sign_in_with_two_factors(page, live_server, organiser)

    admin_pages = [
        "/admin/",
        reverse("admin:webinars_seminar_changelist"),
        reverse("admin:webinars_seminar_change", args=[seminar.pk]),
        reverse("admin:webinars_seminar_add"),
        reverse("admin:accounts_user_changelist"),
    ]
    for path in admin_pages:
        response = page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert response.status == 200, path
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin_seminar_add.png"), full_page=True)
    assert problems.messages == [], "\n".join(problems.messages)


def _uk_autumn_change(year: int) -> date:
    """The last Sunday of October: UK clocks go back."""
    day = date(year, 10, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def test_an_organiser_types_a_tokyo_time_and_sees_london_move_across_the_clock_change(
    live_server, browser_page
):
    # A superuser: the Organisers group (a data migration) is gone after an earlier
    # transactional test's flush.
    organiser = StaffFactory(is_superuser=True)
    EmailAddress.objects.create(user=organiser, email=organiser.email, verified=True, primary=True)
    change = _uk_autumn_change(timezone.now().year + 1)
    friday, monday = change - timedelta(days=2), change + timedelta(days=1)
    page = browser_page
    problems = PageProblems()
    problems.watch(page)
    sign_in_with_two_factors(page, live_server, organiser)

    page.goto(live_server.url + reverse("admin:webinars_seminar_add"))
    page.locator("select[name=timezone]").select_option("Asia/Tokyo")
    page.locator("input[name=starts_at_0]").fill(friday.isoformat())
    page.locator("input[name=starts_at_1]").fill("19:00")
    preview = page.locator("[data-seminar-time-preview]")
    before = preview.inner_text()
    page.locator("input[name=starts_at_0]").fill(monday.isoformat())
    after = preview.inner_text()

    assert "Asia/Tokyo:" in before and "19:00" in before
    assert "Europe/London:" in before and "11:00 BST" in before
    assert "10:00 GMT" in after and "19:00" in after
    assert "The UK clocks change on" in before  # between now and the seminar
    assert problems.messages == [], "\n".join(problems.messages)


def _next_uk_clock_change(after: date) -> date:
    london = ZoneInfo("Europe/London")
    day = after
    offset = datetime.combine(day, time(12), tzinfo=london).utcoffset()
    while datetime.combine(day, time(12), tzinfo=london).utcoffset() == offset:
        day += timedelta(days=1)
    return day


def test_no_clock_change_warning_when_the_uk_clocks_stay_put_until_the_seminar(
    live_server, browser_page
):
    today = timezone.localdate()
    seminar_day = _next_uk_clock_change(today) - timedelta(days=2)
    if seminar_day <= today:
        pytest.skip("the UK clocks change within two days: no quiet day to plan on")
    organiser = StaffFactory(is_superuser=True)
    EmailAddress.objects.create(user=organiser, email=organiser.email, verified=True, primary=True)
    page = browser_page
    sign_in_with_two_factors(page, live_server, organiser)

    page.goto(live_server.url + reverse("admin:webinars_seminar_add"))
    page.locator("select[name=timezone]").select_option("Asia/Tokyo")
    page.locator("input[name=starts_at_0]").fill(seminar_day.isoformat())
    page.locator("input[name=starts_at_1]").fill("19:00")
    preview = page.locator("[data-seminar-time-preview]").inner_text()

    # Date.now() has milliseconds; the seminar's moment has none: they once read as a
    # clock change on the seminar's own day.
    assert "19:00" in preview
    assert "The UK clocks change" not in preview
