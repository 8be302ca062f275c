"""The archive (/recordings/), the watch page, the emailed recording link, and the
recordings other pages show: who may watch what, exactly, and what the page says otherwise."""

import html
import json
import re
from datetime import timedelta
from importlib import import_module
from urllib.parse import quote, urlencode

import pytest
import time_machine
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AudienceTypeFactory,
    OrganiserFactory,
    RecordingChapterFactory,
    RecordingFactory,
    RecordingMaterialFactory,
    RegistrationFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    SeriesFactory,
    SpeakerFactory,
    TopicFactory,
    UserFactory,
    london,
)
from webinars import embeds
from webinars.forms.recordings import RecordingFilterForm
from webinars.models import Recording, RecordingView, Registration, RegistrationToken, Seminar
from webinars.services import (
    recording_search_index,
    recording_transcript_attach,
    registration_token_issue,
)
from webinars.views.attendee import grant_recording_link
from webinars.vtt import parse_vtt

pytestmark = pytest.mark.django_db

VTT = """WEBVTT

00:00:02.000 --> 00:00:06.000
<v Aiko Tanaka>Welcome to our seminar on Kumamoto.

00:01:30.000 --> 00:01:36.000
The castle is one of the great local attractions of Kyushu.

00:12:05.000 --> 00:12:09.000
Thank you all for your questions.
"""
SECRET_DESCRIPTION = "Includes the unreleased 2027 campaign plan."
SECRET_CUE = "The castle is one of the great local attractions of Kyushu."
SECRET_MATERIAL = "Campaign slides (embargoed)"


def text(response) -> str:
    return response.content.decode()


def section(page: str, heading_id: str) -> str:
    """The HTML of one <section> of a page, found by its heading's id."""
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


def watch_url(recording: Recording, **query) -> str:
    url = reverse("webinars:recording_detail", args=[recording.slug])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def past_seminar(title: str = "Kumamoto castles and caldera", days_ago: float = 7, **kwargs):
    starts_at = (timezone.now() - timedelta(days=days_ago)).replace(second=0, microsecond=0)
    return SeminarFactory(
        title=title, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), **kwargs
    )


def make_recording(
    title: str = "Kumamoto castles and caldera (recording)",
    *,
    days_ago: float = 7,
    seminar: Seminar | None = None,
    transcript: str = "",
    **kwargs,
) -> Recording:
    seminar = seminar or past_seminar(f"Seminar: {title}", days_ago=days_ago)
    recording = RecordingFactory(seminar=seminar, title=title, **kwargs)
    if transcript:
        recording_transcript_attach(
            recording=recording,
            upload=ContentFile(transcript.encode()),
            cues=parse_vtt(transcript),
            file_name="transcript.vtt",
        )
    else:
        recording_search_index(recording=recording)
    return recording


@pytest.fixture
def media():
    return AudienceTypeFactory(name="Media", slug="media")


@pytest.fixture
def academic():
    return AudienceTypeFactory(name="Academic", slug="academic")


def guest_link(client, seminar: Seminar, status=Registration.Status.CONFIRMED, **kwargs):
    """A guest registration whose emailed recording link was opened in ``client``'s browser."""
    registration = RegistrationFactory(seminar=seminar, status=status, **kwargs)
    token = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.MANAGE
    )
    response = client.get(reverse("webinars:registration_recording", args=[token]))
    return registration, token, response


VIEWERS = [
    "anonymous",
    "stranger",
    "registrant",
    "guest",
    "waitlisted_guest",
    "cancelled_guest",
    "other_audience",
    "chosen_audience",
    "unconfirmed_audience",
    "attended_as_audience",
    "organiser",
]


def become(client, viewer: str, seminars: list[Seminar], *, media, academic) -> None:
    """Make ``client`` the given kind of viewer, registered (if at all) for ``seminars``."""
    if viewer == "anonymous":
        return
    if viewer in ("guest", "waitlisted_guest", "cancelled_guest"):
        status = {
            "guest": Registration.Status.CONFIRMED,
            "waitlisted_guest": Registration.Status.WAITLISTED,
            "cancelled_guest": Registration.Status.CANCELLED,
        }[viewer]
        for seminar in seminars:
            guest_link(client, seminar, status=status, email="guest@example.org")
        return
    if viewer == "organiser":
        client.force_login(OrganiserFactory())
        return
    user = UserFactory(
        email=f"{viewer}@example.org",
        audience_type={
            "other_audience": academic,
            "chosen_audience": media,
            "unconfirmed_audience": media,
        }.get(viewer),
        # An organiser checked who they are; a type picked on a form proves nothing.
        audience_type_confirmed_at=(
            timezone.now() if viewer in ("other_audience", "chosen_audience") else None
        ),
    )
    if viewer == "attended_as_audience":
        # Came to another seminar of the same series, registered as media.
        for seminar in seminars:
            RegistrationFactory(
                seminar=SeminarFactory(series=seminar.series, past=True),
                user=user,
                email=user.email,
                audience_type=media,
                attended=Registration.Attendance.YES,
            )
    if viewer == "registrant":
        for seminar in seminars:
            RegistrationFactory(seminar=seminar, user=user, email=user.email)
    client.force_login(user)


# Who gets the watch page (200) and who is told why not (403), per access level.
EXPECTED = {
    "public": dict.fromkeys(VIEWERS, 200),
    "signed_in": {
        "anonymous": 403,
        "stranger": 200,
        "registrant": 200,
        "guest": 403,
        "waitlisted_guest": 403,
        "cancelled_guest": 403,
        "other_audience": 200,
        "chosen_audience": 200,
        "unconfirmed_audience": 200,
        "attended_as_audience": 200,
        "organiser": 200,
    },
    "registrants": {
        "anonymous": 403,
        "stranger": 403,
        "registrant": 200,
        "guest": 200,
        "waitlisted_guest": 403,
        "cancelled_guest": 403,
        "other_audience": 403,
        "chosen_audience": 403,
        "unconfirmed_audience": 403,
        "attended_as_audience": 403,
        "organiser": 200,
    },
    "audience_types": {
        "anonymous": 403,
        "stranger": 403,
        "registrant": 403,
        "guest": 403,
        "waitlisted_guest": 403,
        "cancelled_guest": 403,
        "other_audience": 403,
        "chosen_audience": 200,
        "unconfirmed_audience": 403,
        "attended_as_audience": 200,
        "organiser": 200,
    },
}


# --- The access matrix ----------------------------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("level", list(EXPECTED))
def test_watch_page_access_matrix(client, viewer, level, media, academic):
    recording = make_recording(access=level, audience_types=[media])
    become(client, viewer, [recording.seminar], media=media, academic=academic)

    response = client.get(watch_url(recording))

    assert response.status_code == EXPECTED[level][viewer]
    if response.status_code == 200:
        assert response.templates[0].name == "webinars/recording_detail.html"
        assert "<iframe" in text(response)
    else:
        assert response.templates[0].name == "webinars/recording_denied.html"
        assert "<iframe" not in text(response)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("level", list(EXPECTED))
