"""Account use-cases: registration, verification, log-in, sessions, passwords, roles, TOTP.

Services take models and plain values, check the rules, change the models and flush;
the view commits. Each raises a DomainError subclass whose message the view shows.

One module per part (registration, tokens, sessions, credentials, profile, administration,
two_factor; `common` holds the refusals and the password policy); callers import this
package, which re-exports each part's public names.
"""

from __future__ import annotations

from tadamon.accounts.services.administration import (
    create_admin,
    save_account,
    set_enabled,
    set_roles,
)
from tadamon.accounts.services.common import (
    AccountError,
    EmailNotVerified,
    EmailTaken,
    InvalidCode,
    InvalidCredentials,
    InvalidToken,
    WeakPassword,
    check_password_strength,
    new_account,
    normalize_email,
)
from tadamon.accounts.services.credentials import (
    change_password,
    confirm_email_change,
    request_email_change,
    request_password_reset,
    reset_password,
    set_password,
)
from tadamon.accounts.services.profile import set_preferred_language, update_profile
from tadamon.accounts.services.registration import (
    register_user,
    resend_verification,
    send_verification_email,
    verify_email,
)
from tadamon.accounts.services.sessions import (
    SESSION_TOUCH_INTERVAL,
    authenticate,
    end_other_sessions,
    end_session,
    find_session,
    find_user_session,
    list_sessions,
    load_with_the_person,
    start_session,
)
from tadamon.accounts.services.tokens import TOKEN_LIFETIMES, consume_token, issue_token, peek_token
from tadamon.accounts.services.two_factor import (
    check_totp,
    disable_totp,
    enable_totp,
    new_totp_secret,
    requires_two_factor,
    totp_provisioning_uri,
)

__all__ = [
    "SESSION_TOUCH_INTERVAL", "TOKEN_LIFETIMES", "AccountError", "EmailNotVerified", "EmailTaken",
    "InvalidCode", "InvalidCredentials", "InvalidToken", "WeakPassword", "authenticate", "change_password",
    "check_password_strength", "check_totp", "confirm_email_change", "consume_token", "create_admin",
    "disable_totp", "enable_totp", "end_other_sessions", "end_session", "find_session", "find_user_session", "issue_token",
    "list_sessions", "load_with_the_person", "new_account", "new_totp_secret", "normalize_email", "peek_token", "register_user",
    "request_email_change", "request_password_reset", "requires_two_factor", "reset_password",
    "resend_verification", "save_account", "send_verification_email", "set_enabled", "set_password",
    "set_preferred_language", "set_roles", "start_session", "totp_provisioning_uri", "update_profile",
    "verify_email",
]
