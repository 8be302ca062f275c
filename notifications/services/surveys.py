"""Post-seminar surveys by email: once after the seminar, then the outcome question again.

A scan every few minutes (:func:`surveys_dispatch`) writes, for each seminar that ended
``SURVEY_DELAY_HOURS`` ago (within ``SURVEY_WINDOW_DAYS``) and whose series has survey
questions, one lean row per confirmed registrant: those who came and those who did not.
Three and six months after the seminar, those whose answer to the outcome question was
yes or maybe, and who agreed to be asked again, get the outcome question once more.

Every row has a dedupe key (``survey:<round>:<registration>``), so a scan run twice
writes each email once. Each email carries the registrant's personal survey link (the
token minted when it is sent) in their language, and, not being transactional, a
one-click ``List-Unsubscribe``; unsubscribed addresses are left out.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from notifications.mail import header_text
from notifications.models import OutgoingEmail
from notifications.services.links import LINK_TOKEN_PLACEHOLDER
from notifications.services.outbox import NotSent, RenderBatch, emails_write, lean_row
from notifications.services.rendering import (
    RECIPIENT_NAME_PLACEHOLDER,
    render_email,
    seminar_email_context,
)
from notifications.services.unsubscribes import (
    UNSUBSCRIBE_PLACEHOLDER,
    opted_out_exists,
    recipient_bodies_fill,
    unsubscribe_headers,
    unsubscribe_url,
)
from webinars.models import Registration, Seminar, SurveyQuestion, SurveyResponse
from webinars.models.surveys import FOLLOWUP_AFTER

Round = SurveyResponse.Round


def survey_dedupe_key(*, round: str, registration_id: int) -> str:
    return f"survey:{round}:{registration_id}"


@dataclass(frozen=True)
class SurveyDispatch:
    surveys: int
    followups: int


def surveys_dispatch(*, now: datetime | None = None) -> SurveyDispatch:
    """Write the surveys and follow-ups that have come due; safe to run twice."""
    now = now or timezone.now()
    window = timedelta(days=settings.SURVEY_WINDOW_DAYS)
    ended_before = now - timedelta(hours=settings.SURVEY_DELAY_HOURS)
    surveyed = Registration.objects.confirmed().filter(
        seminar__status=Seminar.Status.PUBLISHED,
        seminar__ends_at__lte=ended_before,
        seminar__ends_at__gt=ended_before - window,
        anonymised_at=None,
    )
    surveys = _write(Round.AFTER, _with_questions(surveyed), kind=OutgoingEmail.Kind.SURVEY)
    followups = 0
    for round, after in FOLLOWUP_AFTER.items():
        due = Registration.objects.filter(
            seminar__ends_at__lte=now - after,
            seminar__ends_at__gt=now - after - window,
            anonymised_at=None,
            survey_responses__round=Round.AFTER,
            survey_responses__outcome__in=["yes", "maybe"],
            survey_responses__followup_opt_in=True,
        )
        followups += _write(round, due, kind=OutgoingEmail.Kind.SURVEY_FOLLOWUP)
    return SurveyDispatch(surveys=surveys, followups=followups)


def _with_questions(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    return registrations.filter(
        Exists(SurveyQuestion.objects.filter(series_id=OuterRef("seminar__series_id")))
    )


def _write(round: str, registrations: QuerySet[Registration], *, kind: str) -> int:
    """One lean row per registration not yet written to (one query for the keys)."""
    answered = SurveyResponse.objects.filter(registration_id=OuterRef("pk"), round=round)
    recipients = list(
        registrations.exclude(opted_out_exists(OuterRef("email")))
        .exclude(Exists(answered))
        .order_by("pk")
        .distinct()
    )
    if not recipients:
        return 0
    keys = {
        registration.pk: survey_dedupe_key(round=round, registration_id=registration.pk)
        for registration in recipients
    }
    written = set(
        OutgoingEmail.objects.filter(dedupe_key__in=list(keys.values())).values_list(
            "dedupe_key", flat=True
        )
    )
    rows = [
        lean_row(
            kind=kind,
            to_email=registration.email,
            to_name=registration.name,
            language=registration.language,
            registration_id=registration.pk,
            seminar_id=registration.seminar_id,
            snapshot={"round": round},
            headers=unsubscribe_headers(url=unsubscribe_url(email=registration.email)),
            dedupe_key=keys[registration.pk],
        )
        for registration in recipients
        if keys[registration.pk] not in written
    ]
    return len(emails_write(rows)) if rows else 0


def survey_email_render(email: OutgoingEmail, batch: RenderBatch) -> dict[str, object]:
    """One registrant's survey (or follow-up) as it is sent; not sent once answered."""
    registration = email.registration
    if registration is None or registration.anonymised_at:
        raise NotSent("not sent: the registration no longer exists")
    round = email.snapshot.get("round", Round.AFTER)
    if SurveyResponse.objects.filter(registration=registration, round=round).exists():
        raise NotSent("not sent: already answered")
    group = ("survey", registration.seminar_id, round, email.language, registration.attended)
    rendering = batch.once(
        group, lambda: _render(registration=registration, round=round, language=email.language)
    )
    body_text, body_html = recipient_bodies_fill(
        body_text=rendering["body_text"],
        body_html=rendering["body_html"],
        values={
            UNSUBSCRIBE_PLACEHOLDER: unsubscribe_url(email=email.to_email),
            RECIPIENT_NAME_PLACEHOLDER: registration.name,
        },
    )
    return {"subject": rendering["subject"], "body_text": body_text, "body_html": body_html}


def _render(*, registration: Registration, round: str, language: str) -> dict[str, str]:
    seminar = registration.seminar
    with translation.override(language):
        survey_url = settings.SITE_URL + reverse(
            "webinars:registration_survey", args=[LINK_TOKEN_PLACEHOLDER, round]
        )
        context = seminar_email_context(
            seminar=seminar,
            clock_change_note=False,
            name=RECIPIENT_NAME_PLACEHOLDER,
            attended=registration.attended,
            round=round,
            survey_url=survey_url,
            months=3 if round == Round.THREE_MONTHS else 6,
            unsubscribe_url=UNSUBSCRIBE_PLACEHOLDER,
        )
        template = "survey" if round == Round.AFTER else "survey_followup"
        rendered = render_email(template, context)
    rendered["subject"] = header_text(rendered["subject"])[:300]
    return rendered
