"""Bank transfers: the printable documents a payer takes to the bank (PD-4 receipt, bill for
payment), the import of the bank's statements (1C exchange format) with matching of incoming
payments to billing accounts, the unmatched queue, and payments recorded by hand.

documents.py  PD-4 and bill: HTML and PDF, with the GOST R 56042-2014 payment QR code
statement.py  the 1CClientBankExchange parser: bytes -> typed documents or per-document errors
matching.py   pure functions: which billing account a payment's purpose names
actions.py    import a statement, assign or dismiss an unmatched line, record a manual payment
admin.py      the staff admin's upload, report, unmatched queue and manual payment form
"""
