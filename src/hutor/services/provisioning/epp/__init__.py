"""EPP (RFC 5730-5734): a domain registry as a registrar module (docs/domains.md, "EPP").

protocol.py  namespaces, frames, commands, responses, result codes and errors
client.py    the TLS session: greeting, login, reconnect, hello, logout; the session pool
objects.py   the domain, contact and host commands and what their answers say
module.py    EppRegistrar, the module "epp"
"""

from hutor.services.provisioning.epp.client import close_sessions
from hutor.services.provisioning.epp.module import EppRegistrar
from hutor.services.provisioning.epp.protocol import EppError, EppRefused

__all__ = ["EppError", "EppRefused", "EppRegistrar", "close_sessions"]
