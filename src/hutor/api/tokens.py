"""Making, finding and revoking API tokens.

A token reads `htr_<prefix>_<secret>`: the prefix (8 characters) is stored as it is and finds
the row; the secret (43 characters, 256 random bits) is stored only as the SHA-256 of the whole
token and compared in constant time. The whole token is returned once, by `create_*`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.api.models import ApiToken, TokenKind
from hutor.backoffice import roles
from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.backoffice.models import Role
from hutor.core import clock

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User

PREFIX = "htr"
# A token's last-used time is written at most this often (a read needs no write each time).
LAST_USED_EVERY = dt.timedelta(minutes=1)
# A customer may hold this many live tokens.
CUSTOMER_TOKENS_MAX = 10


@dataclass(frozen=True)
class Issued:
    token: ApiToken
    secret: str  # the whole token, shown once


def _hash(whole: str) -> str:
    return hashlib.sha256(whole.encode()).hexdigest()


def _new(**fields: object) -> Issued:
    prefix = secrets.token_hex(4)
    whole = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        prefix=prefix, secret_hash=_hash(whole), created_at=clock.now(), **fields
    )
    return Issued(token=token, secret=whole)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise DeskError(_("Give the token a name of at most 60 characters."))
    return name


def create_staff_token(
    *,
    staff: User,
    name: str,
    role: str,
    scopes: list[str] | None = None,
    expires_at: dt.datetime | None = None,
    reason: str,
) -> Issued:
    """A staff token with one desk role (and, optionally, only some of that role's actions);
    made by an administrator, audited. Its calls are audited as the creator "via" the token."""
    require_reason(reason)
    name = _clean_name(name)
    if role not in Role.values:
        raise DeskError(_("Choose a role."))
    scopes = sorted(set(scopes or []))
    unknown = [code for code in scopes if code not in roles.ACTIONS]
    beyond = [
        code
        for code in scopes
        if code in roles.ACTIONS and not roles.allows(role, roles.ACTIONS[code])
    ]
    if unknown or beyond:
        raise DeskError(
            _("Not an action of this role: %(codes)s.") % {"codes": ", ".join(unknown + beyond)}
        )
    if expires_at is not None and expires_at <= clock.now():
        raise DeskError(_("The expiry must be in the future."))
    with transaction.atomic():
        issued = _new(
            kind=TokenKind.STAFF,
            name=name,
            role=role,
            scopes=scopes,
            created_by=staff,
            expires_at=expires_at,
        )
        record(
            staff=staff,
            action="api_token.create",
            reason=reason,
            object_type="api_token",
            object_id=issued.token.prefix,
            changes={"name": name, "role": role, "scopes": scopes, "expires_at": expires_at},
        )
    return issued


def revoke_staff_token(*, staff: User, token: ApiToken, reason: str) -> ApiToken:
    """Revoke a staff token at once (its next request is refused); audited."""
    require_reason(reason)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk, kind=TokenKind.STAFF)
        if token.revoked_at is not None:
            raise DeskError(_("This token is already revoked."))
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        record(
            staff=staff,
            action="api_token.revoke",
            reason=reason,
            object_type="api_token",
            object_id=token.prefix,
            changes={"name": token.name},
        )
    return token


def create_customer_token(
    *, account: BillingAccount, name: str, expires_at: dt.datetime | None = None
) -> Issued:
    """A token acting on the customer's own billing account only (made in the panel)."""
    name = _clean_name(name)
    with transaction.atomic():
        live = ApiToken.objects.filter(billing_account=account, revoked_at__isnull=True)
        if live.count() >= CUSTOMER_TOKENS_MAX:
            raise DeskError(
                _("You may have at most %(count)d tokens; revoke one first.")
                % {"count": CUSTOMER_TOKENS_MAX}
            )
        return _new(
            kind=TokenKind.CUSTOMER,
            name=name,
            billing_account=account,
            created_by=account.user,
            expires_at=expires_at,
        )


def revoke_customer_token(*, account: BillingAccount, token_id: int) -> ApiToken | None:
    """Revoke one of the customer's own tokens; None when it is not theirs or not live."""
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update()
            .filter(pk=token_id, billing_account=account, revoked_at__isnull=True)
            .first()
        )
        if token is None:
            return None
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    return token


def find(whole: str) -> ApiToken | None:
    """The live token this text is, or None (unknown, revoked, expired, or its staff member
    or customer login disabled)."""
    parts = (whole or "").split("_")
    if len(parts) < 3 or parts[0] != PREFIX:
        return None
    token = (
        ApiToken.objects.select_related("created_by", "billing_account")
        .filter(prefix=parts[1])
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(whole)):
        return None
    now = clock.now()
    if token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if not token.created_by.is_active:
        return None
    if token.kind == TokenKind.STAFF and roles.role_of(token.created_by) is None:
        return None  # its maker is no longer staff
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
