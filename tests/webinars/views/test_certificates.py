"""Certificates: who gets one, the PDF in each language, the public check, watch progress."""

import re
from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from privacy.services import registration_erase
from tests.factories import (
    RecordingFactory,
    RegistrationFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    SpeakerFactory,
    UserFactory,
)
from webinars.certificates import certificate_pdf
from webinars.errors import CertificateNotAvailable
from webinars.models import (
    Certificate,
    Recording,
    RecordingProgress,
    Registration,
    RegistrationToken,
)
from webinars.selectors import certificate_standing
from webinars.services import (
    certificate_issue,
    recording_progress_record,
    registration_token_issue,
)

pytestmark = pytest.mark.django_db


def _past_seminar(**overrides):
    starts_at = (timezone.now() - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    fields = {
        "title": "Kyushu by rail",
        "title_ja": "鉄道で巡る九州",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=1),
        "timezone": "Europe/London",
    }
    return SeminarFactory(**{**fields, **overrides})


def _recording(seminar, minutes=60) -> Recording:
    return RecordingFactory(
        seminar=seminar, duration=timedelta(minutes=minutes), access=Recording.Access.REGISTRANTS
    )


def _watched(registration, recording, percent) -> None:
    segments = range(round(recording.duration.total_seconds() / 10 * percent / 100))
    # All at once (not paced): what the watch page would report over the whole viewing.
    recording_progress_record(
        recording=recording, registration_id=registration.pk, segments=segments, paced=False
    )


def _text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def _manage_token(registration) -> str:
    return registration_token_issue(registration=registration, scope=RegistrationToken.Scope.MANAGE)


# --- Who gets one -------------------------------------------------------------------


def test_attended_live_gets_one():
    registration = RegistrationFactory(
        seminar=_past_seminar(), attended=Registration.Attendance.YES
    )
    certificate = certificate_issue(registration=registration)
    assert (certificate.kind, certificate.basis, certificate.name) == (
        "attendance",
        "attended",
        registration.name,
    )
    # Downloading again prints the same certificate, with the same code.
    assert certificate_issue(registration=registration).code == certificate.code


def test_watching_75_percent_of_the_recording_gets_one_and_74_does_not(settings):
    settings.CERTIFICATE_MIN_WATCH_PERCENT = 75
    seminar = _past_seminar()
    recording = _recording(seminar, minutes=100)  # 600 segments
    almost = RegistrationFactory(seminar=seminar, attended=Registration.Attendance.NO)
    enough = RegistrationFactory(seminar=seminar, attended=Registration.Attendance.NO)
    _watched(almost, recording, 74)
    _watched(enough, recording, 75)
    assert certificate_standing(almost).watched_percent == 74
    with pytest.raises(CertificateNotAvailable):
        certificate_issue(registration=almost)
    assert certificate_issue(registration=enough).basis == "watched"


@pytest.mark.parametrize(
    "case",
    ["no-show", "seminar to come", "cancelled place", "cancelled seminar"],
)
def test_no_certificate_without_attendance_or_for_what_did_not_take_place(case):
    seminar = _past_seminar()
    fields = {"attended": Registration.Attendance.YES}
    if case == "no-show":
        fields["attended"] = Registration.Attendance.NO
    elif case == "seminar to come":
        seminar = SeminarFactory()
    elif case == "cancelled place":
        fields["status"] = Registration.Status.CANCELLED
    else:
        seminar.status = "cancelled"
        seminar.save()
    registration = RegistrationFactory(seminar=seminar, **fields)
    with pytest.raises(CertificateNotAvailable):
        certificate_issue(registration=registration)
    assert not Certificate.objects.exists()


# --- Watch progress -------------------------------------------------------------------


def test_progress_only_grows_and_counts_a_segment_once():
    seminar = _past_seminar()
    recording = _recording(seminar, minutes=10)  # 60 segments
    registration = RegistrationFactory(seminar=seminar)
    for segments in (range(30), range(15, 30), [59]):
        progress = recording_progress_record(
            recording=recording, registration_id=registration.pk, segments=segments, paced=False
        )
    assert progress.percent == 51  # 31 of 60
    assert RecordingProgress.objects.count() == 1


