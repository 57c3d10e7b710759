"""The billing rules of docs/billing-rules.md: periods and the tariff-change proration.

Every worked example of the document is a row here with the same numbers; when one changes,
change the other.
"""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hutor.core.money import CurrencyMismatch, Money
from hutor.services.calculations import TariffChangeQuote, add_months, quote_tariff_change

D = dt.date


def rub(amount: str | int | Decimal) -> Money:
    return Money(amount, "RUB")


# The demo catalog's VPS prices (docs/billing-rules.md, "Worked examples").
VPS1, VPS2, VPS4, VPS8 = rub("390.00"), rub("690.00"), rub("1490.00"), rub("2890.00")
VPS2_3M, VPS4_3M = rub("1980.00"), rub("4290.00")
VPS2_12M, VPS4_12M = rub("6960.00"), rub("15120.00")


def quote(today, paid_until, months, old, new) -> TariffChangeQuote:
    return quote_tariff_change(
        today=today, paid_until=paid_until, period_months=months, old_price=old, new_price=new
    )


# --- periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (D(2026, 11, 26), 1, D(2026, 12, 26)),  # paid_until is the first unpaid day
        (D(2027, 1, 31), 1, D(2027, 2, 28)),  # clamped to the month end
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # ... of a leap February
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2027, 2, 28), 1, D(2027, 3, 28)),  # a clamped day stays clamped on renewal
        (D(2026, 12, 15), 24, D(2028, 12, 15)),
        (D(2027, 3, 31), -1, D(2027, 2, 28)),  # backwards, as quotes rebuild a period
        (D(2028, 6, 10), -12, D(2027, 6, 10)),
        (D(2027, 2, 28), -1, D(2027, 1, 28)),
    ],
)
def test_add_months_is_the_same_day_clamped_to_the_month_end(start, months, end):
    assert add_months(start, months) == end


# --- the worked examples -------------------------------------------------------------------

