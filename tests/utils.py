"""Helpers shared by test modules: reading calendars, admin forms, uploads, messages."""

import html
import json
import re
import smtplib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import altcha
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from icalendar import Calendar, Event

from accounts.models import AudienceType
from notifications.models import OutgoingEmail
from notifications.services import email_deliver, email_queue, email_render
from tests.factories import (
    AnnouncementFactory,
    RegistrationFactory,
    SeminarFactory,
    SeriesFactory,
    london,
)
from webinars.content_languages import language_columns, translated_fields
from webinars.models import (
    Recording,
    Registration,
    Seminar,
)


def unfolded_lines(data: bytes) -> list[str]:
    """The content lines of a calendar, folds undone (RFC 5545 3.1)."""
    return data.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def assert_every_tzid_has_vtimezone(data: bytes) -> None:
    """Read the raw text (not via icalendar): each TZID used has exactly one VTIMEZONE."""
    lines = unfolded_lines(data)
    used = set()
    for line in lines:
        name_and_params = line.split(":", 1)[0]
        used.update(re.findall(r";TZID=([^;:]+)", name_and_params))
    defined = [line.removeprefix("TZID:") for line in lines if line.startswith("TZID:")]
    assert len(defined) == len(set(defined)), f"duplicate VTIMEZONE: {defined}"
    assert used <= set(defined), f"TZIDs without VTIMEZONE: {used - set(defined)}"


def parse_ics(data: bytes, *, method: str) -> Calendar:
    """Parse like a client would and check what every Kizuna calendar must have."""
    assert data.endswith(b"\r\n")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, f"line not folded: {line!r}"
    calendar = Calendar.from_ical(data)
    assert calendar.name == "VCALENDAR"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//JLGC//Kizuna//EN"
    assert str(calendar["METHOD"]) == method
    assert "UID" not in calendar  # no random calendar-level UID: output stays stable
    assert calendar.get_missing_tzids() == set()
    assert_every_tzid_has_vtimezone(data)
    calendar.validate()
    return calendar


def only_event(calendar: Calendar) -> Event:
    assert len(calendar.events) == 1
    return calendar.events[0]


def event_by_uid(calendar: Calendar, uid: str) -> Event:
    matches = [event for event in calendar.events if str(event["UID"]) == uid]
    assert len(matches) == 1
    return matches[0]


