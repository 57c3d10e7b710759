"""One-time tokens of the panel's money forms: a double click or a resubmitted form acts once.

Every form that moves money or creates a numbered document (renewal, tariff change, paying an
invoice from the balance, top-up, cancelling an order) renders `{% form_token "<action>" %}`:
a hidden field holding a fresh UUID signed for this billing account and this action. On POST
the view reads it (`read`) and runs its action through `submit`, which claims the token by
inserting a FormSubmission *inside the same transaction* as the action: the unique constraint
on the token makes a second claim wait for the first transaction and then fail, and a rolled-back
action takes its claim with it, so the token is free again. A repeated POST finds the first
claim and is shown the first result (the view decides how: `Claim.first` is False).

A form without a token, or with one not signed for this account and action (another customer's,
another form's, garbage), is refused with a message and moves nothing.

The order form keeps its own token (Service.order_token, unique on the service), since a new
customer has no billing account yet to sign for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from hutor.core import clock
from hutor.panel.models import FormAction, FormSubmission

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount

FIELD = "form_token"
# A signed token is a UUID (36), a colon and a signature (~43); anything longer is not ours.
MAX_LENGTH = 200


class FormTokenError(Exception):
    """The form's one-time token is missing or was not issued for this account and action."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclasses.dataclass(frozen=True)
class Claim:
    submission: FormSubmission
    first: bool  # False: a repeated POST; nothing was done now, show the first result

    @property
    def result_key(self) -> str:
        return self.submission.result_key


def _signer(account: BillingAccount, action: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"hutor.panel.form-token:{account.pk}:{action}")


def max_age() -> dt.timedelta:
    """How long a token is good for: as long as its FormSubmission is kept (`hutor prune`
    deletes it after HUTOR_PANEL_FORM_TOKEN_DAYS), so a token whose claim is forgotten can no
    longer be used: a form resubmitted after that acts never, not twice."""
    return dt.timedelta(days=settings.HUTOR_PANEL_FORM_TOKEN_DAYS)


def issue(account: BillingAccount, action: str) -> str:
    """A fresh token for one rendering of a money form."""
    return _signer(account, FormAction(action)).sign(str(uuid.uuid4()))


def read(request: HttpRequest, account: BillingAccount, action: str) -> uuid.UUID:
    """The POSTed form's token, checked to be issued for this account and action."""
    raw = request.POST.get(FIELD, "")
    if not raw:
        raise FormTokenError(
            _("The form came without its one-time token. Reload the page and submit it again.")
        )
    try:
        if len(raw) > MAX_LENGTH:
            raise signing.BadSignature("too long")
        return uuid.UUID(_signer(account, action).unsign(raw, max_age=max_age()))
    except (signing.BadSignature, ValueError):
        raise FormTokenError(
            _("The form's one-time token is not valid. Reload the page and submit it again.")
        ) from None


def previous(token: uuid.UUID, account: BillingAccount, action: str) -> FormSubmission | None:
    done = FormSubmission.objects.filter(token=token).first()
    if done is not None and (done.billing_account_id != account.pk or done.action != action):
        # Unreachable without the signing key; refused all the same rather than replayed.
        raise FormTokenError(
            _("The form's one-time token is not valid. Reload the page and submit it again.")
        )
    return done


def submit(
    *,
    token: uuid.UUID,
    billing_account: BillingAccount,
    action: str,
    perform: Callable[[], str],
) -> Claim:
    """Run `perform` (the action; it returns the result reference, e.g. "invoice:26-000012")
    at most once per token.

    The claim and the action share one transaction (the action's own atomic block becomes a
    savepoint in it), so either both are committed or neither is. Exceptions of `perform`
    propagate after the rollback, and the token can be used again.
    """
    done = previous(token, billing_account, action)
    if done is not None:
        return Claim(done, first=False)
    try:
        with transaction.atomic():
            # Claimed first: a concurrent POST with the same token waits here on the unique
            # index until this transaction ends, and then finds the result.
            submission = FormSubmission.objects.create(
                token=token,
                billing_account=billing_account,
                action=action,
                result="",
                created_at=clock.now(),
            )
            submission.result = perform()
            submission.save(update_fields=["result"])
    except IntegrityError:
        done = previous(token, billing_account, action)
        if done is None:
            raise
        return Claim(done, first=False)
    return Claim(submission, first=True)


def prune(before: dt.datetime, batch: int) -> int:
    """Delete the claims of tokens made before `before` (expired by then: max_age), in
    batches; returns how many."""
    from hutor.core.pruning import delete_in_batches

    return delete_in_batches(FormSubmission.objects.filter(created_at__lt=before), batch)
