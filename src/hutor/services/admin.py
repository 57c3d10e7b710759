from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hutor.services.actions import cancel_order
from hutor.services.exceptions import ServiceError
from hutor.services.models import ProvisioningTask, Service


class ProvisioningTaskInline(admin.TabularInline):
    model = ProvisioningTask
    extra = 0
    fields = ("created_at", "operation", "module", "status", "note", "done_at")
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
    readonly_fields = ["created_at", "activated_at", "order_token"]
    inlines = [ProvisioningTaskInline]
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
    list_display = ["created_at", "service", "operation", "module", "status", "done_at"]
    list_filter = ["status", "operation", "module"]
    raw_id_fields = ["service"]
