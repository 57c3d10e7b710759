"""Joins three lines of migrations made side by side: the advances' company, the acts' one-off
charges and the EDO participant identifiers. They touch different tables and columns."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0005_closing_line_one_off_charge"),
        ("documents", "0005_edo_participant"),
        ("documents", "0006_advance_company_required"),
    ]

    operations: list[migrations.operations.base.Operation] = []
