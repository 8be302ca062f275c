"""Write operations on registrations: register, cancel, promote, attendance, tokens.

The seat decision runs with the seminar's row locked (``select_for_update``) in one
short transaction, so two visitors can never take the last seat together. On
PostgreSQL the lock wait is bounded by ``settings.REGISTRATION_LOCK_TIMEOUT``; on
SQLite the IMMEDIATE transaction mode serialises writers instead. Every email is
queued in the same transaction as the change that causes it.
"""

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import AudienceType, User, calendar_token_hash
from notifications import services as notices
from webinars import selectors
from webinars.cache import catalogue_changed
from webinars.errors import (
    AudienceNotAllowed,
    RegistrationBusy,
    RegistrationClosed,
    RegistrationFull,
    RegistrationNotConfirmed,
    RegistrationNotWaitlisted,
    WaitlistDisabled,
)
from webinars.locks import is_lock_timeout, lock_timeout_set
from webinars.models import (
    ConsentRecord,
    JoinClick,
    Registration,
    RegistrationToken,
    Seminar,
)
from webinars.services.follows import (
    follow_every_seminar_from_registration,
    follow_every_seminar_withdraw,
)
from webinars.services.seminars import seminar_sequence_raise
from webinars.sources import SOURCE_FIELD_LENGTHS, clean_source_value

EmailKind = notices.EmailKind

# Test-only switches, used by tests/integration/test_registration_concurrency.py to show
# that the race the row lock prevents is real. Never change them in application code.
_LOCK_SEMINAR_ROW = True
_AFTER_SEAT_COUNT_HOOK = None  # called between counting seats and inserting the row


@dataclass(frozen=True)
class RegistrationResult:
    """What ``registration_create`` did: ``created`` is False for a repeated registration.

    ``token`` is a raw link token for the registrant's browser (a new registration is
    redirected to its manage page), None for a repeat. ``resent`` says whether a repeat
    re-queued the confirmation (at most once per ``CONFIRMATION_RESEND_SECONDS``).
    """

    registration: Registration
    created: bool
    token: str | None
    resent: bool = False


def registration_token_issue(*, registration: Registration, scope: str) -> str:
    """Mint a new ``scope`` link token for a registration; only its SHA-256 is stored."""
    return RegistrationToken.objects.issue(registration=registration, scope=scope)


def registration_links_renew(*, registration: Registration) -> None:
    """Revoke every link of ``registration`` and email fresh ones, in one transaction.

    For a person who forwarded an email or shares a calendar: the manage and join links
    in every earlier email and invite stop working at once; the new ones (and, for a
    place, an updated invite) exist only in the email queued here.
    """
    with transaction.atomic():
        RegistrationToken.objects.filter(registration=registration).delete()
        notices.registration_links_email_queue(registration=registration, reason="renewed")


def _confirmation_kind(registration: Registration) -> str:
    """The email that confirms a live registration: its place, or its place on the waitlist."""
    if registration.is_confirmed:
        return EmailKind.REGISTRATION_CONFIRMED
    return EmailKind.REGISTRATION_WAITLISTED


def _locked_seminar(seminar: Seminar) -> Seminar:
    """The seminar row, locked until the transaction ends (bounded wait on PostgreSQL)."""
    lock_timeout_set(settings.REGISTRATION_LOCK_TIMEOUT)
    seminars = Seminar.objects.all()
    if _LOCK_SEMINAR_ROW:
        seminars = seminars.select_for_update()
    return seminars.get(pk=seminar.pk)


