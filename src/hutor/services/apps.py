from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "hutor.services"
    label = "services"
    verbose_name = _("Services")

    def ready(self) -> None:
        from hutor.services import (
            emails,  # noqa: F401 - registers the "service ready" email
            receivers,  # noqa: F401 - connects the invoice signals
        )
