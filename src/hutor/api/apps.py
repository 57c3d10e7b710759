from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "hutor.api"
    label = "api"
    verbose_name = _("JSON API")

    def ready(self) -> None:
        from hutor.api.idempotency import prune
        from hutor.core import pruning

        pruning.register(
            pruning.Pruner(
                name="api.idempotency",
                setting="HUTOR_API_IDEMPOTENCY_DAYS",
                minimum_days=1,  # a key holds at least 24 hours (docs/api.md)
                prune=prune,
            )
        )
