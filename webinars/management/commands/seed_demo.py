"""``manage.py seed_demo``: idempotent demo data for trying Kizuna out.

Every object is keyed by its slug (or email), so a second run creates nothing and, on the
same day, changes nothing. Upcoming dates are computed from now: a run on a later day moves
the demo seminars forward (through ``seminar_update``, so calendars would follow).

One small function per kind of object, called in turn from ``seed_demo()``.

Registrations for upcoming seminars go through ``registration_create``, like any visitor's,
so each writes its outbox email (delivered to ``var/outbox/`` by the worker); a registration
already there (whatever its status, say cancelled from the browser) is left alone, so a
second run registers and sends nothing. Registrations for a seminar that is over are history:
the service rightly refuses them, so they are written as rows, without email, and their
attendance is marked through ``attendance_mark``.

Two past seminars have recordings. "Kyushu by rail" is published, with chapters, a WebVTT
transcript and PDF slides; it is created as published with its follow-ups counted as
already sent, so seeding writes no email. The digital transformation seminar's recording
is ready but unpublished: publishing it from the admin sends the three follow-up wordings
(attended, missed, attendance unknown) to ``var/outbox/``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AudienceType, User
from webinars import services
from webinars.cache import catalogue_changed
from webinars.management import demo_content
from webinars.management.demo_content import DemoRegistration, DemoSeminar
from webinars.models import (
    Recording,
    RecordingChapter,
    RecordingMaterial,
    Registration,
    RegistrationQuestion,
    Seminar,
    SeminarSpeaker,
    Series,
    Speaker,
    Topic,
)
from webinars.vtt import parse_vtt

ORGANISER_EMAIL = "organiser@example.org"
ORGANISER_PASSWORD = "kizuna-demo"
ORGANISER_NAME = "Demo Organiser"
ORGANISERS_GROUP = "Organisers"

ModelT = TypeVar("ModelT", bound=models.Model)


@dataclass
class DemoData:
    series: dict[str, Series]
    topics: dict[str, Topic]
    speakers: dict[str, Speaker]
    seminars: dict[str, Seminar]
    organiser: User
    registrations: list[Registration]
    recordings: dict[str, Recording]


def upsert(model: type[ModelT], *, lookup: dict[str, Any], values: dict[str, Any]) -> ModelT:
    """Create the row, or bring it to ``values``; writes nothing when it already matches."""
    instance = model._default_manager.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
    elif all(getattr(instance, name) == value for name, value in values.items()):
        return instance
    else:
        for name, value in values.items():
            setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance


def seed_series() -> dict[str, Series]:
    """Both seminar series, with the audience types each one is made for."""
    seeded = {}
    for spec in demo_content.SERIES:
        series = upsert(
            Series,
            lookup={"slug": spec.slug},
            values={
                "name": spec.name,
                "tagline": spec.tagline,
                "description": spec.description,
                "position": spec.position,
            },
        )
        # set() only writes the difference, so a re-run leaves the rows alone.
        series.default_audience_types.set(
            AudienceType.objects.filter(slug__in=spec.default_audience_slugs)
        )
        seeded[spec.slug] = series
    return seeded


def seed_topics() -> dict[str, Topic]:
    return {
        slug: upsert(Topic, lookup={"slug": slug}, values={"name": name})
        for slug, name in demo_content.TOPICS
    }


def seed_speakers() -> dict[str, Speaker]:
    """Fictional speakers: JET participants, Japanese officials and a UK council officer."""
    seeded = {}
    for spec in demo_content.SPEAKERS:
        year_from, year_to = spec.jet_years or (None, None)
        seeded[spec.slug] = upsert(
            Speaker,
            lookup={"slug": spec.slug},
            values={
                "name": spec.name,
                "name_ja": spec.name_ja,
                "title": spec.title,
                "organisation": spec.organisation,
                "bio": spec.bio,
                "is_jet_participant": spec.is_jet_participant,
                "jet_prefecture": spec.jet_prefecture,
                "jet_municipality": spec.jet_municipality,
                "jet_year_from": year_from,
                "jet_year_to": year_to,
                "website": spec.website,
                "links": spec.links,
            },
        )
    return seeded


def seed_seminars(
    *,
    now: datetime,
    series: dict[str, Series],
    topics: dict[str, Topic],
    speakers: dict[str, Speaker],
) -> dict[str, Seminar]:
    """The demo seminars, created and changed through the catalogue services."""
    seeded = {}
    for spec in demo_content.SEMINARS:
        seminar_series = series[spec.series_slug]
        fields = _seminar_fields(spec, now=now, series=seminar_series)
        m2m = {
            "topics": [topics[slug] for slug in spec.topic_slugs],
            "allowed_audience_types": list(seminar_series.default_audience_types.all()),
        }
        seminar = Seminar.objects.filter(slug=spec.slug).first()
        if seminar is None:
            seminar = _create_seminar(spec, now=now, fields=fields, m2m=m2m)
        else:
            changes = {
                name: value for name, value in fields.items() if getattr(seminar, name) != value
            }
            if changes:
                services.seminar_update(seminar=seminar, **changes)
            for name, values in m2m.items():
                getattr(seminar, name).set(values)
        if spec.status == Seminar.Status.CANCELLED and not seminar.is_cancelled:
            services.seminar_cancel(seminar=seminar, message=spec.cancellation_message)
        _seed_seminar_speakers(seminar, spec=spec, speakers=speakers)
        seeded[spec.slug] = seminar
    return seeded


def _seminar_fields(spec: DemoSeminar, *, now: datetime, series: Series) -> dict[str, Any]:
    starts_at = spec.schedule.starts_at(now)
    fields = {
        "title": spec.title,
        "series": series,
        "summary": spec.summary,
        "description": spec.description,
        "prefecture": spec.prefecture,
        "partner_organisations": "\n".join(spec.partner_organisations),
        "language": spec.language,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=spec.duration_minutes),
        "timezone": spec.timezone,
        "platform": Seminar.Platform.ZOOM,
        "meeting_url": f"https://zoom.example/j/{spec.meeting_id}",
        "meeting_passcode": spec.passcode,
        "capacity": spec.capacity,
    }
    if spec.status == Seminar.Status.CANCELLED:
        fields["cancellation_message"] = spec.cancellation_message
    return fields


def _create_seminar(
    spec: DemoSeminar, *, now: datetime, fields: dict[str, Any], m2m: dict[str, list[Any]]
) -> Seminar:
    if spec.status == Seminar.Status.DRAFT:
        return services.seminar_create(slug=spec.slug, status=spec.status, m2m=m2m, **fields)
    # A cancelled seminar was published first; it is cancelled by seminar_cancel() afterwards.
    announced_at = min(now, fields["starts_at"] - timedelta(days=30))
    fields = {**fields, "cancellation_message": ""}
    return services.seminar_create(
        slug=spec.slug,
        status=Seminar.Status.PUBLISHED,
        published_at=announced_at,
        m2m=m2m,
        **fields,
    )


def _seed_seminar_speakers(
    seminar: Seminar, *, spec: DemoSeminar, speakers: dict[str, Speaker]
) -> None:
    for position, (slug, role) in enumerate(spec.speakers, start=1):
        upsert(
            SeminarSpeaker,
            lookup={"seminar": seminar, "speaker": speakers[slug]},
            values={
                "role": role,
                "position": position,
                "join_url": f"https://zoom.example/w/{spec.meeting_id}?tk=speaker-{slug}",
            },
        )
    wanted = [speakers[slug] for slug, _role in spec.speakers]
    seminar.speaker_links.exclude(speaker__in=wanted).delete()


def seed_questions(*, seminars: dict[str, Seminar]) -> dict[tuple[str, str], RegistrationQuestion]:
    """Custom registration questions, keyed by (seminar slug, label)."""
    seeded = {}
    for position, spec in enumerate(demo_content.QUESTIONS, start=1):
        seeded[spec.seminar_slug, spec.label] = upsert(
            RegistrationQuestion,
            lookup={"seminar": seminars[spec.seminar_slug], "label": spec.label},
            values={
                "kind": spec.kind,
                "choices": "\n".join(spec.choices),
                "required": spec.required,
                "help_text": spec.help_text,
                "position": position,
            },
        )
    return seeded


def seed_registrations(
    *,
    now: datetime,
    seminars: dict[str, Seminar],
    questions: dict[tuple[str, str], RegistrationQuestion],
) -> list[Registration]:
    """Demo registrants, in order: upcoming ones registered, past ones as history."""
    audience_types = {audience.slug: audience for audience in AudienceType.objects.all()}
    seeded = []
    for spec in (*demo_content.REGISTRATIONS, *RECORDING_REGISTRATIONS):
        seminar = seminars[spec.seminar_slug]
        registration = (
            Registration.objects.filter(seminar=seminar, email=spec.email).order_by("pk").first()
        )
        if registration is None:
            answers = {
                str(questions[spec.seminar_slug, label].pk): value for label, value in spec.answers
            }
            audience_type = audience_types[spec.audience_slug]
            if seminar.ends_at <= now:
                registration = _past_registration(
                    spec, seminar=seminar, audience_type=audience_type, answers=answers
                )
            else:
                registration = services.registration_create(
                    seminar=seminar,
                    email=spec.email,
                    name=spec.name,
                    audience_type=audience_type,
                    organisation=spec.organisation,
                    job_title=spec.job_title,
                    country=spec.country,
                    answers=answers,
                    marketing_opt_in=spec.marketing_opt_in,
                ).registration
        if spec.attended:
            # Writes only when the value differs, so a re-run changes nothing.
            services.attendance_mark(registrations=[registration], attended=spec.attended)
        seeded.append(registration)
    return seeded


def _past_registration(
    spec: DemoRegistration,
    *,
    seminar: Seminar,
    audience_type: AudienceType,
    answers: dict[str, object],
) -> Registration:
    registered_at = seminar.starts_at - timedelta(days=14)
    registration = Registration.objects.create(
        seminar=seminar,
        email=spec.email,
        name=spec.name,
        audience_type=audience_type,
        organisation=spec.organisation,
        job_title=spec.job_title,
        country=spec.country,
        answers=answers,
        marketing_opt_in=spec.marketing_opt_in,
        recording_followup_opt_in=(spec.seminar_slug, spec.email) not in FOLLOWUP_OPTED_OUT,
        status=Registration.Status.CONFIRMED,
        privacy_notice_version=settings.PRIVACY_NOTICE_VERSION,
        privacy_consented_at=registered_at,
        confirmation_sent_at=registered_at,
    )
    # created_at is set on insert; backdate it to when this person would have registered.
    Registration.objects.filter(pk=registration.pk).update(created_at=registered_at)
    registration.created_at = registered_at
    return registration


# --- Recordings ------------------------------------------------------------------------
# Content is data, not interface text, so it is not marked for translation (as in
# demo_content). Everyone on the recordings' registrant lists below is invented too.

_KYUSHU = "kyushu-by-rail"
_DIGITAL = "local-government-digital-transformation"

# Past seminars' registrants whose recordings the demo follows up: with demo_content's Kyushu
# attendees (three came, one did not), every attendance wording has someone to go to.
RECORDING_REGISTRATIONS: tuple[DemoRegistration, ...] = (
    DemoRegistration(
        seminar_slug=_KYUSHU,
        email="lena.fischer@reisewelt-fernost.example",
        name="Lena Fischer",
        audience_slug="tour-operator",
        organisation="Reisewelt Fernost",
        job_title="Product Manager, Japan",
        country="DE",
    ),
    DemoRegistration(
        seminar_slug=_DIGITAL,
        email="pieter.devries@utrecht-gemeente.example",
        name="Pieter de Vries",
        audience_slug="local-government-europe",
        organisation="Municipality of Utrecht, Digital Services",
        job_title="Service Design Lead",
        country="NL",
        attended="yes",
    ),
    DemoRegistration(
        seminar_slug=_DIGITAL,
        email="r.osei@localgovstudies.example",
        name="Dr Rachel Osei",
        audience_slug="academic",
        organisation="Institute for Local Governance Studies",
        job_title="Research Fellow",
        attended="no",
    ),
    DemoRegistration(
        seminar_slug=_DIGITAL,
        email="katarzyna.nowak@krakow-city.example",
        name="Katarzyna Nowak",
        audience_slug="local-government-europe",
        organisation="City of Kraków, Smart City Office",
        job_title="Digital Inclusion Officer",
        country="PL",
    ),
    DemoRegistration(
        seminar_slug=_DIGITAL,
        email="daniel.price@localdigital.example",
        name="Daniel Price",
        audience_slug="public-sector-partner",
        organisation="Local Digital Partnership",
        job_title="Programme Lead",
        attended="yes",
    ),
)
# (seminar, email) of registrants who unticked "tell me when the recording is available".
FOLLOWUP_OPTED_OUT = {(_DIGITAL, "daniel.price@localdigital.example")}


@dataclass(frozen=True)
class DemoRecording:
    seminar_slug: str
    title: str
    description: str
    # Made-up ids (no real video behind them): the player says the video is unavailable
    # until an organiser pastes a real YouTube or Vimeo address in the admin.
    youtube_id: str
    duration: timedelta
    access: str
    consent_note: str
    chapters: tuple[tuple[timedelta, str], ...]
    published: bool
    transcript: str = ""
    slides: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (page heading, lines)


def _at(minutes: int, seconds: int = 0) -> timedelta:
    return timedelta(minutes=minutes, seconds=seconds)


KYUSHU_TRANSCRIPT = """WEBVTT - Kyushu by rail: itineraries for UK travellers

