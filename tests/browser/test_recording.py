"""The watch page in a real browser: Debian's Chromium driven by Playwright.

It also reports what a registrant played (for their certificate): YouTube's player is a
stand-in page that answers the watch page's "listening" message as YouTube's does.

A transcript line or chapter plays the video from its moment: with recording.js the
YouTube player is reloaded from that second; without JavaScript the same link reloads
the page, whose player then starts there. Under the strict Content-Security-Policy any
inline script or style, or a blocked frame, would show up as a console error.
"""

import re
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from tests.browser import test_smoke
from tests.browser.test_smoke import SCREENSHOTS, TIMEOUT_MS, PageProblems
from tests.factories import (
    RecordingChapterFactory,
    RecordingFactory,
    RegistrationFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
)
from webinars.embeds import embed_src
from webinars.models import Recording, RecordingProgress, RegistrationToken
from webinars.services import recording_transcript_attach, registration_token_issue
from webinars.vtt import parse_vtt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The smoke test's Chromium fixtures (and their database-connection care), used as they are.
chromium = test_smoke.chromium
browser_page = test_smoke.browser_page

VIDEO_ID = "dQw4w9WgXcQ"
VTT = """WEBVTT

00:00:02.000 --> 00:00:06.000
<v Aiko Tanaka>Welcome to our seminar on Kumamoto.

00:01:30.000 --> 00:01:36.000
The castle is one of the great local attractions of Kyushu.

00:12:05.000 --> 00:12:09.000
Thank you all for your questions.
"""
# The tests run offline: YouTube's player is answered by this stand-in page.
FAKE_PLAYER = "<!doctype html><html lang='en'><title>Player</title><p>Player</p></html>"


@pytest.fixture
def recording():
    starts_at = (timezone.now() - timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    seminar = SeminarFactory(
        title="Kumamoto castles and caldera",
        slug="kumamoto-castles-and-caldera",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
    )
    SeminarSpeakerFactory(seminar=seminar, speaker__name="Aiko Tanaka", speaker__slug="aiko")
    recording = RecordingFactory(
        seminar=seminar,
        title="Kumamoto castles and caldera",
        slug="kumamoto-castles-and-caldera",
        video_provider="youtube",
        video_id=VIDEO_ID,
        duration=timedelta(minutes=58),
    )
    recording_transcript_attach(
        recording=recording, upload=ContentFile(VTT.encode()), cues=parse_vtt(VTT)
    )
    RecordingChapterFactory(recording=recording, starts_at=timedelta(0), title="Welcome")
    RecordingChapterFactory(
        recording=recording, starts_at=timedelta(minutes=12, seconds=5), title="Questions"
    )
    return recording


def offline_youtube(context) -> None:
    context.route(
        re.compile(r"^https://www\.youtube-nocookie\.com/"),
        lambda route: route.fulfill(status=200, content_type="text/html", body=FAKE_PLAYER),
    )


def player_src(page) -> str:
    return page.locator("#player iframe").get_attribute("src")


def current_chapter(page) -> str:
    return " ".join(page.locator(".chapters a[aria-current='time']").text_content().split())


def test_clicking_a_transcript_line_restarts_the_player_there(live_server, recording, chromium):
    context = chromium.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    offline_youtube(context)
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)

    response = page.goto(live_server.url + recording.get_absolute_url())
    page.wait_for_load_state("networkidle")

    assert response.status == 200
    assert (
        "frame-src https://www.youtube-nocookie.com" in response.headers["content-security-policy"]
    )
    assert player_src(page) == embed_src(provider="youtube", video_id=VIDEO_ID)
    assert page.locator("#player iframe").get_attribute("title") == (
        "Video: Kumamoto castles and caldera"
    )

    cue = page.locator("a.cue", has_text="local attractions")
    cue.click()
    page.wait_for_function(
        "document.querySelector('#player iframe').src.includes('start=90')", timeout=TIMEOUT_MS
    )

    assert player_src(page) == embed_src(provider="youtube", video_id=VIDEO_ID, start_seconds=90)
    assert "start=90&autoplay=1" in player_src(page)
    assert "autoplay" in page.locator("#player iframe").get_attribute("allow").split("; ")
    assert cue.get_attribute("aria-current") == "time"
    assert current_chapter(page) == "0:00 Welcome"
    assert page.url == live_server.url + recording.get_absolute_url() + "?t=90"
    # Only one player: the old one was replaced, not added to.
    assert page.locator("#player iframe").count() == 1

    page.get_by_role("link", name="12:05 Questions").click()
    page.wait_for_function(
        "document.querySelector('#player iframe').src.includes('start=725')", timeout=TIMEOUT_MS
    )
    assert player_src(page) == embed_src(provider="youtube", video_id=VIDEO_ID, start_seconds=725)
    assert page.url.endswith("?t=725")
    assert current_chapter(page) == "12:05 Questions"
    assert page.locator("a.cue[aria-current]").inner_text() == (
        "12:05 Thank you all for your questions."
    )
    page.wait_for_load_state("networkidle")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "recording_detail.png"), full_page=True)
    assert problems.messages == [], "\n".join(problems.messages)
    context.close()