def test_unpublished_recording_is_not_found_except_for_organisers(
    client, viewer, level, media, academic
):
    recording = make_recording(access=level, audience_types=[media], unpublished=True)
    become(client, viewer, [recording.seminar], media=media, academic=academic)

    response = client.get(watch_url(recording))

    assert response.status_code == (200 if viewer == "organiser" else 404)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_search_never_lists_what_the_searcher_cannot_watch(client, viewer, media, academic):
    recordings = {
        level: make_recording(
            f"Hokkaido snow ({level})",
            days_ago=index + 1,
            access=level,
            audience_types=[media],
            transcript=VTT,
        )
        for index, level in enumerate(EXPECTED)
    }
    make_recording("Hokkaido snow (unpublished)", transcript=VTT, unpublished=True)
    become(
        client,
        viewer,
        [recording.seminar for recording in recordings.values()],
        media=media,
        academic=academic,
    )
    expected = [recordings[level].title for level in EXPECTED if EXPECTED[level][viewer] == 200]

    for query in ("", "?q=Hokkaido", '?q="local attractions"'):
        response = client.get(reverse("webinars:recording_list") + query)
        assert response.status_code == 200
        assert [recording.title for recording in response.context["recordings"]] == expected
        for level, recording in recordings.items():
            assert (recording.title in text(response)) == (EXPECTED[level][viewer] == 200)
        assert "Hokkaido snow (unpublished)" not in text(response)


# --- The 403 page -----------------------------------------------------------------------------


def test_signed_in_only_recording_asks_to_sign_in_and_comes_back(client):
    recording = make_recording(access="signed_in")

    response = client.get(watch_url(recording))

    page = text(response)
    assert response.status_code == 403
    assert "Sign in to watch this recording" in page
    assert "This recording is for signed-in users." in page
    login = reverse("account_login") + "?next=" + quote(watch_url(recording), safe="")
    assert f'href="{html.escape(login)}"' in page
    assert reverse("account_signup") + "?next=" in page


def test_registrants_recording_tells_a_visitor_to_use_their_email_link_or_sign_in(client):
    recording = make_recording(access="registrants")
    next_seminar = SeminarFactory(
        series=recording.seminar.series,
        title="Sendai and the Tohoku coast",
        starts_at=timezone.now() + timedelta(days=14),
    )
    SeminarFactory(title="Other series", starts_at=timezone.now() + timedelta(days=2))

    response = client.get(watch_url(recording))

    page = text(response)
    assert response.status_code == 403
    assert response.context["reason"] == "sign_in"
    assert "This recording is for the people who registered for the seminar" in page
    assert "Open the link in the email we sent you about the recording" in page
    assert "Registered with an account? Sign in with it." in page
    assert "Join the next seminar of the series" in page
    assert f'<a href="{next_seminar.get_absolute_url()}">Sendai and the Tohoku coast</a>' in page
    assert reverse("webinars:register", args=[next_seminar.slug]) in page
    assert "Other series" not in page


def test_registrants_recording_tells_a_signed_in_stranger_no_registration_was_found(client):
    recording = make_recording(access="registrants")
    client.force_login(UserFactory())

    response = client.get(watch_url(recording))

    page = text(response)
    assert response.status_code == 403
    assert response.context["reason"] == "not_registered"
    assert "We found no confirmed registration for this seminar in your account" in page
    assert "Registered with another email address? Open the link in the email" in page
    assert "Sign in with it" not in page
    # No upcoming seminar in the series: nothing to suggest.
    assert "Join the next seminar of the series" not in page


def test_audience_recording_names_who_may_watch(client, media, academic):
    journalists = AudienceTypeFactory(name="Journalists", slug="journalists")
    recording = make_recording(access="audience_types", audience_types=[media, journalists])

    anonymous = text(client.get(watch_url(recording)))
    client.force_login(UserFactory(audience_type=academic))
    other = client.get(watch_url(recording))

    assert "This recording is for chosen audiences" in anonymous
    assert "Who may watch: Journalists, Media." in anonymous
    assert "sign in with your account" in anonymous
    assert other.status_code == 403
    assert other.context["reason"] == "audience"
    assert "Who may watch: Journalists, Media." in text(other)
    assert "a type chosen on a form is not enough on its own" in text(other)
    assert f'href="{reverse("accounts:profile")}"' in text(other)


def test_denied_page_shows_the_seminar_but_nothing_of_the_recording(client):
    recording = make_recording(
        "Embargoed: the 2027 campaign",
        seminar=past_seminar("Kumamoto castles and caldera"),
        access="signed_in",
        description=SECRET_DESCRIPTION,
        transcript=VTT,
    )
    RecordingMaterialFactory(recording=recording, title=SECRET_MATERIAL)
    RecordingChapterFactory(recording=recording, title="Secret chapter")

    response = client.get(watch_url(recording))

    page = text(response)
    assert response.status_code == 403
    # The seminar's page is public; the recording's own title may not be.
    assert "<title>Recording of Kumamoto castles and caldera · Kizuna</title>" in page
    assert '<h1 id="page-title">Recording of Kumamoto castles and caldera</h1>' in page
    for secret in (
        "Embargoed",
        SECRET_DESCRIPTION,
        SECRET_CUE,
        SECRET_MATERIAL,
        "Secret chapter",
        reverse("webinars:recording_transcript", args=[recording.slug]),
        reverse("webinars:recording_video", args=[recording.slug]),
        recording.video_id,
    ):
        assert secret not in page
    assert '<meta name="robots" content="noindex">' in page


# --- The watch page ---------------------------------------------------------------------------


@pytest.fixture
def full_recording():
    """A YouTube recording with chapters, a transcript, slides and two speakers."""
    seminar = SeminarFactory(
        title="Kumamoto castles and caldera",
        starts_at=london(2026, 10, 22, 10),
        ends_at=london(2026, 10, 22, 11, 30),
        timezone="Europe/London",
    )
    SeminarSpeakerFactory(
        seminar=seminar,
        speaker=SpeakerFactory(name="Aiko Tanaka", slug="aiko-tanaka", name_ja="田中 愛子"),
        position=0,
    )
    SeminarSpeakerFactory(
        seminar=seminar, speaker=SpeakerFactory(name="Ben Carter", slug="ben-carter"), position=1
    )
    recording = make_recording(
        "Kumamoto castles and caldera",
        seminar=seminar,
        description="The **full** seminar.",
        duration=timedelta(minutes=88, seconds=12),
        transcript=VTT,
    )
    RecordingChapterFactory(
        recording=recording, starts_at=timedelta(minutes=12, seconds=5), title="Questions"
    )
    RecordingChapterFactory(recording=recording, starts_at=timedelta(0), title="Welcome")
    RecordingMaterialFactory(recording=recording, title="Slides: Kumamoto")
    return recording