def test_reports_add_no_more_than_could_have_played_at_double_speed():
    seminar = _past_seminar()
    recording = _recording(seminar, minutes=10)  # 60 segments of 10 seconds
    registration = RegistrationFactory(seminar=seminar)

    def report(segments):
        return recording_progress_record(
            recording=recording, registration_id=registration.pk, segments=segments
        ).percent

    with time_machine.travel(timezone.now(), tick=False) as clock:
        # A first report is credited at most a minute at double speed: 12 segments.
        assert report(range(60)) == 20
        # Straight away again: nothing more, however much is claimed.
        assert report(range(60)) == 20
        # Thirty seconds later: at most a minute of video (6 segments).
        clock.shift(timedelta(seconds=30))
        assert report(range(60)) == 30
        # Segments already counted cost nothing of the allowance.
        clock.shift(timedelta(seconds=30))
        assert report([0, 1, 2, 18, 19]) == 33


def _signed_in_registrant(client, seminar):
    user = UserFactory(email="mari@example.org")
    registration = RegistrationFactory(seminar=seminar, email="mari@example.org", user=user)
    client.force_login(user)
    return registration


def test_the_watch_page_reports_progress_for_a_registrant(client):
    seminar = _past_seminar()
    recording = _recording(seminar, minutes=10)
    registration = _signed_in_registrant(client, seminar)
    page = client.get(recording.get_absolute_url()).content.decode()
    progress_url = reverse("webinars:recording_progress", args=[recording.slug])
    assert f'data-progress-url="{progress_url}"' in page
    assert "js/watch-progress.js" in page

    response = client.post(progress_url, {"segments": ",".join(str(n) for n in range(12))})
    assert response.json() == {"percent": 20}
    assert certificate_standing(registration).watched_percent == 20
    # Past the end (a duration typed a little short): dropped, not refused.
    assert client.post(progress_url, {"segments": "60,61"}).json() == {"percent": 20}


@pytest.mark.parametrize(
    "segments",
    ["", "1,x", "-1", "1.5", "\u0661", ",".join(["1"] * 721)],
)
def test_bad_progress_is_a_400_that_says_what_is_expected(client, segments):
    seminar = _past_seminar()
    recording = _recording(seminar, minutes=10)
    _signed_in_registrant(client, seminar)
    response = client.post(
        reverse("webinars:recording_progress", args=[recording.slug]), {"segments": segments}
    )
    assert response.status_code == 400
    assert "up to 720 whole numbers, separated by commas" in response.json()["error"]
    assert not RecordingProgress.objects.exists()


def test_progress_from_someone_not_registered_is_refused(client):
    seminar = _past_seminar()
    recording = _recording(seminar)
    client.force_login(UserFactory())
    response = client.post(
        reverse("webinars:recording_progress", args=[recording.slug]), {"segments": "1"}
    )
    assert response.status_code == 403
    assert not RecordingProgress.objects.exists()
    page = client.get(recording.get_absolute_url()).content.decode()
    assert "data-progress-url" not in page


# --- Downloads ---------------------------------------------------------------------


def test_a_guest_downloads_from_the_manage_link_in_each_language(client):
    registration = RegistrationFactory(
        seminar=_past_seminar(),
        name="佐藤 美咲",
        language="ja",
        attended=Registration.Attendance.YES,
    )
    token = _manage_token(registration)
    manage = client.get(reverse("webinars:registration_manage", args=[token])).content.decode()
    url = reverse("webinars:registration_certificate", args=[token])
    assert f'{url}?language=ja"' in manage

    japanese = client.get(url)
    assert japanese["Content-Type"] == "application/pdf"
    assert "attachment" in japanese["Content-Disposition"]
    text = _text(japanese.content)
    assert "佐藤 美咲" in text and "鉄道で巡る九州" in text and "参加証明書" in text
    english = _text(client.get(url, {"language": "en"}).content)
    assert "Certificate of attendance" in english and "Kyushu by rail" in english
    code = Certificate.objects.get().code_display
    assert code in english and code in text


def test_someone_not_eligible_gets_a_page_saying_why(client, settings):
    settings.CERTIFICATE_MIN_WATCH_PERCENT = 75
    seminar = _past_seminar()
    registration = RegistrationFactory(seminar=seminar, attended=Registration.Attendance.NO)
    _watched(registration, _recording(seminar), 40)
    token = _manage_token(registration)
    response = client.get(reverse("webinars:registration_certificate", args=[token]))
    assert response.status_code == 403
    page = response.content.decode()
    assert "at least 75% of its recording" in page
    assert "So far you have watched 40% of the recording." in page


