import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from accounts.models import User
from notifications.models import OutgoingEmail
from notifications.services import seminar_alerts_run
from tests.utils import rendered, rendered_emails, totp_code
from webinars import services
from webinars.cache import catalogue_version
from webinars.demo.content.recordings import RECORDING_REGISTRATIONS
from webinars.demo.content.registrations import REGISTRATIONS
from webinars.demo.dates import AroundUkClockChange, last_sunday
from webinars.demo.recordings import slides_pdf
from webinars.markdown import render_markdown
from webinars.models import (
    Follow,
    JoinClick,
    Recording,
    RecordingChapter,
    RecordingMaterial,
    RecordingView,
    Registration,
    RegistrationQuestion,
    RegistrationToken,
    Seminar,
    SeminarSpeaker,
    Series,
    Speaker,
    Topic,
    TranscriptCue,
)
from webinars.models.catalogue import JAPANESE_SCRIPT
from webinars.models.registrations import RegistrationQuerySet
from webinars.recording_access import ANONYMOUS
from webinars.selectors.recordings import recordings_archive

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
# The demo's four followers of Kyushu and Tohoku, and the one upcoming registrant who
# ticked "future seminars" (a follow of every seminar).
FOLLOWS = 5
# The registrants the demo names one by one; the past seminars' crowds are everyone else.
NAMED = {spec.email for spec in (*REGISTRATIONS, *RECORDING_REGISTRATIONS)}
PAST = ["kyushu-by-rail", "local-government-digital-transformation", "ageing-society-japan-uk"]


@pytest.fixture(autouse=True)
def _debug(settings):
    # pytest-django runs with DEBUG off; the command is meant for development sites.
    settings.DEBUG = True


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def seed(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, object]:
    return {
        "series": sorted(Series.objects.values_list("slug", "updated_at")),
        "topics": sorted(Topic.objects.values_list("slug", "name_en", "name_ja")),
        "speakers": sorted(Speaker.objects.values_list("slug", "updated_at")),
        "seminars": sorted(
            Seminar.objects.values_list("slug", "updated_at", "sequence", "starts_at", "status")
        ),
        "speaker_links": sorted(
            SeminarSpeaker.objects.values_list("seminar__slug", "speaker__slug", "role", "position")
        ),
        "users": sorted(User.objects.values_list("email", "password")),
        "email_addresses": sorted(EmailAddress.objects.values_list("email", "verified", "primary")),
        "questions": sorted(
            RegistrationQuestion.objects.values_list("seminar__slug", "label", "kind", "position")
        ),
        "registrations": sorted(
            Registration.objects.values_list(
                "seminar__slug", "email", "status", "attended", "created_at", "updated_at"
            )
        ),
        "join_clicks": sorted(
            JoinClick.objects.values_list("pk", "registration__email", "clicked_at", "redirected")
        ),
        "recording_views": sorted(
            RecordingView.objects.values_list("pk", "viewer_key", "day", "registration__email")
        ),
        "emails": sorted(OutgoingEmail.objects.values_list("pk", "to_email", "kind")),
        "tokens": RegistrationToken.objects.count(),
        "recordings": sorted(
            Recording.objects.values_list(
                "pk", "slug", "updated_at", "published_at", "transcript_file"
            )
        ),
        "chapters": sorted(RecordingChapter.objects.values_list("pk", "starts_at", "title")),
        "cues": sorted(TranscriptCue.objects.values_list("pk", "position", "text")),
        "materials": sorted(RecordingMaterial.objects.values_list("pk", "file", "size")),
        "private_files": private_files(),
    }


def private_files() -> list[str]:
    root = Path(storages["private"].location)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_seed_demo_twice_creates_nothing_new_and_changes_nothing(_today):
    seed()
    first = snapshot()
    # Later the same day: any row saved again would get a new updated_at.
    _today.shift(60 * 60)

    seed()

    assert snapshot() == first
    assert (Series.objects.count(), Seminar.objects.count()) == (2, 13)
    assert (Speaker.objects.count(), Topic.objects.count()) == (9, 13)
    assert SeminarSpeaker.objects.count() == 31
    assert Follow.objects.count() == FOLLOWS
    assert (Registration.objects.count(), OutgoingEmail.objects.count()) == (119, 14)
    assert (JoinClick.objects.count(), RecordingView.objects.count()) == (70, 24)
    assert (Recording.objects.count(), RecordingChapter.objects.count()) == (2, 10)
    assert (TranscriptCue.objects.count(), RecordingMaterial.objects.count()) == (43, 1)
    assert len(first["private_files"]) == 2


def test_seed_demo_prints_summary_and_organiser_login():
    output = seed()

    digital = Recording.objects.get(slug="local-government-digital-transformation")
    assert output.splitlines() == [
        "Demo data ready: 2 series, 13 seminars (10 upcoming, 3 past), 9 speakers, 13 topics, "
        "119 registrations.",
        "Organiser login: organiser@example.org / kizuna-demo  "
        "(admin: http://localhost:8000/admin/)",
        "TOTP secret: KIZUNADEMOTOTPSECRETFORLOCALONLY",
        "Add it to an authenticator app (enter the key by hand); the admin asks for the "
        "app's 6-digit code after the password.",
        "The demo organiser's password is reset to the one above on every run.",
        "Recording published (Everyone): Kyushu by rail: itineraries for UK travellers "
        "[6 chapters, 43 transcript cues, 1 material] "
        "http://localhost:8000/recordings/kyushu-by-rail/",
        "Recording ready to publish (Registrants of the seminar): Digital transformation in "
        "local government: Japan and the UK compared [4 chapters, 0 transcript cues, "
        "0 materials]. Publish it at "
        f"http://localhost:8000/admin/webinars/recording/{digital.pk}/change/ and its "
        "follow-up emails land in var/outbox/.",
        "Past seminars, for the organisers' insights: 105 registrations from 27 organisations "
        "in 7 countries, 59 attended, 70 join clicks, 24 recording views.",
        'Alerts: 4 people follow Kyushu and Tohoku. Publish the Kyushu draft "Arita and '
        'Imari" (http://localhost:8000/admin/webinars/seminar/): 1 min later its '
        "followers' alert digest is in the outbox.",
        "Attendee login: olivia.bennett@kestrel-crane.example / kizuna-demo: she attended "
        "Kyushu by rail, and http://localhost:8000/me/ offers her certificate of attendance, "
        "which verifies at the address printed on it.",
    ]


