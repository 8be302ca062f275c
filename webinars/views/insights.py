"""``/organiser/``: who registered, joined, attended and watched, by audience type.

Organisers and other staff only: a visitor is sent to sign in, a signed-in attendee gets
a 403, and staff reach it only with a second factor (accounts.middleware). Each page's
tables download as CSV and the whole report as XLSX, with the page's own filter.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from config.http import personal_page
from webinars import selectors
from webinars.forms.insights import InsightsFilterForm
from webinars.insights import Section, overview_sections, seminar_sections, survey_sections
from webinars.models import Seminar
from webinars.reports import download_name, table_csv, tables_xlsx
from webinars.selectors import insights
from webinars.timezones import uk_zone_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def may_see_insights(user: object) -> bool:
    """Staff who may see registrations (organisers; superusers): the figures name
    organisations and count people."""
    return bool(getattr(user, "is_staff", False) and user.has_perm("webinars.view_registration"))


def organisers_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    @personal_page
    @login_required
    @require_safe
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not may_see_insights(request.user):
            raise PermissionDenied(_("The insights are for organisers only."))
        return view(request, *args, **kwargs)

    return wrapper


def _download(content: str | bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _table_download(sections: list[Section], table_slug: str, *, name: str) -> HttpResponse:
    for section in sections:
        if section.table.slug == table_slug:
            return _download(
                table_csv(section.table),
                filename=f"{download_name(name, table_slug)}.csv",
                content_type="text/csv; charset=utf-8",
            )
    raise Http404(_("This report has no table called “%(name)s”.") % {"name": table_slug[:60]})


def _overview(
    request: HttpRequest,
) -> tuple[InsightsFilterForm, insights.Overview | None, list[Section], str]:
    form = InsightsFilterForm(request.GET)
    if not form.is_valid():
        return form, None, [], ""
    scope = form.scope()
    name = download_name(
        "insights",
        scope.series.slug if scope.series else "all-seminars",
        scope.start.isoformat(),
        scope.end.isoformat(),
    )
    report = insights.overview(scope)
    return form, report, overview_sections(report), name


@organisers_only
def organiser_insights(request: HttpRequest) -> HttpResponse:
    """All seminars, or one series, in a date range."""
    form, report, sections, _name = _overview(request)
    context = {"form": form, "report": report, "sections": sections, "query": _query(form)}
    return render(
        request,
        "webinars/organiser/insights.html",
        context,
        status=200 if form.is_valid() else 400,
    )


def _query(form: InsightsFilterForm) -> str:
    """The valid filter as a query string, for the download links (junk left out)."""
    if not form.is_valid():
        return ""
    scope = form.scope()
    query = QueryDict(mutable=True)
    query.update({"start": scope.start.isoformat(), "end": scope.end.isoformat()})
    if scope.series is not None:
        query["series"] = scope.series.slug
    return query.urlencode()


@organisers_only
def organiser_insights_csv(request: HttpRequest, table: str) -> HttpResponse:
    form, _report, sections, name = _overview(request)
    if not form.is_valid():
        return render(request, "webinars/organiser/insights.html", {"form": form}, status=400)
    return _table_download(sections, table, name=name)


@organisers_only
def organiser_insights_xlsx(request: HttpRequest) -> HttpResponse:
    form, _report, sections, name = _overview(request)
    if not form.is_valid():
        return render(request, "webinars/organiser/insights.html", {"form": form}, status=400)
    return _download(
        tables_xlsx([section.table for section in sections], title=name),
        filename=f"{name}.xlsx",
        content_type=XLSX,
    )


def _seminar(slug: str) -> Seminar:
    seminar = Seminar.objects.select_related("series").filter(slug=slug).first()
    if seminar is None:
        raise Http404(_("No seminar found."))
    return seminar


def _seminar_report(slug: str) -> tuple[insights.SeminarReport, str]:
    seminar = _seminar(slug)
    report = insights.seminar_report(seminar)
    return report, download_name("insights", seminar.slug)


def _seminar_sections(report: insights.SeminarReport) -> list[Section]:
    """The seminar's figures, then its survey's answers by audience type."""
    return seminar_sections(report) + survey_sections(selectors.survey_report(report.seminar))


@organisers_only
def organiser_seminar_insights(request: HttpRequest, slug: str) -> HttpResponse:
    """One seminar: by audience type, country and source, and registrations over time."""
    report, _name = _seminar_report(slug)
    seminar = report.seminar
    return render(
        request,
        "webinars/organiser/seminar_insights.html",
        {
            "seminar": seminar,
            "report": report,
            "sections": _seminar_sections(report),
            "ended": seminar.ends_at <= timezone.now(),
            "uk_zone": uk_zone_name(),
        },
    )


@organisers_only
def organiser_seminar_insights_csv(request: HttpRequest, slug: str, table: str) -> HttpResponse:
    report, name = _seminar_report(slug)
    return _table_download(_seminar_sections(report), table, name=name)


@organisers_only
def organiser_seminar_insights_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    report, name = _seminar_report(slug)
    return _download(
        tables_xlsx(
            [section.table for section in _seminar_sections(report)], title=report.seminar.title
        ),
        filename=f"{name}.xlsx",
        content_type=XLSX,
    )