EXAMPLES = [
    # id, today, paid_until, months, old, new, period_start, period_days, remaining, amount
    ("1-mid-month-upgrade", D(2026, 12, 14), D(2027, 1, 1), 1, VPS1, VPS2,
     D(2026, 12, 1), 31, 18, "174.19"),
    ("2-downgrade-3-months", D(2027, 2, 2), D(2027, 3, 15), 3, VPS4_3M, VPS2_3M,
     D(2026, 12, 15), 90, 41, "-1052.33"),
    ("3-one-day-remainder", D(2027, 2, 28), D(2027, 3, 1), 1, VPS1, VPS8,
     D(2027, 2, 1), 28, 1, "89.29"),
    ("4-leap-february", D(2028, 2, 15), D(2028, 3, 1), 1, VPS1, VPS2,
     D(2028, 2, 1), 29, 15, "155.17"),
    ("5-common-february", D(2027, 2, 15), D(2027, 3, 1), 1, VPS1, VPS2,
     D(2027, 2, 1), 28, 14, "150.00"),
    ("6-12-months-over-29-feb", D(2027, 11, 1), D(2028, 6, 10), 12, VPS2_12M, VPS4_12M,
     D(2027, 6, 10), 366, 222, "4949.51"),
    ("7-ordered-31-jan", D(2027, 2, 14), add_months(D(2027, 1, 31), 1), 1, VPS1, VPS2,
     D(2027, 1, 28), 31, 14, "135.48"),
    ("8-lapsed", D(2027, 1, 1), D(2027, 1, 1), 1, VPS1, VPS2,
     D(2026, 12, 1), 31, 0, "0.00"),
    ("9-renewed-ahead-clamped", D(2026, 11, 20), D(2027, 1, 1), 1, VPS1, VPS2,
     D(2026, 12, 1), 31, 31, "300.00"),
    ("10a-same-day-there", D(2026, 12, 14), D(2027, 1, 1), 1, VPS1, VPS2,
     D(2026, 12, 1), 31, 18, "174.19"),
    ("10b-same-day-back", D(2026, 12, 14), D(2027, 1, 1), 1, VPS2, VPS1,
     D(2026, 12, 1), 31, 18, "-174.19"),
    ("11a-tie-there", D(2027, 2, 22), D(2027, 3, 1), 1, rub("390.00"), rub("490.02"),
     D(2027, 2, 1), 28, 7, "25.01"),
    ("11b-tie-back", D(2027, 2, 22), D(2027, 3, 1), 1, rub("490.02"), rub("390.00"),
     D(2027, 2, 1), 28, 7, "-25.01"),
    ("12a-up", D(2026, 12, 14), D(2027, 1, 1), 1, VPS1, VPS2,
     D(2026, 12, 1), 31, 18, "174.19"),
    ("12b-down-6-days-later", D(2026, 12, 20), D(2027, 1, 1), 1, VPS2, VPS1,
     D(2026, 12, 1), 31, 12, "-116.13"),
    ("13a-cycle", D(2026, 12, 30), D(2027, 1, 1), 1, VPS1, VPS2,
     D(2026, 12, 1), 31, 2, "19.35"),
    ("13b-cycle", D(2026, 12, 30), D(2027, 1, 1), 1, VPS2, VPS4,
     D(2026, 12, 1), 31, 2, "51.61"),
    ("13c-cycle", D(2026, 12, 30), D(2027, 1, 1), 1, VPS4, VPS1,
     D(2026, 12, 1), 31, 2, "-70.97"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("today", "paid_until", "months", "old", "new", "start", "days", "remaining", "amount"),
    [pytest.param(*row[1:], id=row[0]) for row in EXAMPLES],
)
def test_worked_examples_of_the_document(
    today, paid_until, months, old, new, start, days, remaining, amount
):
    result = quote(today, paid_until, months, old, new)
    assert result.period_start == start
    assert result.period_days == days
    assert result.remaining_days == remaining
    assert result.old_daily == old.amount / days
    assert result.new_daily == new.amount / days
    assert result.amount == rub(amount)
    assert str(result.amount) == f"{Decimal(amount):.2f} RUB"
    assert result.is_upgrade is (Decimal(amount) > 0)
    assert result.is_downgrade is (Decimal(amount) < 0)


def _amount(example_id: str) -> Money:
    row = next(row for row in EXAMPLES if row[0] == example_id)
    return quote(*row[1:6]).amount


@pytest.mark.parametrize(
    ("ids", "net"),
    [
        (("10a-same-day-there", "10b-same-day-back"), "0.00"),
        (("11a-tie-there", "11b-tie-back"), "0.00"),
        (("12a-up", "12b-down-6-days-later"), "58.06"),
        (("13a-cycle", "13b-cycle", "13c-cycle"), "-0.01"),  # the documented limit
    ],
)
def test_documented_sequences_net(ids, net):
    assert sum((_amount(example_id) for example_id in ids), rub(0)) == rub(net)


def test_the_exact_values_quoted_by_the_document():
    # The "Exact value" column, to the digits the document prints.
    assert str(Decimal(18) * 300 / 31).startswith("174.1935")
    assert str(Decimal(41) * -2310 / 90).startswith("-1052.333")
    assert str(Decimal(1) * 2500 / 28).startswith("89.2857")
    assert str(Decimal(15) * 300 / 29).startswith("155.1724")
    assert str(Decimal(222) * 8160 / 366).startswith("4949.5081")
    assert str(Decimal(14) * 300 / 31).startswith("135.4838")
    assert Decimal(7) * Decimal("100.02") / 28 == Decimal("25.005")
    assert str(Decimal(12) * -300 / 31).startswith("-116.1290")
    assert str(Decimal(6) * 300 / 31).startswith("58.0645")
    assert str(Decimal(2) * 800 / 31).startswith("51.6129")
    assert (D(2028, 6, 10) - D(2027, 11, 1)).days == 30 + 31 + 31 + 29 + 31 + 30 + 31 + 9


# --- edge cases ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "paid_until", "months", "old", "new", "remaining", "amount"),
    [
        pytest.param(D(2027, 1, 10), None, 1, VPS1, VPS2, 0, "0.00", id="never-paid"),
        pytest.param(D(2027, 3, 5), D(2027, 1, 1), 1, VPS1, VPS2, 0, "0.00", id="lapsed-long-ago"),
        pytest.param(D(2027, 1, 1), D(2027, 1, 1), 1, VPS2, VPS1, 0, "0.00", id="lapsed-today"),
        pytest.param(D(2026, 12, 31), D(2027, 1, 1), 1, VPS1, VPS2, 1, "9.68", id="last-day"),
        pytest.param(D(2026, 12, 1), D(2027, 1, 1), 1, VPS1, VPS2, 31, "300.00", id="first-day"),
        pytest.param(D(2026, 12, 14), D(2027, 1, 1), 1, VPS2, VPS2, 18, "0.00", id="same-price"),
        pytest.param(D(2026, 12, 14), D(2027, 1, 1), 1, rub(0), VPS1, 18, "226.45", id="from-free"),
        pytest.param(
            D(2026, 12, 14), D(2027, 1, 1), 1, rub("100.01"), rub("100.00"), 18, "-0.01",
            id="one-kopeck-down",
        ),
        pytest.param(
            D(2026, 12, 31), D(2027, 1, 1), 1, rub("100.01"), rub("100.00"), 1, "0.00",
            id="too-small-to-credit",
        ),
        pytest.param(
            D(2028, 2, 29), D(2028, 3, 1), 1, VPS1, VPS2, 1, "10.34", id="on-29-feb",
        ),
        pytest.param(
            D(2027, 5, 1), D(2028, 3, 1), 24, rub("1490.00"), rub("2790.00"), 305, "542.41",
            id="24-months",
        ),
    ],
)  # fmt: skip
def test_edge_cases(today, paid_until, months, old, new, remaining, amount):
    result = quote(today, paid_until, months, old, new)
    assert result.remaining_days == remaining
    assert result.amount == rub(amount)
    assert str(result.amount) == f"{Decimal(amount):.2f} RUB"  # never "-0.00 RUB"


