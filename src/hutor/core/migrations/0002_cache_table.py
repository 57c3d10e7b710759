"""The table of the default cache (settings.CACHE_TABLE): login throttling counters and used
one-time codes, shared by every web process.

Created by `migrate` itself, so that every install path (the demo command, a package, a
container, the test databases) has it on SQLite and on PostgreSQL alike; it is exactly the table
`createcachetable` makes, made by that command's own code. A table for another database cache
named in the settings (CACHE_URL=db://name) is created here too when it is already configured;
one configured later needs `hutor createcachetable`. The table is not a model: Django's
DatabaseCache reads and writes it with its own SQL.
"""

from django.core.management import call_command
from django.db import migrations

TABLE = "hutor_cache"  # settings.CACHE_TABLE; fixed here, as a migration must not change


def create_cache_tables(apps, schema_editor):
    alias = schema_editor.connection.alias
    call_command("createcachetable", TABLE, database=alias, verbosity=0)
    call_command("createcachetable", database=alias, verbosity=0)  # those in settings.CACHES


def drop_cache_table(apps, schema_editor):
    if TABLE in schema_editor.connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_cache_tables, drop_cache_table)]
