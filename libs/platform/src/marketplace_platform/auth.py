"""Bearer JWTs behind FastAPI: the current caller and the role a route needs.

Minting and checking tokens is `tokens` (re-exported here for the services).
"""

from __future__ import annotations

from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .settings import ServiceSettings
from .tokens import ALGORITHM, ROLES, Principal, Role, mint_token, verify_token

__all__ = [
    "ALGORITHM",
    "ROLES",
    "CurrentPrincipal",
    "Principal",
    "Role",
    "current_principal",
    "mint_token",
    "require_role",
    "verify_token",
]

_bearer = HTTPBearer(auto_error=False, description="A JWT from `marketplace token`")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("a bearer token is required (Authorization: Bearer <jwt>)")
    settings: ServiceSettings = request.app.state.settings
    try:
        return verify_token(
            credentials.credentials, settings.jwt_secret.get_secret_value(), settings.jwt_issuer
        )
    except jwt.ExpiredSignatureError:
        raise _unauthorized("the token has expired") from None
    except jwt.PyJWTError as exc:
        raise _unauthorized(f"the token is not valid: {exc}") from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role) -> object:
    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"this action needs the role {' or '.join(roles)}; "
                f"the token has role {principal.role}",
            )
        return principal

    return Depends(check)
