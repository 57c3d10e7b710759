from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "hutor.billing"
    label = "billing"
    verbose_name = _("Billing run")

    def ready(self) -> None:
        from hutor.billing import emails  # noqa: F401 - registers the reminder email
