"""Smoke test in a real browser: Debian's Chromium driven by Playwright.

The strict Content-Security-Policy is only enforced by a browser: an inline
script or style, or a blocked asset, shows up here as a console error.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from tests.factories import SeminarFactory, SeminarSpeakerFactory, SeriesFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
TIMEOUT_MS = 15_000


class PageProblems:
    """Everything a page reported that a visitor should never cause: errors, CSP, failed loads."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page) -> None:
        page.on(
            "console",
            lambda message: (
                self.messages.append(f"console {message.type}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))
        page.on(
            "requestfailed",
            lambda request: self.messages.append(
                f"request failed: {request.url} ({request.failure})"
            ),
        )
        page.on(
            "response",
            lambda response: (
                self.messages.append(f"HTTP {response.status}: {response.url}")
                if response.status >= 400
                else None
            ),
        )


@pytest.fixture
def chromium(monkeypatch) -> Iterator:
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to
    # run inside one unless told that this test is not really asynchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            # While Playwright's loop runs, Django keys connections by async context, not
            # by thread: one opened here would outlive the test and block dropping the
            # PostgreSQL test database.
            connections.close_all()
            browser.close()


def open_page(browser, *, timezone_id: str = "Europe/London"):
    """A fresh page in a browser whose clock is in ``timezone_id``."""
    context = browser.new_context(
        locale="en-GB", timezone_id=timezone_id, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def browser_page(chromium):
    return open_page(chromium)


@pytest.fixture
def seminar():
    """A seminar on 20 January next year, 10:00–11:30 London time: GMT, 9 hours behind Tokyo."""
    london = ZoneInfo("Europe/London")
    starts_at = datetime(timezone.now().year + 1, 1, 20, 10, 0, tzinfo=london)
    seminar = SeminarFactory(
        title="Onsen towns of Kyushu",
        slug="onsen-towns-of-kyushu",
        series=SeriesFactory(name="Japan Local Attraction Seminars", slug="local-attraction"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=90),
        timezone="Europe/London",
    )
    SeminarSpeakerFactory(seminar=seminar, speaker__name="Aiko Tanaka", speaker__slug="aiko")
    return seminar


def test_visitor_finds_a_seminar_and_sees_uk_and_japan_times(live_server, seminar, browser_page):
    page = browser_page
    problems = PageProblems()
    problems.watch(page)

    page.goto(live_server.url + reverse("webinars:home"))
    page.get_by_role("link", name="Onsen towns of Kyushu").first.click()
    page.wait_for_url(live_server.url + reverse("webinars:seminar_detail", args=[seminar.slug]))
    page.wait_for_load_state("networkidle")

    assert page.get_by_role("heading", level=1).inner_text() == "Onsen towns of Kyushu"
    times = page.locator(".times")
    assert times.get_by_text("UK time").is_visible()
    assert times.get_by_text("10:00–11:30 GMT").is_visible()
    assert times.get_by_text("Japan time").is_visible()
    assert times.get_by_text("19:00–20:30 JST").is_visible()
    assert page.get_by_text("Aiko Tanaka").first.is_visible()
    # The meeting link is for registered attendees only, never in public HTML.
    assert seminar.meeting_url not in page.content()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "seminar_detail.png"), full_page=True)
    assert problems.messages == [], "\n".join(problems.messages)


def test_home_page_renders_without_console_errors(live_server, seminar, browser_page):
    page = browser_page
    problems = PageProblems()
    problems.watch(page)

    response = page.goto(live_server.url + reverse("webinars:home"))
    page.wait_for_load_state("networkidle")

    assert response.status == 200
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.get_by_role("link", name="Onsen towns of Kyushu").first.is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)
    assert problems.messages == [], "\n".join(problems.messages)


def test_viewer_outside_uk_and_japan_also_sees_their_own_time(live_server, seminar, chromium):
    url = live_server.url + reverse("webinars:seminar_detail", args=[seminar.slug])
    in_london = open_page(chromium, timezone_id="Europe/London")
    in_new_york = open_page(chromium, timezone_id="America/New_York")
    problems = PageProblems()
    problems.watch(in_new_york)

    in_london.goto(url)
    in_new_york.goto(url)

    # London is already on the page: no extra line. New York is 5 hours behind GMT.
    assert in_london.locator("[data-local-time-line]").is_hidden()
    your_time = in_new_york.locator("[data-local-time-line]")
    your_time.wait_for(state="visible")
    assert your_time.locator("dt").text_content().strip() == "Your time"
    assert "05:00–06:30" in your_time.locator("dd").inner_text()
    assert "(New York)" in your_time.locator("dd").inner_text()
    assert problems.messages == [], "\n".join(problems.messages)