def test_watch_page_embeds_the_video_with_chapters_transcript_materials_and_speakers(
    client, full_recording
):
    recording = full_recording

    response = client.get(watch_url(recording))

    page = text(response)
    assert response.status_code == 200
    src = embeds.embed_src(provider="youtube", video_id="dQw4w9WgXcQ")
    assert (
        f'<iframe src="{html.escape(src)}" data-embed-template="'
        + html.escape(
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0&enablejsapi=1&start={seconds}&autoplay=1"
        )
        + '" title="Video: Kumamoto castles and caldera" allow="autoplay; encrypted-media; '
        'fullscreen; picture-in-picture" referrerpolicy="strict-origin-when-cross-origin">'
        "</iframe>"
    ) in page
    # "allow" covers fullscreen; a separate attribute makes Chromium warn.
    assert "allowfullscreen" not in page
    chapters = section(page, "chapters-heading")
    assert [
        (seconds, label)
        for seconds, label in re.findall(
            r'<a href="\?t=(\d+)#player" data-seek="\1"><span class="chapter-time">([^<]+)</span>',
            chapters,
        )
    ] == [("0", "0:00"), ("725", "12:05")]
    assert "Welcome" in chapters and "Questions" in chapters
    cues = re.findall(
        r'<a class="cue" href="\?t=(\d+)#player" data-seek="\d+"><span class="cue-time">([^<]+)'
        r"</span> (?:<span class=\"cue-voice\">([^<]+)</span> )?<span class=\"cue-text\">([^<]+)",
        page,
    )
    assert cues == [
        ("2", "0:02", "Aiko Tanaka:", "Welcome to our seminar on Kumamoto."),
        ("90", "1:30", "", SECRET_CUE),
        ("725", "12:05", "", "Thank you all for your questions."),
    ]
    transcript = page[page.index('id="transcript-heading"') : page.index("</aside>")]
    # Keyboard users can pass the cues in one step, to what follows the list.
    assert (
        '<a class="skip-transcript" href="#transcript-end">Skip transcript</a>\n        '
        '<ol class="transcript" role="list" aria-labelledby="transcript-heading" lang="en">'
    ) in transcript
    assert transcript.count("lang=") == 1
    assert "tabindex" not in transcript[: transcript.index("</ol>")]
    assert '<div class="transcript-end" id="transcript-end" tabindex="-1">' in transcript
    assert transcript.index("</ol>") < transcript.index('id="transcript-end"')
    material = recording.materials.get()
    assert (
        f'<a href="{reverse("webinars:recording_material", args=[recording.slug, material.pk])}">'
        f'Slides: Kumamoto</a> <span class="material-meta">(PDF, {material.size}\xa0bytes)</span>'
    ) in page
    assert material.size == 48
    transcript_url = reverse("webinars:recording_transcript", args=[recording.slug])
    assert f'href="{transcript_url}">Download the transcript (WebVTT)</a>' in page
    speakers = section(page, "speakers-heading")
    assert '<a href="/speakers/aiko-tanaka/">Aiko Tanaka</a>' in speakers
    assert '<a href="/speakers/ben-carter/">Ben Carter</a>' in speakers
    assert speakers.index("Aiko Tanaka") < speakers.index("Ben Carter")
    assert "<strong>full</strong>" in page
    seminar = section(page, "seminar-heading")
    assert f'<a href="{recording.seminar.get_absolute_url()}">Kumamoto castles and caldera</a>' in (
        seminar
    )
    assert "Thursday 22 October 2026" in seminar
    assert "10:00–11:30 BST" in seminar
    assert "18:00–19:30 JST" in seminar
    assert "1 h 28 min" in page
    assert '<script src="/static/js/recording.js" defer></script>' in page
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.parametrize(
    ("query", "start"), [("90", 90), ("0", 0), ("abc", 0), ("-5", 0), ("99999999", 0), ("", 0)]
)
def test_watch_page_starts_the_embed_at_t(client, full_recording, query, start):
    response = client.get(watch_url(full_recording, t=query))

    expected = embeds.embed_src(provider="youtube", video_id="dQw4w9WgXcQ", start_seconds=start)
    assert response.status_code == 200
    assert f'<iframe src="{html.escape(expected)}"' in text(response)


def test_start_beyond_the_end_starts_at_the_end(client, full_recording):
    response = client.get(watch_url(full_recording, t="100000"))

    assert "start=5292&amp;autoplay=1" in text(response)


def test_vimeo_unlisted_recording_embeds_the_vimeo_player(client):
    recording = make_recording(video_provider="vimeo", video_id="123456789:abcdef12")

    response = client.get(watch_url(recording, t="75"))

    page = text(response)
    assert (
        '<iframe src="https://player.vimeo.com/video/123456789?dnt=1&amp;h=abcdef12&amp;autoplay=1'
        '#t=75s" data-embed-template="https://player.vimeo.com/video/123456789?dnt=1&amp;'
        'h=abcdef12&amp;autoplay=1#t={seconds}s"'
    ) in page


