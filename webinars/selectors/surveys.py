"""Reads about surveys: which questions a round asks, whether it is open, the answers."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from webinars.models import Registration, Seminar, SurveyQuestion, SurveyResponse
from webinars.models.surveys import FOLLOWUP_AFTER, OUTCOMES

Round = SurveyResponse.Round


def survey_questions(seminar: Seminar, round: str) -> list[SurveyQuestion]:
    """The series' questions after the seminar; the outcome question alone months later."""
    questions = SurveyQuestion.objects.filter(series_id=seminar.series_id)
    if round != Round.AFTER:
        questions = questions.filter(kind=SurveyQuestion.Kind.OUTCOME)
    return list(questions)


def survey_closed_reason(registration: Registration, round: str) -> str | None:
    """Why ``registration`` cannot answer ``round`` now ("answered", "not_yet",
    "not_asked"), or None when it can."""
    if round not in Round.values:
        return "not_asked"
    seminar = registration.seminar
    if (
        not registration.is_confirmed
        or registration.anonymised_at
        or seminar.is_cancelled
        or seminar.ends_at > timezone.now()
    ):
        return "not_yet" if seminar.ends_at > timezone.now() else "not_asked"
    if SurveyResponse.objects.filter(registration=registration, round=round).exists():
        return "answered"
    if round != Round.AFTER:
        agreed = SurveyResponse.objects.filter(
            registration=registration,
            round=Round.AFTER,
            outcome__in=["yes", "maybe"],
            followup_opt_in=True,
        ).exists()
        if not agreed:
            return "not_asked"
        if seminar.ends_at + FOLLOWUP_AFTER[round] > timezone.now():
            return "not_yet"
    return None


@dataclass
class QuestionAnswers:
    """One question's answers: counts per option (or rating) per audience type, or texts."""

    question: SurveyQuestion
    options: list[str]
    # audience type name -> option -> count
    counts: dict[str, Counter] = field(default_factory=dict)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (audience type, text)


@dataclass
class SurveyReport:
    responses: int
    by_round: dict[str, int]
    questions: list[QuestionAnswers]
    # (round, audience type) -> outcome -> count, for the outcome over time.
    outcomes: dict[tuple[str, str], Counter]


def survey_report(seminar: Seminar) -> SurveyReport:
    """The seminar's survey answers by audience type (two queries)."""
    questions = list(SurveyQuestion.objects.filter(series_id=seminar.series_id))
    responses = list(
        SurveyResponse.objects.filter(registration__seminar=seminar)
        .select_related("registration__audience_type")
        .order_by("submitted_at", "pk")
    )
    by_round = Counter(response.round for response in responses)
    answers = []
    for question in questions:
        entry = QuestionAnswers(question=question, options=_options(question))
        counts: dict[str, Counter] = defaultdict(Counter)
        for response in responses:
            if response.round != Round.AFTER:
                continue
            value = response.answers.get(str(question.pk))
            if value in (None, "", []):
                continue
            audience = response.registration.audience_type.name
            if question.kind == SurveyQuestion.Kind.TEXT:
                entry.texts.append((audience, str(value)))
                continue
            for option in value if isinstance(value, list) else [value]:
                # An answer that is no longer an option (the question was changed since)
                # is left out rather than counted under no column.
                if str(option) in entry.options:
                    counts[audience][str(option)] += 1
        entry.counts = dict(sorted(counts.items()))
        answers.append(entry)
    outcomes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for response in responses:
        if response.outcome:
            key = (response.round, response.registration.audience_type.name)
            outcomes[key][response.outcome] += 1
    return SurveyReport(
        responses=len(responses), by_round=dict(by_round), questions=answers, outcomes=outcomes
    )


def _options(question: SurveyQuestion) -> list[str]:
    if question.kind == SurveyQuestion.Kind.RATING:
        return [str(value) for value in range(1, 6)]
    if question.kind == SurveyQuestion.Kind.OUTCOME:
        return list(OUTCOMES)
    return [stored for stored, _label in question.choice_options]