def test_a_never_paid_service_reports_the_period_a_payment_today_would_make():
    result = quote(D(2027, 1, 31), None, 1, VPS1, VPS2)
    assert (result.period_start, result.period_days) == (D(2027, 1, 31), 28)
    assert not result.is_upgrade and not result.is_downgrade


def test_a_period_holding_29_february_has_366_days():
    result = quote(D(2028, 2, 29), D(2029, 1, 15), 12, VPS2_12M, VPS4_12M)
    assert (result.period_start, result.period_days) == (D(2028, 1, 15), 366)
    assert result.remaining_days == 321
    assert result.amount == rub("7156.72")  # 321 × 8160 / 366 = 7156.721…


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"old_price": rub(390), "new_price": Money(690, "USD")}, CurrencyMismatch),
        ({"period_months": 0}, ValueError),
        ({"period_months": -1}, ValueError),
        ({"period_months": True}, ValueError),
        ({"old_price": rub(-1)}, ValueError),
        ({"new_price": rub(-1)}, ValueError),
        ({"paid_until": None, "new_price": Money(690, "USD")}, CurrencyMismatch),
    ],
)
def test_bad_input_is_refused(kwargs, error):
    arguments = {
        "today": D(2026, 12, 14),
        "paid_until": D(2027, 1, 1),
        "period_months": 1,
        "old_price": VPS1,
        "new_price": VPS2,
    } | kwargs
    with pytest.raises(error):
        quote_tariff_change(**arguments)


# --- properties ----------------------------------------------------------------------------

PERIODS = st.sampled_from((1, 3, 6, 12, 24))
PRICES = st.integers(min_value=0, max_value=10_000_000).map(lambda k: rub(Decimal(k).scaleb(-2)))
PAID_UNTIL = st.dates(min_value=D(2020, 1, 1), max_value=D(2040, 12, 31))
# From far before the period (paid ahead) to well after it lapsed.
OFFSETS = st.integers(min_value=-60, max_value=800)


