"""A payment method's settings (its keys and passwords among them) encrypted at rest: copied
from the clear JSON column into an encrypted one (core.secrets) that takes its name."""

from django.db import migrations

import hutor.core.secrets


def seal(apps, schema_editor):
    db = schema_editor.connection.alias
    PaymentMethod = apps.get_model("payments", "PaymentMethod")
    for method in PaymentMethod.objects.using(db).all():
        method.sealed_settings = dict(method.settings or {})
        method.save(update_fields=["sealed_settings"])


def unseal(apps, schema_editor):
    db = schema_editor.connection.alias
    PaymentMethod = apps.get_model("payments", "PaymentMethod")
    for method in PaymentMethod.objects.using(db).all():
        method.settings = dict(method.sealed_settings or {})
        method.save(update_fields=["settings"])


class Migration(migrations.Migration):
    dependencies = [("payments", "0006_bank_reason_codes")]

    operations = [
        migrations.AddField(
            model_name="paymentmethod",
            name="sealed_settings",
            field=hutor.core.secrets.EncryptedJSONField(
                blank=True, default=dict, verbose_name="settings"
            ),
        ),
        migrations.RunPython(seal, unseal),
        migrations.RemoveField(model_name="paymentmethod", name="settings"),
        migrations.RenameField("paymentmethod", "sealed_settings", "settings"),
    ]