def test_seed_demo_creates_both_series_with_their_audiences():
    seed()

    jlgc = Series.objects.get(slug="jlgc-seminars")
    attraction = Series.objects.get(slug="japan-local-attraction-seminars")
    assert jlgc.name == "JLGC Seminars"
    assert attraction.name == "Japan Local Attraction Seminars"
    assert set(jlgc.default_audience_types.values_list("slug", flat=True)) == {
        "local-government-japan",
        "local-government-europe",
        "public-sector-partner",
        "academic",
        "media",
        "other",
    }
    assert set(attraction.default_audience_types.values_list("slug", flat=True)) == {
        "travel-agent",
        "tour-operator",
        "destination-marketing-organisation",
        "public-sector-partner",
        "japan-enthusiast",
        "media",
        "other",
    }
    assert jlgc.seminars.count() == 4
    assert attraction.seminars.count() == 9


def test_japanese_evening_seminar_starts_at_1900_tokyo():
    seed()

    seminar = Seminar.objects.get(slug="hirosaki-winter-lights")

    assert seminar.timezone == "Asia/Tokyo"
    assert seminar.starts_at == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    assert seminar.starts_at.astimezone(TOKYO).strftime("%H:%M") == "19:00"
    assert seminar.starts_at.astimezone(LONDON).strftime("%H:%M %Z") == "10:00 GMT"


def test_autumn_clock_change_pair_is_at_1000_london_and_1800_then_1900_tokyo():
    seed()

    before = Seminar.objects.get(slug="kyushu-by-rail")
    after = Seminar.objects.get(slug="local-government-digital-transformation")

    assert before.starts_at == datetime(2026, 10, 23, 9, 0, tzinfo=UTC)
    assert after.starts_at == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)
    assert before.starts_at.astimezone(LONDON).strftime("%a %H:%M %Z") == "Fri 10:00 BST"
    assert after.starts_at.astimezone(LONDON).strftime("%a %H:%M %Z") == "Mon 10:00 GMT"
    assert before.starts_at.astimezone(TOKYO).strftime("%H:%M") == "18:00"
    assert after.starts_at.astimezone(TOKYO).strftime("%H:%M") == "19:00"
    assert before.is_past and after.is_past


def test_spring_clock_change_pair_is_upcoming_at_1000_london_and_1900_then_1800_tokyo():
    seed()

    before = Seminar.objects.get(slug="yamagata-in-spring")
    after = Seminar.objects.get(slug="town-twinning-renewed")

    assert before.starts_at == datetime(2027, 3, 26, 10, 0, tzinfo=UTC)
    assert after.starts_at == datetime(2027, 3, 29, 9, 0, tzinfo=UTC)
    assert before.starts_at.astimezone(LONDON).strftime("%a %H:%M %Z") == "Fri 10:00 GMT"
    assert after.starts_at.astimezone(LONDON).strftime("%a %H:%M %Z") == "Mon 10:00 BST"
    assert before.starts_at.astimezone(TOKYO).strftime("%H:%M") == "19:00"
    assert after.starts_at.astimezone(TOKYO).strftime("%H:%M") == "18:00"


def test_seed_demo_has_two_drafts_one_cancelled_and_the_rest_published():
    seed()

    statuses = dict(Seminar.objects.values_list("slug", "status"))
    cancelled = Seminar.objects.get(slug="okinawa-island-festivals")

    assert statuses.pop("niigata-sake-trails") == Seminar.Status.DRAFT
    assert statuses.pop("arita-and-imari-porcelain") == Seminar.Status.DRAFT
    assert statuses.pop("okinawa-island-festivals") == Seminar.Status.CANCELLED
    assert set(statuses.values()) == {Seminar.Status.PUBLISHED}
    assert cancelled.cancellation_message.startswith("Our speaker from Okinawa can no longer")
    assert cancelled.cancelled_at == NOW
    assert cancelled.sequence == 1
    assert Seminar.objects.upcoming().count() == 10
    assert Seminar.objects.past().count() == 3


def test_seed_demo_seminars_have_delivery_speakers_and_topics():
    seed()

    seminar = Seminar.objects.get(slug="miyagi-disaster-resilience")
    links = list(seminar.speaker_links.values_list("speaker__slug", "role", "position"))

    assert seminar.meeting_url == "https://zoom.example/j/84123456003"
    assert seminar.capacity is None
    assert seminar.prefecture == "JP-04"
    assert links == [
        ("naoki-takahashi", "presenter", 1),
        ("gareth-pryce", "panellist", 2),
        ("hannah-whitfield", "moderator", 3),
    ]
    assert sorted(seminar.topics.values_list("slug", flat=True)) == [
        "ageing-society",
        "disaster-resilience",
        "tohoku",
    ]
    assert Seminar.objects.filter(capacity__isnull=True).count() == 6
    assert Seminar.objects.get(slug="tono-folk-tales-and-farm-stays").capacity == 5
    assert Seminar.objects.filter(published_at__isnull=True).count() == 2


def test_seed_demo_speakers_are_mostly_jet_participants_with_placements():
    seed()

    emily = Speaker.objects.get(slug="emily-hargreaves")
    official = Speaker.objects.get(slug="misaki-sato")

    assert Speaker.objects.filter(is_jet_participant=True).count() == 6
    assert (emily.jet_prefecture, emily.jet_municipality, emily.jet_years) == (
        "JP-44",
        "Oita City",
        "2023\N{EN DASH}2026",
    )
    assert emily.organisation == "Oita Prefectural Government, Tourism Promotion Division"
    assert official.name_ja == "佐藤 美咲"
    assert official.is_jet_participant is False


