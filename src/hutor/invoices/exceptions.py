class InvoiceError(Exception):
    """Base of invoice refusals, with a message fit for the person who asked."""


class InvoiceNotOpen(InvoiceError):
    """The invoice is already paid or cancelled."""


class ProviderNotConfigured(InvoiceError):
    """Invoices print the provider's requisites; enter them in the admin first."""


class ManualInvoiceRefused(InvoiceError):
    """A manual invoice's lines or due date are not valid (the message says which)."""
