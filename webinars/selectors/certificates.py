"""Reads about certificates: who may have one, and a certificate by its code."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from webinars.models import (
    Certificate,
    RecordingProgress,
    Registration,
    Seminar,
    SeminarSpeaker,
)
from webinars.models.certificates import CODE_ALPHABET, CODE_LENGTH, certificate_code_normalised


@dataclass(frozen=True)
class CertificateStanding:
    """Whether a registrant may download a certificate, and why (or why not yet).

    ``basis`` is "attended" or "watched" when they may; ``watched_percent`` is the most
    of the recording they have watched (0 when nothing was reported).
    """

    basis: str | None
    watched_percent: int
    seminar_over: bool

    @property
    def eligible(self) -> bool:
        return self.basis is not None


def certificate_standing(registration: Registration) -> CertificateStanding:
    """Attended live (imported attendance), or watched ``CERTIFICATE_MIN_WATCH_PERCENT``
    of the recording; only for a confirmed place at a seminar that has taken place."""
    seminar = registration.seminar
    over = not seminar.is_cancelled and seminar.ends_at <= timezone.now()
    watched = (
        RecordingProgress.objects.filter(registration=registration).aggregate(most=Max("percent"))[
            "most"
        ]
        or 0
    )
    basis = None
    if over and registration.is_confirmed and not registration.anonymised_at:
        if registration.attended == Registration.Attendance.YES:
            basis = Certificate.Basis.ATTENDED
        elif watched >= settings.CERTIFICATE_MIN_WATCH_PERCENT:
            basis = Certificate.Basis.WATCHED
    return CertificateStanding(basis=basis, watched_percent=watched, seminar_over=over)


def speaker_certificate_allowed(link: SeminarSpeaker) -> bool:
    """A speaker's certificate of presentation: once the seminar has taken place."""
    seminar = link.seminar
    return not seminar.is_cancelled and seminar.is_published and seminar.ends_at <= timezone.now()


def registrations_watched_enough(registration_ids: list[int]) -> set[int]:
    """Those of ``registration_ids`` who watched ``CERTIFICATE_MIN_WATCH_PERCENT`` of a
    recording (one query)."""
    return set(
        RecordingProgress.objects.filter(
            registration__in=registration_ids,
            percent__gte=settings.CERTIFICATE_MIN_WATCH_PERCENT,
        ).values_list("registration_id", flat=True)
    )


def speaker_links_presented(*, email: str) -> list[SeminarSpeaker]:
    """The seminars, now over, at which the speaker with ``email`` spoke; newest first."""
    return list(
        SeminarSpeaker.objects.filter(
            speaker__email__iexact=email,
            seminar__status=Seminar.Status.PUBLISHED,
            seminar__ends_at__lte=timezone.now(),
        )
        .select_related("seminar__series")
        .order_by("-seminar__starts_at", "pk")
    )


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate a typed or scanned code names, or None (nothing said of why)."""
    normalised = certificate_code_normalised(code)
    # Only a code that could be one reaches the database (never a NUL byte).
    if len(normalised) != CODE_LENGTH or not set(normalised) <= set(CODE_ALPHABET):
        return None
    return Certificate.objects.filter(code=normalised).select_related("seminar__series").first()
