from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "hutor.invoices"
    label = "invoices"
    verbose_name = _("Invoices")

    def ready(self) -> None:
        from hutor.invoices import emails  # noqa: F401 - registers the invoice email
