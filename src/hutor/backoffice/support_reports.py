"""The support center's reports: tickets opened and closed, and how the SLA targets were kept.

The figures come from hutor.support.queries (the support app owns its tables); this module
only lays them out as desk reports (a chart, a table, a CSV), like the money reports.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from hutor.backoffice.charts import Series, bar_chart
from hutor.backoffice.report_periods import Report, bounds, period_from
from hutor.support import queries
from hutor.support.calculations import Target


def tickets(params: Any) -> Report:
    """Tickets opened and closed per day (or month) of the period."""
    period = period_from(params)
    opened, closed = queries.opened_closed_per_day(*bounds(period))

    def bucket(day: Any) -> str:
        return period.key(day.replace(day=1) if period.by == "month" else day)

    per_opened: dict[str, int] = {}
    per_closed: dict[str, int] = {}
    for counts, into in ((opened, per_opened), (closed, per_closed)):
        for day, n in counts.items():
            into[bucket(day)] = into.get(bucket(day), 0) + n
    buckets = period.buckets()
    table: list[dict[str, Any]] = [
        {
            "period": period.key(day),
            "opened": per_opened.get(period.key(day), 0),
            "closed": per_closed.get(period.key(day), 0),
        }
        for day in buckets
    ]
    return Report(
        slug="tickets",
        title=_("Tickets opened and closed"),
        columns=[
            ("period", _("Period")),
            ("opened", pgettext("tickets", "Opened")),
            ("closed", pgettext("tickets", "Closed")),
        ],
        rows=table,
        chart=bar_chart(
            [period.label(day) for day in buckets],
            [
                Series(pgettext("tickets", "Opened"), [r["opened"] for r in table]),
                Series(pgettext("tickets", "Closed"), [r["closed"] for r in table]),
            ],
            stacked=False,
            integer=True,
            title=_("Tickets opened and closed"),
        ),
        summary=[
            (pgettext("tickets", "Opened"), str(sum(r["opened"] for r in table))),
            (pgettext("tickets", "Closed"), str(sum(r["closed"] for r in table))),
        ],
        numeric=frozenset({"opened", "closed"}),
        filters={"period": period},
    )


def _figures(prefix: str, target: Target) -> dict[str, Any]:
    def shown(value: Decimal | None) -> Decimal | str:
        return "" if value is None else value

    return {
        f"{prefix}_share": shown(target.share),
        f"{prefix}_late": target.missed,
        f"{prefix}_median": shown(target.median_hours),
        f"{prefix}_p90": shown(target.p90_hours),
    }


def sla(params: Any) -> Report:
    """First reply and resolution against the SLA targets, for the tickets opened in the
    period: all of them, then by department and by agent (assignee)."""
    period = period_from(params)
    rows = queries.sla(*bounds(period))
    groups = {"all": _("All tickets"), "department": _("Department"), "agent": _("Agent")}
    table: list[dict[str, Any]] = [
        {
            "group": groups[row.group],
            "name": row.name or (_("Unassigned") if row.group == "agent" else ""),
            "tickets": row.tickets,
            **_figures("first", row.first_reply),
            **_figures("resolution", row.resolution),
        }
        for row in rows
    ]
    departments = [r for r in rows if r.group == "department"]
    total = next((r for r in rows if r.group == "all"), None)

    def number(value: Any) -> str:
        return "—" if value in (None, "") else formats.number_format(value, 1)

    def percent(value: Any) -> str:
        return "—" if value in (None, "") else f"{number(value)} %"

    return Report(
        slug="sla",
        title=_("Support SLA"),
        columns=[
            ("group", _("Group")),
            ("name", _("Department or agent")),
            ("tickets", _("Tickets")),
            ("first_share", _("First reply within target, %")),
            ("first_late", _("First replies late")),
            ("first_median", _("First reply, median hours")),
            ("first_p90", _("First reply, 90th percentile hours")),
            ("resolution_share", _("Resolved within target, %")),
            ("resolution_late", _("Resolutions late")),
            ("resolution_median", _("Resolution, median hours")),
            ("resolution_p90", _("Resolution, 90th percentile hours")),
        ],
        rows=table,
        chart=bar_chart(
            [r.name for r in departments],
            [
                Series(
                    _("First reply within target, %"),
                    [r.first_reply.share or 0 for r in departments],
                ),
                Series(
                    _("Resolved within target, %"),
                    [r.resolution.share or 0 for r in departments],
                ),
            ],
            stacked=False,
            title=_("Share within target by department"),
            value_text=percent,
        ),
        summary=[
            (_("Tickets"), str(total.tickets if total else 0)),
            (
                _("First reply within target"),
                percent(total.first_reply.share if total else None),
            ),
            (
                _("Resolved within target"),
                percent(total.resolution.share if total else None),
            ),
            (
                _("First reply, median hours"),
                number(total.first_reply.median_hours if total else None),
            ),
        ],
        numeric=frozenset(
            {
                "tickets",
                *(f"{p}_{k}" for p in ("first", "resolution") for k in ("share", "late")),
                *(f"{p}_{k}" for p in ("first", "resolution") for k in ("median", "p90")),
            }
        ),
        filters={"period": period},
    )