def test_demo_organiser_reaches_the_admin_with_password_then_the_printed_totp(client):
    output = seed()
    secret = output.split("TOTP secret: ", 1)[1].split()[0]

    # The admin's own login form is gone: it sends people to allauth's login.
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    response = client.post(
        "/accounts/login/?next=/admin/",
        {"login": "organiser@example.org", "password": "kizuna-demo", "next": "/admin/"},
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == 302  # not signed in without the code

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    admin_index = client.get("/admin/")

    assert response["Location"] == "/admin/"
    assert admin_index.status_code == 200
    assert admin_index.context["user"].email == "organiser@example.org"
    assert list(admin_index.context["user"].groups.values_list("name", flat=True)) == ["Organisers"]


def test_demo_organiser_can_sign_in_on_the_site_with_a_verified_email(client):
    seed()

    response = client.post(
        "/accounts/login/", {"login": "organiser@example.org", "password": "kizuna-demo"}
    )

    # A verified address: allauth goes on to the second factor, not to "verify your email".
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert EmailAddress.objects.get(email="organiser@example.org").verified is True


def test_reseeding_resets_a_changed_demo_password():
    seed()
    organiser = User.objects.get(email="organiser@example.org")
    organiser.set_password("something else")
    organiser.save()

    seed()

    organiser.refresh_from_db()
    assert organiser.check_password("kizuna-demo") is True


def test_reseeding_on_a_later_day_moves_upcoming_seminars_without_duplicates(_today):
    seed()
    _today.move_to(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))

    seed()

    seminar = Seminar.objects.get(slug="oita-japans-onsen-capital")
    assert Seminar.objects.count() == 13
    assert seminar.starts_at == datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    # Moving a published seminar must reach attendees' calendars.
    assert seminar.sequence == 1


def test_seed_demo_invalidates_cached_pages(django_capture_on_commit_callbacks, _today):
    version_before = catalogue_version()
    # The version is a timestamp: let the frozen clock move so a new one can differ.
    _today.shift(1)

    with django_capture_on_commit_callbacks(execute=True):
        seed()

    assert catalogue_version() != version_before


def test_seed_demo_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="Refusing to load demo data with DEBUG off"):
        seed()
    assert Seminar.objects.count() == 0

    seed("--force")
    assert Seminar.objects.count() == 13


def test_last_sunday_gives_uk_clock_change_days():
    assert last_sunday(2026, 10) == date(2026, 10, 25)
    assert last_sunday(2027, 3) == date(2027, 3, 28)
    assert last_sunday(2026, 3) == date(2026, 3, 29)


def test_autumn_pair_uses_last_year_until_this_years_monday_seminar_is_over():
    monday_morning = datetime(2026, 10, 26, 9, 0, tzinfo=UTC)

    assert AroundUkClockChange("autumn", "friday").change_day(monday_morning) == date(2025, 10, 26)
    assert AroundUkClockChange("spring", "monday").change_day(monday_morning) == date(2027, 3, 28)


def _statuses(slug: str) -> list[tuple[str, str]]:
    return list(
        Registration.objects.filter(seminar__slug=slug)
        .order_by("created_at", "pk")
        .values_list("email", "status")
    )


def test_seed_demo_fills_the_small_workshop_and_waitlists_the_rest():
    seed()

    tono = Seminar.objects.get(slug="tono-folk-tales-and-farm-stays")

    assert _statuses(tono.slug) == [
        ("fiona.mackay@heatherandpine.example", "confirmed"),
        ("tom.hughes@wanderwise.example", "confirmed"),
        ("sophie.laurent@example.org", "confirmed"),
        ("james.whitaker@northdownscouncil.example", "confirmed"),
        ("amelia.rossi@example.com", "confirmed"),
        ("daniel.kerr@bluefintravel.example", "waitlisted"),
        ("grace.lin@lanternroutes.example", "waitlisted"),
    ]
    assert not tono.is_past and tono.waitlist_enabled


def test_seed_demo_leaves_upcoming_seminars_with_seats_free():
    seed()

    oita = Seminar.objects.get(slug="oita-japans-onsen-capital")
    miyagi = Seminar.objects.get(slug="miyagi-disaster-resilience")

    assert oita.capacity == 150
    assert _statuses(oita.slug) == [
        ("olivia.bennett@kestrel-crane.example", "confirmed"),
        ("raj.mistry@harbourtravel.example", "confirmed"),
        ("claire.dubois@visit-normandie.example", "confirmed"),
        ("ben.okafor@example.com", "confirmed"),
    ]
    assert miyagi.capacity is None
    assert [status for _email, status in _statuses(miyagi.slug)] == ["confirmed"] * 3


def test_seed_demo_registrants_span_audience_types_their_seminars_allow():
    seed()

    upcoming = Registration.objects.filter(seminar__starts_at__gt=NOW)
    slugs = set(upcoming.values_list("audience_type__slug", flat=True))

    assert slugs == {
        "tour-operator",
        "travel-agent",
        "destination-marketing-organisation",
        "japan-enthusiast",
        "media",
        "public-sector-partner",
        "local-government-europe",
        "local-government-japan",
        "academic",
    }
    for registration in Registration.objects.select_related("seminar", "audience_type"):
        allowed = registration.seminar.allowed_audience_types.all()
        assert registration.audience_type in allowed, registration


def test_seed_demo_queues_one_email_per_upcoming_registration_and_none_for_history():
    seed()

    kinds = sorted(
        OutgoingEmail.objects.values_list("registration__seminar__slug", "kind", "to_email")
    )

    assert len(kinds) == 14
    waitlisted = [email for _slug, kind, email in kinds if kind == "registration_waitlisted"]
    assert waitlisted == ["daniel.kerr@bluefintravel.example", "grace.lin@lanternroutes.example"]
    assert sorted({(slug, kind) for slug, kind, _email in kinds}) == [
        ("miyagi-disaster-resilience", "registration_confirmed"),
        ("oita-japans-onsen-capital", "registration_confirmed"),
        ("tono-folk-tales-and-farm-stays", "registration_confirmed"),
        ("tono-folk-tales-and-farm-stays", "registration_waitlisted"),
    ]
    assert not OutgoingEmail.objects.filter(registration__seminar__slug="kyushu-by-rail").exists()


