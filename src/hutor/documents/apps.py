from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "hutor.documents"
    label = "documents"
    verbose_name = _("Accounting documents")

    def ready(self) -> None:
        from hutor.documents import emails  # noqa: F401 - registers the closing documents' email
