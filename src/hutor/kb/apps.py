from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "hutor.kb"
    label = "kb"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from hutor.kb import guide
        from hutor.kb.models import Article

        # Each process keeps the panel's links into the guide (kb.guide.panel_links).
        post_save.connect(guide.article_changed, sender=Article, dispatch_uid="kb.guide.saved")
        post_delete.connect(guide.article_changed, sender=Article, dispatch_uid="kb.guide.gone")
