"""The desk's support reports with known figures: six tickets opened, answered and closed at
fixed moments, and the counts, shares within target, medians and 90th percentiles they must
give, on the page and in the CSV (headings in the reader's language); who may see them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from hutor.backoffice.models import Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.support import actions
from hutor.support.calculations import nearest_rank, target_kept
from hutor.support.models import TicketPriority
from hutor.support.tests.data import department

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PERIOD = "?from=2026-03-01&to=2026-03-10"


def at(day: int, hour: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=UTC)


def _ticket(
    world,
    code,
    opened,
    *,
    priority=TicketPriority.NORMAL,
    assignee=None,
    reply=None,
    close=None,
    staff=None,
):
    with time_machine.travel(opened, tick=False):
        ticket = actions.open_ticket(
            subject=f"Ticket {opened:%d %H}",
            text="Text",
            department=department(code),
            billing_account=world.account,
            priority=priority,
        )
        if assignee is not None:
            ticket = actions.assign(ticket=ticket, assignee=assignee)
    if reply is not None:
        with time_machine.travel(reply, tick=False):
            actions.staff_reply(ticket=ticket, staff=staff or assignee, text="Answer")
    if close is not None:
        with time_machine.travel(close, tick=False):
            actions.close(ticket=ticket)
    return ticket


@pytest.fixture
def history(world, staff_factory):
    """Normal priority: first reply within 8 h, resolution within 72 h; high: 2 h and 24 h;
    low: 24 h and 120 h (the default HUTOR_SUPPORT_SLA_HOURS)."""
    anna = staff_factory(Role.SUPPORT, email="anna@hutor.test")
    boris = staff_factory(Role.SUPPORT, email="boris@hutor.test")
    # Billing, Anna: answered in 2 h and closed in 24 h (both met)...
    _ticket(world, "billing", at(2, 10), assignee=anna, reply=at(2, 12), close=at(3, 10))
    # ...answered in 10 h and closed in 96 h (both late).
    _ticket(world, "billing", at(2, 12), assignee=anna, reply=at(2, 22), close=at(6, 12))
    # Technical, Boris, high: answered in 1 h, closed in 5 h.
    _ticket(
        world,
        "technical",
        at(3, 9),
        priority=TicketPriority.HIGH,
        assignee=boris,
        reply=at(3, 10),
        close=at(3, 14),
    )
    # Technical, nobody: never answered, both deadlines passed by NOW (missed).
    _ticket(world, "technical", at(4, 9))
    # Technical, nobody, low: opened 4 h before NOW, nothing due yet (pending).
    _ticket(world, "technical", at(10, 8), priority=TicketPriority.LOW)
    # Opened before the period and closed in it: counts as closed, not in the SLA figures.
    _ticket(
        world,
        "billing",
        at(20, 10, month=2),
        assignee=anna,
        reply=at(20, 11, month=2),
        close=at(2, 15),
    )
    # Closed in the period, then reopened by the customer: not closed any more.
    reopened = _ticket(
        world,
        "domains",
        at(20, 10, month=2),
        assignee=boris,
        reply=at(20, 11, month=2),
        close=at(5, 10),
    )
    with time_machine.travel(at(5, 11), tick=False):
        actions.customer_reply(ticket=reopened, text="Again", author=None, attachments=[])
    return anna


def _client(staff_factory, role=Role.SUPPORT):
    return desk_session(Client(), staff_factory(role))


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_tickets_opened_and_closed_per_day(history, staff_factory):
    with time_machine.travel(NOW, tick=False):
        client = _client(staff_factory)
        page = client.get("/desk/reports/tickets/" + PERIOD)
        rows = _csv(client.get("/desk/reports/tickets/" + PERIOD + "&format=csv"))
        english = _csv(
            client.get("/desk/reports/tickets/" + PERIOD + "&format=csv", HTTP_ACCEPT_LANGUAGE="en")
        )
    assert page.status_code == 200
    assert (
        "<svg" in page.content.decode() and "Открытые и закрытые обращения" in page.content.decode()
    )
    assert rows[0] == ["Период", "Открыто", "Закрыто"]
    assert english[0] == ["Period", "Opened", "Closed"]
    by_day = {day: (int(o), int(c)) for day, o, c in rows[1:]}
    assert len(by_day) == 10  # every day of the period, empty ones too
    assert by_day["2026-03-02"] == (2, 1)
    assert by_day["2026-03-03"] == (1, 2)
    assert by_day["2026-03-04"] == (1, 0)
    assert by_day["2026-03-05"] == (0, 0)  # closed that day, then reopened
    assert by_day["2026-03-06"] == (0, 1)
    assert by_day["2026-03-10"] == (1, 0)
    assert sum(o for o, _c in by_day.values()) == 5 and sum(c for _o, c in by_day.values()) == 4


def test_sla_by_department_and_agent(history, staff_factory):
    with time_machine.travel(NOW, tick=False):
        client = _client(staff_factory)
        page = client.get("/desk/reports/sla/" + PERIOD).content.decode()
        rows = _csv(client.get("/desk/reports/sla/" + PERIOD + "&format=csv"))
        english = _csv(
            client.get("/desk/reports/sla/" + PERIOD + "&format=csv", HTTP_ACCEPT_LANGUAGE="en")
        )
    assert english[0][:5] == [
        "Group",
        "Department or agent",
        "Tickets",
        "First reply within target, %",
        "First replies late",
    ]
    assert rows[0][:3] == ["Группа", "Отдел или сотрудник", "Обращения"]
    table = {(group, name): rest for group, name, *rest in english[1:]}
    # tickets | first: share, late, median, p90 | resolution: share, late, median, p90
    assert table[("All tickets", "")] == [
        "5",
        "50.0",
        "2",
        "2.0",
        "10.0",
        "50.0",
        "2",
        "24.0",
        "96.0",
    ]
    assert table[("Department", "Billing and documents")] == [
        "2",
        "50.0",
        "1",
        "2.0",
        "10.0",
        "50.0",
        "1",
        "24.0",
        "96.0",
    ]
    assert table[("Department", "Technical support")] == [
        "3",
        "50.0",
        "1",
        "1.0",
        "1.0",
        "50.0",
        "1",
        "5.0",
        "5.0",
    ]
    assert table[("Agent", "anna@hutor.test")] == table[("Department", "Billing and documents")]
    assert table[("Agent", "boris@hutor.test")] == [
        "1",
        "100.0",
        "0",
        "1.0",
        "1.0",
        "100.0",
        "0",
        "5.0",
        "5.0",
    ]
    assert table[("Agent", "Unassigned")] == ["2", "0.0", "1", "", "", "0.0", "1", "", ""]
    assert len(table) == 6  # the domains ticket was opened before the period
    assert "Billing and documents" not in page and "Оплата и документы" in page
    assert "50,0 %" in page  # the summary, in the reader's number format


def test_support_sees_the_support_reports_only(history, staff_factory):
    support = _client(staff_factory)
    overview = support.get("/desk/reports/").content.decode()
    assert "/desk/reports/sla/" in overview and "/desk/reports/outstanding/" not in overview
    assert support.get("/desk/reports/outstanding/").status_code == 403
    sales = _client(staff_factory, Role.SALES).get("/desk/reports/").content.decode()
    assert "/desk/reports/sla/" in sales and "/desk/reports/outstanding/" in sales


def test_empty_period_and_nonsense_parameters(db, staff_factory):
    client = _client(staff_factory)
    for url in ("/desk/reports/sla/", "/desk/reports/tickets/?from=x&to=2026-13-45&by=week"):
        assert client.get(url).status_code == 200
        assert client.get(url + ("&" if "?" in url else "?") + "format=csv").status_code == 200


def test_nearest_rank_and_a_target_kept():
    hours = [Decimal(h) for h in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]
    assert nearest_rank(hours, Decimal("0.5")) == 5
    assert nearest_rank(hours, Decimal("0.9")) == 9
    assert nearest_rank(hours[:1], Decimal("0.9")) == 1
    assert nearest_rank([], Decimal("0.5")) is None
    due = at(1, 10)
    kept = target_kept(
        [
            (at(1, 0), at(1, 10), due),  # exactly on the deadline: met
            (at(1, 0), at(1, 11), due),  # an hour late
            (at(1, 0), None, due),  # not done, past due at NOW
            (at(1, 0), None, at(20, 0)),  # not done, not due yet
        ],
        NOW,
    )
    assert (kept.met, kept.missed, kept.pending) == (1, 2, 1)
    assert kept.share == Decimal("33.3")
    assert kept.median_hours == Decimal("10.0") and kept.p90_hours == Decimal("11.0")
