"""The certificate as a PDF: one A4 landscape page, in English or Japanese (fpdf2).

The font (``CERTIFICATE_FONT_PATH``, IPAex Gothic by default) covers Latin and Japanese,
and fpdf2 embeds only the glyphs a certificate uses, so a page weighs tens of kilobytes.
The verification address is printed and given as a QR code (``qrcode``, already
installed for two-factor sign-in).
"""

import zoneinfo

import qrcode
from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import dateformat, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from webinars.models import Certificate
from webinars.timezones import long_date_format, time_format

FONT = "KizunaCertificate"
INK = (28, 36, 51)
INDIGO = (34, 55, 90)
SOFT = (74, 83, 102)


def certificate_verify_url(certificate: Certificate) -> str:
    return settings.SITE_URL + reverse("webinars:certificate_verify", args=[certificate.code])


def certificate_title(certificate: Certificate, language: str) -> str:
    """The seminar's title as the certificate prints it, in ``language`` when it has one."""
    if language == "ja" and certificate.seminar_title_ja:
        return certificate.seminar_title_ja
    return certificate.seminar_title or certificate.seminar_title_ja


def certificate_date_text(certificate: Certificate) -> str:
    """ "Friday 23 October 2026, 10:00–11:00 BST": in the seminar's zone, the active language."""
    zone = zoneinfo.ZoneInfo(certificate.seminar_timezone)
    local = certificate.seminar_starts_at.astimezone(zone)
    return _("%(date)s, %(time)s %(zone)s") % {
        "date": dateformat.format(local, long_date_format()),
        "time": dateformat.format(local, time_format()),
        "zone": local.tzname() or certificate.seminar_timezone,
    }


def _statement(certificate: Certificate) -> str:
    if certificate.basis == Certificate.Basis.PRESENTED:
        return _("presented at the online seminar")
    if certificate.basis == Certificate.Basis.WATCHED:
        return _("took part in the online seminar by watching its recording")
    return _("attended the online seminar")


def _heading(certificate: Certificate) -> str:
    if certificate.kind == Certificate.Kind.PRESENTATION:
        return _("Certificate of presentation")
    return _("Certificate of attendance")


def certificate_pdf(certificate: Certificate, *, language: str) -> bytes:
    """The certificate's PDF in ``language`` ("en" or "ja")."""
    with translation.override(language):
        heading = _heading(certificate)
        pdf = FPDF(orientation="L", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_title(f"{heading}: {certificate.name}")
        pdf.set_author(settings.CERTIFICATE_ISSUER)
        pdf.set_creator("Kizuna")
        pdf.set_lang(language)
        pdf.add_font(FONT, "", settings.CERTIFICATE_FONT_PATH)
        pdf.add_page()
        width, height = pdf.w, pdf.h

        pdf.set_draw_color(*INDIGO)
        pdf.set_line_width(1.2)
        pdf.rect(10, 10, width - 20, height - 20)
        pdf.set_line_width(0.3)
        pdf.rect(14, 14, width - 28, height - 28)

        issuer = settings.CERTIFICATE_ISSUER_JA if language == "ja" else settings.CERTIFICATE_ISSUER
        _line(pdf, y=26, text=issuer, size=12, color=SOFT)
        _line(pdf, y=40, text=heading, size=30, color=INDIGO)
        _line(pdf, y=62, text=_("This certifies that"), size=13, color=SOFT)
        _line(pdf, y=74, text=certificate.name, size=28, color=INK)
        _line(pdf, y=94, text=_statement(certificate), size=13, color=SOFT)
        pdf.set_xy(30, 104)
        pdf.set_font(FONT, size=18)
        pdf.set_text_color(*INK)
        pdf.multi_cell(width - 60, 9, certificate_title(certificate, language), align="C")
        date_y = max(pdf.get_y() + 4, 126)
        _line(pdf, y=date_y, text=certificate_date_text(certificate), size=13, color=INK)
        series = certificate.seminar.series.name if certificate.seminar.series_id else ""
        if series:
            _line(pdf, y=date_y + 9, text=series, size=11, color=SOFT)

        url = certificate_verify_url(certificate)
        issued = dateformat.format(certificate.issued_at, long_date_format())
        pdf.set_font(FONT, size=10)
        pdf.set_text_color(*SOFT)
        pdf.set_xy(24, height - 48)
        pdf.multi_cell(
            150,
            5.5,
            "\n".join(
                [
                    _("Issued on %(date)s") % {"date": issued},
                    _("Certificate code: %(code)s") % {"code": certificate.code_display},
                    _("Check it at %(url)s") % {"url": url},
                ]
            ),
        )
        code_image = qrcode.make(url, border=1).get_image()
        pdf.image(code_image, x=width - 56, y=height - 56, w=32, h=32)
        return bytes(pdf.output())


def pdf_response(certificate: Certificate, *, language: str) -> HttpResponse:
    """The certificate's PDF as a download."""
    response = HttpResponse(certificate_pdf(certificate, language=language), "application/pdf")
    filename = f"certificate-{certificate.code_display}-{language}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _line(pdf: FPDF, *, y: float, text: str, size: float, color: tuple[int, int, int]) -> None:
    pdf.set_xy(20, y)
    pdf.set_font(FONT, size=size)
    pdf.set_text_color(*color)
    pdf.cell(pdf.w - 40, size * 0.5, text, align="C")