def test_seed_demo_past_seminar_has_attendance_marked():
    seed()

    kyushu = Seminar.objects.get(slug="kyushu-by-rail")
    named = kyushu.registrations.filter(email__in=NAMED)
    rows = list(named.order_by("email").values_list("email", "status", "attended"))

    assert kyushu.is_past
    assert rows == [
        ("hana.suzuki@example.com", "confirmed", "yes"),
        ("lena.fischer@reisewelt-fernost.example", "confirmed", "unknown"),
        ("olivia.bennett@kestrel-crane.example", "confirmed", "yes"),
        ("peter.doyle@greenisle.example", "confirmed", "no"),
        ("raj.mistry@harbourtravel.example", "confirmed", "yes"),
    ]
    assert set(named.values_list("recording_followup_opt_in", flat=True)) == {True}
    # Registered a fortnight before the seminar, not on the day the demo was loaded.
    assert set(named.values_list("created_at", flat=True)) == {
        datetime(2026, 10, 9, 9, 0, tzinfo=UTC)
    }


def test_seed_demo_asks_custom_questions_on_one_seminar_and_stores_answers():
    seed()

    regions, sells = RegistrationQuestion.objects.filter(
        seminar__slug="oita-japans-onsen-capital"
    ).order_by("position")
    olivia = Registration.objects.get(
        seminar__slug="oita-japans-onsen-capital", email="olivia.bennett@kestrel-crane.example"
    )
    claire = Registration.objects.get(email="claire.dubois@visit-normandie.example")

    assert (regions.label, regions.kind, regions.required) == (
        "Which regions interest your clients?",
        "multiple_choice",
        False,
    )
    assert regions.choice_list[-2:] == ["Kyushu", "Okinawa"]
    assert len(regions.choice_list) == 8
    assert (sells.label, sells.kind, sells.required) == (
        "Do you sell Japan packages today?",
        "yes_no",
        True,
    )
    assert olivia.answers == {str(regions.pk): ["Kyushu", "Tohoku"], str(sells.pk): True}
    assert claire.answers == {str(sells.pk): False}
    assert RegistrationQuestion.objects.count() == 2


def test_reseeding_after_a_cancellation_registers_and_sends_nothing_again(_today):
    seed()
    fiona = Registration.objects.get(email="fiona.mackay@heatherandpine.example")
    promoted = services.registration_cancel(registration=fiona)
    emails = OutgoingEmail.objects.count()
    _today.shift(60 * 60)

    seed()

    assert promoted.email == "daniel.kerr@bluefintravel.example"
    assert _statuses("tono-folk-tales-and-farm-stays")[0] == (
        "fiona.mackay@heatherandpine.example",
        "cancelled",
    )
    assert Registration.objects.count() == 119
    assert OutgoingEmail.objects.count() == emails


# --- Recordings ------------------------------------------------------------------------


def test_seed_demo_publishes_the_kyushu_recording_with_its_contents_and_sends_nothing():
    seed()

    recording = Recording.objects.get(slug="kyushu-by-rail")
    seminar = recording.seminar
    assert seminar.slug == "kyushu-by-rail"
    assert seminar.series.slug == "japan-local-attraction-seminars"
    assert seminar.is_past
    assert (recording.video_provider, recording.video_id) == ("youtube", "kyushuRail1")
    assert recording.access == Recording.Access.PUBLIC
    assert recording.speakers_consented is True
    assert recording.speaker_consent_recorded_by.email == "organiser@example.org"
    assert recording.speaker_consent_recorded_at == NOW
    # Published three days after the seminar, its follow-ups counted as already sent.
    assert recording.published_at == seminar.ends_at + timedelta(days=3)
    assert recording.followups_queued_at == recording.published_at
    assert list(recording.chapters.values_list("starts_at", "title")) == [
        (timedelta(0), "Welcome and introductions"),
        (timedelta(minutes=4, seconds=15), "Fukuoka: food stalls and the Kyushu Shinkansen"),
        (timedelta(minutes=15, seconds=30), "Kumamoto Castle and the Aso caldera"),
        (timedelta(minutes=28, seconds=45), "JR Kyushu's sightseeing trains"),
        (timedelta(minutes=39, seconds=10), "Beppu, Yufuin and Oita's hot springs"),
        (timedelta(minutes=49, seconds=20), "Questions from the audience"),
    ]
    assert not OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.RECORDING_AVAILABLE).exists()


def test_seed_demo_kyushu_transcript_is_stored_with_voices_and_searchable():
    seed()

    recording = Recording.objects.get(slug="kyushu-by-rail")
    cues = list(recording.cues.order_by("position"))
    voices = {cue.voice for cue in cues}

    assert len(cues) == 43
    assert voices == {"Hannah Whitfield", "Seán O'Connell", "Emily Hargreaves"}
    assert (cues[3].voice, cues[3].text) == (
        "Hannah Whitfield",
        "Please put your questions in the Q&A box as we go. Seán, over to you.",
    )
    assert cues[0].starts_at == timedelta(seconds=4)
    assert cues[-1].ends_at == timedelta(minutes=57, seconds=50)
    assert recording.transcript_file.name.startswith("transcripts/")
    with recording.transcript_file.open("rb") as stored:
        assert stored.read().startswith(b"WEBVTT - Kyushu by rail")
    assert "Kusasenri, a wide meadow with horses grazing" in recording.transcript_text
    # What was said finds the recording; what was not said does not.
    assert list(recordings_archive(viewer=ANONYMOUS, query="Kusasenri")) == [recording]
    assert list(recordings_archive(viewer=ANONYMOUS, query='"treasure box train"')) == [recording]
    assert list(recordings_archive(viewer=ANONYMOUS, query="Shirakawa-go")) == []


