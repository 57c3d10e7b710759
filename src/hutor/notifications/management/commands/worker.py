import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from hutor.notifications.actions import deliver_due

log = logging.getLogger("hutor.worker")


class Command(BaseCommand):
    help = "Run background work: deliver queued emails, with retries. Stops on SIGTERM/Ctrl-C."

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
            report = deliver_due()
            if report.sent or report.retried or report.failed:
                log.info(
                    "emails: %d sent, %d to retry, %d failed",
                    report.sent,
                    report.retried,
                    report.failed,
                )
            if once:
                self.stdout.write(
                    f"emails: {report.sent} sent, {report.retried} to retry, {report.failed} failed"
                )
                return
            close_old_connections()  # a long-running worker must not hold a broken connection
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
