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
- recording views of an account (``user:<id>``) name no one once the account is gone;
- ``webinars.Certificate`` (the name printed on a certificate of attendance) and
  ``webinars.RecordingProgress`` (how much of a recording a registrant watched): deleted
  with the registration's anonymisation;
- ``webinars.SurveyResponse`` (answers to a post-seminar survey): deleted when the person
  is erased; retention keeps ratings and choices and drops free-text answers;
- ``webinars.Follow`` (what an address follows, in which language and zone) and
  ``notifications.AlertItem`` (a seminar waiting for its next alert): deleted. A follow
  never confirmed is deleted once its confirmation link has expired.

Erasing cancels the person's places at seminars still to come first, as a self-cancel
does (their calendar gets the CANCEL, the seat goes to the waiting list); that last
email is deleted as soon as it has gone (``OutgoingEmail.erase_when_done``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from notifications.models import AlertItem, EmailOptOut, OutgoingEmail
from privacy.models import Erasure
from webinars.errors import RegistrationBusy
from webinars.exports import answer_text
from webinars.models import (
    Certificate,
    Follow,
    Recording,
    RecordingProgress,
    RecordingView,
    Registration,
    RegistrationAct,
    SurveyQuestion,
    SurveyResponse,
)
from webinars.services import registration_cancel
from webinars.sources import SOURCE_FIELDS

ERASED_OBJECT_REPR = "(erased)"


class StaffAccountNotErased(Exception):
    """The address belongs to a staff account: an administrator removes its staff status
    first (Django's admin history of that person goes with the account)."""


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
        addresses = _addresses_of(user, user.email)
        registrations = Registration.objects.filter(Q(user=user) | Q(email__in=addresses))
        emails = _emails_of_person(addresses, registrations)
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
    # The seminar's title in the reader's language, else the other (a bare
    # "seminar__title" lookup would read the reader's language column only).
    watched = Recording.objects.filter(pk__in=views.values("recording_id")).select_related(
        "seminar"
    )
    titles = {recording.pk: recording.seminar.title for recording in watched}
    data["recording_views"] = [
        {"recording": titles.get(view.recording_id, ""), "day": view.day.isoformat()}
        for view in views.order_by("day", "pk")
    ]
    address = user.email if user is not None else registration.email
    follows = (
        Follow.objects.filter(email__in={a.lower() for a in addresses})
        if user is not None
        else Follow.objects.of_address(address)
    )
    data["follows"] = [
        {
            "follows": follow.kind,
            "what": follow.target_name,
            "language": follow.language,
            "time_zone": follow.time_zone,
            "how": follow.source,
            "since": _iso(follow.created_at),
            "confirmed_at": _iso(follow.confirmed_at),
        }
        for follow in follows.select_related("topic", "series").order_by("created_at", "pk")
    ]
    opt_out = EmailOptOut.objects.filter(email__iexact=address).first()
    data["unsubscribed"] = (
        {"at": _iso(opt_out.created_at), "how": opt_out.source} if opt_out else None
    )
    data["exported_at"] = _iso(timezone.now())
    return data


def _with_details(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    return (
        registrations.select_related("seminar", "audience_type")
        .prefetch_related(
            "seminar__questions",
            "join_clicks",
            "consent_records",
            "recording_progress",
            "survey_responses",
        )
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
        "moved_to_waiting_list_at": _iso(registration.waitlisted_at),
        "name": registration.name,
        "email": registration.email,
        "organisation": registration.organisation,
        "job_title": registration.job_title,
        "country": str(registration.country or ""),
        "audience_type": registration.audience_type.name,
        "language": registration.language,
        "time_zone": registration.time_zone,
        "came_from": {name: getattr(registration, name) for name in SOURCE_FIELDS},
        "answers": [
            {
                "question": question.label,
                "answer": answer_text(answers.get(str(question.pk)), question),
            }
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
        "recording_watched_percent": max(
            (progress.percent for progress in registration.recording_progress.all()), default=0
        ),
        "certificate": _certificate(registration),
        "survey": [
            {
                "round": response.round,
                "answers": response.answers,
                "may_be_asked_again": response.followup_opt_in,
                "submitted_at": _iso(response.submitted_at),
            }
            for response in registration.survey_responses.all()
        ],
    }


def _certificate(registration: Registration) -> dict[str, Any] | None:
    certificate = Certificate.objects.filter(registration=registration).first()
    if certificate is None:
        return None
    return {
        "code": certificate.code_display,
        "name": certificate.name,
        "issued_at": _iso(certificate.issued_at),
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
    # Other registrations of the same address stay: this person proved one link.
    _erase_registrations([registration], result=result, delete_emails=True)
    with transaction.atomic():
        if not Registration.objects.filter(email=address, anonymised_at=None).exists():
            EmailOptOut.objects.filter(email__iexact=address).delete()
            # Alerts go to the address: with its last registration gone, so do they.
            Follow.objects.of_address(address).delete()
            AlertItem.objects.filter(email=address.strip().lower()).delete()
        return _log(Erasure.Route.GUEST, result)


def account_delete(*, user: User) -> Erasure:
    """Delete an account and erase every registration and email of its holder."""
    return _person_erase(user=user, email=user.email, route=Erasure.Route.ACCOUNT)


def person_erase(*, email: str, requested_by: User) -> Erasure:
    """An organiser erases a person by email address, across every record (Article 17).

    Raises :class:`StaffAccountNotErased` for an organiser's or administrator's address.
    """
    email = email.strip().lower()
    return _person_erase(
        user=account_of_address(email),
        email=email,
        route=Erasure.Route.ORGANISER,
        requested_by=requested_by,
    )


def account_of_address(email: str) -> User | None:
    """The account that holds ``email``, as its login or as another address it verified."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        address = (
            EmailAddress.objects.filter(email__iexact=email, verified=True)
            .select_related("user")
            .first()
        )
        user = address.user if address is not None else None
    return user


def person_erasure_preview(*, email: str) -> ErasureResult:
    """What :func:`person_erase` would erase for ``email``: counts, for the confirmation."""
    email = email.strip().lower()
    user = account_of_address(email)
    addresses = _addresses_of(user, email)
    registrations = _registrations_of_person(user, addresses)
    live = registrations.exclude(status=Registration.Status.CANCELLED).filter(
        seminar__ends_at__gt=timezone.now()
    )
    return ErasureResult(
        registrations=registrations.count(),
        cancelled=live.count(),
        emails=_emails_of_person(addresses, registrations).count(),
        accounts=0 if user is None else 1,
    )


def _addresses_of(user: User | None, email: str) -> set[str]:
    """Every address of the person: the one given, their account's login, and each address
    the account proved (verified). Guest registrations made with any of them are theirs,
    as on My seminars. An unverified address proves nothing: anyone may type someone
    else's into their account, so it never widens an export or an erasure."""
    addresses = {email.lower()}
    if user is not None:
        addresses.add(user.email.lower())
        verified = EmailAddress.objects.filter(user=user, verified=True)
        addresses.update(address.lower() for address in verified.values_list("email", flat=True))
    return addresses


def _registrations_of_person(user: User | None, addresses: set[str]) -> QuerySet[Registration]:
    mine = Q(email__in=addresses)
    if user is not None:
        mine |= Q(user=user)
    return Registration.objects.filter(mine, anonymised_at=None)


def _emails_of_person(
    addresses: set[str], registrations: QuerySet[Registration] | list[int]
) -> QuerySet[OutgoingEmail]:
    # By address (any case) and by registration: a row queued to an address the person
    # has since changed still belongs to them.
    by_address = Q()
    for address in addresses:
        by_address |= Q(to_email__iexact=address)
    return OutgoingEmail.objects.filter(by_address | Q(registration__in=registrations))


def _person_erase(
    *, user: User | None, email: str, route: str, requested_by: User | None = None
) -> Erasure:
    if user is not None and (user.is_staff or user.is_superuser):
        raise StaffAccountNotErased(user.pk)
    result = ErasureResult()
    addresses = _addresses_of(user, email)
    registrations = _registrations_of_person(user, addresses).select_related("seminar")
    try:
        _erase_registrations(list(registrations.order_by("pk")), result=result, delete_emails=True)
    except RegistrationBusy:
        # Stopped between two registrations by a seat lock: what is done stays done (each
        # registration went with its emails), is logged, and erasing again finishes it.
        _log(route, result, requested_by=requested_by)
        raise
    with transaction.atomic():
        result.emails += _emails_delete(_emails_of_person(addresses, []), keep_pending_cancel=True)
        for address in addresses:
            EmailOptOut.objects.filter(email__iexact=address).delete()
            Follow.objects.of_address(address).delete()
            AlertItem.objects.filter(email=address.strip().lower()).delete()
        _admin_history_scrub(User, [user.pk] if user else [], addresses=addresses)
        if user is not None:
            RecordingView.objects.filter(viewer_key=f"user:{user.pk}").delete()
            user.delete()  # with its email addresses, second factors and sessions' owner
            result.accounts = 1
        return _log(route, result, requested_by=requested_by)


def _erase_registrations(
    registrations: list[Registration], *, result: ErasureResult, delete_emails: bool
) -> None:
    """Cancel (if still to come) and anonymise each registration, each in one transaction
    with its emails and its admin history: a registration rush that holds a seat lock
    (RegistrationBusy) stops the erasure between two registrations, never half-way through
    one, and nothing of a finished one is left for a retry to miss.

    ``delete_emails`` (a person's erasure) deletes the registration's emails too;
    retention leaves them to its own emptying, which keeps the rows for counts.
    """
    now = timezone.now()
    for registration in registrations:
        with transaction.atomic():
            if not registration.is_cancelled and registration.seminar.ends_at > now:
                # As a self-cancel: the CANCEL invite clears their calendar, the seat moves on.
                registration_cancel(registration=registration)
                result.cancelled += 1
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
            if delete_emails:
                result.emails += _emails_delete(
                    OutgoingEmail.objects.filter(registration=registration),
                    keep_pending_cancel=True,
                )
            _admin_history_scrub(Registration, [registration.pk])
            # An organiser's note may name the person ("Phoned by Aiko's assistant").
            RegistrationAct.objects.filter(registration=registration).update(note="")
            # A certificate names them: its code verifies nothing once they are erased.
            Certificate.objects.filter(registration=registration).delete()
            RecordingProgress.objects.filter(registration=registration).delete()
            _survey_answers_erase(registration, everything=delete_emails)
        result.registrations += 1


def _survey_answers_erase(registration: Registration, *, everything: bool) -> None:
    """A person's erasure deletes their survey answers. Retention keeps the ratings and
    choices, counted by audience type, and drops what they wrote in their own words."""
    responses = SurveyResponse.objects.filter(registration=registration)
    if everything:
        responses.delete()
        return
    # Kept: answers to questions that still exist and are not text (a question deleted
    # or changed since may have been answered in words).
    kept_ids = {
        str(pk)
        for pk in SurveyQuestion.objects.exclude(kind=SurveyQuestion.Kind.TEXT).values_list(
            "pk", flat=True
        )
    }
    for response in responses:
        kept = {key: value for key, value in response.answers.items() if key in kept_ids}
        if kept != response.answers:
            SurveyResponse.objects.filter(pk=response.pk).update(answers=kept)


def _admin_history_scrub(model: type, pks: list[int], *, addresses: Iterable[str] = ()) -> None:
    """The admin's history names an object as it was when edited ("Name <email> – …"),
    and an opt-out or an email by its address: keep the entries (who did what, when),
    not the name or the address. ``addresses``: also every entry that names one of them
    (entries of deleted rows, which no id matches any more)."""
    named = Q(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(pk) for pk in pks],
    )
    for address in addresses:
        named |= Q(object_repr__icontains=address) | Q(change_message__icontains=address)
    LogEntry.objects.filter(named).update(object_repr=ERASED_OBJECT_REPR, change_message="")


def _emails_delete(emails: QuerySet[OutgoingEmail], *, keep_pending_cancel: bool) -> int:
    """Delete ``emails``, but let a queued cancellation (or move to the waiting list,
    whose invite is a CANCEL too) go first: it is marked to be deleted once sent, and its
    registration link cleared so it names no registration."""
    pending_cancel = emails.filter(
        kind__in=[OutgoingEmail.Kind.REGISTRATION_CANCELLED, OutgoingEmail.Kind.MOVED_TO_WAITLIST],
        status__in=[OutgoingEmail.Status.QUEUED, OutgoingEmail.Status.SENDING],
    )
    if keep_pending_cancel:
        pending_cancel.update(erase_when_done=True)
        emails = emails.exclude(pk__in=list(pending_cancel.values_list("pk", flat=True)))
    _admin_history_scrub(OutgoingEmail, list(emails.values_list("pk", flat=True)))
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
    _erase_registrations(list(guests), result=result, delete_emails=False)
    with transaction.atomic():
        result.emails = (
            OutgoingEmail.objects.filter(
                # Withdrawn rows too: a cancelled email holds the same address and body.
                status__in=[
                    OutgoingEmail.Status.SENT,
                    OutgoingEmail.Status.FAILED,
                    OutgoingEmail.Status.CANCELLED,
                ],
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
        # A follow nobody confirmed while its link worked: an address someone typed.
        # Counted from the latest link sent: asking again sends a fresh one.
        Follow.objects.filter(confirmed_at=None).alias(
            last_asked=Coalesce("confirmation_sent_at", "created_at")
        ).filter(last_asked__lt=now - timedelta(days=settings.FOLLOW_CONFIRMATION_DAYS)).delete()
        if not (result.registrations or result.emails):
            return None
        return _log(Erasure.Route.RETENTION, result)
