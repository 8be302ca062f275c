"""Issuing certificates: once per registrant (attendance) or speaker (presentation).

The first download issues the certificate and stores what it says (name, seminar,
date); later downloads print the same certificate with the same code, so a code
handed to an employer keeps verifying the same facts.
"""

from django.db import IntegrityError, transaction

from webinars.errors import CertificateNotAvailable
from webinars.models import Certificate, Registration, Seminar, SeminarSpeaker
from webinars.models.certificates import certificate_code_new
from webinars.selectors.certificates import certificate_standing, speaker_certificate_allowed


def certificate_issue(*, registration: Registration) -> Certificate:
    """The registrant's certificate of attendance, issued now if it was not before.

    Raises :class:`CertificateNotAvailable` unless they attended live or watched enough
    of the recording (:func:`~webinars.selectors.certificate_standing`).
    """
    existing = Certificate.objects.filter(registration=registration).first()
    if existing is not None:
        return existing
    standing = certificate_standing(registration)
    if not standing.eligible:
        raise CertificateNotAvailable(standing)
    return _issue(
        kind=Certificate.Kind.ATTENDANCE,
        basis=standing.basis,
        seminar=registration.seminar,
        name=registration.name,
        holder={"registration": registration},
    )


def certificate_issue_for_speaker(*, link: SeminarSpeaker) -> Certificate:
    """A speaker's certificate of presentation, once the seminar has taken place."""
    existing = Certificate.objects.filter(speaker_link=link).first()
    if existing is not None:
        return existing
    if not speaker_certificate_allowed(link):
        raise CertificateNotAvailable(None)
    return _issue(
        kind=Certificate.Kind.PRESENTATION,
        basis=Certificate.Basis.PRESENTED,
        seminar=link.seminar,
        name=link.speaker.name,
        holder={"speaker_link": link},
    )


def _issue(*, kind: str, basis: str, seminar: Seminar, name: str, holder: dict) -> Certificate:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Certificate.objects.create(
                    code=certificate_code_new(),
                    kind=kind,
                    basis=basis,
                    seminar=seminar,
                    name=name,
                    seminar_title=seminar.title_en or seminar.title,
                    seminar_title_ja=seminar.title_ja or "",
                    seminar_starts_at=seminar.starts_at,
                    seminar_timezone=seminar.timezone,
                    **holder,
                )
        except IntegrityError:
            # The holder's certificate was issued meanwhile (a double click), or, once
            # in 10^15, the code was taken: the first is returned, the second retried.
            existing = Certificate.objects.filter(**holder).first()
            if existing is not None:
                return existing
    raise RuntimeError("no free certificate code after five tries")
