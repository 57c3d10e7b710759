# Every advance invoice-factura has its company; its series is the company's. (Apart from the
# data migration before it: PostgreSQL refuses to alter a table with the rows' updates pending.)

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0005_advance_company"),
    ]

    operations = [
        migrations.AlterField(
            model_name="advanceinvoice",
            name="company",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="advance_invoices",
                to="core.provider",
                verbose_name="provider company",
            ),
        ),
        migrations.AddConstraint(
            model_name="advanceinvoice",
            constraint=models.UniqueConstraint(
                fields=("company", "year", "number"), name="advance_number_unique_per_company"
            ),
        ),
    ]
