"""Organisers acting for attendees: a place for someone who phoned, a cancellation for
someone who wrote. Each goes through the same service as self-service (seats, quotas and
the waiting list; the same emails and calendar invites; promotion into a freed seat) and
is recorded as a RegistrationAct: who, when, what.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from accounts.models import AudienceType, User
from webinars.errors import RegistrationError
from webinars.models import ConsentRecord, Registration, RegistrationAct, Seminar
from webinars.services.registrations import (
    RegistrationResult,
    registration_cancel,
    registration_create,
    registration_move_to_waitlist,
)


class RegistrationAlreadyCancelled(RegistrationError):
    """The place was cancelled already: nothing to do."""


def registration_add_for_attendee(
    *,
    seminar: Seminar,
    actor: User,
    email: str,
    name: str,
    audience_type: AudienceType,
    note: str = "",
    **details: Any,
) -> RegistrationResult:
    """Register someone on their behalf. An address that already has a live place here
    gets that place back (``created=False``), never a second one, and nothing is sent.

    ``details``: organisation, job_title, country, answers, language, time_zone, as
    :func:`registration_create` takes them. Raises what it raises.
    """
    email = email.strip().lower()
    existing = Registration.objects.live().filter(seminar=seminar, email=email).first()
    if existing is not None:
        return RegistrationResult(registration=existing, created=False, token=None)
    with transaction.atomic():
        result = registration_create(
            seminar=seminar,
            email=email,
            name=name,
            audience_type=audience_type,
            consent_source=ConsentRecord.Source.ORGANISER,
            **details,
        )
        if result.created:
            RegistrationAct.objects.create(
                registration=result.registration,
                kind=RegistrationAct.Kind.ADDED,
                actor=actor,
                note=note,
            )
    return result


def registration_cancel_for_attendee(
    *, registration: Registration, actor: User, note: str = ""
) -> Registration | None:
    """Cancel a place on its holder's behalf, as they would themselves (the CANCEL invite,
    the seat to the waiting list). Returns whoever was promoted; raises
    :class:`RegistrationAlreadyCancelled` for a place cancelled before."""
    with transaction.atomic():
        cancelled = Registration.Status.CANCELLED
        if Registration.objects.filter(pk=registration.pk, status=cancelled).exists():
            raise RegistrationAlreadyCancelled(registration.pk)
        promoted = registration_cancel(registration=registration)
        RegistrationAct.objects.create(
            registration=registration,
            kind=RegistrationAct.Kind.CANCELLED,
            actor=actor,
            note=note,
        )
    return promoted


def registration_move_to_waitlist_for_attendee(
    *,
    registration: Registration,
    actor: User,
    note: str = "",
    passing_over: Iterable[int] = (),
) -> Registration | None:
    """Move a confirmed place to the end of the waiting list on an organiser's decision
    (:func:`registration_move_to_waitlist`: the CANCEL invite, the seat to the next on
    the list but not to ``passing_over``, the rest of a batch), recorded as done by
    ``actor``. Returns whoever was promoted."""
    with transaction.atomic():
        promoted = registration_move_to_waitlist(
            registration=registration, passing_over=passing_over
        )
        RegistrationAct.objects.create(
            registration=registration,
            kind=RegistrationAct.Kind.MOVED_TO_WAITLIST,
            actor=actor,
            note=note,
        )
    return promoted