def _exact(result: TariffChangeQuote, old: Money, new: Money) -> Decimal:
    return (new.amount - old.amount) * result.remaining_days / result.period_days


@given(PAID_UNTIL, OFFSETS, PERIODS, PRICES, PRICES)
def test_property_one_rounding_symmetric_bounded_and_signed(paid_until, offset, months, a, b):
    today = paid_until - dt.timedelta(days=offset)
    there, back = quote(today, paid_until, months, a, b), quote(today, paid_until, months, b, a)
    # (a) A→B and B→A on the same day are exact opposites.
    assert there.amount == -back.amount
    # One rounding point: the exact value rounded half-up once.
    assert there.amount == rub(_exact(there, a, b)).rounded()
    assert abs(there.amount.amount - _exact(there, a, b)) <= Decimal("0.005")
    # (b) Never more than the price difference of a whole period.
    assert abs(there.amount) <= abs(b - a)
    assert 0 <= there.remaining_days <= there.period_days
    assert there.period_start == add_months(paid_until, -months)
    assert 28 * months <= there.period_days <= 31 * months
    # (c) An upgrade is never a credit, a downgrade never a charge.
    if b > a:
        assert there.amount >= rub(0) and not there.is_downgrade
    elif b < a:
        assert there.amount <= rub(0) and not there.is_upgrade
    else:
        assert there.amount == rub(0)
    if today >= paid_until:
        assert there.amount == rub(0) and there.remaining_days == 0


@given(
    PAID_UNTIL,
    PERIODS,
    PRICES,
    PRICES,
    st.lists(OFFSETS, min_size=1, max_size=12),
)
def test_property_back_and_forth_never_pays_the_customer(paid_until, months, a, b, offsets):
    """(d) Changes between two tariffs alternate on days that never go back in time.

    Starting on the cheaper tariff, the customer's net is ≥ 0 (they pay at most for the days
    spent on the dearer one) and not above a single upgrade on the first day. Starting on the
    dearer tariff, the net is a credit no larger than a single downgrade on the first day.
    """
    cheap, dear = sorted((a, b), key=lambda money: money.amount)
    days = sorted(paid_until - dt.timedelta(days=offset) for offset in offsets)

    def net(start: Money, other: Money) -> Money:
        tariffs = [start, other]
        result = rub(0)
        for step, today in enumerate(days):
            old, new = tariffs[step % 2], tariffs[(step + 1) % 2]
            result += quote(today, paid_until, months, old, new).amount
        return result

    first_upgrade = quote(days[0], paid_until, months, cheap, dear).amount
    assert rub(0) <= net(cheap, dear) <= first_upgrade
    assert -first_upgrade <= net(dear, cheap) <= rub(0)
    if len(days) % 2 == 0 and days[0] == days[-1]:
        # All on one day, back where it started: exactly nothing moves.
        assert net(cheap, dear) == rub(0) == net(dear, cheap)


@given(
    PAID_UNTIL,
    PERIODS,
    st.lists(st.tuples(OFFSETS, PRICES), min_size=1, max_size=12),
    PRICES,
)
def test_property_any_sequence_stays_within_half_a_kopeck_per_change(
    paid_until, months, steps, first_price
):
    """Through any number of tariffs, the net differs from the exact value of the days spent
    on each tariff by at most half a kopeck per change (the documented limit)."""
    steps = sorted(steps, key=lambda step: -step[0])  # days never go back in time
    current, net, exact = first_price, rub(0), Decimal(0)
    for offset, price in steps:
        result = quote(paid_until - dt.timedelta(days=offset), paid_until, months, current, price)
        net += result.amount
        exact += _exact(result, current, price)
        current = price
    assert abs(net.amount - exact) <= Decimal("0.005") * len(steps)
