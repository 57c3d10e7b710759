"""Every translatable message is seen by `makemessages`: xgettext finds only the names it
knows (`_`, `gettext`, `gettext_lazy`, `pgettext`, ...), so a message passed to an alias of
its own making (`_lazy("...")`, `_gettext("...")`) is never extracted and stays English in
the Russian interface. Twice found that way; this keeps it from coming back."""

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1]
ALIAS = re.compile(
    r"from django\.utils\.translation import (?:\w+ as \w+, )*(\w+) as (\w+)", re.MULTILINE
)
KNOWN = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}


def test_no_message_goes_through_an_alias_makemessages_does_not_know():
    found = []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for _name, alias in ALIAS.findall(text):
            if alias in KNOWN:
                continue
            if re.search(rf"\b{re.escape(alias)}\(\s*[\"']", text):
                found.append(f'{path.relative_to(SRC)}: {alias}("...")')
    assert found == []