def test_a_link_with_t_marks_its_line_and_chapter_and_scrolls_only_the_transcript(
    live_server, recording, chromium
):
    lines = "".join(
        f"\n00:{minute:02d}:00.000 --> 00:{minute:02d}:30.000\nLine said at minute {minute}.\n"
        for minute in range(1, 59)
    )
    recording_transcript_attach(
        recording=recording,
        upload=ContentFile(("WEBVTT\n" + lines).encode()),
        cues=parse_vtt("WEBVTT\n" + lines),
    )
    context = chromium.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    offline_youtube(context)
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)

    # 40:10 is within the line said at minute 40 and the chapter that began at 12:05.
    page.goto(live_server.url + recording.get_absolute_url() + "?t=2410")
    page.wait_for_load_state("networkidle")

    current = page.locator("a.cue[aria-current='time']")
    assert current.inner_text() == "40:00 Line said at minute 40."
    assert current_chapter(page) == "12:05 Questions"
    assert page.locator("[aria-current='time']").count() == 2
    panel = page.locator("ol.transcript")
    assert panel.evaluate("list => list.scrollTop") > 0
    # The line is visible inside the panel, and the page itself did not move.
    assert panel.evaluate(
        """list => {
            const line = list.querySelector("a[aria-current]").getBoundingClientRect();
            const box = list.getBoundingClientRect();
            return line.top >= box.top && line.bottom <= box.bottom;
        }"""
    )
    assert page.evaluate("window.scrollY") == 0
    assert problems.messages == [], "\n".join(problems.messages)
    context.close()


def test_without_javascript_a_transcript_line_reloads_the_page_at_that_moment(
    live_server, recording, chromium
):
    context = chromium.new_context(locale="en-GB", java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    offline_youtube(context)
    page = context.new_page()

    page.goto(live_server.url + recording.get_absolute_url())
    page.locator("a.cue", has_text="local attractions").click()
    page.wait_for_url(re.compile(r".*\?t=90#player$"))

    assert player_src(page) == embed_src(provider="youtube", video_id=VIDEO_ID, start_seconds=90)
    context.close()


def test_archive_search_leads_to_the_moment_it_was_said(live_server, recording, browser_page):
    page = browser_page
    offline_youtube(page.context)
    problems = PageProblems()
    problems.watch(page)

    page.goto(live_server.url + reverse("webinars:recording_list"))
    page.get_by_label("Search recordings").fill('"local attractions"')
    page.get_by_role("button", name="Search recordings").click()
    page.wait_for_load_state("networkidle")

    assert page.get_by_role("heading", level=2, name="1 recording").is_visible()
    page.locator(".card-snippet a").click()
    page.wait_for_load_state("networkidle")

    assert page.url == live_server.url + recording.get_absolute_url() + "?t=90"
    assert player_src(page) == embed_src(provider="youtube", video_id=VIDEO_ID, start_seconds=90)
    assert problems.messages == [], "\n".join(problems.messages)


# --- Watch progress (for the certificate of attendance) ----------------------------

# Plays the first minute: state 1 (playing), the time going 0, 1, … 60 seconds.
PLAYING_PLAYER = """<!doctype html><html lang='en'><title>Player</title><p>Player</p>
<script>
window.addEventListener("message", function (event) {
  var data = JSON.parse(event.data);
  if (data.event !== "listening") { return; }
  for (var seconds = 0; seconds <= 60; seconds += 1) {
    parent.postMessage(JSON.stringify(
      {event: "infoDelivery", info: {playerState: 1, currentTime: seconds}}), "*");
  }
});
</script></html>"""


def test_a_registrant_watching_on_youtube_is_recorded(live_server, recording, chromium):
    Recording.objects.filter(pk=recording.pk).update(access=Recording.Access.REGISTRANTS)
    registration = RegistrationFactory(seminar=recording.seminar)
    token = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.MANAGE
    )
    context = chromium.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    # The stand-in player plays the first minute and says so, as YouTube's does.
    context.route(
        "https://www.youtube-nocookie.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=PLAYING_PLAYER),
    )
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)

    page.goto(live_server.url + reverse("webinars:registration_recording", args=[token]))
    page.wait_for_url(live_server.url + recording.get_absolute_url())
    assert page.locator("[data-progress-url]").count() == 1
    page.wait_for_load_state("networkidle")
    # Leaving the page sends what was played (sendBeacon).
    page.evaluate("window.dispatchEvent(new Event('pagehide'))")

    deadline = time.monotonic() + TIMEOUT_MS / 1000
    progress = None
    while progress is None and time.monotonic() < deadline:
        progress = RecordingProgress.objects.filter(registration=registration).first()
        time.sleep(0.2)
    # 0–60 s played: segments 0 to 6 of the 58-minute recording's 348.
    assert progress is not None, "no progress reached the server"
    assert progress.percent == 2  # 7 * 100 // 348
    assert int(progress.segments, 16) == 0b1111111
    assert problems.messages == [], "\n".join(problems.messages)
