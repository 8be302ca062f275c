"""iCalendar data for seminars: the one place that builds ``.ics`` content.

Feeds and downloads use :func:`build_calendar` (``METHOD:PUBLISH``, no attendees);
email invites use :func:`build_invite` (``METHOD:REQUEST`` or ``METHOD:CANCEL`` with
``ORGANIZER`` and the recipient as ``ATTENDEE``). Both give every seminar the same
``UID`` (``seminar.calendar_uid``) and ``SEQUENCE`` (``seminar.sequence``), so a
calendar client sees one event however the person got it, and follows its changes.

The module is pure: no requests, no queries beyond the seminar's own relations (pass
seminars with ``select_related("series")`` and ``speaker_links__speaker`` prefetched
to keep feeds at a fixed number of queries). Human-readable text (``DESCRIPTION``,
``LOCATION``, the feed name) follows the active Django language: wrap calls in
``translation.override(...)`` to build an email in the recipient's language.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from email.utils import parseaddr
from typing import Literal

from django.conf import settings
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration

from webinars.models import Seminar, SeminarSpeaker
from webinars.timezones import japan_zone_name, uk_zone_name, zoned_span

PRODID = "-//JLGC//Kizuna//EN"
ICALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"

PublishMethod = Literal["PUBLISH"]
InviteMethod = Literal["REQUEST", "CANCEL"]
InvitePartstat = Literal["ACCEPTED", "NEEDS-ACTION"]

# iCalendar TEXT may not hold control characters other than the line breaks we escape.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WHITESPACE_RUN = re.compile(r"\s+")


def calendar_content_type(method: str) -> str:
    """The MIME type for a calendar part whose ``METHOD`` is ``method``.

    Mail clients reject an invite whose ``method=`` parameter differs from the
    ``METHOD`` inside, so build both from the same value.
    """
    return f"text/calendar; method={method}; charset=utf-8"


def build_calendar(
    *,
    seminars: Iterable[Seminar],
    method: PublishMethod = "PUBLISH",
    name: str | None = None,
    refresh_interval: timedelta | None = None,
    join_urls: Mapping[int, str] | None = None,
) -> bytes:
    """A ``METHOD:PUBLISH`` calendar of ``seminars`` for a feed or a download.

    ``name`` sets ``NAME``/``X-WR-CALNAME`` (give it for subscribable feeds, leave it
    out for a one-event download so importing does not create a new calendar).
    ``refresh_interval`` sets ``REFRESH-INTERVAL`` and ``X-PUBLISHED-TTL`` for feeds.
    ``join_urls`` maps a seminar's pk to the viewer's personal join link, for the
    private feed of someone's registrations; without it no join link appears. The
    meeting URL and passcode never appear. Cancelled seminars are kept with
    ``STATUS:CANCELLED`` so subscribers' calendars drop them.
    """
    if method != "PUBLISH":
        raise ValueError(f"Feeds and downloads are METHOD:PUBLISH, not {method!r}.")
    seminars = list(seminars)
    join_urls = join_urls or {}
    calendar = _new_calendar(method=method, name=name, refresh_interval=refresh_interval)
    for seminar in seminars:
        join_url = join_urls.get(seminar.pk)
        calendar.add_component(
            _seminar_event(
                seminar,
                location=join_url or _public_location(seminar),
                description=_description(seminar, join_url=join_url),
                status="CANCELLED" if seminar.is_cancelled else "CONFIRMED",
                sequence=seminar.sequence,
            )
        )
    _add_timezones(calendar, seminars)
    return calendar.to_ical()


def organizer_name(seminar: Seminar) -> str:
    """The ``ORGANIZER`` CN of every invite, emailed or downloaded: the From name, else the
    series' name, so both copies of an invite show the same organiser."""
    return _single_line(parseaddr(settings.DEFAULT_FROM_EMAIL)[0]) or seminar.series.name


