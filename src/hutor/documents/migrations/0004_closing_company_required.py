# Every closing document has its company; its series and its month are the company's.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0003_closing_company"),
    ]

    operations = [
        migrations.AlterField(
            model_name="closingdocument",
            name="company",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="closing_documents",
                to="core.provider",
                verbose_name="provider company",
            ),
        ),
        migrations.AddConstraint(
            model_name="closingdocument",
            constraint=models.UniqueConstraint(
                fields=("company", "year", "number"), name="closing_number_unique_per_company"
            ),
        ),
        migrations.AddConstraint(
            model_name="closingdocument",
            constraint=models.UniqueConstraint(
                fields=("billing_account", "company", "month", "kind", "correction"),
                name="closing_one_per_month_per_company",
            ),
        ),
    ]