def test_uploaded_video_plays_in_a_video_element_with_captions(client):
    recording = make_recording(
        video_provider="file",
        video_id="",
        video_file=SimpleUploadedFile("talk.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        transcript=VTT,
    )
    recording.seminar.language = "ja"
    recording.seminar.save()

    response = client.get(watch_url(recording, t="90"))

    page = text(response)
    video_url = reverse("webinars:recording_video", args=[recording.slug])
    transcript_url = reverse("webinars:recording_transcript", args=[recording.slug])
    assert (
        f'<video controls preload="metadata" src="{video_url}#t=90" aria-label="Video: '
        f'{recording.title}">'
    ) in page
    assert f'<track kind="captions" src="{transcript_url}" srclang="ja" label="Japanese">' in page
    assert "<iframe" not in page


def test_uploaded_video_without_transcript_has_no_captions_track(client):
    recording = make_recording(
        video_provider="file",
        video_id="",
        video_file=SimpleUploadedFile("talk.webm", b"\x1a\x45\xdf\xa3", "video/webm"),
    )

    page = text(client.get(watch_url(recording)))

    assert '<video controls preload="metadata"' in page
    assert "<track" not in page
    assert "Download the transcript" not in page
    assert "No transcript has been published for this recording." in page


def test_organiser_preview_of_an_unpublished_recording_says_so_and_is_not_counted(client):
    recording = make_recording(unpublished=True)
    client.force_login(OrganiserFactory())

    response = client.get(watch_url(recording))

    assert response.status_code == 200
    assert "Not published: organiser preview" in text(response)
    assert RecordingView.objects.count() == 0


def test_published_recording_has_no_preview_banner(client):
    recording = make_recording()

    assert "Not published" not in text(client.get(watch_url(recording)))


def test_watch_page_lists_related_recordings_the_viewer_may_watch(client):
    series = SeriesFactory()
    topic = TopicFactory()
    recording = make_recording("Main", seminar=past_seminar(series=series))
    recording.seminar.topics.set([topic])
    make_recording("Same series", seminar=past_seminar("One", days_ago=20, series=series))
    make_recording("Same topic", days_ago=10).seminar.topics.set([topic])
    make_recording("Members only", seminar=past_seminar("Two", series=series), access="signed_in")
    make_recording("Unrelated")

    response = client.get(watch_url(recording))

    assert [item.title for item in response.context["related"]] == ["Same topic", "Same series"]
    related = section(text(response), "related-heading")
    assert "Members only" not in related and "Unrelated" not in related


def test_watch_page_refuses_post(client):
    recording = make_recording()

    assert client.post(watch_url(recording)).status_code == 405


def test_unknown_recording_is_not_found(client):
    assert client.get("/recordings/no-such-recording/").status_code == 404


# --- Counting views ---------------------------------------------------------------------------


def views_of(recording: Recording) -> list[tuple[str, str]]:
    return [
        (key.split(":")[0], day.isoformat())
        for key, day in recording.views.order_by("day", "pk").values_list("viewer_key", "day")
    ]


def test_a_visitor_counts_once_a_day(client):
    recording = make_recording()
    with time_machine.travel(london(2026, 12, 3, 9), tick=False):
        client.get(watch_url(recording))
        client.get(watch_url(recording, t="90"))
    with time_machine.travel(london(2026, 12, 3, 23, 30), tick=False):
        client.get(watch_url(recording))
    with time_machine.travel(london(2026, 12, 4, 8), tick=False):
        client.get(watch_url(recording))

    assert views_of(recording) == [("anon", "2026-12-03"), ("anon", "2026-12-04")]


def test_anonymous_viewer_key_is_a_keyed_hash_not_the_address(client):
    recording = make_recording()

    client.get(watch_url(recording), REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Firefox")

    key = recording.views.get().viewer_key
    assert re.fullmatch(r"anon:[0-9a-f]{64}", key)
    assert "203.0.113.9" not in key


def test_other_browsers_and_addresses_count_separately_but_one_ipv6_network_once(client):
    recording = make_recording()
    for address, agent in [
        ("203.0.113.9", "Firefox"),
        ("203.0.113.9", "Safari"),
        ("203.0.113.10", "Firefox"),
        ("2001:db8:1:2::1", "Firefox"),
        ("2001:db8:1:2::ffff", "Firefox"),
    ]:
        client.get(watch_url(recording), REMOTE_ADDR=address, HTTP_USER_AGENT=agent)

    assert recording.views.count() == 4


def test_signed_in_viewer_counts_as_their_account(client):
    recording = make_recording()
    user = UserFactory()
    client.force_login(user)

    client.get(watch_url(recording))
    client.get(watch_url(recording), HTTP_USER_AGENT="Another browser")

    assert list(recording.views.values_list("viewer_key", flat=True)) == [f"user:{user.pk}"]


def test_a_view_counts_as_the_registrants_when_they_hold_a_place_by_account_or_link(client):
    recording = make_recording()
    user = UserFactory()
    by_account = RegistrationFactory(seminar=recording.seminar, user=user, email=user.email)
    by_link = RegistrationFactory(seminar=recording.seminar, email="guest@example.org")
    token = registration_token_issue(registration=by_link, scope=RegistrationToken.Scope.MANAGE)

    client.force_login(user)
    client.get(watch_url(recording))
    client.logout()
    client.get(reverse("webinars:registration_recording", args=[token]), follow=True)
    client.logout()
    client.get(watch_url(recording), HTTP_USER_AGENT="A stranger's browser")

    assert sorted(
        recording.views.values_list("registration_id", flat=True), key=lambda pk: pk or 0
    ) == [None, by_account.pk, by_link.pk]


def test_refused_and_head_requests_are_not_counted(client):
    members = make_recording("Members", access="signed_in")
    public = make_recording("Public")

    assert client.get(watch_url(members)).status_code == 403
    assert client.head(watch_url(public)).status_code == 200

    assert RecordingView.objects.count() == 0


def test_organisers_watching_a_published_recording_are_not_counted(client):
    recording = make_recording()
    client.force_login(OrganiserFactory())

    assert client.get(watch_url(recording)).status_code == 200

    assert RecordingView.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_PURPOSE": "prefetch"},
        {"HTTP_SEC_PURPOSE": "prefetch;prerender"},
        {"HTTP_PURPOSE": "prefetch"},
        {"HTTP_X_MOZ": "prefetch"},
        {"HTTP_X_PURPOSE": "preview"},
    ],
)
def test_pages_fetched_ahead_of_a_click_are_not_counted(client, headers):
    recording = make_recording()

    assert client.get(watch_url(recording), **headers).status_code == 200
    assert RecordingView.objects.count() == 0
    client.get(watch_url(recording))
    assert RecordingView.objects.count() == 1


# --- The emailed link /r/<token>/recording/ ----------------------------------------------------


def test_recording_link_grants_a_confirmed_guest_and_goes_to_the_watch_page(client):
    recording = make_recording(access="registrants")
    assert client.get(watch_url(recording)).status_code == 403

    registration, _token, response = guest_link(client, recording.seminar)

    assert response.status_code == 302
    assert response["Location"] == watch_url(recording)
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "strict-origin"
    assert client.session["recording_registrations"] == [registration.pk]
    assert client.get(watch_url(recording)).status_code == 200


def test_recording_link_grant_lasts_for_the_session_only(client):
    recording = make_recording(access="registrants")
    guest_link(client, recording.seminar)
    client.logout()  # a new session: the link must be opened again

    assert client.get(watch_url(recording)).status_code == 403


def test_recording_link_of_a_waitlisted_registration_grants_nothing(client):
    recording = make_recording(access="registrants")

    _registration, _token, response = guest_link(
        client, recording.seminar, status=Registration.Status.WAITLISTED
    )

    assert response.status_code == 302
    assert response["Location"] == watch_url(recording)
    assert "recording_registrations" not in client.session
    watch = client.get(watch_url(recording))
    assert watch.status_code == 403
    assert (
        "This recording is for people who had a confirmed place at the seminar. Your "
        "registration was not confirmed (it is waitlisted), so this link cannot open it."
    ) in text(watch)