def build_invite(
    *,
    seminar: Seminar,
    method: InviteMethod,
    organizer_email: str,
    organizer_name: str,
    attendee_email: str,
    attendee_name: str = "",
    join_url: str | None = None,
    partstat: InvitePartstat = "ACCEPTED",
    sequence: int | None = None,
) -> bytes:
    """A one-event invite for one recipient, to send by email.

    ``REQUEST`` adds or updates the event in the recipient's calendar; ``CANCEL``
    removes it (``STATUS:CANCELLED``). ``join_url`` is the recipient's personal join
    link (a registrant's join-only ``/j/<token>/`` or a speaker's own link): it goes
    into ``LOCATION`` and ``DESCRIPTION``; the seminar's meeting URL never does, and
    neither does a registration's manage link: calendars are shared with assistants
    and delegates, who may join but must not cancel or edit the place. ``partstat``
    is ``ACCEPTED`` because registering is the acceptance; ``RSVP`` is always FALSE:
    replies are not processed.

    ``sequence`` defaults to ``seminar.sequence``, which the seminar services bump on
    every change and on cancellation. Pass ``seminar.sequence + 1`` to cancel one
    person's registration while the seminar goes ahead: clients ignore a CANCEL whose
    SEQUENCE did not grow.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"Invites are METHOD:REQUEST or METHOD:CANCEL, not {method!r}.")
    if method == "REQUEST" and seminar.is_cancelled:
        raise ValueError("A cancelled seminar can only be sent as METHOD:CANCEL.")
    calendar = _new_calendar(method=method, name=None, refresh_interval=None)
    event = _seminar_event(
        seminar,
        location=join_url or _public_location(seminar),
        description=_description(seminar, join_url=join_url),
        status="CANCELLED" if method == "CANCEL" else "CONFIRMED",
        sequence=seminar.sequence if sequence is None else sequence,
    )
    event.organizer = vCalAddress.new(
        _email_address(organizer_email), cn=_parameter_text(organizer_name) or None
    )
    event.attendees = [_attendee(attendee_email, attendee_name, partstat)]
    calendar.add_component(event)
    _add_timezones(calendar, [seminar])
    return calendar.to_ical()


def invite_attendee_line(
    *, attendee_email: str, attendee_name: str = "", partstat: InvitePartstat = "ACCEPTED"
) -> bytes:
    """The folded ``ATTENDEE`` content line exactly as :func:`build_invite` writes it.

    Lets a fan-out build one invite and swap in each recipient's line
    (``notifications.invites.InviteBook``) instead of building the calendar again.
    """
    attendee = _attendee(attendee_email, attendee_name, partstat)
    return Event().content_line("ATTENDEE", attendee).to_ical() + b"\r\n"


def _attendee(attendee_email: str, attendee_name: str, partstat: str) -> vCalAddress:
    return vCalAddress.new(
        _email_address(attendee_email),
        cn=_parameter_text(attendee_name) or None,
        cutype="INDIVIDUAL",
        role="REQ-PARTICIPANT",
        partstat=partstat,
        rsvp=False,
    )


def _new_calendar(*, method: str, name: str | None, refresh_interval: timedelta | None) -> Calendar:
    calendar = Calendar.new(
        prodid=PRODID,
        method=method,
        name=_single_line(name) if name else None,
    )
    # Calendar.new() gives the VCALENDAR a random RFC 7986 UID; output should be stable.
    calendar.pop("UID", None)
    if refresh_interval is not None:
        # RFC 7986 requires VALUE=DURATION here, which icalendar's own setter leaves out.
        calendar.add(
            "REFRESH-INTERVAL", vDuration(refresh_interval), parameters={"VALUE": "DURATION"}
        )
        calendar.add("X-PUBLISHED-TTL", vDuration(refresh_interval))
    return calendar


def _seminar_event(
    seminar: Seminar,
    *,
    location: str,
    description: str,
    status: str,
    sequence: int,
) -> Event:
    zone = seminar.tzinfo
    # Event.new stamps DTSTAMP with the current time; it writes DTSTAMP, CREATED and
    # LAST-MODIFIED in UTC whatever the zone of the value (RFC 5545 requires UTC there).
    # DTSTART/DTEND keep the seminar's zone.
    return Event.new(
        uid=seminar.calendar_uid,
        sequence=sequence,
        start=seminar.starts_at.astimezone(zone),
        end=seminar.ends_at.astimezone(zone),
        summary=_single_line(seminar.title),
        description=description,
        location=_single_line(location),
        url=seminar.public_url,
        status=status,
        categories=[_single_line(seminar.series.name)],
        created=seminar.created_at,
        last_modified=seminar.updated_at,
    )


def _add_timezones(calendar: Calendar, seminars: list[Seminar]) -> None:
    """Add one VTIMEZONE per TZID used, covering only the years the events fall in."""
    if seminars:
        years = [
            moment.astimezone(seminar.tzinfo).year
            for seminar in seminars
            for moment in (seminar.starts_at, seminar.ends_at)
        ]
        calendar.add_missing_timezones(
            first_date=date(min(years), 1, 1), last_date=date(max(years) + 1, 1, 1)
        )
    else:
        # RFC 5545 wants at least one component: an empty feed carries the UK zone.
        year = dj_timezone.now().year
        calendar.add_component(
            Timezone.from_tzid(
                uk_zone_name(),
                first_date=date(year, 1, 1),
                last_date=date(year + 1, 1, 1),
            )
        )
    missing = calendar.get_missing_tzids()
    if missing:
        raise ValueError(f"No time zone data for {sorted(missing)}.")


def _public_location(seminar: Seminar) -> str:
    if seminar.venue.strip():
        return seminar.venue
    return _online_label(seminar)


def _online_label(seminar: Seminar) -> str:
    if seminar.platform == Seminar.Platform.OTHER:
        return _("Online")
    return _("Online (%(platform)s)") % {"platform": seminar.get_platform_display()}


def _description(seminar: Seminar, *, join_url: str | None = None) -> str:
    lines: list[str] = []
    if seminar.is_cancelled:
        lines.append(_("This seminar has been cancelled."))
        if seminar.cancellation_message.strip():
            lines.append(seminar.cancellation_message.strip())
        lines.append("")
    lines.extend([seminar.summary.strip(), ""])
    lines.append(_("UK time: %(when)s") % {"when": _time_range(seminar, uk_zone_name())})
    lines.append(_("Japan time: %(when)s") % {"when": _time_range(seminar, japan_zone_name())})
    if seminar.timezone not in (uk_zone_name(), japan_zone_name()):
        lines.append(
            _("Local time (%(zone)s): %(when)s")
            % {"zone": seminar.timezone, "when": _time_range(seminar, seminar.timezone)}
        )
    if seminar.venue.strip():
        lines.append(
            _("Where: %(venue)s and %(online)s")
            % {"venue": seminar.venue.strip(), "online": _online_label(seminar)}
        )
    else:
        lines.append(_("Where: %(online)s") % {"online": _online_label(seminar)})
    speaker_links = list(seminar.speaker_links.all())
    if speaker_links:
        lines.extend(["", _("Speakers:")])
        lines.extend(f"- {_speaker_line(link)}" for link in speaker_links)
    lines.append("")
    if join_url:
        lines.append(_("Join with your personal link: %(url)s") % {"url": join_url})
    lines.append(_("Seminar page: %(url)s") % {"url": seminar.public_url})
    return _multi_line("\n".join(lines))


def _speaker_line(link: SeminarSpeaker) -> str:
    speaker = link.speaker
    parts = [speaker.name.strip()]
    parts.extend(part.strip() for part in (speaker.title, speaker.organisation) if part.strip())
    line = ", ".join(parts)
    if link.role != SeminarSpeaker.Role.PRESENTER:
        line = f"{line} ({link.get_role_display()})"
    return line


def _time_range(seminar: Seminar, zone: str) -> str:
    """E.g. "Friday 23 October 2026, 18:00-19:00 JST", written as the pages write it."""
    return zoned_span(seminar.starts_at, seminar.ends_at, zone).text(with_city=False)


def _single_line(text: str) -> str:
    """Organiser text for a one-line property: line breaks and controls become spaces."""
    return _WHITESPACE_RUN.sub(" ", _CONTROL_CHARS.sub(" ", text)).strip()


def _multi_line(text: str) -> str:
    """Organiser text for DESCRIPTION: LF line breaks kept (the library escapes them)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARS.sub("", text).strip()


def _parameter_text(text: str) -> str:
    # A parameter value (CN) cannot hold a line break or a double quote at all.
    return _single_line(text).replace('"', "'")


def _email_address(address: str) -> str:
    address = address.strip()
    if not address or _WHITESPACE_RUN.search(address) or _CONTROL_CHARS.search(address):
        raise ValueError(f"Not an email address: {address!r}")
    return address
