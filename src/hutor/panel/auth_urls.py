"""Customer authentication pages (django-allauth), under allauth's own URL names.

Only what Hutor offers is routed: login and logout (also named panel:login and panel:logout,
on the same paths), password reset by email, password change, and the Security page with the
authenticator app (TOTP) and its recovery codes. Not routed: signup (a billing account is
opened by ordering), managing email addresses (the login is the billing account's email),
login by emailed code, passkeys and security keys.
"""

from allauth.account import views as account
from allauth.mfa.base import views as mfa
from allauth.mfa.recovery_codes import views as recovery_codes
from allauth.mfa.totp import views as totp
from django.urls import path, re_path

urlpatterns = [
    path("login/", account.login, name="account_login"),
    path("login/code/", mfa.authenticate, name="mfa_authenticate"),
    path("login/inactive/", account.account_inactive, name="account_inactive"),
    path("logout/", account.logout, name="account_logout"),
    path("password/reset/", account.password_reset, name="account_reset_password"),
    path("password/reset/sent/", account.password_reset_done, name="account_reset_password_done"),
    re_path(
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        account.password_reset_from_key,
        name="account_reset_password_from_key",
    ),
    path(
        "password/reset/done/",
        account.password_reset_from_key_done,
        name="account_reset_password_from_key_done",
    ),
    path("panel/security/", mfa.index, name="mfa_index"),
    path("panel/security/password/", account.password_change, name="account_change_password"),
    path("panel/security/password/set/", account.password_set, name="account_set_password"),
    path("panel/security/confirm/", account.reauthenticate, name="account_reauthenticate"),
    path("panel/security/confirm/code/", mfa.reauthenticate, name="mfa_reauthenticate"),
    path("panel/security/totp/activate/", totp.activate_totp, name="mfa_activate_totp"),
    path("panel/security/totp/deactivate/", totp.deactivate_totp, name="mfa_deactivate_totp"),
    path(
        "panel/security/recovery-codes/",
        recovery_codes.view_recovery_codes,
        name="mfa_view_recovery_codes",
    ),
    path(
        "panel/security/recovery-codes/generate/",
        recovery_codes.generate_recovery_codes,
        name="mfa_generate_recovery_codes",
    ),
    path(
        "panel/security/recovery-codes/download/",
        recovery_codes.download_recovery_codes,
        name="mfa_download_recovery_codes",
    ),
]
