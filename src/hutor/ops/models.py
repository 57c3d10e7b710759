"""The one table operations owns: counts of refused payment notifications, for /metrics.

Refusals move no money and leave no other row (a forged or malformed notification is answered
and forgotten), so without this count a flood of forged notifications, or a payment service
whose key was changed on one side only, would be invisible to monitoring."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RefusedNotification(models.Model):
    """How many notifications one payment method had refused for one reason on one day.

    Written only by ops.actions.record_refused_notification (an upsert: one row per method,
    reason and day, whatever the number of web processes)."""

    method = models.CharField(_("payment method"), max_length=50)
    reason = models.CharField(_("reason"), max_length=100)
    day = models.DateField(_("day"))
    count = models.PositiveBigIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("refused payment notifications")
        verbose_name_plural = _("refused payment notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["method", "reason", "day"], name="ops_refused_one_row_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.method}: {self.reason} ×{self.count}"