def test_recording_link_of_a_cancelled_registration_no_longer_works(client):
    recording = make_recording(access="registrants")

    _registration, _token, response = guest_link(
        client, recording.seminar, status=Registration.Status.CANCELLED
    )

    assert response.status_code == 410
    assert "recording_registrations" not in client.session
    assert client.get(watch_url(recording)).status_code == 403


def test_recording_link_before_publication_goes_to_the_manage_page(client):
    recording = make_recording(access="registrants", unpublished=True)

    _registration, token, response = guest_link(client, recording.seminar)

    assert response.status_code == 302
    assert response["Location"] == reverse("webinars:registration_manage", args=[token])
    manage = client.get(response["Location"])
    assert "The recording of this seminar is not published yet." in text(manage)
    # The proof is kept: once published, the recording opens without the link.
    recording.published_at = timezone.now()
    recording.save()
    assert client.get(watch_url(recording)).status_code == 200


@pytest.mark.parametrize(
    ("status", "granted"),
    [
        (Registration.Status.CONFIRMED, True),
        (Registration.Status.WAITLISTED, False),
        (Registration.Status.CANCELLED, False),
    ],
)
def test_grant_recording_link_grants_only_a_confirmed_place(rf, status, granted):
    registration = RegistrationFactory(status=status)
    request = rf.get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()

    assert grant_recording_link(request, registration) is granted

    expected = [registration.pk] if granted else None
    assert request.session.get("recording_registrations") == expected


def test_recording_link_with_unknown_token_is_not_found(client):
    response = client.get(reverse("webinars:registration_recording", args=["x" * 43]))

    assert response.status_code == 404
    assert "recording_registrations" not in client.session


def test_recording_link_of_a_public_recording_for_a_waitlisted_guest_adds_no_message(client):
    recording = make_recording(access="public")

    _registration, _token, response = guest_link(
        client, recording.seminar, status=Registration.Status.WAITLISTED
    )
    watch = client.get(response["Location"])

    assert watch.status_code == 200
    assert "Your registration was not confirmed" not in text(watch)


# --- The archive page ---------------------------------------------------------------------------


def test_archive_lists_newest_first_with_cards(client):
    older = make_recording("Older", days_ago=30, duration=timedelta(minutes=58))
    SeminarSpeakerFactory(seminar=older.seminar, speaker__name="Aiko Tanaka", position=0)
    SeminarSpeakerFactory(seminar=older.seminar, speaker__name="Ben Carter", position=1)
    older.seminar.topics.set([TopicFactory(name="Castles", slug="castles")])
    make_recording("Newer", days_ago=2)

    response = client.get(reverse("webinars:recording_list"))

    page = text(response)
    assert response.status_code == 200
    assert [item.title for item in response.context["recordings"]] == ["Newer", "Older"]
    assert "2 recordings" in page
    card = page[page.index(f'id="recording-{older.pk}-title"') :]
    card = card[: card.index("</article>")]
    assert f'<a href="{watch_url(older)}">Older</a>' in card
    assert older.seminar.series.name in page
    assert "Aiko Tanaka, Ben Carter" in card
    assert "58 min" in card
    assert '<li class="tag">Castles</li>' in card


def test_archive_search_shows_where_it_was_said(client):
    recording = make_recording("Kumamoto", transcript=VTT)
    make_recording("Hokkaido")

    response = client.get(reverse("webinars:recording_list"), {"q": '"local attractions"'})

    page = text(response)
    assert [item.title for item in response.context["recordings"]] == ["Kumamoto"]
    assert (
        f'<a href="{watch_url(recording)}?t=90"><span class="snippet-time"><span '
        'class="visually-hidden">Said at </span>1:30</span> <q lang="en">The castle is one of the '
        "great <mark>local attractions</mark> of Kyushu.</q></a>"
    ) in page
    assert 'value="&quot;local attractions&quot;"' in page


def test_archive_snippet_of_a_long_line_shows_the_match_far_into_it(client):
    said = (
        "Good evening and welcome. " * 12
        + "Later we visited the caldera & its grasslands at Kusasenri, "
        + "where horses graze in summer. " * 6
    )
    assert said.index("Kusasenri") > 300
    recording = make_recording(
        "Aso", transcript=f"WEBVTT\n\n00:00:10.000 --> 00:00:40.000\n{said}\n"
    )
    recording.seminar.language = "ja"
    recording.seminar.save()

    response = client.get(reverse("webinars:recording_list"), {"q": "kusasenri"})

    quote = re.search(r'<q lang="ja">(.*?)</q>', text(response)).group(1)
    assert quote == (
        "…and welcome. Later we visited the caldera &amp; its grasslands at <mark>Kusasenri"
        "</mark>, where horses graze in summer. where horses graze in summer. where horses "
        "graze in summer. where horses graze in summer. where horses graze…"
    )


def test_archive_search_for_something_never_said_says_so(client):
    make_recording("Kumamoto", transcript=VTT)

    response = client.get(reverse("webinars:recording_list"), {"q": '"local cuisine"'})

    assert response.context["recordings"] == []
    assert "No recording you can watch mentions “&quot;local cuisine&quot;”." in text(response)
    assert "Try fewer or other words" in text(response)


def test_archive_empty_state(client):
    response = client.get(reverse("webinars:recording_list"))

    assert response.status_code == 200
    assert "0 recordings" in text(response)
    assert "No recordings are available to you yet." in text(response)


@pytest.mark.parametrize(
    "query",
    [
        {"q": "x" * 10_000},
        {"q": "%_%"},
        {"q": "\x00"},
        {"q": "castle\x00 keep"},
        {"q": "<script>alert(1)</script>"},
        {"q": "'; DROP TABLE webinars_recording; --"},
        {"q": "熊本　天守閣"},
        {"q": ["castle", "keep"]},
        {"series": "nope", "topic": "<b>", "prefecture": "JP-99", "page": "-1"},
        {"page": "999"},
        {"page": "abc"},
        {"utm_source": "newsletter"},
    ],
)
def test_archive_never_errors_on_odd_input(client, query):
    make_recording("Kumamoto", transcript=VTT)

    response = client.get(reverse("webinars:recording_list"), query)

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in text(response)
    assert response.context["form"].errors == {}


def test_archive_finds_japanese_words(client):
    make_recording(
        "Kumamoto",
        transcript=VTT
        + "\n00:20:00.000 --> 00:20:05.000\n熊本城の天守閣は2021年に復旧しました。\n",
    )

    response = client.get(reverse("webinars:recording_list"), {"q": "天守閣"})

    assert [item.title for item in response.context["recordings"]] == ["Kumamoto"]
    assert "<mark>天守閣</mark>" in text(response)


