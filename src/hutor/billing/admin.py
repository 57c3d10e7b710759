import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from hutor.billing.models import BillingRun, Renewal


@admin.register(BillingRun)
class BillingRunAdmin(admin.ModelAdmin):
    """Every `hutor billing run`, for staff to see what the nightly run did and what failed.
    Read-only: runs are started from the command line or the timer."""

    list_display = ["started_at", "date", "dry_run", "status", "summary", "error_count", "seconds"]
    list_filter = ["status", "dry_run"]
    date_hierarchy = "date"
    fields = (
        "date",
        "dry_run",
        "status",
        "started_at",
        "finished_at",
        "pid",
        "host",
        "heartbeat_at",
        "counts_table",
        "error_count",
        "errors_list",
        "sample",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("what was done"))
    def summary(self, run: BillingRun) -> str:
        parts = []
        for step, counts in run.counts.items():
            shown = {k: v for k, v in counts.items() if v}
            if shown:
                parts.append(f"{step}: " + ", ".join(f"{k} {v}" for k, v in shown.items()))
        return "; ".join(parts) or "-"

    @admin.display(description=_("seconds"))
    def seconds(self, run: BillingRun) -> str:
        return f"{run.duration:.1f}" if run.duration is not None else "-"

    @admin.display(description=_("counts"))
    def counts_table(self, run: BillingRun) -> str:
        return format_html("<pre>{}</pre>", json.dumps(run.counts, indent=2, ensure_ascii=False))

    @admin.display(description=_("errors"))
    def errors_list(self, run: BillingRun) -> str:
        return format_html("<pre>{}</pre>", json.dumps(run.errors, indent=2, ensure_ascii=False))


@admin.register(Renewal)
class RenewalAdmin(admin.ModelAdmin):
    list_display = ["created_at", "service", "period_start", "invoice"]
    search_fields = ["invoice__number", "service__identifier", "service__billing_account__number"]
    raw_id_fields = ["service", "invoice"]
    readonly_fields = ["service", "period_start", "invoice", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
