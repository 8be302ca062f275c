"""Certificates of attendance and of presentation, and the code that verifies them.

A certificate is issued the first time its holder downloads it, and kept: the code
printed on it (and in its QR code) opens ``/certificates/<code>/``, which confirms the
name, the seminar and its date to anyone holding it. The text is stored as issued, so
a later edit of the seminar or the name does not change what a certificate said.
Erasing the person deletes their certificates: the code then verifies nothing.
"""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

# Crockford's base32: no I, L, O or U, so a code read aloud or typed is not mistaken.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10


def certificate_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def certificate_code_normalised(text: str) -> str:
    """A typed or scanned code as stored: upper case, no dashes or spaces, O read as 0."""
    code = "".join(text.split()).replace("-", "").upper()
    return code.replace("O", "0").replace("I", "1").replace("L", "1")


class Certificate(models.Model):
    class Kind(models.TextChoices):
        ATTENDANCE = "attendance", _("Certificate of attendance")
        PRESENTATION = "presentation", _("Certificate of presentation")

    class Basis(models.TextChoices):
        ATTENDED = "attended", _("attended live")
        WATCHED = "watched", _("watched the recording")
        PRESENTED = "presented", _("presented")

    code = models.CharField(_("code"), max_length=CODE_LENGTH, unique=True)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    basis = models.CharField(_("on the basis of"), max_length=10, choices=Basis.choices)
    seminar = models.ForeignKey(
        "webinars.Seminar",
        verbose_name=_("seminar"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    registration = models.OneToOneField(
        "webinars.Registration",
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="certificate",
    )
    speaker_link = models.OneToOneField(
        "webinars.SeminarSpeaker",
        verbose_name=_("speaker"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="certificate",
    )
    name = models.CharField(_("name"), max_length=150)
    seminar_title = models.CharField(_("seminar title"), max_length=200)
    seminar_title_ja = models.CharField(_("seminar title in Japanese"), max_length=200, blank=True)
    seminar_starts_at = models.DateTimeField(_("seminar start"))
    seminar_timezone = models.CharField(_("seminar time zone"), max_length=64)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="attendance", speaker_link=None) & ~models.Q(registration=None)
                    | models.Q(kind="presentation", registration=None)
                    & ~models.Q(speaker_link=None)
                ),
                name="webinars_certificate_holder_of_its_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def code_display(self) -> str:
        """``ABCDE-12345``: the code as printed, in two halves easy to read out."""
        half = CODE_LENGTH // 2
        return f"{self.code[:half]}-{self.code[half:]}"
