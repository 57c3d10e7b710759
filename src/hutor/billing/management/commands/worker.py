import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from hutor.notifications.actions import deliver_due
from hutor.payments.refunds import retry_pending_refunds
from hutor.services.tasks import run_due_tasks

log = logging.getLogger("hutor.worker")


class Command(BaseCommand):
    help = (
        "Run background work: deliver queued emails, run provisioning tasks and ask payment "
        "services again about refunds left pending, each with retries. Several workers may "
        "share one PostgreSQL database. Stops on SIGTERM/Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="process what is due and exit")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if not once:
            self.stdout.write(f"hutor worker: polling every {interval:g} s")
        while not stopping:
            # Each kind of work is guarded on its own: a broken provisioning module or mail
            # server is logged and retried on the next poll, and never stops the other kind.
            emails = tasks = refunds = None
            try:
                emails = deliver_due()
            except Exception:
                log.exception("email delivery failed; retrying on the next poll")
            try:
                tasks = run_due_tasks()
            except Exception:
                log.exception("provisioning failed; retrying on the next poll")
            try:
                refunds = retry_pending_refunds()
            except Exception:
                log.exception("refund retries failed; retrying on the next poll")
            if refunds:
                log.info("refunds: %d concluded", refunds)
            if emails and (emails.sent or emails.retried or emails.failed):
                log.info(
                    "emails: %d sent, %d to retry, %d failed",
                    emails.sent,
                    emails.retried,
                    emails.failed,
                )
            if tasks:
                log.info(
                    "provisioning: %d done, %d to-do for staff, %d to retry, %d failed",
                    tasks.done,
                    tasks.todo,
                    tasks.retried,
                    tasks.failed,
                )
            if once:
                if emails is not None:
                    self.stdout.write(
                        f"emails: {emails.sent} sent, {emails.retried} to retry, "
                        f"{emails.failed} failed"
                    )
                if tasks is not None:
                    self.stdout.write(
                        f"provisioning: {tasks.done} done, {tasks.todo} to-do, "
                        f"{tasks.retried} to retry, {tasks.failed} failed"
                    )
                if refunds is not None:
                    self.stdout.write(f"refunds: {refunds} concluded")
                return
            close_old_connections()  # a long-running worker must not hold a broken connection
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
