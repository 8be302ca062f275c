"""Seeding demo registrations: custom questions on one seminar's form, then the registrants.

Registrations for upcoming seminars go through ``registration_create``, like any visitor's,
so each writes its outbox email (delivered to ``var/outbox/`` by the worker); a registration
already there (whatever its status, say cancelled from the browser) is left alone, so a
second run registers and sends nothing. Registrations for a seminar that is over are history:
the service rightly refuses them, so they are written as rows, without email, and their
attendance is marked through ``attendance_mark``.
"""

from datetime import datetime, timedelta

from django.conf import settings

from accounts.models import AudienceType
from webinars import services
from webinars.demo.content import registrations as content
from webinars.demo.content.recordings import FOLLOWUP_OPTED_OUT, RECORDING_REGISTRATIONS
from webinars.demo.content.registrations import DemoRegistration
from webinars.demo.rows import in_both_languages, upsert
from webinars.models import Registration, RegistrationQuestion, Seminar


def seed_questions(*, seminars: dict[str, Seminar]) -> dict[tuple[str, str], RegistrationQuestion]:
    """Custom registration questions in both languages, keyed by (seminar slug, English label)."""
    seeded = {}
    for position, spec in enumerate(content.QUESTIONS, start=1):
        seeded[spec.seminar_slug, spec.label] = upsert(
            RegistrationQuestion,
            lookup={"seminar": seminars[spec.seminar_slug], "label_en": spec.label},
            values={
                "label_ja": spec.label_ja,
                **in_both_languages(spec, "help_text"),
                # One option a line, matched line by line between the languages.
                "choices_en": "\n".join(spec.choices),
                "choices_ja": "\n".join(spec.choices_ja),
                "kind": spec.kind,
                "required": spec.required,
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
    for spec in (*content.REGISTRATIONS, *RECORDING_REGISTRATIONS):
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
                    language=spec.language,
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
        language=spec.language,
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