def test_an_account_downloads_from_my_seminars(client, django_assert_max_num_queries):
    seminar = _past_seminar()
    user = UserFactory(email="aiko@example.org")
    attended = RegistrationFactory(
        seminar=seminar, user=user, email=user.email, attended=Registration.Attendance.YES
    )
    RegistrationFactory(
        seminar=_past_seminar(slug="other"), user=user, email=user.email, attended="no"
    )
    client.force_login(user)
    page = client.get(reverse("webinars:my_seminars")).content.decode()
    url = reverse("webinars:my_registration_certificate", args=[attended.pk])
    assert page.count("certificate.pdf") == 1 and url in page
    assert client.get(url)["Content-Type"] == "application/pdf"
    # Someone else's registration is not theirs to download.
    other = RegistrationFactory(seminar=seminar, attended=Registration.Attendance.YES)
    assert (
        client.get(reverse("webinars:my_registration_certificate", args=[other.pk])).status_code
        == 404
    )


def test_a_speaker_downloads_a_certificate_of_presentation(client):
    seminar = _past_seminar()
    speaker = SpeakerFactory(name="Emily Hargreaves", email="emily@example.org")
    link = SeminarSpeakerFactory(seminar=seminar, speaker=speaker)
    user = UserFactory(email="emily@example.org")
    client.force_login(user)
    assert (
        reverse("webinars:my_speaker_certificate", args=[link.pk])
        in client.get(reverse("webinars:my_seminars")).content.decode()
    )
    text = _text(client.get(reverse("webinars:my_speaker_certificate", args=[link.pk])).content)
    assert "Certificate of presentation" in text and "Emily Hargreaves" in text
    # Another account may not.
    client.force_login(UserFactory())
    assert client.get(reverse("webinars:my_speaker_certificate", args=[link.pk])).status_code == 404


def test_organisers_download_a_speakers_certificate_from_the_admin(organiser_client):
    seminar = _past_seminar()
    link = SeminarSpeakerFactory(seminar=seminar)
    url = reverse("admin:webinars_seminar_speaker_certificate", args=[seminar.pk, link.pk])
    change = organiser_client.get(reverse("admin:webinars_seminar_change", args=[seminar.pk]))
    assert url in change.content.decode()
    response = organiser_client.get(url, {"language": "ja"})
    assert "登壇証明書" in _text(response.content)


# --- The public check ---------------------------------------------------------------


def test_the_check_page_confirms_name_seminar_and_date_to_anyone(client):
    registration = RegistrationFactory(
        seminar=_past_seminar(), name="Ken Taylor", attended=Registration.Attendance.YES
    )
    certificate = certificate_issue(registration=registration)
    # As typed from the paper: lower case, with its dash.
    response = client.get(
        reverse("webinars:certificate_verify", args=[certificate.code_display.lower()])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This certificate is genuine" in page
    assert "Ken Taylor" in page and "Kyushu by rail" in page
    local = registration.seminar.starts_at.astimezone(timezone.get_default_timezone())
    assert str(local.year) in page
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize("code", ["ZZZZZ-ZZZZZ", "short", "x" * 200])
def test_an_unknown_code_is_a_plain_404(client, code):
    RegistrationFactory(seminar=_past_seminar(), attended="yes")
    response = client.get(reverse("webinars:certificate_verify", args=[code]))
    assert response.status_code == 404
    assert "genuine" not in response.content.decode()


def test_erasing_the_person_makes_the_code_verify_nothing(client):
    registration = RegistrationFactory(seminar=_past_seminar(), attended="yes")
    certificate = certificate_issue(registration=registration)
    registration_erase(registration=registration)
    assert (
        client.get(reverse("webinars:certificate_verify", args=[certificate.code])).status_code
        == 404
    )


def test_the_pdf_names_its_check_address_and_code():
    registration = RegistrationFactory(seminar=_past_seminar(), attended="yes")
    certificate = certificate_issue(registration=registration)
    text = _text(certificate_pdf(certificate, language="en"))
    assert re.search(rf"/certificates/{certificate.code}/", text)


@pytest.mark.parametrize("code", ["ABCDE%0012345", "ABCDE-1234\u00e9", "ABCDE!2345"])
def test_a_code_with_characters_no_code_has_is_a_404(client, code):
    response = client.get(f"/certificates/{code}/")
    assert response.status_code == 404