00:00:04.000 --> 00:00:09.500
<v Hannah Whitfield>Good morning, everyone, and welcome to this Japan
Local Attraction Seminar from the Japan Local Government Centre in London.

00:00:09.500 --> 00:00:15.000
<v Hannah Whitfield>Today we travel around Kyushu by rail, and I'm
delighted to be joined by two former JET Programme participants.

00:00:15.500 --> 00:00:21.000
<v Hannah Whitfield>Seán O'Connell spent three years in Kumamoto, and Emily
Hargreaves joins us from Oita, where she is a Coordinator for International Relations.

00:00:21.500 --> 00:00:25.000
<v Hannah Whitfield>Please put your questions
in the Q&amp;A box as we go. Seán, over to you.

00:00:26.000 --> 00:00:32.000
<v Seán O'Connell>Thank you, Hannah. Kyushu is the third largest
of Japan's main islands, and it is compact enough to see in a week.

00:00:32.500 --> 00:00:38.000
<v Seán O'Connell>Almost everything on today's route is on the
JR Kyushu network, so one rail pass covers most of the journey.

00:04:15.000 --> 00:04:21.000
<v Seán O'Connell>We start in Fukuoka. Most UK travellers arrive on
the Shinkansen from Osaka or Hiroshima, or fly in via Tokyo or Seoul.

