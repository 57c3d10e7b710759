# Advance invoices-factura belong to the provider company that received the prepayment, and
# are numbered in that company's series (issue 17, part 6).

import django.db.models.deletion
from django.db import migrations, models


def company_from_snapshot(apps, schema_editor):
    """A document issued before companies is its snapshot's company's (the default's)."""
    alias = schema_editor.connection.alias
    Provider = apps.get_model("core", "Provider")
    AdvanceInvoice = apps.get_model("documents", "AdvanceInvoice")
    known = set(Provider.objects.using(alias).values_list("pk", flat=True))
    default = Provider.objects.using(alias).filter(is_default=True).values_list("pk", flat=True)
    fallback = next(iter(default), None)
    for invoice in AdvanceInvoice.objects.using(alias).filter(company__isnull=True):
        snapshot_id = (invoice.provider or {}).get("id")
        company = snapshot_id if snapshot_id in known else fallback
        AdvanceInvoice.objects.using(alias).filter(pk=invoice.pk).update(company_id=company)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_companies"),
        ("documents", "0004_closing_company_required"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="advanceinvoice", name="advance_number_unique"),
        migrations.AddField(
            model_name="advanceinvoice",
            name="company",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="advance_invoices",
                to="core.provider",
                verbose_name="provider company",
            ),
        ),
        migrations.RunPython(company_from_snapshot, migrations.RunPython.noop),
    ]
