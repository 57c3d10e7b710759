from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hutor.servers.models import Server, ServerGroup


@admin.register(ServerGroup)
class ServerGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(Server)
class ServerAdmin(admin.ModelAdmin):
    """Read-only here: servers are changed in the desk or with `hutor servers` (audited, the
    credential write-only); the password shows masked."""

    list_display = ["name", "group", "module", "host", "port", "capacity", "enabled"]
    list_filter = ["group", "module", "enabled"]
    exclude = ["password"]
    readonly_fields = ["credential"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Server | None = None) -> bool:
        return False

    @admin.display(description=_("password or API token"))
    def credential(self, obj: Server) -> str:
        return str(obj.password or "")