00:04:21.500 --> 00:04:27.500
<v Seán O'Connell>The airport is only two stops on the subway
from Hakata Station, which makes the first night very easy.

00:04:28.000 --> 00:04:34.000
<v Seán O'Connell>In the evening, take your clients to the
yatai, the open-air food stalls along the river in Nakasu.

00:04:34.500 --> 00:04:40.000
<v Seán O'Connell>Each stall seats about eight people.
Order the tonkotsu ramen and a few skewers of yakitori.

00:06:02.000 --> 00:06:08.000
<v Hannah Whitfield>I lived in Fukuoka for three
years, and I can confirm the ramen is worth the queue.

00:06:08.500 --> 00:06:14.500
<v Seán O'Connell>From Hakata, the Kyushu Shinkansen reaches Kumamoto
in about thirty-five minutes, and Kagoshima in under an hour and a half.

00:06:15.000 --> 00:06:20.000
<v Seán O'Connell>Seat reservations are included with
the pass, and I always recommend them at weekends.

00:15:30.000 --> 00:15:36.000
<v Seán O'Connell>Kumamoto Castle is one of Japan's great
castles, and it was badly damaged in the earthquakes of 2016.

00:15:36.500 --> 00:15:42.000
<v Seán O'Connell>The main keep reopened in 2021, and a raised
walkway lets visitors watch the restoration of the stone walls.