def test_seed_demo_kyushu_slides_are_a_valid_pdf_in_private_storage():
    seed()

    material = RecordingMaterial.objects.get(recording__slug="kyushu-by-rail")
    with material.file.open("rb") as stored:
        data = stored.read()

    assert material.title == "Slides (PDF)"
    assert material.original_name == "kyushu-by-rail-slides.pdf"
    assert material.content_type == "application/pdf"
    assert material.size == len(data)
    assert material.file.name.startswith("materials/")
    assert material.file.name.endswith(".pdf")
    assert private_files() == sorted([material.file.name, material.recording.transcript_file.name])
    assert_valid_pdf(data, pages=3)
    assert b"(Onsen etiquette in five lines) Tj" in data
    # WinAnsi: the accented name is one byte, not mojibake.
    assert b"(Se\xe1n O'Connell, Meridian Destination Partners) Tj" in data


def assert_valid_pdf(data: bytes, *, pages: int) -> None:
    """The cross-reference table points at every object, and each stream's length is right."""
    assert data.startswith(b"%PDF-1.4\n")
    assert data.endswith(b"%%EOF\n")
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))
    assert data[startxref:].startswith(b"xref\n0 ")
    count = int(re.match(rb"xref\n0 (\d+)\n", data[startxref:]).group(1))
    entries = re.findall(rb"(\d{10}) 00000 n \n", data[startxref:])
    assert len(entries) == count - 1
    for number, offset in enumerate(entries, start=1):
        assert data[int(offset) :].startswith(f"{number} 0 obj\n".encode())
    for length, body in re.findall(rb"<< /Length (\d+) >>\nstream\n(.*?)\nendstream", data, re.S):
        assert len(body) == int(length)
    assert f"/Count {pages} >>".encode() in data
    assert data.count(b"/Type /Page ") == pages


def test_slides_pdf_escapes_pdf_specials_and_is_the_same_every_time():
    pages = (("Costs (2026)", ("Back\\slash", "Tōhoku")),)

    data = slides_pdf(title="A (b)", pages=pages)

    assert data == slides_pdf(title="A (b)", pages=pages)
    assert b"(Costs \\(2026\\)) Tj" in data
    assert b"(Back\\\\slash) Tj" in data
    # Outside WinAnsi: replaced, never a broken file.
    assert b"(T?hoku) Tj" in data
    assert b"/Title (A \\(b\\))" in data
    assert_valid_pdf(data, pages=1)


def test_seed_demo_leaves_the_digital_recording_ready_but_unpublished():
    seed()

    recording = Recording.objects.get(slug="local-government-digital-transformation")

    assert recording.seminar.is_past
    assert recording.published_at is None
    assert recording.followups_queued_at is None
    assert recording.access == Recording.Access.REGISTRANTS
    assert recording.speakers_consented is True
    assert (recording.video_provider, recording.video_id) == ("youtube", "digitalTran")
    assert services.recording_publish_problems(recording=recording) == []
    rows = list(
        recording.seminar.registrations.filter(email__in=NAMED)
        .order_by("email")
        .values_list("email", "status", "attended", "recording_followup_opt_in")
    )
    assert rows == [
        ("daniel.price@localdigital.example", "confirmed", "yes", False),
        ("katarzyna.nowak@krakow-city.example", "confirmed", "unknown", True),
        ("pieter.devries@utrecht-gemeente.example", "confirmed", "yes", True),
        ("r.osei@localgovstudies.example", "confirmed", "no", True),
    ]


def test_publishing_the_demo_recording_sends_the_three_wordings(
    django_capture_on_commit_callbacks,
):
    seed()
    recording = Recording.objects.get(slug="local-government-digital-transformation")
    # The crowd at the seminar hears too: everyone confirmed who asked for the recording.
    opted_in = recording.seminar.registrations.filter(
        status="confirmed", recording_followup_opt_in=True
    )

    assert services.recording_publish(recording=recording) == opted_in.count() == 20

    subjects = {
        email.to_email: email.subject
        for email in rendered_emails(
            OutgoingEmail.objects.filter(
                kind=OutgoingEmail.Kind.RECORDING_AVAILABLE, to_email__in=NAMED
            )
        )
    }
    title = "Digital transformation in local government: Japan and the UK compared"
    assert subjects == {
        "pieter.devries@utrecht-gemeente.example": (
            f"Thank you for joining us – watch the recording: {title}"
        ),
        "r.osei@localgovstudies.example": f"Sorry we missed you – watch the recording: {title}",
        "katarzyna.nowak@krakow-city.example": f"Watch the recording: {title}",
    }


def test_reseeding_keeps_an_organisers_publication_choice_and_restores_lost_slides(_today):
    seed()
    kyushu = Recording.objects.get(slug="kyushu-by-rail")
    digital = Recording.objects.get(slug="local-government-digital-transformation")
    services.recording_unpublish(recording=kyushu)
    services.recording_publish(recording=digital)
    material = RecordingMaterial.objects.get()
    material.file.storage.delete(material.file.name)
    _today.shift(60 * 60)

    seed()

    kyushu.refresh_from_db()
    digital.refresh_from_db()
    material.refresh_from_db()
    assert kyushu.published_at is None
    assert digital.published_at == NOW
    assert material.file.storage.exists(material.file.name)
    assert RecordingMaterial.objects.count() == 1
    assert OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.RECORDING_AVAILABLE).count() == 20


def test_reseeding_keeps_an_organisers_uploaded_video_other_address_and_access(_today):
    seed()
    kyushu = Recording.objects.get(slug="kyushu-by-rail")
    kyushu.video_file.save("talk.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42"), save=False)
    kyushu.video_provider, kyushu.video_id = Recording.VideoProvider.FILE, ""
    kyushu.video_file_name, kyushu.video_file_size = "talk.mp4", 12
    kyushu.video_content_type, kyushu.duration = "video/mp4", timedelta(minutes=61)
    kyushu.access = Recording.Access.SIGNED_IN
    kyushu.full_clean()
    kyushu.save()
    video_name = kyushu.video_file.name
    digital = Recording.objects.get(slug="local-government-digital-transformation")
    digital.video_provider, digital.video_id = Recording.VideoProvider.VIMEO, "76979871"
    digital.save()
    _today.shift(60 * 60)

    seed()

    kyushu.refresh_from_db()
    digital.refresh_from_db()
    assert (kyushu.video_provider, kyushu.video_id, kyushu.video_file.name) == (
        "file",
        "",
        video_name,
    )
    assert kyushu.access == Recording.Access.SIGNED_IN
    assert kyushu.duration == timedelta(minutes=61)
    with kyushu.video_file.open("rb") as stored:
        assert stored.read() == b"\x00\x00\x00\x18ftypmp42"
    assert video_name in private_files()
    assert (digital.video_provider, digital.video_id) == ("vimeo", "76979871")
    assert digital.access == Recording.Access.REGISTRANTS


