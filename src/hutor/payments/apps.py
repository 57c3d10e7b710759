from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "hutor.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from hutor.payments import emails  # noqa: F401 - registers the "payment credited" email
