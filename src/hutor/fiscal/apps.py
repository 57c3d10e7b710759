from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FiscalConfig(AppConfig):
    name = "hutor.fiscal"
    label = "fiscal"
    verbose_name = _("Fiscal receipts (54-FZ)")

    def ready(self) -> None:
        from hutor.core.events import published
        from hutor.fiscal.actions import on_published, on_refund_succeeded
        from hutor.payments.events import refund_succeeded

        # A credited payment's event and a succeeded refund arrive inside the transaction that
        # makes them: the receipt row commits (or rolls back) with the money.
        published.connect(on_published, dispatch_uid="hutor.fiscal.on_published")
        refund_succeeded.connect(on_refund_succeeded, dispatch_uid="hutor.fiscal.on_refund")
