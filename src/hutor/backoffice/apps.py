from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "hutor.backoffice"
    label = "backoffice"
    verbose_name = _("Staff desk")

    def ready(self) -> None:
        # Mail from an unknown sender is matched to an account by what it quotes, through the
        # desk's own search (support sits below the desk and cannot import it).
        from hutor.backoffice.search import accounts_in_text
        from hutor.support.inbound import find_quoted_accounts

        find_quoted_accounts(lambda text: [quoted.account for quoted in accounts_in_text(text)])
