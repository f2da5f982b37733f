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


def test_consumers_have_a_static_name_each_only_when_the_instance_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MARKETPLACE_KAFKA_GROUP_INSTANCE_ID", raising=False)
    dynamic = ServiceSettings().consumer_options("mk.needs", "mk.matches")
    assert "group_instance_id" not in dynamic
    assert dynamic["session_timeout_ms"] == 6000
    assert dynamic["heartbeat_interval_ms"] * 3 <= dynamic["session_timeout_ms"]

    monkeypatch.setenv("MARKETPLACE_KAFKA_GROUP_INSTANCE_ID", "needs-0")
    monkeypatch.setenv("MARKETPLACE_KAFKA_SESSION_TIMEOUT_MS", "1500")
    named = ServiceSettings()
    ids = {
        named.consumer_options("mk.needs", topic)["group_instance_id"]
        for topic in ("mk.matches", "mk.scaling")
    }
    # Each subscriber is a consumer of its own in the group: one name each, or they
    # would fence each other off.
    assert ids == {"needs-0:mk.needs:mk.matches", "needs-0:mk.needs:mk.scaling"}
    assert named.consumer_options("mk.needs", "mk.matches")["heartbeat_interval_ms"] == 500
