"""One nesting limit for claims, arrays and objects alike, in both directions (issue 19).

A claim value may nest arrays and objects at most 200 deep, every container counted (empty ones too; the
payload object itself not): ``{"a": [[1]]}`` is 2 deep. ``Codec.encode`` refuses deeper (ValueError) and
``Codec.decode`` refuses a token carrying deeper (InvalidTokenError), so whatever one side accepts the other
does.  Before, decode counted only containers that held a value (201 arrays around ``[]`` passed, 201 around a
number did not) and encode allowed 255.
"""

from __future__ import annotations

import jwt
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from simplejwt_rs import Codec
from simplejwt_rs.exceptions import InvalidTokenError

from . import keys

LIMIT = 200


def nested(kinds: str, inner: object) -> object:
    """``inner`` wrapped in one container per letter of ``kinds`` (a: array, o: object), outermost first."""
    value = inner
    for kind in reversed(kinds):
        value = [value] if kind == "a" else {"k": value}
    return value


def depth(kinds: str, inner: object) -> int:
    return len(kinds) + (1 if isinstance(inner, (list, dict)) else 0)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    kinds=st.text(alphabet="ao", min_size=LIMIT - 3, max_size=LIMIT + 3),
    inner=st.sampled_from([1, "s", None, 1.5, [], {}, [1], {"x": "y"}]),
)
@example(kinds="a" * LIMIT, inner=[])  # 201 arrays, the innermost empty: decode took it, encode too
@example(kinds="o" * LIMIT, inner={})
@example(kinds="a" * (LIMIT + 1), inner=1)
@example(kinds="o" * (LIMIT + 1), inner=1)
@example(kinds="a" * LIMIT, inner=1)
@example(kinds="o" * LIMIT, inner=1)
@example(kinds="a" * (LIMIT - 1), inner=[])
def test_one_nesting_limit_both_ways(kinds, inner):
    codec = Codec("HS256", keys.HMAC_SECRET)
    claims = {"user_id": 1, "deep": nested(kinds, inner)}
    pyjwt_token = jwt.encode(claims, keys.HMAC_SECRET, algorithm="HS256")
    if depth(kinds, inner) <= LIMIT:
        token = codec.encode(claims)
        assert token == pyjwt_token
        assert codec.decode(token) == claims
    else:
        with pytest.raises(ValueError, match=f"more than {LIMIT} deep"):
            codec.encode(claims)
        with pytest.raises(InvalidTokenError, match=f"more than {LIMIT} deep"):
            codec.decode(pyjwt_token)


def test_the_limit_counts_claims_not_strings_that_look_like_brackets():
    codec = Codec("HS256", keys.HMAC_SECRET)
    claims = {"deep": nested("a" * LIMIT, "[[[{{{" * 100 + '\\"]'), "s": "[" * 1000}
    assert codec.decode(codec.encode(claims)) == claims


def test_a_cycle_is_still_refused():
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        Codec("HS256", keys.HMAC_SECRET).encode({"loop": loop})
