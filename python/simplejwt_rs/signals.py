"""Signals sent by simplejwt_rs."""

from django.dispatch import Signal

# Sent when an already-rotated refresh token is presented again and its family is revoked.
# Arguments: sender (the serializer class), user (None if the token names no user or the user is gone),
# family (the family id), jti (the jti of the reused token).
refresh_token_reused = Signal()
