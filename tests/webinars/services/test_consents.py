"""The consent ledger: one append-only row for every consent given or withdrawn."""

import pytest

from notifications.services import email_opt_in, email_opt_out
from tests.factories import AudienceTypeFactory, RegistrationFactory, SeminarFactory
from webinars.models import ConsentRecord
from webinars.services import registration_create, registration_update_details

pytestmark = pytest.mark.django_db


def ledger(registration) -> list[tuple[str, bool, str]]:
    return list(registration.consent_records.values_list("consent", "given", "source"))


def test_registering_records_each_consent_under_the_notice_in_force(settings):
    settings.PRIVACY_NOTICE_VERSION = "2026-12"
    audience = AudienceTypeFactory()

    registration = registration_create(
        seminar=SeminarFactory(),
        email="mei@example.org",
        name="Mei Chen",
        audience_type=audience,
        marketing_opt_in=True,
    ).registration

    assert ledger(registration) == [
        ("privacy_notice", True, "registration_form"),
        ("news", True, "registration_form"),
        ("recording_followup", False, "registration_form"),
    ]
    assert set(registration.consent_records.values_list("notice_version", flat=True)) == {"2026-12"}


def test_the_manage_page_records_only_what_changed():
    registration = RegistrationFactory(marketing_opt_in=False, recording_followup_opt_in=True)
    details = {"name": "Mei Chen", "organisation": "", "job_title": "", "country": ""}

    registration_update_details(
        registration=registration, marketing_opt_in=True, recording_followup_opt_in=True, **details
    )
    registration_update_details(
        registration=registration, marketing_opt_in=True, recording_followup_opt_in=False, **details
    )
    registration_update_details(
        registration=registration, marketing_opt_in=True, recording_followup_opt_in=False, **details
    )

    assert ledger(registration) == [
        ("news", True, "manage_page"),
        ("recording_followup", False, "manage_page"),
    ]


def test_unsubscribing_and_subscribing_again_are_recorded_on_each_registration_of_the_address():
    first = RegistrationFactory(email="mei@example.org")
    second = RegistrationFactory(email="mei@example.org")
    other = RegistrationFactory(email="someone@example.org")

    email_opt_out(email="Mei@Example.org", source="one-click")
    email_opt_out(email="mei@example.org", source="page")  # already out: nothing new
    email_opt_in(email="mei@example.org")

    for registration in (first, second):
        assert ledger(registration) == [
            ("non_transactional_email", False, "unsubscribe"),
            ("non_transactional_email", True, "resubscribe"),
        ]
    assert ledger(other) == []


def test_the_ledger_is_read_only_in_the_admin(organiser_client):
    registration = RegistrationFactory()
    ConsentRecord.objects.append(
        registration_ids=[registration.pk], consents={"news": True}, source="manage_page"
    )

    page = organiser_client.get(f"/admin/webinars/registration/{registration.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Consent ledger" in html
    assert "News of future seminars" in html
    assert 'name="consent_records-0-given"' not in html
