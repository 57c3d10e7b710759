"""Sending receipts and asking for their reports: `hutor worker` calls `run_due()`.

Two queues (core.queue) over the one FiscalReceipt table, each a stage:

1. **sending** (status `queued`): the receipt goes to `sell` / `sell_refund` outside any
   transaction, always under its own external_id. Accepted, or answered "already there"
   (error 33, after a send whose answer was lost): it is `sent`, with the operator's uuid.
   Refused (a validation error): `failed` at once, with the operator's words. No answer (the
   operator down, a timeout, 5xx, a token refused): tried again after core.queue's backoff
   (1 min, 5 min, 15 min, 1 h, 3 h, 12 h), then `failed` for staff, who may retry it.
2. **the report** (status `sent`): `done` registers it (fiscal document number, fiscal sign,
   FN number, time); `wait` asks again (10 s, 30 s, 1 min, 5 min, 15 min, 1 h, 3 h, 12 h);
   `fail` makes it `failed` (the operator did not register it; staff retry it under a new
   external_id).

`attempts` and `last_error` show the current stage's tries and what went wrong last. Each
receipt goes through the cash register it names (its company's, fiscal.models): one connection
and token per register in a pass; a register disabled since the receipt was made is an attempt
failed (retried, then given up and shown to staff), never a send through another register.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from hutor.core import clock
from hutor.core.queue import AttemptFailed, Finished, Queue
from hutor.fiscal import atol
from hutor.fiscal.models import CashRegister, FiscalReceipt, ReceiptStatus

log = logging.getLogger("hutor.fiscal")

REPORT_DELAYS: tuple[dt.timedelta, ...] = tuple(
    dt.timedelta(seconds=s) for s in (10, 30, 60, 300, 900, 3600, 10800, 43200)
)

SENDING: Queue[FiscalReceipt] = Queue(
    model=FiscalReceipt,
    name="fiscal receipt",
    pending=ReceiptStatus.QUEUED,
    failed=ReceiptStatus.FAILED,
    lease=dt.timedelta(minutes=2),
    related=("register",),
)
REPORTS: Queue[FiscalReceipt] = Queue(
    model=FiscalReceipt,
    name="fiscal report",
    pending=ReceiptStatus.SENT,
    failed=ReceiptStatus.FAILED,
    lease=dt.timedelta(minutes=2),
    delays=REPORT_DELAYS,
    related=("register",),
)


@dataclass
class FiscalReport:
    sent: int = 0
    registered: int = 0
    retried: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.sent or self.registered or self.retried or self.failed)


class Clients:
    """One connection per cash register for a worker pass (each its own login, token and group
    code): a receipt goes through the register it names, never another company's."""

    def __init__(self) -> None:
        self.by_register: dict[int, atol.Client] = {}

    def __call__(self, register: CashRegister) -> atol.Client:
        if not register.is_enabled:
            raise AttemptFailed(f"the cash register {register} is disabled")
        if register.pk not in self.by_register:
            self.by_register[register.pk] = atol.Client(
                base_url=register.base_url,
                login=register.login,
                password=register.password.reveal() if register.password else "",
                group_code=register.group_code,
            )
        return self.by_register[register.pk]


def run_due(*, limit: int = 100) -> FiscalReport:
    """Send the queued receipts and ask for the reports whose time has come."""
    report = FiscalReport()
    if not CashRegister.objects.filter(is_enabled=True).exists():
        return report  # no cash register: receipts (if any) wait for one
    client = Clients()

    def send(receipt: FiscalReceipt) -> Finished:
        try:
            answer = client(receipt.register).send(receipt.operation, receipt.payload)
        except atol.Unanswered as exc:
            raise AttemptFailed(str(exc)) from exc
        if isinstance(answer, atol.Refused):
            return Finished(
                ReceiptStatus.FAILED,
                {"error_code": answer.code, "last_error": f"{answer.code}: {answer.text}"},
            )
        if answer.duplicate:
            log.info("fiscal receipt %s: already at the operator (%s)", receipt, answer.uuid)
        # The report stage starts: its own tries, the first a few seconds from now.
        return Finished(
            ReceiptStatus.SENT,
            {
                "operator_uuid": answer.uuid,
                "sent_at": clock.now(),
                "attempts": 0,
                "next_attempt_at": clock.now() + REPORT_DELAYS[0],
            },
        )

    def ask(receipt: FiscalReceipt) -> Finished:
        try:
            answer = client(receipt.register).report(receipt.operator_uuid)
        except atol.Unanswered as exc:
            raise AttemptFailed(str(exc)) from exc
        if answer.status == "done":
            return Finished(ReceiptStatus.REGISTERED, {**answer.fields, "error_code": ""})
        if answer.status == "fail":
            return Finished(
                ReceiptStatus.FAILED,
                {
                    "operator_failed": True,
                    "error_code": answer.code,
                    "last_error": f"{answer.code}: {answer.text}",
                },
            )
        raise AttemptFailed("the operator has not registered it yet (wait)")

    sending = SENDING.run_due(send, limit=limit)
    report.sent += sending.finished[ReceiptStatus.SENT]
    report.failed += sending.failed + sending.finished[ReceiptStatus.FAILED]
    report.retried += sending.retried
    reports = REPORTS.run_due(ask, limit=limit)
    report.registered += reports.finished[ReceiptStatus.REGISTERED]
    report.failed += reports.failed + reports.finished[ReceiptStatus.FAILED]
    report.retried += reports.retried
    return report