00:15:42.500 --> 00:15:48.000
<v Seán O'Connell>The walls will take many more years to
repair, and that is a story visitors find very moving.

00:16:10.000 --> 00:16:15.500
<v Seán O'Connell>Just below the castle, Sakuranobaba
Josaien has local food and souvenirs under one roof.

00:19:05.000 --> 00:19:11.000
<v Seán O'Connell>From Kumamoto, the Hohi Line climbs into the
Aso caldera, one of the largest volcanic calderas in the world.

00:19:11.500 --> 00:19:17.000
<v Seán O'Connell>Around fifty thousand people live inside the
caldera, growing rice and raising cattle on the grasslands.

00:19:17.500 --> 00:19:23.000
<v Seán O'Connell>When the volcano is quiet you can walk to the
rim of the Nakadake crater, but always check the alert level first.

00:19:23.500 --> 00:19:29.000
<v Seán O'Connell>Kusasenri, a wide meadow with horses
grazing, is where most photographs of Aso are taken.

00:28:45.000 --> 00:28:51.000
<v Seán O'Connell>Now for the part I love most: JR Kyushu's sightseeing trains.

00:28:51.500 --> 00:28:57.000
<v Seán O'Connell>Many were designed by Eiji
Mitooka, with wooden interiors, and no two are alike.

