import csv
import io
from datetime import UTC, datetime

import pytest

from tests.factories import (
    JoinClickFactory,
    RegistrationFactory,
    RegistrationQuestionFactory,
    SeminarFactory,
)
from webinars.exports import neutralise_formula, registrants_csv
from webinars.models import Registration, RegistrationQuestion

pytestmark = pytest.mark.django_db

HEADER_BEFORE_QUESTIONS = [
    "Seminar",
    "Name",
    "Email",
    "Organisation",
    "Job title",
    "Country",
    "Audience type",
    "Status",
    "Attended",
    "Registered at (UK time)",
]

HEADER_AFTER_QUESTIONS = [
    "Privacy notice version",
    "Privacy notice accepted at (UK time)",
    "Marketing opt-in",
    "Recording follow-up opt-in",
    "Join clicks",
]

# 09:30 UTC on 2 July is 10:30 in London (BST); 09:30 UTC on 2 December is 09:30 (GMT).
SUMMER = datetime(2031, 7, 2, 9, 30, tzinfo=UTC)

WINTER = datetime(2031, 12, 2, 9, 30, tzinfo=UTC)


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _registered(registration: Registration, moment: datetime) -> Registration:
    # created_at is auto_now_add: set it afterwards.
    Registration.objects.filter(pk=registration.pk).update(created_at=moment)
    return registration


@pytest.fixture
def questions(seminar) -> list[RegistrationQuestion]:
    return [
        RegistrationQuestionFactory(seminar=seminar, label="How did you hear of us?", position=1),
        RegistrationQuestionFactory(
            seminar=seminar,
            label="Which regions interest you?",
            kind=RegistrationQuestion.Kind.MULTIPLE_CHOICE,
            choices="Kyushu\nHokkaido\nTohoku",
            position=2,
        ),
        RegistrationQuestionFactory(
            seminar=seminar,
            label="Do you sell Japan packages?",
            kind=RegistrationQuestion.Kind.YES_NO,
            position=3,
        ),
    ]


def test_registrants_csv_has_the_header_and_a_row_with_answers_and_consents(seminar, questions):
    registration = RegistrationFactory(
        seminar=seminar,
        name="佐藤 健",
        email="ken.sato@example.jp",
        organisation="Example Prefecture",
        job_title="Coordinator for International Relations",
        country="JP",
        answers={
            str(questions[0].pk): "A colleague",
            str(questions[1].pk): ["Kyushu", "Tohoku"],
            str(questions[2].pk): True,
        },
        privacy_notice_version="2026-11",
        privacy_consented_at=SUMMER,
        marketing_opt_in=True,
        recording_followup_opt_in=False,
        attended=Registration.Attendance.YES,
    )
    _registered(registration, SUMMER)
    JoinClickFactory(registration=registration, redirected=True)
    JoinClickFactory(registration=registration, redirected=False)

    rows = _rows(registrants_csv(Registration.objects.all()))

    assert rows == [
        [
            *HEADER_BEFORE_QUESTIONS,
            "How did you hear of us?",
            "Which regions interest you?",
            "Do you sell Japan packages?",
            *HEADER_AFTER_QUESTIONS,
        ],
        [
            "Onsen towns of Kyushu",
            "佐藤 健",
            "ken.sato@example.jp",
            "Example Prefecture",
            "Coordinator for International Relations",
            "Japan",
            "Travel agent",
            "confirmed",
            "yes",
            "2031-07-02T10:30:00+01:00",
            "A colleague",
            "Kyushu; Tohoku",
            "yes",
            "2026-11",
            "2031-07-02T10:30:00+01:00",
            "yes",
            "no",
            "2",
        ],
    ]


def test_registrants_csv_leaves_unanswered_questions_empty_and_shows_winter_time(
    seminar, questions
):
    _registered(RegistrationFactory(seminar=seminar, name="Emma Wilson", answers={}), WINTER)

    row = _rows(registrants_csv(Registration.objects.all()))[1]

    assert row[9] == "2031-12-02T09:30:00+00:00"
    assert row[10:13] == ["", "", ""]
    assert row[-1] == "0"


def test_registrants_csv_neutralises_formulas(seminar):
    RegistrationFactory(
        seminar=seminar,
        name='=HYPERLINK("https://evil.example","Click")',
        organisation="+44 20 7000 0000",
        job_title="-1+1",
    )
    RegistrationFactory(seminar=seminar, name="@SUM(A1:A2)", organisation="\tTabbed")
    RegistrationFactory(seminar=seminar, name="\rReturn", organisation="Plain Ltd")

    rows = _rows(registrants_csv(Registration.objects.order_by("pk")))

    assert [(row[1], row[3]) for row in rows[1:]] == [
        ('\'=HYPERLINK("https://evil.example","Click")', "'+44 20 7000 0000"),
        ("'@SUM(A1:A2)", "'\tTabbed"),
        ("'\rReturn", "Plain Ltd"),
    ]
    assert rows[1][4] == "'-1+1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        # Full-width forms, which spreadsheets may read as the ASCII ones.
        ("\uff1dHYPERLINK(1)", "'\uff1dHYPERLINK(1)"),
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff20cmd", "'\uff20cmd"),
        ("Aiko = host", "Aiko = host"),
        ("", ""),
    ],
)
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


def test_registrants_csv_of_several_seminars_shares_columns_of_same_label(seminar, questions):
    copy = SeminarFactory(title="Onsen towns of Kyushu (repeat)")
    same_label = RegistrationQuestionFactory(seminar=copy, label="How did you hear of us?")
    other = RegistrationQuestionFactory(seminar=copy, label="Your prefecture of interest?")
    RegistrationFactory(seminar=seminar, answers={str(questions[0].pk): "Newsletter"})
    RegistrationFactory(
        seminar=copy, answers={str(same_label.pk): "Twitter", str(other.pk): "Oita"}
    )

    rows = _rows(registrants_csv(Registration.objects.all()))

    assert rows[0][10:14] == [
        "How did you hear of us?",
        "Which regions interest you?",
        "Do you sell Japan packages?",
        "Your prefecture of interest?",
    ]
    assert [row[10:14] for row in rows[1:]] == [
        ["Newsletter", "", "", ""],
        ["Twitter", "", "", "Oita"],
    ]


def test_registrants_csv_query_count_does_not_grow_with_rows(
    seminar, questions, django_assert_max_num_queries
):
    for _ in range(20):
        registration = RegistrationFactory(seminar=seminar)
        JoinClickFactory(registration=registration)

    with django_assert_max_num_queries(2):
        data = registrants_csv(Registration.objects.all())

    assert len(_rows(data)) == 21
