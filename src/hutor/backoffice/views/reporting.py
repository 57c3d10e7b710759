"""Reports: an overview of every report's chart, each report's page, and its CSV export."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from hutor.backoffice import reports, roles
from hutor.backoffice.views.common import render_desk
from hutor.core import clock, replica


@roles.require_page("reports.support")
def overview(request: HttpRequest) -> HttpResponse:
    role = getattr(request, "desk_role", None)
    # Reports only read (and may lag the primary by a moment): a replica may serve them.
    with replica.reading():
        shown = [
            build(request.GET)
            for slug, (build, page) in reports.REPORTS.items()
            if roles.allows(role, roles.PAGES[page])
        ]
    return render_desk(request, "backoffice/reports/overview.html", {"reports": shown})


def report(request: HttpRequest, slug: str) -> HttpResponse:
    entry = reports.REPORTS.get(slug)
    if entry is None:
        raise Http404("no such report")
    build, page = entry
    return _GUARDED[page](request, build, slug)


def _report(
    request: HttpRequest, build: Callable[[Any], reports.Report], slug: str
) -> HttpResponse:
    with replica.reading():
        data = build(request.GET)
    if request.GET.get("format") == "csv":
        return _csv(data)
    query = request.GET.copy()
    query["format"] = "csv"
    return render_desk(
        request,
        "backoffice/reports/report.html",
        {"report": data, "csv_query": query.urlencode(), "slug": slug},
    )


# One guarded view per role a report may need (roles.PAGES), so each report page goes through
# the same require_role check as every other desk page.
_GUARDED = {page: roles.require_page(page)(_report) for _build, page in reports.REPORTS.values()}


def _csv(data: reports.Report) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="hutor-{data.slug}-{clock.today().isoformat()}.csv"'
    )
    response.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow([heading for _key, heading in data.columns])
    for row in data.rows:
        writer.writerow([_cell(row.get(key)) for key, _heading in data.columns])
    return response


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ would be run as a formula by a spreadsheet.
    if text[:1] in ("=", "+", "@") or (text[:1] == "-" and not _is_number(text)):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