00:28:57.500 --> 00:29:03.000
<v Seán O'Connell>The Yufuin no Mori runs from Hakata to Yufuin
and Beppu, with big panoramic windows over the mountains.

00:29:03.500 --> 00:29:09.000
<v Seán O'Connell>The Ibusuki no Tamatebako, the treasure box train,
takes you from Kagoshima down the coast to the sand baths of Ibusuki.

00:31:20.000 --> 00:31:26.000
<v Seán O'Connell>These trains book out weeks ahead in
spring and autumn, so reserve seats as soon as booking opens.

00:31:26.500 --> 00:31:32.000
<v Hannah Whitfield>And for clients who want something
really special, there is the Seven Stars in Kyushu.

00:31:32.500 --> 00:31:38.000
<v Seán O'Connell>Yes, the luxury sleeper train. Places are allocated
by ballot, long in advance, so it suits a once-in-a-lifetime trip.

00:39:10.000 --> 00:39:16.000
<v Emily Hargreaves>Thank you, Seán. I'm going to finish the
journey in Oita, which calls itself Japan's onsen prefecture.

00:39:16.500 --> 00:39:22.000
<v Emily Hargreaves>Oita has more hot springs, and
more hot water, than any other prefecture in Japan.

00:39:22.500 --> 00:39:28.000
<v Emily Hargreaves>In Beppu, steam rises from the streets. There
are eight hot-spring areas, each with its own kind of water.

00:39:28.500 --> 00:39:34.000
<v Emily Hargreaves>The Hells of Beppu are hot springs for looking
at rather than bathing in: one is bright blue, another blood red.

00:41:02.000 --> 00:41:08.000
<v Emily Hargreaves>For bathing, I send visitors to the sand bath
by the sea, where you are buried up to your neck in warm sand.

00:41:08.500 --> 00:41:14.000
<v Emily Hargreaves>Yufuin, less than an hour inland, is
quieter, with small ryokan, galleries and a view of Mount Yufu.

00:41:14.500 --> 00:41:20.000
<v Emily Hargreaves>A tip for agents: many ryokan have private
baths you can book, which reassures clients with tattoos.

00:41:20.500 --> 00:41:26.000
<v Emily Hargreaves>There is a short guide to onsen etiquette
in the slides, which you can download with this recording.

00:49:20.000 --> 00:49:26.000
<v Hannah Whitfield>We have lots of questions.
The first one: is a week really enough for Kyushu?

00:49:26.500 --> 00:49:32.000
<v Seán O'Connell>For a first visit, yes. Fukuoka, Kumamoto,
Aso and Beppu fit comfortably into seven days by rail.

00:49:32.500 --> 00:49:38.000
<v Hannah Whitfield>Another question: when is the best time to go?

00:49:38.500 --> 00:49:44.000
<v Emily Hargreaves>Spring and autumn are lovely, but winter
too: the onsen are at their best when it's cold outside.

00:49:44.500 --> 00:49:50.000
<v Seán O'Connell>Just avoid the rainy season in June and
early July, and keep an eye on typhoons in late summer.

00:57:40.000 --> 00:57:46.000
<v Hannah Whitfield>That's all we have time for. Thank
you to Seán and Emily, and thank you all for joining us.

