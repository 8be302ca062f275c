"""Answering a post-seminar survey: one response per registrant and round, kept as given."""

from django.db import IntegrityError, transaction

from webinars.models import Registration, SurveyResponse


class SurveyAlreadyAnswered(Exception):
    """This registrant has answered this round: the first answers stand."""


def survey_response_submit(
    *,
    registration: Registration,
    round: str,
    answers: dict[str, object],
    outcome: str = "",
    followup_opt_in: bool = False,
) -> SurveyResponse:
    """Store a registrant's answers for ``round``; raises :class:`SurveyAlreadyAnswered`
    the second time (a double click, an old tab), leaving the first answers untouched."""
    try:
        with transaction.atomic():
            return SurveyResponse.objects.create(
                registration=registration,
                round=round,
                answers=answers,
                outcome=outcome,
                followup_opt_in=followup_opt_in and outcome in ("yes", "maybe"),
            )
    except IntegrityError as error:
        raise SurveyAlreadyAnswered from error
