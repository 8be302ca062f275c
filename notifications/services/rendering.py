"""What every email shows the same way: the "when" block, the shared context, the render."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape

from webinars.models import Seminar
from webinars.timezones import ZonedSpan, seminar_spans, uk_clock_change_note, zoned_span

# One rendering serves everyone in a batch who reads the same wording in the same
# language and zone; this stands in for the name until each person's copy is made.
RECIPIENT_NAME_PLACEHOLDER = "kizuna-recipient-name-placeholder"


@dataclass(frozen=True)
class EmailTime:
    """One line of the "when" block: which clock, and the seminar's times on it."""

    label: str
    text: str


def zoned_times(
    starts_at: datetime, ends_at: datetime, zone: str, *, own_zone: str = ""
) -> list[EmailTime]:
    """The "when" block of every email: ``zone``, UK time, Japan time, then ``own_zone``."""
    spans = seminar_spans(starts_at, ends_at, zone)
    times = [EmailTime(label=span_label(span), text=span.text()) for span in spans]
    if own_zone and own_zone not in {span.zone for span in spans}:
        span = zoned_span(starts_at, ends_at, own_zone)
        times.append(EmailTime(label=translation.gettext("Your time"), text=span.text()))
    return times


def span_label(span: ZonedSpan) -> str:
    if span.is_uk:
        return translation.gettext("UK time")
    if span.is_japan:
        return translation.gettext("Japan time")
    return translation.gettext("%(city)s time") % {"city": span.city}


def seminar_email_context(
    *, seminar: Seminar, own_zone: str = "", clock_change_note: bool = True, **extra: Any
) -> dict[str, Any]:
    """The context every email about a seminar starts from; ``extra`` adds to it or overrides.

    The seminar, its "when" block (its zone, UK time, Japan time, then ``own_zone``), the
    UK clock-change note unless ``clock_change_note`` is False (emails about a seminar
    that will not take place, or took place), its page and whom to ask. Call inside
    ``translation.override`` of the reader's language.
    """
    context: dict[str, Any] = {
        "seminar": seminar,
        "times": zoned_times(
            seminar.starts_at, seminar.ends_at, seminar.timezone, own_zone=own_zone
        ),
        "seminar_url": seminar.public_url,
        "contact_email": settings.ORGANISER_CONTACT_EMAIL,
    }
    if clock_change_note:
        context["clock_change_note"] = uk_clock_change_note(seminar.starts_at)
    return context | extra


def render_email(template: str, context: dict) -> dict[str, str]:
    """``subject``, ``body_text`` and ``body_html`` from ``notifications/email/<template>.*``.

    Call inside ``translation.override`` of the reader's language.
    """
    path = f"notifications/email/{template}"
    return {
        "subject": render_to_string(f"{path}.subject.txt", context),
        "body_text": tidy_text(render_to_string(f"{path}.txt", context)),
        "body_html": render_to_string(f"{path}.html", context),
    }


def tidy_text(text: str) -> str:
    """Template whitespace out of a text body: no runs of blank lines, no trailing spaces."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"


def recipient_message(shared: dict[str, str], *, name: str) -> dict[str, str]:
    """One person's copy of a message rendered with :data:`RECIPIENT_NAME_PLACEHOLDER`:
    the name put in as the template would have (escaped in the HTML, as is in the text)."""
    return {
        "subject": shared["subject"].replace(RECIPIENT_NAME_PLACEHOLDER, name),
        "body_text": shared["body_text"].replace(RECIPIENT_NAME_PLACEHOLDER, name),
        "body_html": shared["body_html"].replace(RECIPIENT_NAME_PLACEHOLDER, escape(name)),
    }
