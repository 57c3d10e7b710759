# Closing documents belong to the provider company that issued them (issue 17, part 6).

import django.db.models.deletion
from django.db import migrations, models


def company_from_snapshot(apps, schema_editor):
    """A document issued before companies is its snapshot's company's (the default's)."""
    alias = schema_editor.connection.alias
    Provider = apps.get_model("core", "Provider")
    ClosingDocument = apps.get_model("documents", "ClosingDocument")
    known = set(Provider.objects.using(alias).values_list("pk", flat=True))
    default = Provider.objects.using(alias).filter(is_default=True).values_list("pk", flat=True)
    fallback = next(iter(default), None)
    for document in ClosingDocument.objects.using(alias).filter(company__isnull=True):
        snapshot_id = (document.provider or {}).get("id")
        company = snapshot_id if snapshot_id in known else fallback
        ClosingDocument.objects.using(alias).filter(pk=document.pk).update(company_id=company)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_companies"),
        ("documents", "0002_advance_invoices"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="closingdocument", name="closing_number_unique"),
        migrations.RemoveConstraint(model_name="closingdocument", name="closing_one_per_month"),
        migrations.AddField(
            model_name="closingdocument",
            name="company",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="closing_documents",
                to="core.provider",
                verbose_name="provider company",
            ),
        ),
        migrations.RunPython(company_from_snapshot, migrations.RunPython.noop),
    ]
