"""Published example vectors: RFC 7515 Appendix A and RFC 8037 Appendix A."""

from __future__ import annotations

import pytest
from simplejwt_rs import Codec
from simplejwt_rs.exceptions import ExpiredTokenError, InvalidSignatureError, InvalidTokenError

# RFC 7515 A.1-A.3 share this payload: {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
PAYLOAD_B64 = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
CLAIMS = {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}
BEFORE_EXP = 1300819000

A1_KEY = {"kty": "oct", "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}
A1_TOKEN = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + PAYLOAD_B64 + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

A2_KEY = {
    "kty": "RSA",
    "e": "AQAB",
    "n": "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-"
    "SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7W"
    "TBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kz"
    "k2PAcDTW9gb54h4FRWyuXpoQ",
}
A2_TOKEN = (
    "eyJhbGciOiJSUzI1NiJ9." + PAYLOAD_B64 + ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuH"
    "Im4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSj"
    "tQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np"
    "6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
)

A3_KEY = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}
A3_PRIVATE = {**A3_KEY, "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}
A3_TOKEN = (
    "eyJhbGciOiJFUzI1NiJ9." + PAYLOAD_B64 + ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxf"
    "KTUJqPP3-Kg6NU1Q"
)

# RFC 8037 A.1/A.4: Ed25519 over the text "Example of Ed25519 signing" (not a JSON object).
OKP_PRIVATE = {
    "kty": "OKP",
    "crv": "Ed25519",
    "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
}
OKP_TOKEN = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)


def tamper(token: str) -> str:
    head, _, sig = token.rpartition(".")
    return f"{head}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"


@pytest.mark.parametrize(
    ("alg", "key", "token"),
    [("HS256", A1_KEY, A1_TOKEN), ("RS256", A2_KEY, A2_TOKEN), ("ES256", A3_KEY, A3_TOKEN)],
    ids=["A.1-HS256", "A.2-RS256", "A.3-ES256"],
)
def test_rfc7515_examples(alg, key, token):
    codec = Codec(alg, None, key) if alg != "HS256" else Codec(alg, key)
    assert codec.decode(token, now=BEFORE_EXP) == CLAIMS
    with pytest.raises(ExpiredTokenError):
        codec.decode(token)  # the example expired in 2011
    with pytest.raises(InvalidSignatureError):
        codec.decode(tamper(token), now=BEFORE_EXP)


def test_rfc7515_a3_private_key_signs_verifiable_tokens():
    codec = Codec("ES256", A3_PRIVATE)
    assert Codec("ES256", None, A3_KEY).decode(codec.encode({"iss": "joe"})) == {"iss": "joe"}


def test_rfc8037_ed25519_example():
    codec = Codec("EdDSA", OKP_PRIVATE)
    # The signature verifies; only then is the payload found not to be a JSON object.
    with pytest.raises(InvalidTokenError, match="JSON"):
        codec.decode(OKP_TOKEN)
    with pytest.raises(InvalidSignatureError):
        codec.decode(tamper(OKP_TOKEN))
    public = {k: v for k, v in OKP_PRIVATE.items() if k != "d"}
    with pytest.raises(InvalidSignatureError):
        Codec("EdDSA", None, public).decode(tamper(OKP_TOKEN))