def test_demo_totp_secret_is_never_set_with_debug_off(settings):
    from allauth.mfa.models import Authenticator

    seed()
    organiser = User.objects.get(email="organiser@example.org")
    assert organiser.authenticator_set.filter(type=Authenticator.Type.TOTP).exists()
    settings.DEBUG = False

    output = seed("--force")

    # The published secret is removed; the organiser sets up their own app.
    assert not organiser.authenticator_set.filter(type=Authenticator.Type.TOTP).exists()
    assert "TOTP secret" not in output
    assert "sets up their own authenticator app" in output


# --- Engagement on past seminars (the organisers' insights) -----------------------------


def _past_registrations(slug: str) -> RegistrationQuerySet:
    return Registration.objects.filter(seminar__slug=slug)


def test_seed_demo_past_seminars_have_attendance_join_clicks_audiences_and_countries():
    seed()

    for slug in PAST:
        registrations = _past_registrations(slug)
        assert registrations.filter(attended="yes").exists(), slug
        assert JoinClick.objects.filter(registration__seminar__slug=slug).exists(), slug
        assert registrations.values("audience_type").distinct().count() >= 2, slug
        assert registrations.values("country").distinct().count() >= 2, slug
    past = Seminar.objects.filter(ends_at__lte=NOW).values_list("slug", flat=True)
    assert sorted(past) == sorted(PAST)


def test_seed_demo_past_seminars_mostly_confirmed_with_attendance_rising():
    seed()

    rates = []
    for slug in PAST:
        registrations = _past_registrations(slug)
        statuses = Counter(registrations.values_list("status", flat=True))
        attended = Counter(registrations.confirmed().values_list("attended", flat=True))
        assert statuses["confirmed"] > 0.8 * registrations.count(), slug
        assert 1 <= statuses["cancelled"] <= 3 and 1 <= statuses["waitlisted"] <= 2, slug
        # Cancelled places say when; places no one confirmed were not marked at the door.
        assert not registrations.filter(status="cancelled", cancelled_at__isnull=True).exists()
        unconfirmed = registrations.exclude(status="confirmed")
        assert set(unconfirmed.values_list("attended", flat=True)) == {"unknown"}
        rates.append(attended["yes"] / (attended["yes"] + attended["no"]))
    # Oldest first (the autumn pair, then the one twenty days ago): the trend goes up.
    assert rates == sorted(rates)
    assert all(0.55 <= rate <= 0.75 for rate in rates), rates


def test_seed_demo_past_registrations_spread_over_the_weeks_before_with_some_sources():
    seed()

    for slug in PAST:
        seminar = Seminar.objects.get(slug=slug)
        crowd = seminar.registrations.exclude(email__in=NAMED)
        times = sorted(crowd.values_list("created_at", flat=True))
        assert seminar.starts_at - timedelta(days=30) < times[0] < times[-1] < seminar.starts_at
        assert times[-1] - times[0] > timedelta(days=14), slug
        sourced = crowd.exclude(utm_source="", referrer_host="")
        assert 0 < sourced.count() < crowd.count() / 2 + 5, slug
    kyushu = _past_registrations("kyushu-by-rail")
    assert kyushu.filter(utm_source="abta-newsletter", utm_medium="email").exists()
    assert kyushu.filter(referrer_host="www.jnto.go.jp").exists()
    countries = Counter(
        Registration.objects.filter(seminar__slug__in=PAST).values_list("country", flat=True)
    )
    assert countries.most_common(1)[0][0] == "GB"
    assert {"JP", "FR", "DE", "IE", "NL"} <= set(countries)


def test_seed_demo_crowds_use_example_addresses_and_repeat_organisations():
    seed()

    crowd = Registration.objects.filter(seminar__slug__in=PAST).exclude(email__in=NAMED)
    domains = {email.rsplit("@", 1)[1] for email in crowd.values_list("email", flat=True)}
    assert domains == {"example.org", "example.com"}
    seminars_per_organisation = Counter(
        organisation
        for organisation, _seminar in set(
            crowd.exclude(organisation="").values_list("organisation", "seminar")
        )
    )
    assert max(seminars_per_organisation.values()) >= 2


def test_seed_demo_brings_some_attendees_back_to_another_past_seminar():
    seed()

    attended = Registration.objects.filter(seminar__slug__in=PAST, attended="yes")
    seminars_per_email = Counter(attended.values_list("email", flat=True))

    assert max(seminars_per_email.values()) >= 2
    assert min(seminars_per_email.values()) == 1


def test_seed_demo_join_clicks_are_near_the_start_and_mostly_from_attendees():
    seed()

    for slug in PAST:
        seminar = Seminar.objects.get(slug=slug)
        clicks = JoinClick.objects.filter(registration__seminar=seminar)
        assert all(
            abs(clicked_at - seminar.starts_at) < timedelta(hours=2)
            for clicked_at in clicks.values_list("clicked_at", flat=True)
        )
        attendees = set(clicks.filter(registration__attended="yes").values_list("registration"))
        others = set(clicks.exclude(registration__attended="yes").values_list("registration"))
        assert len(attendees) > 0.6 * seminar.registrations.filter(attended="yes").count()
        assert len(others) < len(attendees)
        assert not clicks.exclude(registration__status="confirmed").exists()


