"""A visitor switches the site to Japanese in a real browser and registers in Japanese:
every label found by its Japanese text, under the strict CSP, and the registration (and
so every later email) is in Japanese."""

import pytest
from django.urls import reverse
from django.utils import translation

from notifications.models import OutgoingEmail
from tests.browser import test_smoke
from tests.browser.test_registration import AUDIENCE_TYPE, seminar, travel_agent  # noqa: F401
from tests.browser.test_smoke import SCREENSHOTS, PageProblems
from tests.utils import rendered
from webinars.models import Registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

chromium = test_smoke.chromium
browser_page = test_smoke.browser_page


def ja(text: str) -> str:
    with translation.override("ja"):
        return translation.gettext(text)


def test_a_visitor_switches_to_japanese_and_registers(live_server, seminar, browser_page):  # noqa: F811
    page = browser_page
    problems = PageProblems()
    problems.watch(page)
    page.goto(live_server.url + reverse("webinars:seminar_detail", args=[seminar.slug]))
    assert page.locator("html").get_attribute("lang") == "en"

    with page.expect_navigation():
        page.get_by_role("button", name="日本語").click()

    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.url.endswith(reverse("webinars:seminar_detail", args=[seminar.slug]))
    page.get_by_role("link", name=ja("Register"), exact=True).click()
    page.wait_for_url(live_server.url + reverse("webinars:register", args=[seminar.slug]))
    page.get_by_label(ja("Full name")).fill("田中 愛子")
    page.get_by_label(ja("Email"), exact=True).fill("aiko@example.jp")
    page.get_by_label(ja("Organisation")).fill("鳥取県観光課")
    page.get_by_label(ja("Which describes you best?")).select_option(label=AUDIENCE_TYPE)
    page.get_by_label(ja("Country")).select_option(value="JP")
    page.get_by_label("Which prefecture do your clients ask about most?").fill("熊本")
    page.get_by_label(
        ja("I have read the privacy notice and agree to my details being used as it says.")
    ).check()
    with page.expect_navigation():
        page.get_by_role("button", name=ja("Register"), exact=True).click()

    assert page.get_by_role("heading", name=ja("Thank you")).is_visible()
    registration = Registration.objects.get(seminar=seminar)
    assert (registration.name, registration.language) == ("田中 愛子", "ja")
    email = rendered(OutgoingEmail.objects.get(registration=registration))
    assert (email.language, email.body_text.splitlines()[0]) == ("ja", "田中 愛子 様")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "registered_in_japanese.png"), full_page=True)
    assert problems.messages == [], "\n".join(problems.messages)