def test_archive_filters_by_series_topic_and_prefecture(client):
    series = SeriesFactory(name="Local attractions", slug="local-attractions")
    topic = TopicFactory(name="Onsen", slug="onsen")
    onsen = make_recording("Onsen", seminar=past_seminar("Oita", series=series, prefecture="JP-44"))
    onsen.seminar.topics.set([topic])
    make_recording("Snow", seminar=past_seminar("Sapporo", prefecture="JP-01"))
    url = reverse("webinars:recording_list")

    def listed(**query):
        return [item.title for item in client.get(url, query).context["recordings"]]

    assert listed(series="local-attractions") == ["Onsen"]
    assert listed(topic="onsen") == ["Onsen"]
    assert listed(prefecture="JP-01") == ["Snow"]
    assert listed(prefecture="JP-44", q="Onsen") == ["Onsen"]
    assert listed(series="local-attractions", prefecture="JP-01") == []
    form = RecordingFilterForm({"topic": "onsen", "audience": "media", "language": "ja"})
    assert list(form.fields) == ["q", "series", "topic", "prefecture"]
    assert list(form.fields["topic"].choices) == [("", "All topics"), ("onsen", "Onsen")]
    assert form.filters() == {"series": None, "topic": "onsen", "prefecture": None, "query": None}


def test_archive_paginates_twelve_a_page_and_keeps_the_search(client):
    for number in range(13):
        make_recording(f"Hokkaido {number:02d}", days_ago=number + 1)

    first = client.get(reverse("webinars:recording_list"), {"q": "Hokkaido"})
    second = client.get(reverse("webinars:recording_list"), {"q": "Hokkaido", "page": "2"})

    assert len(first.context["recordings"]) == 12
    assert [item.title for item in second.context["recordings"]] == ["Hokkaido 12"]
    assert '<a class="pagination-step" href="?q=Hokkaido&amp;page=2" rel="next">' in text(first)
    assert "13 recordings" in text(first)


def test_anonymous_archive_is_cached_and_signed_in_visitors_see_their_own(client):
    make_recording("Public")
    make_recording("Members", access="signed_in")
    url = reverse("webinars:recording_list")

    first, second = client.get(url), client.get(url)
    client.force_login(UserFactory())
    signed_in = client.get(url)

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert "Members" not in text(second)
    assert "X-Page-Cache" not in signed_in
    assert [item.title for item in signed_in.context["recordings"]] == ["Members", "Public"]


def test_cached_archive_sign_in_link_carries_only_the_applied_search(client):
    make_recording("Kumamoto", transcript=VTT)
    url = reverse("webinars:recording_list")

    poisoned = client.get(url + "?q=castle&evil=PWNED")
    served = client.get(url + "?q=castle")

    assert (poisoned["X-Page-Cache"], served["X-Page-Cache"]) == ("miss", "hit")
    page = text(served)
    assert "evil" not in page
    assert "PWNED" not in page
    login = reverse("account_login") + "?" + urlencode({"next": url + "?q=castle"})
    assert f'<a href="{html.escape(login)}">sign in</a>' in page


def test_archive_topic_filter_offers_only_topics_of_recordings_the_visitor_may_watch(client):
    make_recording("Public").seminar.topics.set([TopicFactory(name="Onsen", slug="onsen")])
    make_recording("Members", access="signed_in").seminar.topics.set(
        [TopicFactory(name="Embargoed plans", slug="embargoed")]
    )
    url = reverse("webinars:recording_list")

    anonymous = client.get(url)
    client.force_login(UserFactory())
    member = client.get(url)

    assert list(anonymous.context["form"].fields["topic"].choices) == [
        ("", "All topics"),
        ("onsen", "Onsen"),
    ]
    assert "Embargoed plans" not in text(anonymous)
    assert list(member.context["form"].fields["topic"].choices) == [
        ("", "All topics"),
        ("embargoed", "Embargoed plans"),
        ("onsen", "Onsen"),
    ]


def test_archive_and_seminar_lists_share_the_filter_form_with_their_own_words(client):
    archive = text(client.get(reverse("webinars:recording_list"), {"q": "castle"}))
    seminars = text(client.get(reverse("webinars:seminar_list"), {"q": "castle"}))

    assert (
        '<form class="filter-form" method="get" action="/recordings/" role="search" '
        'aria-label="Find a recording">'
    ) in archive
    assert (
        '<p class="helptext" id="id_q_helptext">Words said in the seminar, a title or a speaker. '
        "Use quotes for a phrase.</p>"
    ) in archive
    assert 'aria-describedby="id_q_helptext"' in archive
    assert '<button type="submit" class="button">Search recordings</button>' in archive
    assert '<a class="button button-quiet" href="/recordings/">Clear search</a>' in archive
    assert (
        '<form class="filter-form" method="get" action="/seminars/" role="search" '
        'aria-label="Find a seminar">'
    ) in seminars
    assert "helptext" not in seminars
    assert '<button type="submit" class="button">Show seminars</button>' in seminars
    assert '<a class="button button-quiet" href="/seminars/">Clear filters</a>' in seminars


def test_guest_with_a_recording_link_is_not_served_the_cached_archive(client):
    recording = make_recording("For registrants", access="registrants")
    client.get(reverse("webinars:recording_list"))  # cached for anonymous visitors
    guest_link(client, recording.seminar)

    response = client.get(reverse("webinars:recording_list"))

    assert "X-Page-Cache" not in response
    assert [item.title for item in response.context["recordings"]] == ["For registrants"]


def test_header_links_to_the_archive(client):
    page = text(client.get(reverse("webinars:recording_list")))

    assert (
        f'<a href="{reverse("webinars:recording_list")}" aria-current="page">Recordings</a>'
    ) in page


# --- Query counts ---------------------------------------------------------------------------------


def populate(count: int) -> None:
    """``count`` public recordings in one series, each with 3 speakers (one shared) and 2 topics."""
    series = SeriesFactory(name="Many", slug="many")
    speaker = SpeakerFactory(slug="busy-speaker")
    topics = [TopicFactory(name="Alpha", slug="alpha"), TopicFactory(name="Beta", slug="beta")]
    for index in range(count):
        recording = make_recording(
            f"Recording {index}",
            seminar=past_seminar(f"Seminar {index}", days_ago=index + 1, series=series),
            transcript=VTT,
        )
        recording.seminar.topics.set(topics)
        SeminarSpeakerFactory(seminar=recording.seminar, speaker=speaker, position=0)
        SeminarSpeakerFactory(seminar=recording.seminar, position=1)
        SeminarSpeakerFactory(seminar=recording.seminar, position=2)


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize(
    ("url", "max_queries", "items_key", "shown_at_most"),
    [
        ("/recordings/", 6, "recordings", 12),
        ("/recordings/?q=castle&topic=alpha&series=many", 8, "recordings", 12),
        ("/", 6, "latest_recordings", 3),
        ("/series/many/", 8, "recordings", 6),
        ("/speakers/busy-speaker/", 8, "recordings", 6),
    ],
)
def test_query_count_does_not_grow_with_recordings(
    client, django_assert_max_num_queries, url, max_queries, items_key, shown_at_most, count
):
    populate(count)

    with django_assert_max_num_queries(max_queries):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context[items_key]) == min(count, shown_at_most)


