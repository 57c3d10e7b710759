from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hutor.notifications.actions import resend
from hutor.notifications.models import OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "template",
        "to_email",
        "subject",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "template", "language"]
    search_fields = ["to_email", "subject", "key", "billing_account__number"]
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]
    actions = ["resend_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Resend the selected emails"))
    def resend_selected(self, request: HttpRequest, queryset: QuerySet[OutboxEmail]) -> None:
        for email in queryset:
            resend(email=email)
        messages.success(request, _("Queued %(n)d email(s) again.") % {"n": queryset.count()})
