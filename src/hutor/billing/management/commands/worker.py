import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.db import close_old_connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.core import heartbeat
from hutor.fiscal.tasks import run_due as run_fiscal
from hutor.notifications.actions import deliver_due
from hutor.payments.refunds import retry_pending_refunds
from hutor.services import provisioning
from hutor.services.tasks import run_due_tasks
from hutor.support import tasks as support_tasks
from hutor.webhooks.delivery import deliver_due as deliver_webhooks

log = logging.getLogger("hutor.worker")


class Command(HutorCommand):
    help = gettext_lazy(
        "Run background work: deliver queued emails and webhooks, run provisioning tasks, "
        "ask payment services again about refunds left pending and register fiscal receipts, "
        "each with retries; with "
        "HUTOR_SUPPORT_IMAP_URL set, read the support mailbox every "
        "HUTOR_SUPPORT_FETCH_SECONDS. Several workers may share one PostgreSQL database. "
        "Stops on SIGTERM/Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help=_("process what is due and exit"))
        parser.add_argument("--interval", type=float, default=2.0, help=_("seconds between polls"))

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if not once:
            self.stdout.write(
                _("hutor worker: polling every %(seconds)s s") % {"seconds": f"{interval:g}"}
            )
        mail_due = 0.0  # time.monotonic() of the next round of the support mailbox
        started = False
        while not stopping:
            # A sign of life for /readyz and /metrics (docs/operations.md, "Monitoring").
            try:
                heartbeat.beat() if started else heartbeat.start()
                started = True
            except Exception:
                log.exception("heartbeat failed; retrying on the next poll")
            # Each kind of work is guarded on its own: a broken provisioning module or mail
            # server is logged and retried on the next poll, and never stops the other kind.
            emails = tasks = refunds = hooks = None
            try:
                emails = deliver_due()
            except Exception:
                log.exception("email delivery failed; retrying on the next poll")
            try:
                tasks = run_due_tasks()
            except Exception:
                log.exception("provisioning failed; retrying on the next poll")
            try:
                hooks = deliver_webhooks()
            except Exception:
                log.exception("webhook delivery failed; retrying on the next poll")
            if hooks:
                log.info(
                    "webhooks: %d delivered, %d to retry, %d failed",
                    hooks.delivered,
                    hooks.retried,
                    hooks.failed,
                )
            try:
                refunds = retry_pending_refunds()
            except Exception:
                log.exception("refund retries failed; retrying on the next poll")
            if refunds:
                log.info("refunds: %d concluded", refunds)
            receipts = None
            try:
                receipts = run_fiscal()
            except Exception:
                log.exception("fiscal receipts failed; retrying on the next poll")
            if receipts:
                log.info(
                    "fiscal receipts: %d sent, %d registered, %d to retry, %d failed",
                    receipts.sent,
                    receipts.registered,
                    receipts.retried,
                    receipts.failed,
                )
            mail = None
            if settings.HUTOR_SUPPORT_IMAP_URL and (once or time.monotonic() >= mail_due):
                every = settings.HUTOR_SUPPORT_FETCH_SECONDS
                mail_due = time.monotonic() + every
                try:
                    mail = support_tasks.fetch_mail()
                except Exception:
                    log.exception("support mailbox: reading failed; retrying in %s s", every)
            if mail:
                log.info("support mailbox: %s", dict(mail))
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
                        _("emails: %(sent)s sent, %(retried)s to retry, %(failed)s failed")
                        % {"sent": emails.sent, "retried": emails.retried, "failed": emails.failed}
                    )
                if tasks is not None:
                    self.stdout.write(
                        _(
                            "provisioning: %(done)s done, %(todo)s to-do, %(retried)s to retry, "
                            "%(failed)s failed"
                        )
                        % {
                            "done": tasks.done,
                            "todo": tasks.todo,
                            "retried": tasks.retried,
                            "failed": tasks.failed,
                        }
                    )
                if refunds is not None:
                    self.stdout.write(_("refunds: %(n)s concluded") % {"n": refunds})
                if receipts is not None:
                    self.stdout.write(
                        _(
                            "fiscal receipts: %(sent)s sent, %(registered)s registered, "
                            "%(retried)s to retry, %(failed)s failed"
                        )
                        % {
                            "sent": receipts.sent,
                            "registered": receipts.registered,
                            "retried": receipts.retried,
                            "failed": receipts.failed,
                        }
                    )
                if mail is not None:
                    self.stdout.write(
                        _("support mailbox: %(opened)s opened, %(replied)s replies")
                        % {"opened": mail.get("opened", 0), "replied": mail.get("replied", 0)}
                    )
                if hooks is not None:
                    self.stdout.write(
                        _("webhooks: %(done)s delivered, %(retried)s to retry, %(failed)s failed")
                        % {
                            "done": hooks.delivered,
                            "retried": hooks.retried,
                            "failed": hooks.failed,
                        }
                    )
                return
            close_old_connections()  # a long-running worker must not hold a broken connection
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
        provisioning.close_all()  # stopped: registry sessions logged out