def vtimezone_ids(calendar: Calendar) -> list[str]:
    return [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")]


MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


VTT = (
    b"WEBVTT\n\n"
    b"00:00.000 --> 00:04.000\n<v Aiko Tanaka>Welcome to Kumamoto &amp; Aso.\n\n"
    b"00:04.500 --> 00:09.000\nOnsen towns are busy in winter.\n"
)


def stored_files() -> list[str]:
    """Every file in the test's private storage (tests/conftest.py gives each test its own)."""
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def in_both_languages(obj, *fields: str) -> dict[str, str]:
    """A form's values for fields kept in both languages: ``title_en``, ``title_ja``…"""
    return {
        column: getattr(obj, column) or "" for field in fields for column in language_columns(field)
    }


def english_columns(model, values: dict[str, object]) -> dict[str, object]:
    """Form values with a bare translated field (``title=``) posted as its English column."""
    translated = translated_fields(model)
    return {(f"{key}_en" if key in translated else key): value for key, value in values.items()}


def management_data(prefix: str, *, total: int = 0, initial: int = 0) -> dict[str, object]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


INLINE_PREFIXES = ("chapters", "materials")


def material_delete_data(recording: Recording, material) -> dict[str, object]:
    """What the recording change form posts to delete its one material."""
    return {
        **management_data("materials", total=1, initial=1),
        "materials-0-id": material.pk,
        "materials-0-recording": recording.pk,
        "materials-0-position": material.position,
        "materials-0-title": material.title,
        "materials-0-DELETE": "on",
    }


def recording_file_url(route: str, recording: Recording) -> str:
    """The access-checked URL of a recording's ``video``, ``transcript`` or ``material``
    (the material in ``recording.material``)."""
    if route == "material":
        return reverse(
            "webinars:recording_material",
            kwargs={"slug": recording.slug, "pk": recording.material.pk},
        )
    return reverse(f"webinars:recording_{route}", kwargs={"slug": recording.slug})


def recording_form_data(seminar=None, recording: Recording | None = None, **overrides) -> dict:
    """What the recording add/change form posts, with empty inlines unless overridden."""
    data: dict[str, object] = {
        "title_en": "Onsen towns of Kyushu",
        "title_ja": "",
        "slug": "onsen-towns-of-kyushu",
        "description_en": "The whole seminar.",
        "description_ja": "",
        "embed_url": "",
        "duration": "58:00",
        "access": "public",
        "speakers_consented": "on",
        "speaker_consent_note": "Consent forms signed 12 May.",
    }
    if seminar is not None:
        data["seminar"] = seminar.pk
    if recording is not None:
        data.update(
            **in_both_languages(recording, "title", "description"),
            slug=recording.slug,
            access=recording.access,
            speaker_consent_note=recording.speaker_consent_note,
        )
        if not recording.speakers_consented:
            del data["speakers_consented"]
    for prefix in INLINE_PREFIXES:
        data.update(management_data(prefix))
    data.update(english_columns(Recording, overrides))
    return {key: value for key, value in data.items() if value is not None}


SEMINAR_CHANGELIST = reverse("admin:webinars_seminar_changelist")


# Far enough ahead to be upcoming whenever the tests run; a Tuesday in GMT.
SEMINAR_STARTS = london(2031, 3, 4, 10)


SEMINAR_ENDS = london(2031, 3, 4, 11, 30)


def seminar_change_url(seminar: Seminar) -> str:
    return reverse("admin:webinars_seminar_change", args=[seminar.pk])


def upcoming_seminar(**fields) -> Seminar:
    fields.setdefault("starts_at", SEMINAR_STARTS)
    fields.setdefault("ends_at", fields["starts_at"] + timedelta(hours=1, minutes=30))
    return SeminarFactory(**fields)


def london_parts(prefix: str, moment: datetime | None) -> dict[str, str]:
    """The admin's split date/time inputs, in London wall-clock time."""
    if moment is None:
        return {f"{prefix}_0": "", f"{prefix}_1": ""}
    local = moment.astimezone(ZoneInfo("Europe/London"))
    return {f"{prefix}_0": local.strftime("%Y-%m-%d"), f"{prefix}_1": local.strftime("%H:%M:%S")}


def seminar_form_data(seminar: Seminar | None = None, **overrides) -> dict[str, object]:
    """What the seminar add/change form posts: the seminar's own values unless overridden."""
    if seminar is None:
        seminar = Seminar(
            title="Onsen towns of Kyushu",
            slug="onsen-towns-of-kyushu",
            series=SeriesFactory(),
            summary="Hot springs, old inns and how to sell them to UK travellers.",
            starts_at=SEMINAR_STARTS,
            ends_at=SEMINAR_ENDS,
        )
    data = {
        **in_both_languages(seminar, "title", "summary", "description"),
        "slug": seminar.slug,
        "series": seminar.series_id,
        "cover_image_alt": seminar.cover_image_alt,
        "topics": [topic.pk for topic in seminar.topics.all()] if seminar.pk else [],
        "prefecture": seminar.prefecture,
        "partner_organisations": seminar.partner_organisations,
        "language": seminar.language,
        **london_parts("starts_at", seminar.starts_at),
        **london_parts("ends_at", seminar.ends_at),
        "timezone": seminar.timezone,
        "platform": seminar.platform,
        "meeting_url": seminar.meeting_url,
        "meeting_passcode": seminar.meeting_passcode,
        "venue": seminar.venue,
        "capacity": "" if seminar.capacity is None else seminar.capacity,
        **london_parts("registration_opens_at", seminar.registration_opens_at),
        **london_parts("registration_closes_at", seminar.registration_closes_at),
        "allowed_audience_types": (
            [audience.pk for audience in seminar.allowed_audience_types.all()] if seminar.pk else []
        ),
        "speaker_links-TOTAL_FORMS": "0",
        "speaker_links-INITIAL_FORMS": "0",
        "speaker_links-MIN_NUM_FORMS": "0",
        "speaker_links-MAX_NUM_FORMS": "1000",
        "audience_quotas-TOTAL_FORMS": "0",
        "audience_quotas-INITIAL_FORMS": "0",
        "audience_quotas-MIN_NUM_FORMS": "0",
        "audience_quotas-MAX_NUM_FORMS": "1000",
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    if seminar.waitlist_enabled:
        data["waitlist_enabled"] = "on"
    data.update(english_columns(Seminar, overrides))
    return data


def form_errors(response) -> dict[str, list[str]]:
    return {
        name: list(errors) for name, errors in response.context["adminform"].form.errors.items()
    }


# Friday 23 October 2026, 10:00 BST = 18:00 JST: two days before the UK clocks go back.
TOTTORI_STARTS = datetime(2026, 10, 23, 9, 0, tzinfo=UTC)
MEETING_URL = "https://zoom.example/j/987654321"


def tottori_seminar(**overrides: object) -> Seminar:
    """The notification tests' seminar: "Tourism in Tottori", an hour from 10:00 BST on
    Friday 23 October 2026, calendar sequence 3, with a meeting link and passcode."""
    defaults = {
        "title": "Tourism in Tottori",
        "starts_at": TOTTORI_STARTS,
        "ends_at": TOTTORI_STARTS + timedelta(hours=1),
        "sequence": 3,
        "meeting_url": MEETING_URL,
        "meeting_passcode": "s3cret-pass",
    }
    return SeminarFactory(**(defaults | overrides))


# The project's root folder and the test data files (CSV reports and the like).
BASE_DIR = Path(__file__).resolve().parent.parent
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"


# Zoom and Teams participant reports, and the attendance values they set.
ATTENDANCE_REPORTS = FIXTURES_DIR / "attendance"
ATTENDED = Registration.Attendance.YES
ABSENT = Registration.Attendance.NO
UNKNOWN = Registration.Attendance.UNKNOWN


def attendance_report(name: str) -> bytes:
    """A Zoom or Teams attendance report from tests/fixtures/attendance."""
    return (ATTENDANCE_REPORTS / name).read_bytes()


def attendance_of(registrations: dict[str, Registration]) -> dict[str, str]:
    """Each registration's attendance as stored now, by the same keys."""
    return {
        key: Registration.objects.get(pk=registration.pk).attended
        for key, registration in registrations.items()
    }


# --- Announcements: a draft, its seminar's audience -----------------------------------

ANNOUNCEMENT_SENT_AT = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)

ANNOUNCEMENT_BODY = (
    "Dear all,\nThe slides are at https://example.org/slides?a=1&b=2\n<b>See you</b> soon."
)


def agent_and_media_types() -> tuple[AudienceType, AudienceType]:
    """The seeded "Travel agent" and "Media" audience types."""
    return (
        AudienceType.objects.get(slug="travel-agent"),
        AudienceType.objects.get(slug="media"),
    )


def announcement_draft(seminar, *, statuses=("confirmed",), audience_types=(), **kwargs):
    """A draft announcement to ``seminar``'s registrants with these statuses and types."""
    announcement = AnnouncementFactory(
        seminar=seminar,
        subject=kwargs.pop("subject", "Slides for Thursday"),
        body=kwargs.pop("body", ANNOUNCEMENT_BODY),
        statuses=list(statuses),
        **kwargs,
    )
    announcement.audience_types.set(audience_types)
    return announcement


def announcement_audience(seminar):
    """Confirmed and waitlisted people of two audience types, and one cancelled."""
    agent, media = agent_and_media_types()
    people = {
        "agent-confirmed": ("confirmed", agent),
        "media-confirmed": ("confirmed", media),
        "agent-waiting": ("waitlisted", agent),
        "media-waiting": ("waitlisted", media),
        "agent-gone": ("cancelled", agent),
    }
    return {
        key: RegistrationFactory(
            seminar=seminar, email=f"{key}@example.org", status=status, audience_type=kind
        )
        for key, (status, kind) in people.items()
    }


# --- The outbox: a row to deliver, a server's reply ---------------------------------------

# The delivery tests' "now" (the ``clock`` fixture of tests/notifications/conftest.py).
OUTBOX_NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def queued_email(**overrides: object) -> OutgoingEmail:
    """A confirmation written to the outbox through the service, as a registration would."""
    fields = {
        "kind": OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
        "to_email": "ayumi@example.org",
        "to_name": "Ayumi",
        "language": "en",
        "subject": "You're registered",
        "body_text": "See you there.",
        "body_html": "<p>See you there.</p>",
    }
    return email_queue(**(fields | overrides))


def smtp_reply(code: int) -> smtplib.SMTPResponseException:
    """The error smtplib raises when the server answers ``code`` to a message."""
    return smtplib.SMTPDataError(code, b"reply text")


def sign_in_staff(client, user) -> None:
    """Sign ``user`` in on ``client`` as allauth's login leaves a staff session: with its
    clocks (accounts.middleware) started, so a test's first request does not write them."""
    from accounts.middleware import start_staff_session

    client.force_login(user)
    session = client.session
    start_staff_session(session, user.pk)
    session.save()


def mark_reauthenticated(client, user) -> None:
    """As if ``user`` had just given their password again (allauth's session record)."""
    import time

    session = client.session
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "reauthenticated": True}
    ]
    session.save()


