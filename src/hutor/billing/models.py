"""The daily billing run's own records: each run, and each renewal invoice it issued."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    # Started and not finished. At most one real (not dry) run is running at a time, which the
    # database guarantees (the constraint "billing_one_running_run"); a later run marks it
    # interrupted once its process is known to be gone (billing/running.py).
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")  # every step ran; items that failed are listed in `errors`
    FAILED = "failed", _("Failed")  # a step stopped with an error (in `errors`); rerun it
    INTERRUPTED = "interrupted", _("Interrupted")  # killed or crashed; the next run carries on


class BillingRun(models.Model):
    """One `hutor billing run`: what each step did, in counts, and what went wrong.

    Runs are safe to repeat: each step finds its work from the current state of the data, so a
    rerun after a crash does what is left and nothing twice. They are not safe to overlap, so
    one real run at a time holds the status "running" (a unique partial index; a second one
    started meanwhile is refused by the database, not by a check that could race); `pid`,
    `host` and `heartbeat_at` tell whether the process holding it is still alive.
    """

    date = models.DateField(_("billing date"))
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # {"renewals": {"due": 10, "issued": 10, "paid": 8}, "reminders": {"sent": 3}, ...}
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    # [{"step": "renewals", "object": "service 12", "error": "..."}], the first ones of each step.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # What a dry run would do: a few examples per step.
    sample = models.JSONField(_("sample"), default=dict, blank=True)
    # The process that runs it: its id on `host` (socket.gethostname()); empty for runs recorded
    # before these were kept.
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)
    host = models.CharField(_("host"), max_length=255, blank=True)
    # Wall-clock time (never moved by --date) of the run's last sign of life, written as its
    # steps progress; a running run silent for longer than running.HEARTBEAT_TIMEOUT is gone.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status"])]
        constraints = [
            # Every real run in progress has the same status value, so this index admits one.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="running", dry_run=False),
                name="billing_one_running_run",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} #{self.pk}{' (dry run)' if self.dry_run else ''}"

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class Renewal(models.Model):
    """A renewal invoice the billing run issued for the next period of a service.

    Unique per (service, period_start): whatever the number of runs, crashes and reruns, a
    service gets one renewal invoice per period; the database refuses a second one. The period
    is named by the paid-until date it continues from, so a cancelled renewal invoice is not
    issued again by the next run (staff cancelled it on purpose; the customer can still renew
    from the panel).
    """

    service = models.ForeignKey(
        "services.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="renewals",
    )
    # The service's paid-until when the invoice was issued: the start of the period it renews
    # (a lapsed service's invoice line starts on the day of issue instead).
    period_start = models.DateField(_("period start"))
    invoice = models.OneToOneField(
        "invoices.Invoice",
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="renewal",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("renewal")
        verbose_name_plural = _("renewals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "period_start"], name="renewal_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id} from {self.period_start}"
