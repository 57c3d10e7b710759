"""The `hutor` console command: manage.py's twin, installed by pip.

A configuration problem (a missing SECRET_KEY, an unknown EMAIL_URL scheme, a database driver
that is not installed: Django's ImproperlyConfigured) is reported on one line and exits 2
(EXIT_CONFIGURATION), whatever the command, instead of a traceback and the exit 1 that
`hutor ledger check` gives a broken ledger."""

import os
import sys

# Also argparse's status for a wrong command line: the command could not run.
EXIT_CONFIGURATION = 2


def _english() -> bool:
    """Whether the environment's locale asks for English (POSIX order of the variables); the
    settings, and with them Django's translations, may be what failed to load."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return value.lower().startswith("en")
    return False


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hutor.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        label = "configuration error" if _english() else "ошибка настройки"
        detail = " ".join(str(exc).split())
        sys.stderr.write(f"hutor: {label}: {detail}\n")
        sys.exit(EXIT_CONFIGURATION)


if __name__ == "__main__":
    main()
