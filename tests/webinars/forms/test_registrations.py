import pytest
from django.utils import translation
from django_countries import countries

from accounts.models import AudienceType
from tests.factories import RegistrationQuestionFactory, SeminarFactory, UserFactory
from webinars import selectors
from webinars.forms.registrations import (
    RegistrationForm,
    clean_multi_line,
    clean_single_line,
    one_click_data,
    profile_ready_for_one_click,
)
from webinars.models import RegistrationQuestion

pytestmark = pytest.mark.django_db

Kind = RegistrationQuestion.Kind


def base_data(**overrides) -> dict[str, object]:
    data = {
        "name": "Aiko Tanaka",
        "email": "Aiko@Example.org",
        "organisation": "Kyoto Tours",
        "job_title": "Director",
        "country": "GB",
        "audience_type": str(AudienceType.objects.get(slug="travel-agent").pk),
        "privacy_consent": "on",
        "recording_followup_opt_in": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def make_form(seminar, data=None, user=None) -> RegistrationForm:
    return RegistrationForm(
        data,
        seminar=seminar,
        audience_types=selectors.seminar_audience_types(seminar),
        questions=list(seminar.questions.all()),
        user=user,
    )


@pytest.fixture
def seminar():
    return SeminarFactory()


def test_valid_form_cleans_email_to_lower_case(seminar):
    form = make_form(seminar, base_data())

    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == "aiko@example.org"
    assert form.cleaned_data["marketing_opt_in"] is False
    assert form.cleaned_data["recording_followup_opt_in"] is True
    assert form.answers() == {}


def test_every_opt_in_starts_unticked(seminar):
    form = make_form(seminar)

    assert not form["recording_followup_opt_in"].value()
    assert not form["marketing_opt_in"].value()
    assert "checked" not in str(form["recording_followup_opt_in"])


def test_privacy_consent_is_required(seminar):
    form = make_form(seminar, base_data(privacy_consent=None))

    assert form.errors == {"privacy_consent": ["Please accept the privacy notice to register."]}


def test_audience_type_outside_the_seminar_is_a_form_error(seminar):
    seminar.allowed_audience_types.set([AudienceType.objects.get(slug="media")])

    form = make_form(seminar, base_data())

    assert form.errors == {"audience_type": ["Please choose one of the listed descriptions."]}


def test_all_active_audience_types_offered_when_none_chosen(seminar):
    AudienceType.objects.filter(slug="other").update(is_active=False)

    queryset = make_form(seminar).fields["audience_type"].queryset
    offered = list(queryset.values_list("slug", flat=True))

    assert "other" not in offered
    assert offered == list(
        AudienceType.objects.filter(is_active=True).values_list("slug", flat=True)
    )


def test_each_question_kind_is_stored_by_question_id(seminar):
    short = RegistrationQuestionFactory(seminar=seminar, kind=Kind.SHORT_TEXT, required=True)
    long = RegistrationQuestionFactory(seminar=seminar, kind=Kind.LONG_TEXT)
    single = RegistrationQuestionFactory(
        seminar=seminar, kind=Kind.SINGLE_CHOICE, choices="Onsen\nFood\nHiking"
    )
    multiple = RegistrationQuestionFactory(
        seminar=seminar, kind=Kind.MULTIPLE_CHOICE, choices="Kyushu\nHokkaido\nShikoku"
    )
    yes_no = RegistrationQuestionFactory(seminar=seminar, kind=Kind.YES_NO)
    data = base_data(
        **{
            f"question_{short.pk}": "Tour planning",
            f"question_{long.pk}": "Line one\r\nLine two",
            f"question_{single.pk}": "Food",
            f"question_{multiple.pk}": ["Kyushu", "Shikoku"],
            f"question_{yes_no.pk}": "no",
        }
    )

    form = make_form(seminar, data)

    assert form.is_valid(), form.errors
    assert form.answers() == {
        str(short.pk): "Tour planning",
        str(long.pk): "Line one\nLine two",
        str(single.pk): "Food",
        str(multiple.pk): ["Kyushu", "Shikoku"],
        str(yes_no.pk): False,
    }


def test_questions_are_in_their_order(seminar):
    second = RegistrationQuestionFactory(seminar=seminar, position=2, label="Second?")
    first = RegistrationQuestionFactory(seminar=seminar, position=1, label="First?")

    form = make_form(seminar)

    assert [field.name for field in form.question_fields] == [
        f"question_{first.pk}",
        f"question_{second.pk}",
    ]


def test_required_question_must_be_answered_and_optional_may_be_left_out(seminar):
    required = RegistrationQuestionFactory(seminar=seminar, kind=Kind.YES_NO, required=True)
    optional = RegistrationQuestionFactory(seminar=seminar, kind=Kind.SINGLE_CHOICE, choices="A\nB")

    missing = make_form(seminar, base_data())
    answered = make_form(seminar, base_data(**{f"question_{required.pk}": "yes"}))

    assert list(missing.errors) == [f"question_{required.pk}"]
    assert answered.is_valid(), answered.errors
    assert answered.answers() == {str(required.pk): True}
    assert str(optional.pk) not in answered.answers()


def test_choice_outside_the_options_is_refused(seminar):
    question = RegistrationQuestionFactory(seminar=seminar, kind=Kind.SINGLE_CHOICE, choices="A\nB")

    form = make_form(seminar, base_data(**{f"question_{question.pk}": "C"}))

    assert list(form.errors) == [f"question_{question.pk}"]


@pytest.mark.parametrize(
    ("field", "limit"),
    [("name", 150), ("organisation", 200), ("job_title", 150), ("email", 254)],
)
def test_profile_fields_are_length_limited(seminar, field, limit):
    value = "a" * (limit + 1) if field != "email" else "a" * (limit - 11) + "@example.org"

    form = make_form(seminar, base_data(**{field: value}))

    assert field in form.errors


def test_answers_are_length_limited(seminar):
    short = RegistrationQuestionFactory(seminar=seminar, kind=Kind.SHORT_TEXT)
    long = RegistrationQuestionFactory(seminar=seminar, kind=Kind.LONG_TEXT)

    too_long = make_form(
        seminar,
        base_data(**{f"question_{short.pk}": "a" * 301, f"question_{long.pk}": "b" * 3001}),
    )
    at_limit = make_form(
        seminar,
        base_data(**{f"question_{short.pk}": "a" * 300, f"question_{long.pk}": "b" * 3000}),
    )

    assert sorted(too_long.errors) == sorted([f"question_{short.pk}", f"question_{long.pk}"])
    assert at_limit.is_valid(), at_limit.errors


@pytest.mark.parametrize("field", ["name", "organisation", "job_title"])
@pytest.mark.parametrize("line_break", ["\r\n", "\n", "\r", "\x85", "\u2028"])
def test_line_breaks_in_single_line_fields_are_refused(seminar, field, line_break):
    form = make_form(seminar, base_data(**{field: f"Aiko{line_break}Bcc: evil@example.org"}))

    assert form.errors[field] == ["Please keep this on one line."]


def test_line_break_in_short_answer_is_refused(seminar):
    question = RegistrationQuestionFactory(seminar=seminar, kind=Kind.SHORT_TEXT)

    form = make_form(seminar, base_data(**{f"question_{question.pk}": "a\nSUMMARY:x"}))

    assert form.errors[f"question_{question.pk}"] == ["Please keep this on one line."]


def test_email_with_header_injection_is_refused(seminar):
    form = make_form(seminar, base_data(email="aiko@example.org\r\nBcc: evil@example.org"))

    assert "email" in form.errors


def test_control_characters_are_removed_from_answers_and_markup_kept_as_text(seminar):
    question = RegistrationQuestionFactory(seminar=seminar, kind=Kind.LONG_TEXT)
    form = make_form(
        seminar,
        base_data(
            name="Aiko Tanaka\tSan",
            organisation="<script>alert(1)</script>",
            **{f"question_{question.pk}": "BEGIN:VEVENT\x07\r\nEND:VCALENDAR\x7f"},
        ),
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "Aiko Tanaka San"
    assert form.cleaned_data["organisation"] == "<script>alert(1)</script>"
    assert form.answers() == {str(question.pk): "BEGIN:VEVENT\nEND:VCALENDAR"}


@pytest.mark.parametrize("field", ["name", "organisation", "job_title"])
@pytest.mark.parametrize("value", ["Ai\x07ko", "Aiko\x1b[31m", "\u202eTanaka"])
def test_control_characters_in_person_details_are_refused_with_a_message(seminar, field, value):
    # The one rule of every form where people give their details (accounts.forms).
    form = make_form(seminar, base_data(**{field: value}))

    assert form.errors[field] == [
        "Please remove control characters (invisible formatting or direction marks)."
    ]


def test_clean_helpers():
    assert clean_single_line(" a\tb\x00 ") == "a b"
    assert clean_multi_line("a\r\nb\rc\u2029d\x0c") == "a\nb\nc\nd"


def test_question_help_text_is_escaped(seminar):
    question = RegistrationQuestionFactory(seminar=seminar, help_text="<b>bold</b>")

    form = make_form(seminar)

    assert form.fields[f"question_{question.pk}"].help_text == "&lt;b&gt;bold&lt;/b&gt;"


def test_signed_in_user_is_prefilled_and_email_fixed_to_the_account(seminar):
    travel_agent = AudienceType.objects.get(slug="travel-agent")
    user = UserFactory(
        email="aiko@example.org",
        full_name="Aiko Tanaka",
        organisation="Kyoto Tours",
        job_title="Director",
        country="JP",
        audience_type=travel_agent,
    )

    empty = make_form(seminar, user=user)
    posted = make_form(seminar, base_data(email="someone.else@example.org"), user=user)

    assert empty["name"].value() == "Aiko Tanaka"
    assert empty["email"].value() == "aiko@example.org"
    assert empty["organisation"].value() == "Kyoto Tours"
    assert empty["job_title"].value() == "Director"
    assert empty["country"].value() == "JP"
    assert empty["audience_type"].value() == travel_agent.pk
    assert posted.is_valid(), posted.errors
    assert posted.cleaned_data["email"] == "aiko@example.org"


def test_one_click_needs_a_complete_profile_and_no_required_questions(seminar):
    travel_agent = AudienceType.objects.get(slug="travel-agent")
    audience_types = selectors.seminar_audience_types(seminar)
    complete = UserFactory(full_name="Aiko Tanaka", audience_type=travel_agent)
    no_type = UserFactory(full_name="Ben Smith", audience_type=None)

    assert profile_ready_for_one_click(user=complete, audience_types=audience_types, questions=[])
    assert not profile_ready_for_one_click(
        user=no_type, audience_types=audience_types, questions=[]
    )
    required = RegistrationQuestionFactory(seminar=seminar, required=True)
    assert not profile_ready_for_one_click(
        user=complete, audience_types=audience_types, questions=[required]
    )
    form = make_form(seminar, one_click_data(complete), user=complete)
    assert form.is_valid() is False  # the required question is still unanswered
    required.delete()
    form = make_form(seminar, one_click_data(complete), user=complete)
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    "name",
    [
        "Win a prize at https://example.com/x",
        "www.cheap-flights.example",
        "Claim now: prize-site.xyz",
        "Aiko tanaka.click",
    ],
)
def test_a_name_with_a_web_address_is_refused(seminar, name):
    # The name opens every email sent to the address ("Dear …"), which need not be the
    # registrant's own: a link there would ride on a branded email.
    form = make_form(seminar, base_data(name=name))

    assert form.errors["name"] == ["Please enter your name without a web address."]


@pytest.mark.parametrize("name", ["Dr. J.R. Smith", "St.John Tanaka", "O'Brien-Sato", "田中 愛子"])
def test_names_with_dots_and_other_scripts_are_accepted(seminar, name):
    form = make_form(seminar, base_data(name=name))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == name


def test_an_organisation_may_be_a_web_address(seminar):
    form = make_form(seminar, base_data(organisation="travel.example.com"))

    assert form.is_valid(), form.errors


def test_country_options_follow_the_page_language_form_after_form(seminar):
    def options() -> list[tuple[str, str]]:
        return [(code, str(name)) for code, name in make_form(seminar).fields["country"].choices]

    with translation.override("ja"):
        japanese = options()
    with translation.override("en"):
        english = options()
        rendered = str(make_form(seminar)["country"])

    assert japanese[0] == ("", "国を選択してください…")
    assert english[0] == ("", "Choose a country…")
    assert dict(japanese)["JP"] == "日本"
    assert dict(english)["JP"] == "Japan"
    assert len(english) == len(japanese) == len(countries) + 1
    assert '<option value="GB">United Kingdom</option>' in rendered


@pytest.mark.parametrize(("country", "valid"), [("GB", True), ("", True), ("XX", False)])
def test_country_must_be_one_of_the_options(seminar, country, valid):
    form = make_form(seminar, base_data(country=country))

    assert form.is_valid() is valid
    if valid:
        assert form.cleaned_data["country"] == country
    else:
        assert list(form.errors) == ["country"]