00:57:46.500 --> 00:57:50.000
<v Hannah Whitfield>The recording and the slides are on
the seminar's recording page. See you at the next seminar.
"""

RECORDINGS: tuple[DemoRecording, ...] = (
    DemoRecording(
        seminar_slug=_KYUSHU,
        title="Kyushu by rail: itineraries for UK travellers",
        description=(
            "The full seminar: a week around Kyushu by train, from Fukuoka's food stalls to "
            "Kumamoto Castle, the Aso caldera, JR Kyushu's sightseeing trains and Beppu's "
            "hot springs, with the audience's questions at the end.\n\n"
            "The slides, with a sample itinerary and a short guide to onsen etiquette, are "
            "below the video."
        ),
        youtube_id="kyushuRail1",
        duration=_at(58, 12),
        access=Recording.Access.PUBLIC,
        consent_note="Both speakers signed the JLGC recording consent form before the seminar.",
        chapters=(
            (_at(0), "Welcome and introductions"),
            (_at(4, 15), "Fukuoka: food stalls and the Kyushu Shinkansen"),
            (_at(15, 30), "Kumamoto Castle and the Aso caldera"),
            (_at(28, 45), "JR Kyushu's sightseeing trains"),
            (_at(39, 10), "Beppu, Yufuin and Oita's hot springs"),
            (_at(49, 20), "Questions from the audience"),
        ),
        published=True,
        transcript=KYUSHU_TRANSCRIPT,
        slides=(
            (
                "Kyushu by rail: itineraries for UK travellers",
                (
                    "Japan Local Attraction Seminars",
                    "Seán O'Connell, Meridian Destination Partners",
                    "Emily Hargreaves, Oita Prefectural Government",
                ),
            ),
            (
                "A week around Kyushu by rail",
                (
                    "Days 1\N{EN DASH}2: Fukuoka, Hakata and the yatai food stalls of Nakasu",
                    "Day 3: Kyushu Shinkansen to Kumamoto and its castle",
                    "Day 4: the Hohi Line into the Aso caldera, Kusasenri",
                    "Day 5: a sightseeing train to Yufuin",
                    "Days 6\N{EN DASH}7: Beppu, the Hells, a sand bath and a ryokan night",
                ),
            ),
            (
                "Onsen etiquette in five lines",
                (
                    "Wash and rinse at the taps before you get in.",
                    "Small towels stay out of the water.",
                    "Tie long hair up; no swimwear in the bath.",
                    "Tattoos: book a private bath (kashikiri).",
                    "Drink water, and take it slowly in very hot baths.",
                ),
            ),
        ),
    ),
    DemoRecording(
        seminar_slug=_DIGITAL,
        title="Digital transformation in local government: Japan and the UK compared",
        description=(
            "Gareth Pryce and Misaki Sato compare how a UK council and a Japanese city move "
            "their services online without leaving older residents behind."
        ),
        youtube_id="digitalTran",
        duration=_at(73, 20),
        access=Recording.Access.REGISTRANTS,
        consent_note="Consent by email from both speakers; kept in the seminar file.",
        chapters=(
            (_at(0), "Welcome"),
            (_at(6, 30), "Wyverndale's online services"),
            (_at(31), "Hirosaki: serving older residents in person and online"),
            (_at(55), "Discussion and questions"),
        ),
        published=False,
    ),
)


def seed_recordings(
    *, now: datetime, seminars: dict[str, Seminar], organiser: User
) -> dict[str, Recording]:
    """The recordings of two past seminars, keyed by seminar slug; none sends email.

    Chapters, transcript and slides are rewritten only when they differ from the demo's;
    the video and its length, the access level and the published state are set on
    creation only, so an organiser who uploads a video, restricts access or (un)publishes
    keeps their choice.
    """
    seeded = {}
    for spec in RECORDINGS:
        seminar = seminars[spec.seminar_slug]
        recording = _seed_recording(spec, seminar=seminar, organiser=organiser, now=now)
        _seed_chapters(recording, spec=spec)
        if spec.transcript:
            _seed_transcript(recording, spec=spec)
        if spec.slides:
            _seed_slides(recording, spec=spec)
        services.recording_search_index(recording=recording)
        seeded[spec.seminar_slug] = recording
    return seeded


def _seed_recording(
    spec: DemoRecording, *, seminar: Seminar, organiser: User, now: datetime
) -> Recording:
    values = {
        "title": spec.title,
        "slug": spec.seminar_slug,
        "description": spec.description,
        "speaker_consent_note": spec.consent_note,
    }
    if Recording.objects.filter(seminar=seminar).exists():
        # The video (with its length) and who may watch are the organiser's to change (a
        # real address, an uploaded file): a re-run keeps them, as it keeps publication.
        return upsert(Recording, lookup={"seminar": seminar}, values=values)
    recording = Recording(
        seminar=seminar,
        video_provider=Recording.VideoProvider.YOUTUBE,
        video_id=spec.youtube_id,
        duration=spec.duration,
        access=spec.access,
        **values,
    )
    services.recording_consent_record(recording=recording, consented=True, by=organiser)
    if spec.published:
        # Published a few days after the seminar, its follow-ups counted as sent: seeding
        # must not write to the registrants (recording_publish would).
        published_at = min(now, seminar.ends_at + timedelta(days=3))
        recording.published_at = recording.followups_queued_at = published_at
    recording.full_clean()
    recording.save()
    return recording


def _seed_chapters(recording: Recording, *, spec: DemoRecording) -> None:
    current = list(recording.chapters.order_by("starts_at", "pk").values_list("starts_at", "title"))
    if current == list(spec.chapters):
        return
    recording.chapters.all().delete()
    RecordingChapter.objects.bulk_create(
        RecordingChapter(recording=recording, starts_at=starts_at, title=title)
        for starts_at, title in spec.chapters
    )


def _seed_transcript(recording: Recording, *, spec: DemoRecording) -> None:
    cues = parse_vtt(spec.transcript)
    stored = recording.transcript_file
    if (
        stored
        and stored.storage.exists(stored.name)
        and recording.transcript_text == "\n".join(cue.text for cue in cues)
    ):
        return
    services.recording_transcript_attach(
        recording=recording,
        upload=ContentFile(spec.transcript.encode()),
        cues=cues,
        file_name=f"{spec.seminar_slug}.vtt",
    )


def _seed_slides(recording: Recording, *, spec: DemoRecording) -> None:
    title = "Slides (PDF)"
    data = slides_pdf(title=spec.title, pages=spec.slides)
    original_name = f"{spec.seminar_slug}-slides.pdf"
    material = recording.materials.filter(title=title).first()
    if (
        material is not None
        and material.file
        and material.file.storage.exists(material.file.name)
        and material.size == len(data)
    ):
        return
    if material is None:
        material = RecordingMaterial(recording=recording, title=title, position=1)
    old_name = material.file.name if material.file else ""
    material.file.save(original_name, ContentFile(data), save=False)
    material.original_name = original_name
    material.content_type = "application/pdf"
    material.size = len(data)
    material.save()
    if old_name != material.file.name:
        services.private_file_delete_after_commit(storage=material.file.storage, name=old_name)


def slides_pdf(*, title: str, pages: tuple[tuple[str, tuple[str, ...]], ...]) -> bytes:
    """A small, valid PDF: one landscape A4 page per (heading, lines), in Helvetica.

    Built by hand (no PDF library is needed for a few lines of text); the same input
    always gives the same bytes, so a re-run finds the stored slides unchanged.
    """

    def text(value: str) -> bytes:
        # WinAnsi covers the accented Latin of the demo names (é, á); escape PDF's specials.
        encoded = value.encode("cp1252", errors="replace")
        return encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    page_ids = [4 + 2 * index for index in range(len(pages))]
    info_id = 4 + 2 * len(pages)
    kids = " ".join(f"{page_id} 0 R" for page_id in page_ids)
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    for page_id, (heading, lines) in zip(page_ids, pages, strict=True):
        stream = b"BT /F1 26 Tf 60 510 Td (" + text(heading) + b") Tj /F1 16 Tf 0 -50 Td"
        for line in lines:
            stream += b" (" + text(line) + b") Tj 0 -28 Td"
        stream += b" ET"
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents " + f"{page_id + 1} 0 R >>".encode()
        )
        objects[page_id + 1] = (
            f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream"
        )
    objects[info_id] = b"<< /Title (" + text(title) + b") /Producer (Kizuna demo data) >>"
    output = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for object_id in sorted(objects):
        offsets[object_id] = len(output)
        output += f"{object_id} 0 obj\n".encode() + objects[object_id] + b"\nendobj\n"
    xref_at = len(output)
    output += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for object_id in sorted(objects):
        output += f"{offsets[object_id]:010d} 00000 n \n".encode()
    output += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info_id} 0 R >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return bytes(output)


def recordings_summary(recordings: Iterable[Recording], *, admin_url: str) -> list[str]:
    """One line per demo recording: what it holds, and how to see its follow-ups go out."""
    lines = []
    for recording in recordings:
        contents = ", ".join(
            _counted(count, noun)
            for count, noun in (
                (recording.chapters.count(), "chapter"),
                (recording.cues.count(), "transcript cue"),
                (recording.materials.count(), "material"),
            )
        )
        if recording.is_published:
            lines.append(
                f"Recording published ({recording.get_access_display()}): {recording.title} "
                f"[{contents}] {settings.SITE_URL}{recording.get_absolute_url()}"
            )
        else:
            lines.append(
                f"Recording ready to publish ({recording.get_access_display()}): "
                f"{recording.title} [{contents}]. Publish it at "
                f"{admin_url}webinars/recording/{recording.pk}/change/ and its follow-up "
                "emails land in var/outbox/."
            )
    return lines


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def seed_organiser() -> User:
    """A staff user in the Organisers group who can sign in to the admin and the site.

    The password is reset to the demo password whenever it differs, so the printed login
    always works.
    """
    group = Group.objects.filter(name=ORGANISERS_GROUP).first()
    if group is None:
        raise CommandError(
            f'The "{ORGANISERS_GROUP}" group is missing: run "manage.py migrate" first.'
        )
    organiser = User.objects.filter(email__iexact=ORGANISER_EMAIL).first()
    if organiser is None:
        organiser = User.objects.create_user(
            email=ORGANISER_EMAIL,
            password=ORGANISER_PASSWORD,
            full_name=ORGANISER_NAME,
            is_staff=True,
        )
    elif not (
        organiser.is_staff and organiser.is_active and organiser.check_password(ORGANISER_PASSWORD)
    ):
        organiser.is_staff = True
        organiser.is_active = True
        organiser.set_password(ORGANISER_PASSWORD)
        organiser.save()
    organiser.groups.add(group)
    # allauth signs in only with a verified address (mandatory verification).
    EmailAddress.objects.filter(user=organiser, primary=True).exclude(email=organiser.email).update(
        primary=False
    )
    upsert(
        EmailAddress,
        lookup={"user": organiser, "email": organiser.email},
        values={"verified": True, "primary": True},
    )
    return organiser


def seed_demo(*, now: datetime) -> DemoData:
    """All demo data in one transaction; cached public pages refresh once it commits."""
    with transaction.atomic():
        series = seed_series()
        topics = seed_topics()
        speakers = seed_speakers()
        seminars = seed_seminars(now=now, series=series, topics=topics, speakers=speakers)
        organiser = seed_organiser()
        questions = seed_questions(seminars=seminars)
        registrations = seed_registrations(now=now, seminars=seminars, questions=questions)
        recordings = seed_recordings(now=now, seminars=seminars, organiser=organiser)
        catalogue_changed()
    return DemoData(
        series=series,
        topics=topics,
        speakers=speakers,
        seminars=seminars,
        organiser=organiser,
        registrations=registrations,
        recordings=recordings,
    )


class Command(BaseCommand):
    help = (
        "Load idempotent demo data: both series, upcoming and past seminars, JET speakers, "
        "registrations and a demo organiser whose login is printed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even when DEBUG is off (never on a real production site).",
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DEBUG off (is this production?); "
                "use --force to load it anyway."
            )
        now = timezone.now()
        demo = seed_demo(now=now)
        seminars = demo.seminars.values()
        upcoming = sum(1 for seminar in seminars if seminar.ends_at > now)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(demo.series)} series, {len(seminars)} seminars "
                f"({upcoming} upcoming, {len(seminars) - upcoming} past), "
                f"{len(demo.speakers)} speakers, {len(demo.topics)} topics, "
                f"{len(demo.registrations)} registrations."
            )
        )
        admin_url = settings.SITE_URL + reverse("admin:index")
        self.stdout.write(
            f"Organiser login: {ORGANISER_EMAIL} / {ORGANISER_PASSWORD}  (admin: {admin_url})"
        )
        self.stdout.write("The demo organiser's password is reset to the one above on every run.")
        for line in recordings_summary(demo.recordings.values(), admin_url=admin_url):
            self.stdout.write(line)
