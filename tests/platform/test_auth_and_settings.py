"""JWT verification and the settings' refusal of the development key in production."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from pydantic import ValidationError

from marketplace_platform.auth import mint_token, verify_token
from marketplace_platform.settings import DEV_JWT_SECRET, ServiceSettings

SECRET = "a-test-signing-key-of-sufficient-length"


def test_a_minted_token_names_the_organisation_and_role() -> None:
    token = mint_token(SECRET, org="karlstad", role="buyer", municipality_code="1780")
    principal = verify_token(token, SECRET)
    assert (principal.org, principal.role, principal.municipality_code) == (
        "karlstad",
        "buyer",
        "1780",
    )


def test_expired_tampered_and_foreign_tokens_are_refused() -> None:
    expired = mint_token(SECRET, org="karlstad", role="buyer", ttl=timedelta(seconds=-5))
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_token(expired, SECRET)
    foreign = mint_token("another-key-entirely-different-0123", org="karlstad", role="admin")
    with pytest.raises(jwt.InvalidSignatureError):
        verify_token(foreign, SECRET)
    header, payload, signature = mint_token(SECRET, org="karlstad", role="buyer").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(jwt.InvalidSignatureError):
        verify_token(f"{header}.{forged}.{signature}", SECRET)


def test_alg_none_is_refused() -> None:
    unsigned = jwt.encode(
        {"org": "karlstad", "role": "admin", "sub": "x", "iss": "marketplace", "exp": 9999999999},
        key=None,
        algorithm="none",
    )
    with pytest.raises(jwt.InvalidAlgorithmError):
        verify_token(unsigned, SECRET)


def test_unknown_role_is_refused() -> None:
    token = jwt.encode(
        {"org": "x", "role": "root", "sub": "x", "iss": "marketplace", "exp": 9999999999},
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(jwt.InvalidTokenError):
        verify_token(token, SECRET)


def test_the_development_key_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETPLACE_ENVIRONMENT", "production")
    monkeypatch.delenv("MARKETPLACE_JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="MARKETPLACE_JWT_SECRET"):
        ServiceSettings()
    monkeypatch.setenv("MARKETPLACE_JWT_SECRET", "a-real-secret-from-the-vault-0123456789")
    assert ServiceSettings().jwt_secret.get_secret_value() != DEV_JWT_SECRET
