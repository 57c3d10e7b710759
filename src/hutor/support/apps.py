from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "hutor.support"
    label = "support"
    verbose_name = _("Support")

    def ready(self) -> None:
        from hutor.support import emails  # noqa: F401 - registers the reply email
