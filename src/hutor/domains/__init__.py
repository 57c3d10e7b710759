"""Domains: the registrant contact profiles of a billing account, and each domain service's
registry details (docs/domains.md)."""
