"""Export and erase what Kizuna keeps about a person.

What is kept, and where:
- ``accounts.User`` (profile) and allauth's rows for it (email addresses, second
  factors), deleted with the account;
- ``webinars.Registration`` (name, email, organisation, job title, country, answers, time
  zone, consents) with its link tokens and join clicks; a registration is anonymised,
  not deleted, so seat counts and audience figures stay right;
- ``notifications.OutgoingEmail`` (address, name, bodies): deleted; and
  ``notifications.EmailOptOut`` (an address that unsubscribed): deleted with the rest,
  since nothing is left to send to;
- recording views of an account (``user:<id>``) name no one once the account is gone.

Erasing cancels the person's places at seminars still to come first, as a self-cancel
does (their calendar gets the CANCEL, the seat goes to the waiting list); that last
email is deleted as soon as it has gone (``OutgoingEmail.erase_when_done``).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from notifications.models import EmailOptOut, OutgoingEmail
from privacy.models import Erasure
from webinars.exports import answer_text
from webinars.models import Recording, RecordingView, Registration
from webinars.services import registration_cancel

# What an anonymised registration keeps in place of an address (valid, never deliverable:
# .invalid is reserved, RFC 2606); unique per row.
ERASED_EMAIL_DOMAIN = "erased.invalid"


# --- Export ----------------------------------------------------------------------------


def person_data_export(
    *, user: User | None = None, registration: Registration | None = None
) -> dict:
    """Everything kept about an account holder (``user``) or, for a guest, about one
    registration and the emails sent for it, as JSON-ready data."""
    if (user is None) == (registration is None):
        raise ValueError("Export either an account or one registration.")
    if user is not None:
        registrations = _registrations_of_user(user)
        emails = OutgoingEmail.objects.filter(
            Q(to_email__iexact=user.email) | Q(registration__in=registrations)
        )
        data: dict[str, Any] = {"profile": _profile(user)}
        views = RecordingView.objects.filter(viewer_key=f"user:{user.pk}")
    else:
        registrations = Registration.objects.filter(pk=registration.pk)
        emails = OutgoingEmail.objects.filter(registration=registration)
        data = {}
        views = RecordingView.objects.none()
    data["registrations"] = [_registration(r) for r in _with_details(registrations)]
    data["emails"] = [
        {
            "kind": email.kind,
            "subject": email.subject,
            "to": email.to_email,
            "status": email.status,
            "queued_at": _iso(email.created_at),
            "sent_at": _iso(email.sent_at),
        }
        for email in emails.order_by("created_at", "pk")
    ]
    titles = dict(Recording.objects.values_list("pk", "seminar__title"))
    data["recording_views"] = [
        {"recording": titles.get(view.recording_id, ""), "day": view.day.isoformat()}
        for view in views.order_by("day", "pk")
    ]
    address = user.email if user is not None else registration.email
    opt_out = EmailOptOut.objects.filter(email__iexact=address).first()
    data["unsubscribed"] = (
        {"at": _iso(opt_out.created_at), "how": opt_out.source} if opt_out else None
    )
    data["exported_at"] = _iso(timezone.now())
    return data


def _registrations_of_user(user: User) -> QuerySet[Registration]:
    # Guest registrations made with the account's address are the account holder's too
    # (email verification is mandatory), as on My seminars.
    return Registration.objects.filter(Q(user=user) | Q(email=user.email.lower()))


def _with_details(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    return (
        registrations.select_related("seminar", "audience_type")
        .prefetch_related("seminar__questions", "join_clicks", "consent_records")
        .order_by("created_at", "pk")
    )


def _profile(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "organisation": user.organisation,
        "job_title": user.job_title,
        "country": str(user.country or ""),
        "audience_type": user.audience_type.name if user.audience_type else "",
        "preferred_language": user.preferred_language,
        "time_zone": user.time_zone,
        "joined_at": _iso(user.date_joined),
        "last_signed_in_at": _iso(user.last_login),
        "email_addresses": list(user.emailaddress_set.values_list("email", flat=True)),
        "two_factor_methods": sorted(set(user.authenticator_set.values_list("type", flat=True))),
        "private_calendar_feed": bool(user.calendar_token_hash),
    }


def _registration(registration: Registration) -> dict[str, Any]:
    answers = registration.answers if isinstance(registration.answers, dict) else {}
    seminar = registration.seminar
    return {
        "seminar": {
            "title": seminar.title,
            "starts_at": _iso(seminar.starts_at),
            "page": seminar.public_url,
        },
        "status": registration.status,
        "registered_at": _iso(registration.created_at),
        "cancelled_at": _iso(registration.cancelled_at),
        "promoted_from_waiting_list_at": _iso(registration.promoted_at),
        "name": registration.name,
        "email": registration.email,
        "organisation": registration.organisation,
        "job_title": registration.job_title,
        "country": str(registration.country or ""),
        "audience_type": registration.audience_type.name,
        "language": registration.language,
        "time_zone": registration.time_zone,
        "answers": [
            {"question": question.label, "answer": answer_text(answers.get(str(question.pk)))}
            for question in seminar.questions.all()
            if str(question.pk) in answers
        ],
        "consents": {
            "privacy_notice_version": registration.privacy_notice_version,
            "privacy_notice_accepted_at": _iso(registration.privacy_consented_at),
            "news_of_future_seminars": registration.marketing_opt_in,
            "recording_follow_up": registration.recording_followup_opt_in,
        },
        "consent_history": [
            {
                "consent": record.consent,
                "given": record.given,
                "privacy_notice_version": record.notice_version,
                "how": record.source,
                "at": _iso(record.created_at),
            }
            for record in registration.consent_records.all()
        ],
        "attended": registration.attended,
        "join_clicks": [_iso(click.clicked_at) for click in registration.join_clicks.all()],
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


# --- Erasure ---------------------------------------------------------------------------


@dataclass
class ErasureResult:
    registrations: int = 0
    cancelled: int = 0
    emails: int = 0
    accounts: int = 0


def registration_erase(*, registration: Registration) -> Erasure:
    """Erase one guest registration (from its manage link): cancel the place if the
    seminar is still to come, then anonymise it and delete the emails sent for it."""
    result = ErasureResult()
    address = registration.email
    _erase_registrations([registration], result=result)
    with transaction.atomic():
        # Other registrations of the same address stay: this person proved one link.
        result.emails += _emails_delete(
            OutgoingEmail.objects.filter(registration=registration), keep_pending_cancel=True
        )
        if not Registration.objects.filter(email=address, anonymised_at=None).exists():
            EmailOptOut.objects.filter(email__iexact=address).delete()
        return _log(Erasure.Route.GUEST, result)


def account_delete(*, user: User) -> Erasure:
    """Delete an account and erase every registration and email of its holder."""
    return _person_erase(user=user, email=user.email, route=Erasure.Route.ACCOUNT)


def person_erase(*, email: str, requested_by: User) -> Erasure:
    """An organiser erases a person by email address, across every record (Article 17)."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    return _person_erase(
        user=user, email=email, route=Erasure.Route.ORGANISER, requested_by=requested_by
    )


