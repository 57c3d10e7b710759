"""The "acme" certificate authority module (module.py), its CA session (session.py) and its
challenge publishing (challenges.py); docs/ssl.md, "ACME"."""

from hutor.services.provisioning.acme_ca.module import AcmeModule

__all__ = ["AcmeModule"]