def test_seed_demo_counts_views_of_the_published_recording_by_registrants():
    seed()

    kyushu = Recording.objects.get(slug="kyushu-by-rail")
    views = RecordingView.objects.all()

    assert Registration.objects.filter(recording_views__isnull=False).exists()
    assert set(views.values_list("recording", flat=True)) == {kyushu.pk}
    assert not views.exclude(registration__status="confirmed").exists()
    days = sorted(views.values_list("day", flat=True))
    assert kyushu.published_at.date() <= days[0] <= days[-1] <= NOW.date()
    assert all(key.startswith("anon:") for key in views.values_list("viewer_key", flat=True))


def _engagement_counts() -> tuple[int, int, int]:
    return (Registration.objects.count(), JoinClick.objects.count(), RecordingView.objects.count())


def test_seed_demo_twice_keeps_registrations_join_clicks_and_views(_today):
    seed()
    counts = _engagement_counts()
    _today.shift(60 * 60)

    seed()

    assert _engagement_counts() == counts


def test_reseeding_on_a_later_day_moves_past_history_with_its_seminar(_today):
    seed()
    counts = (Registration.objects.count(), JoinClick.objects.count())
    _today.move_to(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))

    seed()

    seminar = Seminar.objects.get(slug="ageing-society-japan-uk")
    assert seminar.starts_at == datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    assert (Registration.objects.count(), JoinClick.objects.count()) == counts
    times = seminar.registrations.values_list("created_at", flat=True)
    assert all(seminar.starts_at - timedelta(days=30) < at < seminar.starts_at for at in times)
    clicks = JoinClick.objects.filter(registration__seminar=seminar)
    assert all(
        abs(at - seminar.starts_at) < timedelta(hours=2)
        for at in clicks.values_list("clicked_at", flat=True)
    )
    # Moving a seminar that is over tells no one: it sends nothing.
    assert OutgoingEmail.objects.count() == 14


def test_seed_demo_has_a_registrant_who_reads_japanese_and_gets_japanese_email():
    seed()

    registration = Registration.objects.get(email="hanako.suzuki@city-sendai.example")
    email = rendered(OutgoingEmail.objects.get(registration=registration))

    assert registration.language == "ja"
    assert email.language == "ja"
    # The seminar's Japanese title, not its English one.
    assert email.subject == (
        "お申し込み完了のお知らせ：より良い復興をめざして：震災から15年、宮城県の防災・減災"
    )
    assert email.body_text.startswith("鈴木 花子 様")


# --- Both languages --------------------------------------------------------------------

# Organisations named by the company itself: no Japanese, so Japanese pages show the English
# name marked lang="en".
COMPANY_NAMES = {"thomas-reid", "sean-oconnell", "lucy-fairbairn"}
JAPANESE_FIRST = "ageing-society-japan-uk"


def _in_japanese(text: str | None) -> bool:
    return bool(text) and bool(JAPANESE_SCRIPT.search(text))


def _blocks(text: str) -> list[str]:
    """The Markdown's block structure: headings, lists, list items and paragraphs."""
    return re.findall(r"<(h\d|ol|ul|li|p)>", render_markdown(text))


def test_seed_demo_writes_series_topics_and_seminars_in_english_and_japanese():
    seed()

    for series in Series.objects.all():
        assert series.name_en and series.tagline_en and series.description_en, series.slug
        for column in ("name_ja", "tagline_ja", "description_ja"):
            assert _in_japanese(getattr(series, column)), (series.slug, column)
        assert _blocks(series.description_ja) == _blocks(series.description_en), series.slug
    for topic in Topic.objects.all():
        assert topic.name_en and _in_japanese(topic.name_ja), topic.slug
    for seminar in Seminar.objects.all():
        assert seminar.title_en and seminar.summary_en, seminar.slug
        for column in ("title_ja", "summary_ja", "description_ja"):
            assert _in_japanese(getattr(seminar, column)), (seminar.slug, column)
        if seminar.slug != JAPANESE_FIRST:
            assert _blocks(seminar.description_ja) == _blocks(seminar.description_en), seminar.slug
    # The glossary's names for the series and the topics a Japanese reader filters by.
    names = dict(Series.objects.values_list("slug", "name_ja"))
    assert names == {
        "jlgc-seminars": "JLGCセミナー",
        "japan-local-attraction-seminars": "日本の地域魅力発信セミナー",
    }
    assert Topic.objects.get(slug="onsen").name_ja == "温泉"


def test_seed_demo_writes_speakers_roles_organisations_and_biographies_in_japanese():
    seed()

    for speaker in Speaker.objects.all():
        assert speaker.title_en and speaker.organisation_en and speaker.bio_en, speaker.slug
        assert _in_japanese(speaker.title_ja) and _in_japanese(speaker.bio_ja), speaker.slug
        assert _blocks(speaker.bio_ja) == _blocks(speaker.bio_en), speaker.slug
        if speaker.slug in COMPANY_NAMES:
            assert speaker.organisation_ja == "", speaker.slug
        else:
            assert _in_japanese(speaker.organisation_ja), speaker.slug
    naoki = Speaker.objects.get(slug="naoki-takahashi")
    assert (naoki.title_ja, naoki.organisation_ja) == ("危機対策課 副課長", "宮城県")
    with translation.override("ja"):
        assert Speaker.objects.get(slug="thomas-reid").organisation == "Kestrel & Crane Journeys"


def test_seed_demo_has_one_speaker_whose_language_is_japanese_and_no_speaker_emails():
    seed()

    naoki = Speaker.objects.get(slug="naoki-takahashi")
    languages = {speaker.slug: speaker.email_language for speaker in Speaker.objects.all()}

    assert list(Speaker.objects.filter(language="ja")) == [naoki]
    assert (naoki.name_ja, naoki.time_zone) == ("高橋 直樹", "Asia/Tokyo")
    # Misaki Sato's is left empty: Japanese, for her Japanese name.
    assert Speaker.objects.get(slug="misaki-sato").language == ""
    assert {slug for slug, language in languages.items() if language == "ja"} == {
        "naoki-takahashi",
        "misaki-sato",
    }
    assert set(Speaker.objects.values_list("email", flat=True)) == {""}


