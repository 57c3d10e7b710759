# Every receipt names its cash register. (Apart from the data migration before it: PostgreSQL
# refuses to alter a table with the rows' updates pending.)

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fiscal", "0002_receipt_register"),
    ]

    operations = [
        migrations.AlterField(
            model_name="fiscalreceipt",
            name="register",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="receipts",
                to="fiscal.cashregister",
                verbose_name="cash register",
            ),
        ),
    ]