def totp_code(secret: str) -> str:
    """An authenticator app's code for ``secret`` now (time-machine's now in a test)."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


HUMAN_CHECK_ATTRIBUTE = re.compile(r'data-human-check="([^"]*)"')


def human_check_challenge(page: str) -> str | None:
    """The challenge JSON a page asks the browser to solve, or None if it asks nothing."""
    found = HUMAN_CHECK_ATTRIBUTE.search(page)
    return html.unescape(found.group(1)) if found else None


def human_check_solution(challenge_json: str) -> str:
    """What static/js/human-check.js posts for this challenge: challenge and solution, base64."""
    challenge = altcha.Challenge.from_dict(json.loads(challenge_json))
    solution = altcha.solve_challenge(challenge, timeout=30)
    assert solution is not None, "the test settings' human check should solve at once"
    return altcha.Payload(challenge, solution).to_base64()


def emailed_manage_path(address: str) -> str:
    """Deliver the mail queued for ``address`` and return the manage link it carried.

    A guest learns their manage link only from their inbox (the registration page says
    "check your inbox" to everyone), so tests follow the same way in.
    """
    for email in OutgoingEmail.objects.filter(
        to_email=address, status=OutgoingEmail.Status.QUEUED
    ).order_by("pk"):
        email_deliver(email_id=email.pk)
    bodies = [
        message.body
        for message in mail.outbox
        if any(f"<{address}>" in to or to == address for to in message.to)
    ]
    assert bodies, f"no mail reached {address}"
    token = re.findall(r"/r/([A-Za-z0-9_-]{40,})/", bodies[-1])[0]
    return reverse("webinars:registration_manage", args=[token])


def assert_received_page(response) -> None:
    """The answer to every guest registration: "check your inbox", with no link in it."""
    page = response.content.decode()
    assert response.status_code == 200, page[:2000]
    assert response.context["state"] == "received"
    assert "We've received your registration" in page
    assert "/r/" not in page


# --- Lean outbox rows: the message the worker would render for them ----------------------


def rendered(email: OutgoingEmail) -> OutgoingEmail:
    """``email`` with its message as the worker would render it now (in memory, nothing
    stored); a row rendered when it was queued comes back as it is. A rendered message
    always has a subject and a text body, so a test reading them never reads a lean row's
    empty fields."""
    email = email_render(email=email)
    assert email.subject and email.body_text, f"{email} rendered without a message"
    return email


def rendered_emails(emails) -> list[OutgoingEmail]:
    """Each row of ``emails`` (a queryset or a list), in its order, :func:`rendered`."""
    return [rendered(email) for email in emails]


def confirmed_registrants(seminar: Seminar, count: int, *, taken_at: datetime) -> None:
    """``count`` confirmed places at ``seminar`` taken at ``taken_at``, in one INSERT:
    the scale tests' audiences, too many for factories one by one. Every third person
    reads Japanese; all asked for the recording's follow-up."""
    audience_type, _ = AudienceType.objects.get_or_create(
        slug="travel-agent", defaults={"name": "Travel agent"}
    )
    Registration.objects.bulk_create(
        Registration(
            seminar=seminar,
            email=f"person{n}@seminar{seminar.pk}.example.org",
            name=f"Person {n}",
            audience_type=audience_type,
            language="ja" if n % 3 == 0 else "en",
            privacy_notice_version="1",
            privacy_consented_at=taken_at,
            status=Registration.Status.CONFIRMED,
            recording_followup_opt_in=True,
        )
        for n in range(count)
    )
    # auto_now_add wrote "now".
    Registration.objects.filter(seminar=seminar).update(created_at=taken_at)