def test_seed_demo_has_a_japanese_first_jlgc_seminar_shown_in_japanese_to_english_readers(
    client,
):
    seed()

    seminar = Seminar.objects.get(slug=JAPANESE_FIRST)
    response = client.get(seminar.get_absolute_url())  # in English, the default

    assert (seminar.series.slug, seminar.language) == ("jlgc-seminars", "ja")
    assert seminar.title_ja == "人口減少・高齢化と自治体：日英の取り組み"
    assert seminar.title_en.startswith("Shrinking and ageing populations")
    # No English description: English readers get the Japanese one, marked as Japanese.
    assert seminar.description_en == ""
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<h1 id="seminar-title">{seminar.title_en}</h1>' in page
    assert '<div class="prose" lang="ja">' in page
    assert "移住の促進と関係人口" in page


def test_seed_demo_registration_questions_match_their_options_line_by_line():
    seed()

    regions, sells = RegistrationQuestion.objects.filter(
        seminar__slug="oita-japans-onsen-capital"
    ).order_by("position")

    assert (regions.label_ja, regions.help_text_ja) == (
        "お客様が関心をお持ちの地域はどちらですか？",
        "当てはまるものをすべてお選びください。",
    )
    assert sells.label_ja == "現在、日本旅行の商品を販売していますか？"
    with translation.override("ja"):
        options = regions.choice_options
    # Answers are stored as the English option, whichever language the form was in.
    assert options[-2:] == [("Kyushu", "九州"), ("Okinawa", "沖縄")]
    assert len(options) == 8


def test_seed_demo_recordings_have_japanese_titles_and_descriptions():
    seed()

    for recording in Recording.objects.all():
        assert recording.title_en and recording.description_en, recording.slug
        assert _in_japanese(recording.title_ja), recording.slug
        assert _in_japanese(recording.description_ja), recording.slug
    kyushu = Recording.objects.get(slug="kyushu-by-rail")
    assert kyushu.title_ja == "鉄道で巡る九州：英国からの旅行者向けモデルコース"


def test_a_japanese_search_of_the_archive_finds_the_published_demo_recording():
    seed()

    kyushu = Recording.objects.get(slug="kyushu-by-rail")

    assert list(recordings_archive(viewer=ANONYMOUS, query="温泉")) == [kyushu]
    assert list(recordings_archive(viewer=ANONYMOUS, query="別府 熊本城")) == [kyushu]
    assert list(recordings_archive(viewer=ANONYMOUS, query="「鉄道で巡る九州」")) == [kyushu]
    # The unpublished recording stays out of the archive in Japanese too.
    assert list(recordings_archive(viewer=ANONYMOUS, query="デジタル")) == []


def test_the_archive_page_in_japanese_finds_the_demo_recording_by_a_japanese_word(client, settings):
    seed()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"

    response = client.get("/recordings/", {"q": "温泉"})

    assert [recording.slug for recording, _match in response.context["results"]] == [
        "kyushu-by-rail"
    ]
    assert "鉄道で巡る九州：英国からの旅行者向けモデルコース" in response.content.decode()


def test_reseeding_an_older_demo_fills_in_its_japanese_then_changes_nothing(_today):
    seed()
    # A demo seeded before its content had Japanese: the columns the migration left empty.
    Topic.objects.update(name_ja=None)
    Seminar.objects.filter(slug="kyushu-by-rail").update(title_ja=None, description_ja=None)
    Speaker.objects.filter(slug="naoki-takahashi").update(language="", time_zone="")
    _today.shift(60 * 60)

    seed()
    filled = snapshot()
    _today.shift(60 * 60)
    seed()

    assert snapshot() == filled
    assert Topic.objects.get(slug="onsen").name_ja == "温泉"
    kyushu = Seminar.objects.get(slug="kyushu-by-rail")
    assert kyushu.title_ja == "鉄道で巡る九州：英国からの旅行者向けモデルコース"
    assert "別府温泉" in kyushu.description_ja
    assert Speaker.objects.get(slug="naoki-takahashi").language == "ja"


def test_publishing_the_kyushu_draft_sends_its_followers_one_digest(_today, settings):
    settings.ALERT_DIGEST_DELAY_MINUTES = 1
    seed()
    services.seminar_publish(seminar=Seminar.objects.get(slug="arita-and-imari-porcelain"))
    _today.shift(2 * 60)

    assert seminar_alerts_run().digests == 3
    digests = OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.SEMINAR_ALERTS)
    by_address = {email.to_email: rendered(email) for email in digests}
    # The two Kyushu followers, and Olivia, who ticked "future seminars"; not Tohoku's.
    assert set(by_address) == {
        "amelia.hughes@southbank-tours.example",
        "kenji.mori@nihon-travel.example",
        "olivia.bennett@kestrel-crane.example",
    }
    english = by_address["amelia.hughes@southbank-tours.example"]
    assert english.subject == "New seminar: Arita and Imari: four centuries of porcelain in Saga"
    assert "Because you follow: Kyushu" in english.body_text
    japanese = by_address["kenji.mori@nihon-travel.example"]
    assert japanese.subject == "新しいセミナー：有田と伊万里：佐賀の磁器400年"
    assert "フォロー中：九州" in japanese.body_text


def test_the_demo_attendee_downloads_a_certificate_that_verifies(client):
    seed()
    assert client.login(email="olivia.bennett@kestrel-crane.example", password="kizuna-demo")
    page = client.get(reverse("webinars:my_seminars")).content.decode()
    kyushu = Registration.objects.get(
        seminar__slug="kyushu-by-rail", email="olivia.bennett@kestrel-crane.example"
    )
    certificate_url = reverse("webinars:my_registration_certificate", args=[kyushu.pk])
    assert certificate_url in page
    response = client.get(certificate_url)
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "Olivia Bennett" in text
    code = re.search(r"/certificates/([0-9A-Z]{10})/", text).group(1)
    client.logout()
    verified = client.get(reverse("webinars:certificate_verify", args=[code])).content.decode()
    assert "This certificate is genuine" in verified
    assert "Olivia Bennett" in verified
    assert "Kyushu by rail: itineraries for UK travellers" in verified