def _confirmed_counts(seminar: Seminar) -> tuple[int, dict[int, int]]:
    """Confirmed registrations: the total and per audience type id, in one query."""
    rows = (
        Registration.objects.confirmed()
        .filter(seminar=seminar)
        .values("audience_type_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    per_type = {row["audience_type_id"]: row["count"] for row in rows}
    return sum(per_type.values()), per_type


def _seat_for(*, seminar: Seminar, state: selectors.SeatState) -> bool:
    """True when one more person of this audience type may be confirmed."""
    if seminar.capacity is not None and state.confirmed >= seminar.capacity:
        return False
    return state.quota is None or state.confirmed_of_type < state.quota


def _resend_if_due(registration: Registration) -> bool:
    """Email a live registration's links to its address again, at most once per period.

    Whoever typed the address in learns nothing (the form's answer is the one a new
    registration gets); only the address's owner, reading this email, learns that it
    already had a place.
    """
    now = timezone.now()
    sent_at = registration.confirmation_sent_at
    if sent_at is not None and now - sent_at < timedelta(
        seconds=settings.CONFIRMATION_RESEND_SECONDS
    ):
        return False
    notices.registration_links_email_queue(registration=registration, reason="repeat")
    registration.confirmation_sent_at = now
    registration.save(update_fields=["confirmation_sent_at", "updated_at"])
    return True


def _existing(*, seminar: Seminar, email: str) -> RegistrationResult | None:
    registration = (
        Registration.objects.live()
        .select_for_update()
        .filter(seminar=seminar, email=email)
        .select_related("seminar", "audience_type")
        .first()
    )
    if registration is None:
        return None
    return RegistrationResult(
        registration=registration,
        created=False,
        token=None,
        resent=_resend_if_due(registration),
    )


def registration_create(
    *,
    seminar: Seminar,
    email: str,
    name: str,
    audience_type: AudienceType,
    organisation: str = "",
    job_title: str = "",
    country: str = "",
    answers: dict[str, object] | None = None,
    marketing_opt_in: bool = False,
    recording_followup_opt_in: bool = False,
    language: str = "en",
    time_zone: str = "",
    user: User | None = None,
    consent_source: str = ConsentRecord.Source.REGISTRATION_FORM,
    source: Mapping[str, str] | None = None,
    manage_token: bool = True,
) -> RegistrationResult:
    """Register someone: confirmed while a seat (and their type's quota) remains, else waitlisted.

    ``source`` is where they came from (``webinars.sources``: UTM fields, referring site).
    ``manage_token``: mint the manage link token of a new registration for the caller to
    hand to the registrant's browser (``result.token``); False when no browser gets it
    (a guest's links go only to the inbox), so no unused secret is stored.

    The same email registering again gets its live registration back (``created=False``),
    with the confirmation re-sent at most once per ``CONFIRMATION_RESEND_SECONDS``.
    Raises ``RegistrationClosed``, ``AudienceNotAllowed``, ``RegistrationFull`` (no seat and
    no waiting list: for an address that has a place too, unless ``user`` is its signed-in
    owner, so the answer never tells whether an address is registered) or
    ``RegistrationBusy`` (the seat lock could not be had in time).
    The caller has validated the fields (the registration form does).
    """
    email = email.strip().lower()
    try:
        result = _register(
            seminar=seminar,
            email=email,
            consent_source=consent_source,
            manage_token=manage_token,
            fields={
                "name": name,
                "audience_type": audience_type,
                "organisation": organisation,
                "job_title": job_title,
                "country": country,
                "answers": answers or {},
                "marketing_opt_in": marketing_opt_in,
                "recording_followup_opt_in": recording_followup_opt_in,
                "language": language,
                "time_zone": time_zone,
                "user": user,
                **{
                    name: clean_source_value((source or {}).get(name), max_length)
                    for name, max_length in SOURCE_FIELD_LENGTHS.items()
                },
            },
        )
    except IntegrityError:
        # Someone registered the same email between our check and our insert (only possible
        # when the row lock is bypassed); the unique constraint refused the second row.
        result = _duplicate_after_race(seminar=seminar, email=email)
        if result is None:
            raise
        return result
    if result.created and marketing_opt_in:
        # After the seat lock is released: the follow is the address's, not the seat's.
        follow_every_seminar_from_registration(registration=result.registration)
    return result


def _duplicate_after_race(*, seminar: Seminar, email: str) -> RegistrationResult | None:
    try:
        with transaction.atomic():
            return _existing(seminar=seminar, email=email)
    except OperationalError as error:
        if is_lock_timeout(error):
            raise RegistrationBusy from error
        raise


def _register(
    *,
    seminar: Seminar,
    email: str,
    consent_source: str,
    manage_token: bool,
    fields: dict[str, object],
) -> RegistrationResult:
    try:
        with transaction.atomic():
            seminar = _locked_seminar(seminar)
            reason = selectors.registration_closed_reason(seminar)
            if reason is not None:
                raise RegistrationClosed(reason)
            audience_type = fields["audience_type"]
            # Everything the decision reads, in one query: the lock is held until commit.
            state = selectors.seat_state(seminar=seminar, audience_type=audience_type, email=email)
            if not state.audience_type_allowed:
                raise AudienceNotAllowed(str(audience_type))
            if _seat_for(seminar=seminar, state=state):
                status = Registration.Status.CONFIRMED
            elif seminar.waitlist_enabled:
                status = Registration.Status.WAITLISTED
            else:
                status = None
            existing = _existing(seminar=seminar, email=email) if state.live_place else None
            user = fields["user"]
            proven = user is not None and user.email.lower() == email
            if existing is not None and (status is not None or proven):
                return existing
            if status is None:
                # No seat and no waiting list. An address that already has a place gets
                # the same answer unless its owner signed in: "received" would tell anyone
                # who typed it that it is registered. Its owner has their links by email.
                raise RegistrationFull
            if _AFTER_SEAT_COUNT_HOOK is not None:
                _AFTER_SEAT_COUNT_HOOK()

            if state.cancelled_place:
                # This address was sent a personal CANCEL; the new invite must outrank it.
                seminar_sequence_raise(seminar=seminar)
            now = timezone.now()
            registration = Registration.objects.create(
                seminar=seminar,
                email=email,
                status=status,
                privacy_notice_version=settings.PRIVACY_NOTICE_VERSION,
                privacy_consented_at=now,
                confirmation_sent_at=now,
                **fields,
            )
            consents_record(
                registration=registration,
                consents={
                    ConsentRecord.Consent.PRIVACY_NOTICE: True,
                    ConsentRecord.Consent.NEWS: registration.marketing_opt_in,
                    ConsentRecord.Consent.RECORDING_FOLLOWUP: (
                        registration.recording_followup_opt_in
                    ),
                },
                source=consent_source,
                at=now,
            )
            notices.registration_email_queue(
                registration=registration, kind=_confirmation_kind(registration)
            )
            # For the registrant's browser (the redirect to the manage page) only.
            token = (
                registration_token_issue(
                    registration=registration, scope=RegistrationToken.Scope.MANAGE
                )
                if manage_token
                else None
            )
            if registration.is_confirmed and _fills_last_seat(seminar, state.confirmed):
                # Pages show "seats left" up to PAGE_CACHE_SECONDS late, but never "open"
                # once full: refreshing them on every registration would empty the page
                # cache during exactly the rush it is there for.
                catalogue_changed()
            return RegistrationResult(registration=registration, created=True, token=token)
    except OperationalError as error:
        if is_lock_timeout(error):
            raise RegistrationBusy from error
        raise


def _fills_last_seat(seminar: Seminar, confirmed_before: int) -> bool:
    return seminar.capacity is not None and confirmed_before + 1 >= seminar.capacity


def _promote_next(seminar: Seminar, *, passing_over: Iterable[int] = ()) -> Registration | None:
    """Confirm the first waitlisted registration whose audience type has a seat; queue its email.

    The queue runs in the order people joined it: when they registered, or when an
    organiser moved their place to it. ``passing_over``: registration ids not to promote
    (places just moved to the waiting list must not take their seats back).
    """
    if not seminar.is_published or seminar.is_past:
        return None
    total, per_type = _confirmed_counts(seminar)
    if seminar.capacity is not None and total >= seminar.capacity:
        return None
    quotas = selectors.seminar_quotas(seminar)
    full_types = [type_id for type_id, seats in quotas.items() if per_type.get(type_id, 0) >= seats]
    candidate = (
        Registration.objects.waitlisted()
        .select_for_update()
        .filter(seminar=seminar)
        .exclude(audience_type_id__in=full_types)
        .exclude(pk__in=list(passing_over))
        .order_by(Coalesce("waitlisted_at", "created_at"), "pk")
        .first()
    )
    if candidate is None:
        return None
    candidate.seminar = seminar
    _confirm(candidate)
    return candidate


def _confirm(registration: Registration) -> None:
    """Give a waiting place its seat and queue the promotion email (the seminar locked)."""
    if registration.waitlisted_at is not None:
        # An organiser moved this place to the list and its holder was sent a CANCEL:
        # the new invite must outrank it.
        seminar_sequence_raise(seminar=registration.seminar)
    now = timezone.now()
    registration.status = Registration.Status.CONFIRMED
    registration.promoted_at = now
    registration.confirmation_sent_at = now
    registration.save(update_fields=["status", "promoted_at", "confirmation_sent_at", "updated_at"])
    notices.registration_email_queue(registration=registration, kind=EmailKind.WAITLIST_PROMOTED)


def registration_cancel(*, registration: Registration) -> Registration | None:
    """Cancel a registration and give its seat to the first fitting waitlisted person.

    Idempotent: cancelling a cancelled registration changes and sends nothing. Queues the
    cancellation email (its invite is a METHOD:CANCEL) and, for whoever is promoted, the
    promotion email. Returns the promoted registration, or None. The caller's instance is
    updated in place.
    """
    try:
        with transaction.atomic():
            seminar = _locked_seminar(registration.seminar)
            current = Registration.objects.select_for_update().get(pk=registration.pk)
            if current.is_cancelled:
                _copy_state(current, registration)
                return None
            had_invite = current.is_confirmed
            current.status = Registration.Status.CANCELLED
            current.cancelled_at = timezone.now()
            current.save(update_fields=["status", "cancelled_at", "updated_at"])
            if had_invite and not seminar.is_cancelled:
                # A personal CANCEL needs a higher SEQUENCE than the invite it withdraws.
                seminar_sequence_raise(seminar=seminar)
            current.seminar = seminar
            notices.registration_email_queue(
                registration=current, kind=EmailKind.REGISTRATION_CANCELLED, invite=had_invite
            )
            promoted = _promote_next(seminar)
            if had_invite and promoted is None:
                catalogue_changed()  # a seat came free: a full seminar may be open again
    except OperationalError as error:
        if is_lock_timeout(error):
            raise RegistrationBusy from error
        raise
    _copy_state(current, registration)
    return promoted


def _refuse_unless_going_ahead(seminar: Seminar) -> None:
    """No invite may come or go for a draft, cancelled or finished seminar: an organiser's
    promotion or move raises ``RegistrationClosed`` with the reason."""
    if not seminar.is_published or seminar.is_past:
        raise RegistrationClosed(
            selectors.registration_closed_reason(seminar) or selectors.ClosedReason.ENDED
        )


def registration_move_to_waitlist(
    *, registration: Registration, passing_over: Iterable[int] = ()
) -> Registration | None:
    """Move a confirmed place to the end of the waiting list and give its seat to the
    first fitting person on the list (organisers, e.g. for someone who asked to step back).

    The holder gets the "moved to the waiting list" email, whose invite is a
    ``METHOD:CANCEL`` (their calendar entry goes, as on a self-cancel), and their join
    link stops working; they keep their manage link. Returns whoever was promoted, or
    None. ``passing_over``: other places moved in the same batch, which must not take a
    seat back either. Raises ``RegistrationNotConfirmed`` for a waitlisted or cancelled place,
    ``WaitlistDisabled`` when the seminar has no waiting list, and ``RegistrationClosed``
    for a draft, cancelled or finished seminar.
    """
    try:
        with transaction.atomic():
            seminar = _locked_seminar(registration.seminar)
            current = Registration.objects.select_for_update().get(pk=registration.pk)
            if not current.is_confirmed:
                raise RegistrationNotConfirmed(current.get_status_display())
            _refuse_unless_going_ahead(seminar)
            if not seminar.waitlist_enabled:
                raise WaitlistDisabled(str(seminar))
            current.status = Registration.Status.WAITLISTED
            current.waitlisted_at = timezone.now()
            current.save(update_fields=["status", "waitlisted_at", "updated_at"])
            # A personal CANCEL needs a higher SEQUENCE than the invite it withdraws.
            seminar_sequence_raise(seminar=seminar)
            current.seminar = seminar
            notices.registration_email_queue(registration=current, kind=EmailKind.MOVED_TO_WAITLIST)
            promoted = _promote_next(seminar, passing_over={current.pk, *passing_over})
            if promoted is None:
                catalogue_changed()  # a seat came free: a full seminar may be open again
    except OperationalError as error:
        if is_lock_timeout(error):
            raise RegistrationBusy from error
        raise
    _copy_state(current, registration)
    return promoted


def _copy_state(source: Registration, target: Registration) -> None:
    for name in (
        "status",
        "cancelled_at",
        "promoted_at",
        "waitlisted_at",
        "confirmation_sent_at",
        "updated_at",
    ):
        setattr(target, name, getattr(source, name))


def registration_promote(*, registration: Registration) -> Registration:
    """Confirm a waitlisted registration by hand (organisers) and queue the promotion email.

    Only the overall capacity is checked: choosing whom to promote past an audience type's
    quota is the organiser's call. Raises ``RegistrationFull`` when no seat is left (raise
    the capacity first) and ``RegistrationNotWaitlisted`` for a confirmed or cancelled one.
    """
    try:
        with transaction.atomic():
            seminar = _locked_seminar(registration.seminar)
            current = Registration.objects.select_for_update().get(pk=registration.pk)
            if not current.is_waitlisted:
                raise RegistrationNotWaitlisted(current.get_status_display())
            _refuse_unless_going_ahead(seminar)
            total, _per_type = _confirmed_counts(seminar)
            if seminar.capacity is not None and total >= seminar.capacity:
                raise RegistrationFull
            current.seminar = seminar
            _confirm(current)
            if _fills_last_seat(seminar, total):
                catalogue_changed()
    except OperationalError as error:
        if is_lock_timeout(error):
            raise RegistrationBusy from error
        raise
    _copy_state(current, registration)
    return current


def registration_update_details(
    *,
    registration: Registration,
    name: str,
    organisation: str,
    job_title: str,
    country: str,
    marketing_opt_in: bool,
    recording_followup_opt_in: bool,
) -> Registration:
    """Change what a registrant may change themselves (not the email nor the audience type).

    A change of either opt-in is added to the consent ledger, in the same transaction.
    """
    changed_consents = {
        consent: new
        for consent, old, new in (
            (ConsentRecord.Consent.NEWS, registration.marketing_opt_in, marketing_opt_in),
            (
                ConsentRecord.Consent.RECORDING_FOLLOWUP,
                registration.recording_followup_opt_in,
                recording_followup_opt_in,
            ),
        )
        if old != new
    }
    registration.name = name
    registration.organisation = organisation
    registration.job_title = job_title
    registration.country = country
    registration.marketing_opt_in = marketing_opt_in
    registration.recording_followup_opt_in = recording_followup_opt_in
    registration.full_clean(validate_constraints=False)
    with transaction.atomic():
        registration.save(
            update_fields=[
                "name",
                "organisation",
                "job_title",
                "country",
                "marketing_opt_in",
                "recording_followup_opt_in",
                "updated_at",
            ]
        )
        consents_record(
            registration=registration,
            consents=changed_consents,
            source=ConsentRecord.Source.MANAGE_PAGE,
        )
        if ConsentRecord.Consent.NEWS in changed_consents:
            if marketing_opt_in:
                follow_every_seminar_from_registration(registration=registration)
            else:
                follow_every_seminar_withdraw(email=registration.email)
    return registration


def consents_record(
    *,
    registration: Registration,
    consents: dict[str, bool],
    source: str,
    at: datetime | None = None,
) -> list[ConsentRecord]:
    """Append one ledger row per consent given or withdrawn, under the current notice."""
    return ConsentRecord.objects.append(
        registration_ids=[registration.pk], consents=consents, source=source, at=at
    )


def attendance_mark(*, registrations: Iterable[Registration], attended: str) -> int:
    """Set attended (``Registration.Attendance`` value) on registrations; returns rows changed."""
    if attended not in Registration.Attendance.values:
        raise ValueError(f"Unknown attendance value: {attended!r}")
    ids = [registration.pk for registration in registrations]
    return (
        Registration.objects.filter(pk__in=ids)
        .filter(~Q(attended=attended))
        .update(attended=attended, updated_at=timezone.now())
    )


def join_click_record(*, registration: Registration, redirected: bool) -> None:
    """Record one use of a personal join link (organisers count who tried to join)."""
    JoinClick.objects.create(registration=registration, redirected=redirected)


def calendar_token_renew(*, user: User) -> str:
    """Give a user's private calendar feed a new secret; the old feed address stops working.

    Returns the secret, which is not kept (only its hash): show it to the person once.
    """
    token = secrets.token_urlsafe(32)
    user.calendar_token_hash = calendar_token_hash(token)
    user.save(update_fields=["calendar_token_hash"])
    return token