def person_erasure_preview(*, email: str) -> ErasureResult:
    """What :func:`person_erase` would erase for ``email``: counts, for the confirmation."""
    email = email.strip().lower()
    registrations = Registration.objects.filter(email=email, anonymised_at=None)
    live = registrations.exclude(status=Registration.Status.CANCELLED).filter(
        seminar__ends_at__gt=timezone.now()
    )
    return ErasureResult(
        registrations=registrations.count(),
        cancelled=live.count(),
        emails=OutgoingEmail.objects.filter(to_email__iexact=email).count(),
        accounts=User.objects.filter(email__iexact=email).count(),
    )


def _person_erase(
    *, user: User | None, email: str, route: str, requested_by: User | None = None
) -> Erasure:
    result = ErasureResult()
    email = email.lower()
    registrations = Registration.objects.filter(email=email, anonymised_at=None)
    if user is not None:
        registrations = registrations | Registration.objects.filter(user=user, anonymised_at=None)
    _erase_registrations(list(registrations.select_related("seminar")), result=result)
    with transaction.atomic():
        result.emails += _emails_delete(
            OutgoingEmail.objects.filter(to_email__iexact=email), keep_pending_cancel=True
        )
        EmailOptOut.objects.filter(email__iexact=email).delete()
        if user is not None:
            RecordingView.objects.filter(viewer_key=f"user:{user.pk}").delete()
            user.delete()  # with its email addresses, second factors and sessions' owner
            result.accounts = 1
        return _log(route, result, requested_by=requested_by)


