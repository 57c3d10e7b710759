from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "hutor.accounts"
    label = "accounts"
    verbose_name = _("Billing accounts")

    def ready(self) -> None:
        from hutor.accounts import emails  # noqa: F401 - registers the activation email
