"""Demo post-seminar surveys: questions for both series, and answers from Kyushu by rail.

The answers show on the organiser's page of that seminar (/organiser/seminars/
kyushu-by-rail/), by audience type, with the outcome question. Every person is invented.
"""

from dataclasses import dataclass

from webinars.demo.content.catalogue import JLGC, LOCAL_ATTRACTION
from webinars.demo.rows import upsert
from webinars.models import Registration, Series, SurveyQuestion, SurveyResponse


@dataclass(frozen=True)
class DemoSurveyQuestion:
    series_slug: str
    key: str  # how the answers below name it
    kind: str
    label: str
    label_ja: str
    choices: tuple[str, ...] = ()
    choices_ja: tuple[str, ...] = ()


Kind = SurveyQuestion.Kind
QUESTIONS: tuple[DemoSurveyQuestion, ...] = (
    DemoSurveyQuestion(
        LOCAL_ATTRACTION,
        "useful",
        Kind.RATING,
        "How useful was the seminar for your work?",
        "セミナーはお仕事にどの程度役立ちましたか？",
    ),
    DemoSurveyQuestion(
        LOCAL_ATTRACTION,
        "best",
        Kind.SINGLE_CHOICE,
        "Which part was most useful?",
        "最も役立ったのはどの部分ですか？",
        ("The sample itineraries", "Access and transport", "Questions to the speakers"),
        ("モデルコース", "アクセスと交通", "登壇者への質疑応答"),
    ),
    DemoSurveyQuestion(
        LOCAL_ATTRACTION,
        "next",
        Kind.TEXT,
        "What should a future seminar cover?",
        "今後のセミナーで取り上げてほしいテーマは何ですか？",
    ),
    DemoSurveyQuestion(
        LOCAL_ATTRACTION,
        "outcome",
        Kind.OUTCOME,
        "Will you include this region in a product or itinerary in the next 12 months?",
        "今後12か月以内に、この地域を商品や旅程に組み込む予定はありますか？",
    ),
    DemoSurveyQuestion(
        JLGC,
        "useful",
        Kind.RATING,
        "How useful was the seminar for your work?",
        "セミナーはお仕事にどの程度役立ちましたか？",
    ),
    DemoSurveyQuestion(
        JLGC,
        "next",
        Kind.TEXT,
        "What should a future seminar cover?",
        "今後のセミナーで取り上げてほしいテーマは何ですか？",
    ),
)

# (seminar slug, email): answers by question key, and whether they may be asked again.
ANSWERS: tuple[tuple[str, str, dict[str, object], bool], ...] = (
    (
        "kyushu-by-rail",
        "olivia.bennett@kestrel-crane.example",
        {
            "useful": 5,
            "best": "The sample itineraries",
            "next": "Saga and Nagasaki by rail",
            "outcome": "yes",
        },
        True,
    ),
    (
        "kyushu-by-rail",
        "raj.mistry@harbourtravel.example",
        {"useful": 4, "best": "Access and transport", "outcome": "maybe"},
        True,
    ),
    (
        "kyushu-by-rail",
        "hana.suzuki@example.com",
        {"useful": 5, "best": "Questions to the speakers", "outcome": "no"},
        False,
    ),
)


def seed_surveys(*, series: dict[str, Series]) -> int:
    """The survey questions, and the demo answers; returns how many answers there are."""
    questions: dict[tuple[str, str], SurveyQuestion] = {}
    for position, spec in enumerate(QUESTIONS, start=1):
        questions[spec.series_slug, spec.key] = upsert(
            SurveyQuestion,
            lookup={"series": series[spec.series_slug], "label_en": spec.label},
            values={
                "label_ja": spec.label_ja,
                "kind": spec.kind,
                "choices_en": "\n".join(spec.choices),
                "choices_ja": "\n".join(spec.choices_ja),
                "position": position,
            },
        )
    answered = 0
    for seminar_slug, email, answers, followup in ANSWERS:
        registration = (
            Registration.objects.filter(seminar__slug=seminar_slug, email=email)
            .select_related("seminar")
            .first()
        )
        if registration is None:
            continue
        series_slug = registration.seminar.series.slug
        SurveyResponse.objects.get_or_create(
            registration=registration,
            round=SurveyResponse.Round.AFTER,
            defaults={
                "answers": {
                    str(questions[series_slug, key].pk): value for key, value in answers.items()
                },
                "outcome": str(answers.get("outcome", "")),
                "followup_opt_in": followup,
            },
        )
        answered += 1
    return answered
