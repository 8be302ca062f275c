"""The survey page: ``/r/<token>/survey/<round>/`` from the emailed link (no sign-in), and
``/me/registrations/<pk>/survey/<round>/`` for an account. GET shows the questions (or
why there are none to answer); POST stores the answers once."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from config.http import personal_page
from webinars import selectors
from webinars.forms.surveys import SurveyForm
from webinars.models import SurveyResponse
from webinars.services import SurveyAlreadyAnswered, survey_response_submit
from webinars.views.access import Access, access_by_account, access_by_token, token_route

TEMPLATE = "webinars/survey.html"


def _survey(request: HttpRequest, access: Access, round: str) -> HttpResponse:
    registration = access.registration
    seminar = registration.seminar
    context = {"seminar": seminar, "access": access, "round": round}
    reason = selectors.survey_closed_reason(registration, round)
    questions = selectors.survey_questions(seminar, round) if reason is None else []
    if reason is None and not questions:
        reason = "not_asked"
    if reason is not None:
        status = 200 if reason == "answered" else 404
        return render(request, TEMPLATE, {**context, "state": reason}, status=status)
    followup = round != SurveyResponse.Round.AFTER
    form = SurveyForm(request.POST or None, questions=questions, followup=followup)
    if request.method == "POST" and form.is_valid():
        try:
            survey_response_submit(
                registration=registration,
                round=round,
                answers=form.answers(),
                outcome=form.outcome(),
                followup_opt_in=form.cleaned_data.get("followup_opt_in", False),
            )
        except SurveyAlreadyAnswered:
            return render(request, TEMPLATE, {**context, "state": "answered"})
        return render(request, TEMPLATE, {**context, "state": "thanks"})
    return render(
        request, TEMPLATE, {**context, "state": "ask", "form": form, "followup": followup}
    )


@personal_page
@require_http_methods(["GET", "HEAD", "POST"])
@token_route
def registration_survey(request: HttpRequest, token: str, round: str) -> HttpResponse:
    return _survey(request, access_by_token(token), round)


@personal_page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_registration_survey(request: HttpRequest, pk: int, round: str) -> HttpResponse:
    return _survey(request, access_by_account(request, pk), round)