@pytest.mark.parametrize("count", [1, 20])
def test_signed_in_archive_query_count_does_not_grow(client, django_assert_max_num_queries, count):
    populate(count)
    client.force_login(UserFactory())

    # Session, user, the viewer's registrations, then the archive's own queries.
    with django_assert_max_num_queries(11):
        response = client.get("/recordings/?q=castle")

    assert len(response.context["recordings"]) == min(count, 12)


@pytest.mark.parametrize("cues", [1, 200])
def test_watch_page_query_count_does_not_grow_with_its_contents(
    client, django_assert_max_num_queries, cues
):
    populate(5)
    recording = Recording.objects.get(title="Recording 0")
    lines = "".join(
        f"\n{n // 60:02d}:{n % 60:02d}.000 --> {n // 60:02d}:{n % 60:02d}.500\nLine {n}.\n"
        for n in range(cues)
    )
    recording_transcript_attach(
        recording=recording,
        upload=ContentFile(("WEBVTT\n" + lines).encode()),
        cues=parse_vtt("WEBVTT\n" + lines),
    )
    for _ in range(3):
        RecordingChapterFactory(recording=recording)
        RecordingMaterialFactory(recording=recording)

    with django_assert_max_num_queries(14):
        response = client.get(watch_url(recording))

    assert len(response.context["cues"]) == cues
    assert len(response.context["related"]) == 4


# --- Recordings on the other pages -----------------------------------------------------------


def test_home_shows_the_latest_three_recordings_the_viewer_may_watch(client):
    for days, title in [(4, "Fourth"), (1, "First"), (3, "Third"), (2, "Second")]:
        make_recording(title, days_ago=days)
    make_recording("Members newest", days_ago=0.5, access="signed_in")
    make_recording("Unpublished newest", days_ago=0.2, unpublished=True)

    anonymous = client.get(reverse("webinars:home"))
    client.force_login(UserFactory())
    member = client.get(reverse("webinars:home"))

    assert [item.title for item in anonymous.context["latest_recordings"]] == [
        "First",
        "Second",
        "Third",
    ]
    latest = section(text(anonymous), "recordings-heading")
    assert "Members newest" not in text(anonymous)
    assert "Unpublished newest" not in text(anonymous)
    assert f'href="{reverse("webinars:recording_list")}">All recordings' in latest
    assert [item.title for item in member.context["latest_recordings"]] == [
        "Members newest",
        "First",
        "Second",
    ]


def test_home_without_recordings_has_no_recordings_section(client):
    page = text(client.get(reverse("webinars:home")))

    assert 'id="recordings-heading"' not in page


def test_series_page_lists_its_watchable_recordings(client):
    series = SeriesFactory(slug="attractions")
    make_recording("Ours", seminar=past_seminar("A", series=series))
    make_recording("Ours, members", seminar=past_seminar("B", series=series), access="signed_in")
    make_recording("Ours, hidden", seminar=past_seminar("C", series=series), unpublished=True)
    make_recording("Another series")

    response = client.get(reverse("webinars:series_detail", args=["attractions"]))

    recordings = section(text(response), "recordings-heading")
    assert [item.title for item in response.context["recordings"]] == ["Ours"]
    assert "Ours</a>" in recordings
    for absent in ("Ours, members", "Ours, hidden", "Another series"):
        assert absent not in text(response)


def test_series_page_links_to_all_its_recordings_when_there_are_more(client):
    series = SeriesFactory(slug="attractions")
    for number in range(7):
        make_recording(f"Ours {number}", seminar=past_seminar(f"S{number}", series=series))

    page = text(client.get(reverse("webinars:series_detail", args=["attractions"])))

    assert f'href="{reverse("webinars:recording_list")}?series=attractions">' in page


def test_speaker_page_lists_their_watchable_recordings(client):
    speaker = SpeakerFactory(slug="aiko")
    for title, access, days in [("Hers", "public", 3), ("Hers, members", "signed_in", 5)]:
        recording = make_recording(title, access=access, days_ago=days)
        SeminarSpeakerFactory(seminar=recording.seminar, speaker=speaker)
    make_recording("Someone else's")

    anonymous = client.get(reverse("webinars:speaker_detail", args=["aiko"]))
    client.force_login(UserFactory())
    member = client.get(reverse("webinars:speaker_detail", args=["aiko"]))

    assert [item.title for item in anonymous.context["recordings"]] == ["Hers"]
    recordings = section(text(anonymous), "recordings-heading")
    assert f'<a href="{watch_url(Recording.objects.get(title="Hers"))}">Hers</a>' in recordings
    # The seminars are public (past seminars list them); their recordings are not.
    members = Recording.objects.get(title="Hers, members")
    assert watch_url(members) not in text(anonymous)
    assert "Someone else" not in text(anonymous)
    assert [item.title for item in member.context["recordings"]] == ["Hers", "Hers, members"]


@pytest.mark.parametrize(("count", "has_more"), [(6, False), (7, True)])
def test_speaker_page_shows_six_recordings_and_links_to_the_archive_for_more(
    client, count, has_more
):
    speaker = SpeakerFactory(name="Aiko Tanaka", slug="aiko")
    for number in range(count):
        recording = make_recording(f"Hers {number}", days_ago=number + 1)
        SeminarSpeakerFactory(seminar=recording.seminar, speaker=speaker)
    make_recording("Someone else's")

    response = client.get(reverse("webinars:speaker_detail", args=["aiko"]))

    assert [item.title for item in response.context["recordings"]] == [
        f"Hers {number}" for number in range(6)
    ]
    more = (
        f'<a href="{reverse("webinars:recording_list")}?q=Aiko%20Tanaka">'
        "All recordings with Aiko Tanaka</a>"
    )
    assert (more in section(text(response), "recordings-heading")) is has_more
    archive = client.get(reverse("webinars:recording_list"), {"q": "Aiko Tanaka"})
    assert len(archive.context["recordings"]) == count


@pytest.mark.parametrize(
    ("access", "who"),
    [
        ("public", None),
        ("signed_in", "Who may watch: Signed-in users."),
        ("registrants", "Who may watch: Registrants of the seminar."),
        ("audience_types", "Who may watch: Media."),
    ],
)
def test_past_seminar_page_offers_the_recording_and_says_who_may_watch(client, access, who, media):
    recording = make_recording(access=access, audience_types=[media])

    page = text(client.get(recording.seminar.get_absolute_url()))

    assert f'<a class="button" href="{watch_url(recording)}">Watch the recording</a>' in page
    if who:
        assert who in page
    else:
        assert "Who may watch" not in page


