from django.contrib import admin

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


@admin.register(ProvisioningTask)
class ProvisioningTaskAdmin(admin.ModelAdmin):
    list_display = ["created_at", "service", "operation", "module", "status", "done_at"]
    list_filter = ["status", "operation", "module"]
    raw_id_fields = ["service"]
