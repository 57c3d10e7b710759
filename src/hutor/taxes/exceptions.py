class TaxRuleInvalid(ValueError):
    """A tax rule refused; its message is for the reader (already in their language)."""
