from datetime import UTC, datetime, timedelta

import factory
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.utils import timezone as dj_timezone

from accounts.models import AudienceType, User
from notifications.models import (
    Announcement,
    EmailOptOut,
    OutgoingEmail,
    SeminarChangeNotice,
)
from webinars.models import (
    AudienceQuota,
    Follow,
    JoinClick,
    Recording,
    RecordingChapter,
    RecordingMaterial,
    RecordingView,
    Registration,
    RegistrationQuestion,
    Seminar,
    SeminarSpeaker,
    Series,
    Speaker,
    Topic,
    TranscriptCue,
)


class AudienceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AudienceType
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Audience {n}")
    slug = factory.Sequence(lambda n: f"audience-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


# A fixed authenticator-app secret for test staff: tests that sign in through the
# login form compute the current code from it (tests.utils.totp_code).
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrol_second_factor(user: User) -> Authenticator:
    """Set up an authenticator app for ``user``, as staff must have before the admin."""
    return TOTP.activate(user, STAFF_TOTP_SECRET).instance


class StaffFactory(UserFactory):
    """A staff user with no group (tests give permissions), with an authenticator app."""

    is_staff = True

    @factory.post_generation
    def second_factor(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            enrol_second_factor(obj)


class OrganiserFactory(UserFactory):
    """A JLGC organiser: staff, in the "Organisers" group (permissions from a migration),
    with an authenticator app set up (``second_factor=False`` for one without)."""

    email = "organiser@jlgc.example"
    is_staff = True

    @factory.post_generation
    def organiser_group(obj, create, extracted, **kwargs):
        if create:
            obj.groups.add(Group.objects.get(name="Organisers"))

    @factory.post_generation
    def second_factor(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            enrol_second_factor(obj)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series

    name = factory.Sequence(lambda n: f"Seminar series {n}")
    slug = factory.Sequence(lambda n: f"series-{n}")
    description = "A programme of online seminars."


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker

    name = factory.Faker("name")
    slug = factory.Sequence(lambda n: f"speaker-{n}")
    title = "Coordinator for International Relations"
    organisation = "Example Prefectural Government"
    bio = "Worked on **regional tourism** promotion."


class SeminarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seminar
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Seminar {n}")
    slug = factory.Sequence(lambda n: f"seminar-{n}")
    series = factory.SubFactory(SeriesFactory)
    summary = "An online seminar about Japan's regions."
    description = "## About\n\nA talk with questions afterwards."
    starts_at = factory.LazyFunction(
        lambda: (dj_timezone.now() + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))
    timezone = "Europe/London"
    status = Seminar.Status.PUBLISHED
    published_at = factory.LazyFunction(dj_timezone.now)
    meeting_url = "https://zoom.example/j/123456789"
    meeting_passcode = "kizuna"

    class Params:
        past = factory.Trait(
            starts_at=factory.LazyFunction(
                lambda: (dj_timezone.now() - timedelta(days=7)).replace(
                    minute=0, second=0, microsecond=0
                )
            )
        )
        draft = factory.Trait(status=Seminar.Status.DRAFT, published_at=None)


class SeminarSpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeminarSpeaker

    seminar = factory.SubFactory(SeminarFactory)
    speaker = factory.SubFactory(SpeakerFactory)
    position = factory.Sequence(int)


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    seminar = factory.SubFactory(SeminarFactory)
    email = factory.Sequence(lambda n: f"attendee{n}@example.org")
    name = factory.Faker("name")
    organisation = "Example Travel Ltd"
    # get_or_create: transactional tests flush the seeded audience types.
    audience_type = factory.LazyFunction(
        lambda: AudienceType.objects.get_or_create(
            slug="travel-agent", defaults={"name": "Travel agent"}
        )[0]
    )
    privacy_notice_version = "2026-11"
    privacy_consented_at = factory.LazyFunction(dj_timezone.now)
    status = Registration.Status.CONFIRMED
    # A registrant who asked for the recording (the form's box starts unticked).
    recording_followup_opt_in = True


class RegistrationQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistrationQuestion

    seminar = factory.SubFactory(SeminarFactory)
    label = factory.Sequence(lambda n: f"Question {n}?")
    kind = RegistrationQuestion.Kind.SHORT_TEXT
    position = factory.Sequence(int)


class RecordingFactory(factory.django.DjangoModelFactory):
    """A published YouTube recording of a past seminar, open to everyone, consent recorded."""

    class Meta:
        model = Recording
        skip_postgeneration_save = True

    seminar = factory.SubFactory(SeminarFactory, past=True)
    title = factory.LazyAttribute(lambda o: f"Recording: {o.seminar.title}")
    slug = factory.Sequence(lambda n: f"recording-{n}")
    description = "The full seminar with questions."
    video_provider = Recording.VideoProvider.YOUTUBE
    video_id = "dQw4w9WgXcQ"
    duration = timedelta(minutes=58)
    access = Recording.Access.PUBLIC
    speakers_consented = True
    speaker_consent_note = "Consent forms signed."
    speaker_consent_recorded_at = factory.LazyFunction(dj_timezone.now)
    published_at = factory.LazyFunction(dj_timezone.now)

    class Params:
        unpublished = factory.Trait(published_at=None)

    @factory.post_generation
    def audience_types(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.audience_types.set(extracted)


class RecordingChapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecordingChapter

    recording = factory.SubFactory(RecordingFactory)
    starts_at = factory.Sequence(lambda n: timedelta(minutes=5 * n))
    title = factory.Sequence(lambda n: f"Chapter {n}")


class RecordingMaterialFactory(factory.django.DjangoModelFactory):
    """Slides stored in the private storage (a tiny but real PDF)."""

    class Meta:
        model = RecordingMaterial

    recording = factory.SubFactory(RecordingFactory)
    title = "Slides"
    file = factory.django.FileField(
        filename="slides.pdf", data=b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    )
    original_name = "slides.pdf"
    content_type = "application/pdf"
    size = factory.LazyAttribute(lambda o: o.file.size if o.file else 0)
    position = factory.Sequence(int)


class AudienceQuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AudienceQuota

    seminar = factory.SubFactory(SeminarFactory)
    audience_type = factory.SubFactory(AudienceTypeFactory)
    seats = 10


class JoinClickFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JoinClick

    registration = factory.SubFactory(RegistrationFactory)
    redirected = True


class TranscriptCueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TranscriptCue

    recording = factory.SubFactory(RecordingFactory)
    position = factory.Sequence(int)
    starts_at = factory.LazyAttribute(lambda o: timedelta(seconds=5 * o.position))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(seconds=4))
    text = factory.Sequence(lambda n: f"Line {n} of the transcript.")


class RecordingViewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecordingView

    recording = factory.SubFactory(RecordingFactory)
    viewer_key = factory.Sequence(lambda n: f"viewer-{n}")
    day = factory.LazyFunction(lambda: dj_timezone.localdate())


class OutgoingEmailFactory(factory.django.DjangoModelFactory):
    """A queued registration confirmation, due now."""

    class Meta:
        model = OutgoingEmail

    kind = OutgoingEmail.Kind.REGISTRATION_CONFIRMED
    to_email = factory.Sequence(lambda n: f"recipient{n}@example.org")
    to_name = "Kenji Sato"
    language = "en"
    subject = "You are registered"
    body_text = "See you there.\n"
    status = OutgoingEmail.Status.QUEUED
    next_attempt_at = factory.LazyFunction(dj_timezone.now)


class EmailOptOutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailOptOut

    email = factory.Sequence(lambda n: f"unsubscribed{n}@example.org")
    source = "page"


class AnnouncementFactory(factory.django.DjangoModelFactory):
    """A draft announcement to a seminar's confirmed registrants."""

    class Meta:
        model = Announcement
        skip_postgeneration_save = True

    seminar = factory.SubFactory(SeminarFactory)
    subject = "A note before the seminar"
    body = "Please join five minutes early."
    statuses = factory.LazyFunction(lambda: [Registration.Status.CONFIRMED])

    @factory.post_generation
    def audience_types(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.audience_types.set(extracted)


class SeminarChangeNoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeminarChangeNotice

    seminar = factory.SubFactory(SeminarFactory)
    before = factory.LazyFunction(dict)
    due_at = factory.LazyFunction(dj_timezone.now)


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An aware datetime given as London wall-clock time, converted to UTC."""
    from zoneinfo import ZoneInfo

    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/London")).astimezone(
        UTC
    )


class FollowFactory(factory.django.DjangoModelFactory):
    """A confirmed follow of a place (Kyushu unless told), as a guest's confirmed link leaves it."""

    class Meta:
        model = Follow

    email = factory.Sequence(lambda n: f"follower{n}@example.org")
    kind = Follow.Kind.PLACE
    place = "kyushu"
    language = "en"
    source = Follow.Source.PAGE
    confirmed_at = factory.LazyFunction(dj_timezone.now)