def test_seminar_page_without_a_published_recording_has_no_link(client):
    recording = make_recording(unpublished=True)

    page = text(client.get(recording.seminar.get_absolute_url()))

    assert "Watch the recording" not in page
    assert watch_url(recording) not in page


def test_seminar_page_is_the_same_for_everyone_so_it_stays_cacheable(client):
    recording = make_recording(access="signed_in")
    url = recording.seminar.get_absolute_url()

    first, second = client.get(url), client.get(url)

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert "Watch the recording" in text(second)


def test_join_link_after_the_end_points_to_the_recording_and_opens_it(client):
    recording = make_recording(access="registrants")
    registration = RegistrationFactory(seminar=recording.seminar)
    token = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.MANAGE
    )

    response = client.get(reverse("webinars:registration_join", args=[token]))

    page = text(response)
    assert response.status_code == 200
    assert "This seminar has ended" in page
    assert f'<a class="button" href="{watch_url(recording)}">Watch the recording</a>' in page
    assert "If a recording is published" not in page
    assert client.get(watch_url(recording)).status_code == 200


def test_waitlisted_join_link_after_the_end_opens_no_recording(client):
    recording = make_recording(access="registrants")
    registration = RegistrationFactory(
        seminar=recording.seminar, status=Registration.Status.WAITLISTED
    )
    token = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.MANAGE
    )

    response = client.get(reverse("webinars:registration_join", args=[token]))

    assert response.status_code == 403
    assert "recording_registrations" not in client.session
    assert client.get(watch_url(recording)).status_code == 403


def test_join_link_after_the_end_says_who_may_watch_when_it_is_not_for_them(client, media):
    recording = make_recording(access="audience_types", audience_types=[media])
    registration = RegistrationFactory(seminar=recording.seminar)
    token = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.MANAGE
    )

    page = text(client.get(reverse("webinars:registration_join", args=[token])))

    assert "A recording is available for: Media." in page
    assert f'<a href="{watch_url(recording)}">About the recording</a>' in page
    assert "Watch the recording" not in page


def test_join_link_after_the_end_without_a_published_recording_promises_an_email(client):
    recording = make_recording(unpublished=True)
    registration = RegistrationFactory(seminar=recording.seminar)
    token = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.MANAGE
    )

    page = text(client.get(reverse("webinars:registration_join", args=[token])))

    assert "If a recording is published, we will announce it by email" in page
    assert watch_url(recording) not in page
    assert "recording_registrations" not in client.session


def test_my_seminars_lists_the_recordings_of_past_seminars_i_may_watch(client, media):
    user = UserFactory(email="hanako@example.org")
    mine = make_recording("Mine", access="registrants", days_ago=3)
    RegistrationFactory(seminar=mine.seminar, user=user, email=user.email)
    by_email = make_recording("Mine by email", access="public", days_ago=5)
    RegistrationFactory(seminar=by_email.seminar, email=user.email)
    not_for_me = make_recording("Not for my audience", access="audience_types", days_ago=4)
    not_for_me.audience_types.set([media])
    RegistrationFactory(seminar=not_for_me.seminar, user=user, email=user.email)
    cancelled = make_recording("Cancelled place", days_ago=6)
    RegistrationFactory(seminar=cancelled.seminar, user=user, email=user.email, status="cancelled")
    make_recording("Not registered", days_ago=1)
    client.force_login(user)

    response = client.get(reverse("webinars:my_seminars"))

    assert [item.title for item in response.context["recordings"]] == ["Mine", "Mine by email"]
    recordings = section(text(response), "recordings-heading")
    assert f'<a href="{watch_url(mine)}">Mine</a>' in recordings
    for absent in ("Not for my audience", "Cancelled place", "Not registered"):
        assert absent not in recordings


def test_my_seminars_without_recordings_has_no_recordings_section(client):
    client.force_login(UserFactory())

    assert 'id="recordings-heading"' not in text(client.get(reverse("webinars:my_seminars")))


def test_a_replaced_transcript_shows_at_once_though_the_transcript_is_cached(client):
    old = "WEBVTT\n\n00:01.000 --> 00:03.000\nThe castle reopened in spring.\n"
    new = "WEBVTT\n\n00:01.000 --> 00:03.000\nThe caldera trail is open again.\n"
    recording = make_recording(transcript=old)
    path = recording.get_absolute_url()
    assert "The castle reopened in spring." in client.get(path).content.decode()

    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        recording_transcript_attach(
            recording=recording, upload=ContentFile(new.encode()), cues=parse_vtt(new)
        )
    page = client.get(path).content.decode()

    assert "The caldera trail is open again." in page
    assert "The castle reopened in spring." not in page


def test_a_type_picked_on_a_form_is_told_what_opens_the_recording(client, media, settings):
    recording = make_recording(access="audience_types", audience_types=[media])
    client.force_login(UserFactory(audience_type=media))  # says "media", unconfirmed

    page = " ".join(text(client.get(watch_url(recording))).split())

    assert "It opens to people whose audience type the organisers have confirmed" in page
    assert "a type chosen on a form is not enough on its own" in page
    assert f"mailto:{settings.ORGANISER_CONTACT_EMAIL}" in page


def _video_json_ld(response) -> dict | None:
    match = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.DOTALL
    )
    return json.loads(match.group(1)) if match else None


def test_a_public_recording_is_a_video_object_with_its_transcript_and_chapters_as_clips(
    client, full_recording
):
    data = _video_json_ld(client.get(full_recording.get_absolute_url()))

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "VideoObject"
    assert data["name"] == full_recording.title
    assert data["duration"] == "PT1H28M12S"
    assert data["embedUrl"].startswith("https://www.youtube-nocookie.com/embed/")
    assert data["thumbnailUrl"] == [
        f"https://i.ytimg.com/vi/{full_recording.video_id}/hqdefault.jpg"
    ]
    assert data["isAccessibleForFree"] is True
    assert full_recording.transcript_text and data["transcript"] == full_recording.transcript_text
    url = full_recording.public_url
    assert data["hasPart"] == [
        {
            "@type": "Clip",
            "name": "Welcome",
            "startOffset": 0,
            "url": f"{url}?t=0",
            "endOffset": 725,
        },
        {
            "@type": "Clip",
            "name": "Questions",
            "startOffset": 725,
            "url": f"{url}?t=725",
            "endOffset": 5292,
        },
    ]


def test_a_recording_for_signed_in_people_only_carries_no_video_markup(client, full_recording):
    Recording.objects.filter(pk=full_recording.pk).update(access=Recording.Access.SIGNED_IN)
    client.force_login(UserFactory())

    response = client.get(full_recording.get_absolute_url())

    assert response.status_code == 200
    assert _video_json_ld(response) is None