def _erase_registrations(registrations: list[Registration], *, result: ErasureResult) -> None:
    now = timezone.now()
    for registration in registrations:
        if not registration.is_cancelled and registration.seminar.ends_at > now:
            # As a self-cancel: the CANCEL invite clears their calendar, the seat moves on.
            registration_cancel(registration=registration)
            result.cancelled += 1
        with transaction.atomic():
            # Its link tokens (hashes, naming no one) stay, so old links show the plain
            # "no longer works" page rather than a 404 that looks like a broken link.
            Registration.objects.filter(pk=registration.pk).update(
                email=f"erased-{registration.pk}@{ERASED_EMAIL_DOMAIN}",
                name="",
                organisation="",
                job_title="",
                country="",
                answers={},
                time_zone="",
                user=None,
                marketing_opt_in=False,
                recording_followup_opt_in=False,
                anonymised_at=now,
                updated_at=now,
            )
        result.registrations += 1


def _emails_delete(emails: QuerySet[OutgoingEmail], *, keep_pending_cancel: bool) -> int:
    """Delete ``emails``, but let a queued cancellation go first: it is marked to be
    deleted once sent, and its registration link cleared so it names no registration."""
    pending_cancel = emails.filter(
        kind=OutgoingEmail.Kind.REGISTRATION_CANCELLED,
        status__in=[OutgoingEmail.Status.QUEUED, OutgoingEmail.Status.SENDING],
    )
    if keep_pending_cancel:
        pending_cancel.update(erase_when_done=True)
        emails = emails.exclude(pk__in=list(pending_cancel.values_list("pk", flat=True)))
    deleted, _by_model = emails.delete()
    return deleted


def _log(route: str, result: ErasureResult, *, requested_by: User | None = None) -> Erasure:
    return Erasure.objects.create(
        route=route,
        requested_by=requested_by,
        registrations=result.registrations,
        cancelled=result.cancelled,
        emails=result.emails,
        accounts=result.accounts,
    )


# --- Retention -------------------------------------------------------------------------


def retention_cutoffs(now: datetime) -> tuple[datetime, datetime]:
    """(seminars that ended before this have their guests anonymised, sent emails
    queued before this lose their bodies and addresses)."""
    # Months as 30.5 days: retention is a policy in months, not a calendar computation.
    seminars_before = now - timedelta(days=round(settings.RETENTION_MONTHS * 30.5))
    emails_before = now - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    return seminars_before, emails_before


def retention_apply(*, now: datetime | None = None) -> Erasure | None:
    """Anonymise guest registrations RETENTION_MONTHS after their seminar, and empty
    emails that went out (or failed) OUTBOX_RETENTION_DAYS ago, keeping the rows'
    kind, status and dates for counts. Idempotent; logged when anything changed."""
    now = now or timezone.now()
    seminars_before, emails_before = retention_cutoffs(now)
    result = ErasureResult()
    guests = Registration.objects.filter(
        user=None, anonymised_at=None, seminar__ends_at__lt=seminars_before
    ).select_related("seminar")
    _erase_registrations(list(guests), result=result)
    with transaction.atomic():
        result.emails = (
            OutgoingEmail.objects.filter(
                status__in=[OutgoingEmail.Status.SENT, OutgoingEmail.Status.FAILED],
                created_at__lt=emails_before,
            )
            .exclude(to_email="")
            .update(
                to_email="",
                to_name="",
                body_text="",
                body_html="",
                calendar_body="",
                headers={},
                last_error="",
                updated_at=now,
            )
        )
        if not (result.registrations or result.emails):
            return None
        return _log(Erasure.Route.RETENTION, result)
