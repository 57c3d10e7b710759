from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hutor.core.secrets import masked
from hutor.services.actions import cancel_order, complete_task, retry_task
from hutor.services.exceptions import ServiceError
from hutor.services.models import ProvisioningTask, Service


class ProvisioningTaskInline(admin.TabularInline):
    model = ProvisioningTask
    extra = 0
    fields = ("created_at", "operation", "module", "status", "attempts", "note", "done_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "billing_account",
        "tariff",
        "identifier",
        "status",
        "paid_until",
        "auto_renew",
    ]
    list_filter = ["status", "service_type", "auto_renew"]
    search_fields = ["identifier", "billing_account__number", "billing_account__contact_email"]
    raw_id_fields = ["billing_account"]
    # The service's side of provisioning is written by services.placement only; its password
    # never appears in a form (shown masked).
    exclude = ["password"]
    readonly_fields = [
        "created_at",
        "activated_at",
        "order_token",
        "server",
        "remote_id",
        "access",
        "service_password",
    ]
    inlines = [ProvisioningTaskInline]

    @admin.display(description=_("password"))
    def service_password(self, obj: Service) -> str:
        return masked(obj.password)

    actions = ["cancel_unpaid_orders"]

    @admin.action(description=_("Cancel the selected unpaid orders"))
    def cancel_unpaid_orders(self, request: HttpRequest, queryset: QuerySet[Service]) -> None:
        cancelled = 0
        for service in queryset:
            try:
                cancel_order(service=service)
            except ServiceError as exc:
                messages.warning(request, f"{service}: {exc}")
            else:
                cancelled += 1
        messages.success(request, _("Cancelled %(n)d order(s).") % {"n": cancelled})


@admin.register(ProvisioningTask)
class ProvisioningTaskAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "service",
        "operation",
        "module",
        "status",
        "attempts",
        "next_attempt_at",
        "done_at",
    ]
    list_filter = ["status", "operation", "module"]
    search_fields = ["service__identifier", "service__billing_account__number"]
    raw_id_fields = ["service"]
    readonly_fields = [
        "service",
        "operation",
        "module",
        "status",
        "params",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "done_at",
    ]
    actions = ["mark_done", "retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tasks are queued by the services' actions, never by hand

    @admin.action(description=_("Mark the selected to-dos done"))
    def mark_done(self, request: HttpRequest, queryset: QuerySet[ProvisioningTask]) -> None:
        done = 0
        for task in queryset.order_by("pk"):
            try:
                complete_task(task=task, note=f"done by {request.user}")
            except ServiceError as exc:
                messages.warning(request, f"{task}: {exc}")
            else:
                done += 1
        messages.success(request, _("Marked %(n)d task(s) done.") % {"n": done})

    @admin.action(description=_("Retry the selected failed tasks"))
    def retry(self, request: HttpRequest, queryset: QuerySet[ProvisioningTask]) -> None:
        queued = 0
        for task in queryset.order_by("pk"):
            try:
                retry_task(task=task)
            except ServiceError as exc:
                messages.warning(request, f"{task}: {exc}")
            else:
                queued += 1
        messages.success(request, _("Queued %(n)d task(s) again.") % {"n": queued})
