"""What staff do at the desk. Every function here is one audited use case: keyword-only
arguments, the acting staff member and a reason, one transaction holding both the change and
its AuditEntry (so neither exists without the other), and the domain's own actions underneath
(ledger.post, cancel_invoice, place_order, ...) so the desk never bypasses a rule.

Money-moving forms carry a one-time token (`token`), used in the journal entry's idempotency
key: a double-clicked or reloaded form moves the money once and raises AlreadyDone the second
time.

Bank payments entered by hand go through the bank module's own manual payment
(hutor.payments.bank.actions.record_manual_payment), so the statement import and the desk share
one key per bank document and never credit it twice.

Refunds, defined:
- *refund to the payment service* (`refund_to_gateway`): part or all of a succeeded payment goes
  back to the payer through the payment service that took it (only for a gateway with
  `supports_refunds`). The customer's balance pays it: customer balance -> the method's
  clearing account, kind REFUND, reference = the payment number. It needs the balance to cover
  it, and never more than what is left of the payment after earlier refunds. The refund is a
  `payments.Refund` written pending (the balance debited) before the service is asked, outside
  any transaction, with the refund's own idempotency key; a refund left pending is asked again
  (`retry_refund`, or the worker) with the same key. See payments/refunds.py.
- *refund to the balance* (`refund_to_balance`): money the provider owes the customer (a service
  paid but not delivered, an outage) is credited to the balance, to be spent on services: the
  adjustments account -> customer balance, kind REFUND. It leaves the provider's books as an
  expense through the adjustments account; nothing goes to the payer's bank or card.
- a *balance adjustment* (`adjust_balance`) corrects a mistake either way: adjustments account
  <-> customer balance, kind ADJUSTMENT.
"""

from hutor.backoffice.actions.companies import save_company
from hutor.backoffice.actions.config import (
    PROVIDER_FIELDS,
    create_staff,
    reset_staff_totp,
    toggle_payment_method,
    toggle_tariff,
    update_provider,
    update_staff,
)
from hutor.backoffice.actions.customer import (
    add_note,
    cancel_invoice,
    change_contact_email,
    create_payment_link,
    issue_manual_invoice,
    place_order,
    renew_service,
    resend_activation,
    resend_email,
)
from hutor.backoffice.actions.money import (
    adjust_balance,
    open_gateway_refund,
    record_manual_payment,
    refund_to_balance,
    refund_to_gateway,
    refundable,
    refunded_amount,
    resolve_refund,
    retry_refund,
    review_payment,
)
from hutor.backoffice.actions.servers import save_server, save_server_group
from hutor.backoffice.actions.services import (
    cancel_service_with_refund,
    extend_service,
    open_control_panel,
    rerun_create,
    suspend_service,
    terminate_service,
    unsuspend_service,
)
from hutor.backoffice.actions.webhooks import resend_delivery, save_endpoint, show_secret

__all__ = [
    "PROVIDER_FIELDS",
    "add_note",
    "adjust_balance",
    "cancel_invoice",
    "cancel_service_with_refund",
    "change_contact_email",
    "create_payment_link",
    "create_staff",
    "extend_service",
    "issue_manual_invoice",
    "open_control_panel",
    "open_gateway_refund",
    "place_order",
    "record_manual_payment",
    "refund_to_balance",
    "refund_to_gateway",
    "refundable",
    "refunded_amount",
    "renew_service",
    "rerun_create",
    "resend_activation",
    "resend_delivery",
    "resend_email",
    "reset_staff_totp",
    "resolve_refund",
    "retry_refund",
    "review_payment",
    "save_company",
    "save_endpoint",
    "save_server",
    "save_server_group",
    "show_secret",
    "suspend_service",
    "terminate_service",
    "toggle_payment_method",
    "toggle_tariff",
    "unsuspend_service",
    "update_provider",
    "update_staff",
]
