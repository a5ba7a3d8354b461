"""Signals sent by simplejwt_rs."""

from django.dispatch import Signal

# Sent when an already-rotated refresh token is presented again and its family is revoked.
# Arguments: sender (the serializer class, or the token class for RefreshToken(raw) and blacklist()),
# user (None if the token names no user or the user is gone), family (the family id), jti (the jti of the reused token).
refresh_token_reused = Signal()

# Sent by simplejwt_rs.revoke_user_tokens ("log out everywhere") once every refresh token and family
# of a user is revoked. Arguments: sender (the caller's class, or None), user.
user_tokens_revoked = Signal()

# Security events (simplejwt_rs.events): one signal per event, named after it, sent with the record's fields
# (event, user_id, family, jti, scope, code, count, ip, user_agent) and user (the instance, or None).
authn_login_success = Signal()
authn_login_fail = Signal()
authn_token_created = Signal()
authn_token_reuse = Signal()
authn_token_revoked = Signal()
authz_fail = Signal()
