from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "hutor.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from hutor.core import pruning
        from hutor.core.events import published
        from hutor.webhooks.actions import prune_delivered
        from hutor.webhooks.fanout import fan_out

        published.connect(fan_out, dispatch_uid="hutor.webhooks.fan_out")
        pruning.register(
            pruning.Pruner(
                name="webhooks.deliveries",
                setting="HUTOR_WEBHOOK_RETENTION_DAYS",
                minimum_days=1,
                prune=prune_delivered,
                order=10,
            )
        )
