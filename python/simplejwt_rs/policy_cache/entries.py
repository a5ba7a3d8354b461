"""What the policy cache stores: its keys, its entries (a :class:`~simplejwt_rs.policy.Verdict` encoded), their
lifetime, and the settings a lookup reads.

An entry is written and read by every server sharing the cache, across releases: its shape is fixed (a
user's: ``(verdict, detail, detail, mark)``; a family's: a bool) and anything else is a miss (:func:`well_formed`).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from ..errors import DELETED, INACTIVE, RULE_REFUSED, Refuse
from ..models import RevokedTokenFamily
from ..policy import DELETED_VERDICT, TokenRules, Verdict, judge, judge_id, token_rules
from ..settings import get

PREFIX = "simplejwt_rs:policy:1:"
# Added to the longest token lifetime: entries outlive every token they could refuse.
MARGIN_SECONDS = 60

_ALLOWED = "ok"
_USER_PREFIX = f"{PREFIX}u:"
_FAMILY_PREFIX = f"{PREFIX}f:"


def user_key(user_id: Any) -> str:
    return f"{_USER_PREFIX}{user_id}"


def family_key(family: Any) -> str:
    return f"{_FAMILY_PREFIX}{family}"


# --- the settings a lookup reads ----------------------------------------------------------------------


class _Settings:
    """The settings a lookup reads, read once per value of ``SIMPLE_JWT`` and ``CACHES`` (not per request)."""

    __slots__ = ("alias", "family_claim", "rules", "user_id_claim", "user_keys")

    def __init__(self) -> None:
        self.alias = get("POLICY_CACHE")
        self.user_id_claim = get("USER_ID_CLAIM")
        self.family_claim = get("TOKEN_FAMILY_CLAIM")
        self.rules: TokenRules = token_rules()
        # A user id claim -> its user's key (lookup._user_key_of): the id field's parsing, done once per claim.
        self.user_keys: dict[tuple[type, Any], tuple[Any, str]] = {}


_settings: _Settings | None = None


def remember() -> _Settings:
    global _settings
    current = _settings
    if current is None:
        current = _settings = _Settings()
    return current


def settings_changed(*, setting: str, **kwargs: Any) -> None:
    """``setting_changed``'s receiver (connected at ready)."""
    global _settings
    if setting in ("SIMPLE_JWT", "CACHES", "AUTH_USER_MODEL"):  # POLICY_CACHE is checked against CACHES
        _settings = None


def enabled() -> bool:
    return remember().alias is not None


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value or 0)


def ttl() -> float:
    """Every entry's lifetime: the longest access or sliding token lifetime, the leeway, and a margin."""
    longest = max(_seconds(get("ACCESS_TOKEN_LIFETIME")), _seconds(get("SLIDING_TOKEN_LIFETIME")))
    return longest + _seconds(get("LEEWAY")) + MARGIN_SECONDS


# --- a user's entry: a verdict, encoded -------------------------------------------------------------

# A user's entry: (verdict, detail, detail, mark); the mark (epoch seconds or None) is always the last of four.
_ENTRY_LENGTH = 4


def encode(verdict: Verdict) -> tuple[Any, ...]:
    """A verdict as the cache stores it (a rule's message is stored as text, translated when it was judged)."""
    if verdict.refused == DELETED:
        return (DELETED, None, None, None)
    if verdict.refused == RULE_REFUSED:
        refusal = verdict.refusal or Refuse()  # judge() always gives RULE_REFUSED its refusal
        return (RULE_REFUSED, str(refusal.message), str(refusal.code), verdict.mark)
    if verdict.refused == INACTIVE:
        return (INACTIVE, None, None, verdict.mark)
    # The account's pk: a token bound to another account (policy.token_account) names nobody.
    return (_ALLOWED, verdict.fingerprint, verdict.pk, verdict.mark)


def decode(state: Any) -> Verdict | None:
    """The verdict a user's entry holds, or None when it is not :func:`well_formed` (a miss)."""
    if not well_formed(state):
        return None
    name, first, second, mark = state
    if name == DELETED:
        return DELETED_VERDICT
    if name == RULE_REFUSED:
        return Verdict(RULE_REFUSED, Refuse(first, second), mark=mark)
    if name == INACTIVE:
        return Verdict(INACTIVE, mark=mark)
    return Verdict(None, None, first, second, mark)


def well_formed(state: Any) -> bool:
    """Whether ``state`` is a user's entry as :func:`encode` writes it (a list too: a JSON serializer's
    tuple).  Anything else (junk, another release's entry) is a miss: never an allow, never an exception."""
    if type(state) not in (tuple, list) or len(state) != _ENTRY_LENGTH:
        return False
    verdict, first, second, mark = state
    if type(verdict) is not str or not _is_mark(mark):
        return False
    if verdict == DELETED:
        return first is None and second is None and mark is None
    if verdict == INACTIVE:
        return first is None and second is None
    if verdict == RULE_REFUSED:
        return type(first) is str and type(second) is str
    # An allowed entry names the account's pk (policy.token_account); one without it is an older release's.
    return verdict == _ALLOWED and type(first) is str and type(second) is str


def _is_mark(mark: Any) -> bool:
    """None, or a finite time (int or float; never a bool, NaN, an infinity or "123")."""
    return mark is None or (type(mark) in (int, float) and math.isfinite(mark))


def state_of(user: Any, mark: float | None = None) -> tuple[Any, ...]:
    """The policy's verdict on ``user`` (None: no such user) and its "revoked before" mark, as cached."""
    return encode(judge(user, mark))


def _state_from_db(user_id: Any) -> tuple[Any, ...]:
    """The user's entry as the database has it (:func:`~simplejwt_rs.policy.judge_id`: the user row, once)."""
    return encode(judge_id(user_id))


def family_revoked_in_db(family: Any) -> bool:
    return RevokedTokenFamily.objects.filter(family=str(family)).exists()


def token_family(claims: dict[str, Any]) -> str | None:
    """The token's family claim, when it names one a key can hold."""
    claim = remember().family_claim
    family = claims.get(claim) if claim else None
    if type(family) is str and 0 < len(family) <= 255:  # the usual case, as below
        return family
    if isinstance(family, bool) or not isinstance(family, (str, int)) or not str(family) or len(str(family)) > 255:
        return None
    return str(family)
