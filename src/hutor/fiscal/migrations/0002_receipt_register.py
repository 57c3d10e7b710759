"""Each receipt remembers the cash register it goes through (its selling company's). The
receipts made before had only the default company's register: they get it."""

import django.db.models.deletion
from django.db import migrations, models


def fill_register(apps, schema_editor):
    FiscalReceipt = apps.get_model("fiscal", "FiscalReceipt")
    CashRegister = apps.get_model("fiscal", "CashRegister")
    if not FiscalReceipt.objects.exists():
        return
    register = (
        CashRegister.objects.filter(provider__is_default=True).first()
        or CashRegister.objects.order_by("pk").first()
    )
    if register is None:
        raise RuntimeError("fiscal receipts exist but no cash register does: add one first")
    FiscalReceipt.objects.filter(register__isnull=True).update(register=register)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_companies"),
        ("fiscal", "0001_fiscal_receipts"),
    ]

    operations = [
        migrations.AddField(
            model_name="fiscalreceipt",
            name="register",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="receipts",
                to="fiscal.cashregister",
                verbose_name="cash register",
            ),
        ),
        migrations.RunPython(fill_register, migrations.RunPython.noop),
    ]
