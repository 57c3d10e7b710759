# ruff: noqa: S608 - the SQL is assembled from this module's own dialect snippets; values are parameters
"""The set-based ceiling of bench/billing_run.py: the renewal step's rows written by SQL alone.

Per batch (the run's batch size, one transaction, `synchronous_commit = off` on PostgreSQL as
the run's batches have it): the batch's due services go into a temporary table with every
value the batch needs (ids drawn from the tables' own sequences, invoice numbers from the
invoice sequence's row, the paid period's end), then one `INSERT ... SELECT` per table writes
what the run writes for each renewal (journal entry, two postings, invoice, line, renewal,
paid period, outbox email, two events: 10 rows), one `UPDATE ... FROM` extends the services,
and the balances are updated from an aggregate of the batch. Into Hutor's real tables, with
all their indexes, constraints and foreign keys: what the database itself can do for this
work, with no Python per row. The texts, snapshots and event bodies have the run's shape and
length; the rule (which services, which price) is the benchmark's fixture, not recomputed.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any

RENEWAL_ROWS = 10  # rows written per renewal, by the run and by this ceiling

_POSTGRES = {
    "end": "(s.paid_until + interval '1 month')::date",
    "ru": "to_char({}, 'DD.MM.YYYY')",
    "en": "to_char({}, 'MM/DD/YYYY')",
    "pad": "lpad(({})::text, 6, '0')",
    "obj": "jsonb_build_object",
    "arr": "jsonb_build_array",
    "uuid": "gen_random_uuid()",
    "days": "(period_end - paid_until)",
    "json": "%s::jsonb",
    # A text parameter inside jsonb_build_object (VARIADIC "any"): typed, for server-side binding.
    "text": "%s::text",
    "iso": "to_char({}, 'YYYY-MM-DD')",
    "temp": "CREATE TEMP TABLE bench_due (k bigint, service_id bigint, account_id bigint, "
    "balance_id bigint, identifier text, paid_until date, period_end date, language text, "
    "email text, name text, acc_number text, acc_kind text, invoice_id bigint, entry_id bigint, "
    "number text)",
}
_SQLITE = {
    "end": "date(s.paid_until, '+1 month')",
    "ru": "strftime('%%d.%%m.%%Y', {})",
    "en": "strftime('%%m/%%d/%%Y', {})",
    "pad": "printf('%%06d', {})",
    "obj": "json_object",
    "arr": "json_array",
    "uuid": "lower(hex(randomblob(16)))",
    "days": "CAST(julianday(period_end) - julianday(paid_until) AS INTEGER)",
    "json": "%s",
    "text": "%s",
    "iso": "{}",
    "temp": "CREATE TEMP TABLE bench_due (k integer, service_id integer, account_id integer, "
    "balance_id integer, identifier text, paid_until date, period_end date, language text, "
    "email text, name text, acc_number text, acc_kind text, invoice_id integer, "
    "entry_id integer, number text)",
}


def set_based(n: int, batch: int, *, price: Decimal, year: int) -> float:
    """Renew the first `n` services (by id) once more, set-based, `batch` per transaction.
    Returns seconds. Run right after the billing run on the same database (the services'
    paid-until has moved on, so these are new periods, new numbers, new keys)."""
    from django.db import connection, transaction

    from hutor.core.models import Provider
    from hutor.invoices.actions import provider_snapshot
    from hutor.ledger.models import LedgerAccount
    from hutor.services.models import Service

    pg = connection.vendor == "postgresql"
    sql = _POSTGRES if pg else _SQLITE
    ids = list(Service.objects.order_by("pk").values_list("pk", flat=True)[:n])
    revenue = LedgerAccount.objects.get(code="revenue:hosting").pk
    assert Provider.current() is not None
    provider = json.dumps(provider_snapshot())
    now = dt.datetime.now(dt.UTC)
    now_value: Any = now if pg else now.isoformat(sep=" ")
    now_json = now.isoformat()
    day_value: Any = now.date() if pg else now.date().isoformat()
    amount = str(price)
    year_prefix = f"{year % 100:02d}-"
    seq_name = f"invoice-{year}"
    obj, arr = sql["obj"], sql["arr"]
    with connection.cursor() as cursor:
        cursor.execute(sql["temp"])
        if pg:
            cursor.execute(
                "SELECT pg_get_serial_sequence('invoices_invoice', 'id'), "
                "pg_get_serial_sequence('ledger_journalentry', 'id')"
            )
            invoice_seq, entry_seq = cursor.fetchone()
    began = time.monotonic()
    for start in range(0, len(ids), batch):
        part = ids[start : start + batch]
        with transaction.atomic(), connection.cursor() as cursor:
            if pg:
                cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("DELETE FROM bench_due")
            # The invoice numbers: a block of the sequence's row, as the run takes it.
            cursor.execute(
                "UPDATE core_sequence SET next_value = next_value + %s WHERE name = %s "
                "RETURNING next_value",
                [len(part), seq_name],
            )
            first = cursor.fetchone()[0] - len(part)
            if pg:
                invoice_id = f"nextval('{invoice_seq}'::regclass)"
                entry_id = f"nextval('{entry_seq}'::regclass)"
            else:
                cursor.execute("SELECT COALESCE(MAX(id), 0) FROM invoices_invoice")
                invoice_id = f"{cursor.fetchone()[0]} + k"
                cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_journalentry")
                entry_id = f"{cursor.fetchone()[0]} + k"
            cursor.execute(
                "INSERT INTO bench_due (k, service_id, account_id, balance_id, identifier, "
                "paid_until, period_end, language, email, name, acc_number, acc_kind) "
                "SELECT ROW_NUMBER() OVER (ORDER BY s.id), s.id, a.id, la.id, s.identifier, "
                f"s.paid_until, {sql['end']}, a.language, a.contact_email, a.name, a.number, "
                "a.kind FROM services_service s "
                "JOIN accounts_billingaccount a ON a.id = s.billing_account_id "
                "JOIN ledger_ledgeraccount la ON la.billing_account_id = a.id "
                "AND la.kind = 'customer' "
                "WHERE s.id >= %s AND s.id <= %s",
                [part[0], part[-1]],
            )
            cursor.execute(
                f"UPDATE bench_due SET invoice_id = {invoice_id}, entry_id = {entry_id}, "
                f"number = %s || {sql['pad'].format('%s + k - 1')}",
                [year_prefix, first],
            )
            if pg:  # the run's locks: billing accounts, then ledger accounts, by id
                cursor.execute(
                    "SELECT id FROM accounts_billingaccount WHERE id IN "
                    "(SELECT account_id FROM bench_due) ORDER BY id FOR UPDATE"
                )
                cursor.execute(
                    "SELECT id FROM ledger_ledgeraccount WHERE id IN "
                    "(SELECT balance_id FROM bench_due UNION SELECT %s) ORDER BY id FOR UPDATE",
                    [revenue],
                )
            cursor.execute(
                "INSERT INTO ledger_journalentry (id, created_at, kind, memo, reference, "
                "idempotency_key, billing_account_id) SELECT entry_id, %s, 'settlement', "
                "'Invoice ' || number, number, 'invoice:' || number || ':settlement', account_id "
                "FROM bench_due",
                [now_value],
            )
            cursor.execute(
                "INSERT INTO ledger_posting (entry_id, account_id, amount, currency) "
                "SELECT entry_id, balance_id, %s, 'RUB' FROM bench_due "
                "UNION ALL SELECT entry_id, %s, %s, 'RUB' FROM bench_due",
                [-price, revenue, price],
            )
            cursor.execute(
                "INSERT INTO invoices_invoice (id, number, billing_account_id, kind, status, "
                "currency, total, tax_regime, issued_at, issue_date, due_date, paid_at, "
                "settlement_entry_id, payer, provider, language) "
                "SELECT invoice_id, number, account_id, 'renewal', 'paid', 'RUB', %s, '', %s, "
                "%s, paid_until, %s, entry_id, "
                f"{obj}('number', acc_number, 'kind', acc_kind, 'name', name, 'inn', '', "
                "'kpp', '', 'address', '', 'email', email, 'phone', '', 'contract', NULL), "
                f"{sql['json']}, language FROM bench_due",
                [price, now_value, day_value, now_value, provider],
            )
            start_ru, end_ru = sql["ru"].format("paid_until"), sql["ru"].format("period_end")
            start_en, end_en = sql["en"].format("paid_until"), sql["en"].format("period_end")
            cursor.execute(
                "INSERT INTO invoices_invoiceline (invoice_id, position, kind, service_id, "
                "service_type_code, tariff_code, description_ru, description_en, period_start, "
                "period_end, period_months, quantity, amount) "
                "SELECT invoice_id, 1, 'period', service_id, 'hosting', 'start', "
                "'Хостинг «Старт», 1 месяц, ' || identifier || ' (' || "
                f"{start_ru} || '–' || {end_ru} || ')', "
                "'Hosting “Start”, 1 month, ' || identifier || ' (' || "
                f"{start_en} || '–' || {end_en} || ')', "
                "paid_until, period_end, 1, 1, %s FROM bench_due",
                [price],
            )
            cursor.execute(
                "INSERT INTO billing_renewal (service_id, period_start, invoice_id, created_at) "
                "SELECT service_id, paid_until, invoice_id, %s FROM bench_due",
                [now_value],
            )
            cursor.execute(
                'INSERT INTO services_paidperiod (service_id, invoice_id, start, "end", '
                "tariff_code, period_months, period_days, amount, currency, source, created_at) "
                "SELECT service_id, invoice_id, paid_until, period_end, 'start', 1, "
                f"{sql['days']}, %s, 'RUB', 'renewal', %s FROM bench_due",
                [price, now_value],
            )
            cursor.execute(
                "INSERT INTO notifications_outboxemail (key, template, to_email, language, "
                "params, billing_account_id, status, attempts, next_attempt_at, last_error, "
                "subject, created_at) "
                "SELECT 'invoice-paid:' || number, 'invoice_paid', email, language, "
                f"{obj}('invoice', number), account_id, 'pending', 0, %s, '', '', %s "
                "FROM bench_due",
                [now_value, now_value],
            )
            body = (
                f"{obj}('account', acc_number, 'invoice', number, 'kind', 'renewal', "
                "'status', 'paid', "
                f"'amount', {sql['text']}, 'currency', 'RUB', "
                f"'issue_date', {sql['text']}, "
                f"'due_date', {sql['iso'].format('paid_until')}, 'lines', {arr}({obj}("
                f"'service_id', service_id, 'service_type', 'hosting', 'tariff', 'start', "
                f"'period_start', {sql['iso'].format('paid_until')}, "
                f"'period_end', {sql['iso'].format('period_end')}, 'amount', {sql['text']})), "
                f"'paid_at', {sql['text']})"
            )
            body_params = [amount, now.date().isoformat(), amount, now_json]
            cursor.execute(
                "INSERT INTO core_event (id, kind, account_id, data, created_at) "
                f"SELECT {sql['uuid']}, 'invoice.issued', account_id, {body}, %s FROM bench_due "
                f"UNION ALL SELECT {sql['uuid']}, 'invoice.paid', account_id, {body}, %s "
                "FROM bench_due",
                [*body_params, now_value, *body_params, now_value],
            )
            cursor.execute(
                "UPDATE services_service SET paid_until = d.period_end "
                "FROM bench_due d WHERE services_service.id = d.service_id"
            )
            # Balances from an aggregate of the batch: the customers', then revenue's.
            cursor.execute(
                "UPDATE ledger_ledgeraccount SET balance = balance - t.spent "
                "FROM (SELECT balance_id, COUNT(*) * %s AS spent FROM bench_due "
                "GROUP BY balance_id) t WHERE ledger_ledgeraccount.id = t.balance_id",
                [price],
            )
            cursor.execute(
                "UPDATE ledger_ledgeraccount SET balance = balance + "
                "(SELECT COUNT(*) * %s FROM bench_due) WHERE id = %s",
                [price, revenue],
            )
    elapsed = time.monotonic() - began
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_due")
    return elapsed
