"""Signals sent by simplejwt_rs."""

from django.dispatch import Signal

# Sent when an already-rotated refresh token is presented again and its family is revoked.
# Arguments: sender (the serializer class, or the token class for RefreshToken(raw) and blacklist()),
# user (None if the token names no user or the user is gone), family (the family id), jti (the jti of the reused token).
refresh_token_reused = Signal()

# Sent by simplejwt_rs.revoke_user_tokens ("log out everywhere") once every refresh token and family
# of a user is revoked. Arguments: sender (the caller's class, or None), user.
user_tokens_revoked = Signal()
