"""/metrics: Prometheus' text format (prometheus-client), computed at each scrape from the
database, so every web process answers the same figures and nothing is lost on a restart.

Hutor's own families (docs/operations.md, "Monitoring" lists them with the alert rules):
payments credited per method, payment notifications refused per method and reason, the
background queues' depth and age, the last billing run, workers' heartbeats; and the
exporter's own process figures for the process that answers."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min, Sum
from django.utils import timezone
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    exposition,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hutor.billing.models import BillingRun, RunStatus
from hutor.core.models import WorkerHeartbeat
from hutor.notifications.models import OutboxEmail
from hutor.ops.models import RefusedNotification
from hutor.payments.models import Payment, PaymentStatus
from hutor.services.models import ProvisioningTask
from hutor.webhooks.models import Delivery

# The background queues (core/queue.py): the name in the metrics and the job table.
QUEUES = {"email": OutboxEmail, "provisioning": ProvisioningTask, "webhook": Delivery}
WAITING = ("pending", "running")


class HutorCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from self._payments()
        yield from self._refused()
        yield from self._queues()
        yield from self._billing()
        yield from self._workers()

    def _payments(self) -> Iterator[Metric]:
        count = CounterMetricFamily(
            "hutor_payments_credited", "Payments credited to balances", labels=["method"]
        )
        amount = CounterMetricFamily(
            "hutor_payments_credited_amount",
            "Sum of the payments credited to balances",
            labels=["method", "currency"],
        )
        rows = (
            Payment.objects.filter(status=PaymentStatus.SUCCEEDED)
            .values("method__slug", "currency")
            .annotate(n=Count("pk"), total=Sum("amount"))
            .order_by("method__slug", "currency")
        )
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["method__slug"]] = counts.get(row["method__slug"], 0) + row["n"]
            amount.add_metric([row["method__slug"], row["currency"]], float(row["total"] or 0))
        for method, n in counts.items():
            count.add_metric([method], n)
        yield count
        yield amount

    def _refused(self) -> Iterator[Metric]:
        refused = CounterMetricFamily(
            "hutor_payment_notifications_refused",
            "Payment notifications refused (bad signature, unknown payment, ...)",
            labels=["method", "reason"],
        )
        rows = (
            RefusedNotification.objects.values("method", "reason")
            .annotate(n=Sum("count"))
            .order_by("method", "reason")
        )
        for row in rows:
            refused.add_metric([row["method"], row["reason"]], row["n"])
        yield refused

    def _queues(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "hutor_queue_jobs", "Background jobs by queue and status", labels=["queue", "status"]
        )
        oldest = GaugeMetricFamily(
            "hutor_queue_oldest_due_seconds",
            "Age of the oldest job whose attempt is due and not yet made (0: none waits)",
            labels=["queue"],
        )
        now = timezone.now()
        for name, model in QUEUES.items():
            by_status = dict(
                model.objects.values_list("status").annotate(n=Count("pk")).order_by("status")  # type: ignore[attr-defined]
            )
            for status in sorted({*WAITING, "failed", *by_status}):
                jobs.add_metric([name, status], by_status.get(status, 0))
            due = model.objects.filter(  # type: ignore[attr-defined]
                status__in=WAITING, next_attempt_at__lte=now
            ).aggregate(first=Min("next_attempt_at"))["first"]
            oldest.add_metric([name], (now - due).total_seconds() if due else 0.0)
        yield jobs
        yield oldest

    def _billing(self) -> Iterator[Metric]:
        run = (
            BillingRun.objects.filter(dry_run=False)
            .exclude(status=RunStatus.RUNNING)
            .order_by("-started_at", "-pk")
            .first()
        )
        running = BillingRun.objects.filter(dry_run=False, status=RunStatus.RUNNING).count()
        yield GaugeMetricFamily(
            "hutor_billing_run_running", "Real billing runs in progress", value=running
        )
        if run is None:
            return
        status = GaugeMetricFamily(
            "hutor_billing_run_last_status", "The last ended run's status", labels=["status"]
        )
        for value in RunStatus.values:
            if value != RunStatus.RUNNING:
                status.add_metric([value], 1 if run.status == value else 0)
        yield status
        finished = run.finished_at or run.started_at
        yield GaugeMetricFamily(
            "hutor_billing_run_last_finished_timestamp_seconds",
            "When the last ended run ended (Unix time)",
            value=finished.timestamp(),
        )
        yield GaugeMetricFamily(
            "hutor_billing_run_last_duration_seconds",
            "How long the last ended run took",
            value=(finished - run.started_at).total_seconds(),
        )
        yield GaugeMetricFamily(
            "hutor_billing_run_last_errors",
            "Items the last ended run could not process",
            value=run.error_count,
        )
        counts = GaugeMetricFamily(
            "hutor_billing_run_last_count",
            "The last ended run's counts per step",
            labels=["step", "key"],
        )
        for step, values in sorted((run.counts or {}).items()):
            for key, n in sorted((values or {}).items()):
                if isinstance(n, int | float):
                    counts.add_metric([step, key], n)
        yield counts

    def _workers(self) -> Iterator[Metric]:
        newest = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)
        last = newest.first()
        if last is not None:
            yield GaugeMetricFamily(
                "hutor_worker_last_seen_timestamp_seconds",
                "The newest worker heartbeat (Unix time)",
                value=last.timestamp(),
            )
        yield GaugeMetricFamily(
            "hutor_workers_seen",
            "Workers with a heartbeat row (a week at most)",
            value=WorkerHeartbeat.objects.count(),
        )


def render(accept: str) -> tuple[bytes, str]:
    registry = CollectorRegistry(auto_describe=False)
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    registry.register(HutorCollector())
    encoder, content_type = exposition.choose_encoder(accept)
    return encoder(registry), content_type
