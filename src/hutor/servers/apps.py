from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServersConfig(AppConfig):
    name = "hutor.servers"
    label = "servers"
    verbose_name = _("Servers")
