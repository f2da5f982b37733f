"""The `marketplace` command."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from .auth import ROLES, mint_token
from .settings import ServiceSettings

app = typer.Typer(help="Marketplace for demand-driven innovation procurement", no_args_is_help=True)


@app.callback()
def _root() -> None:
    """Commands for buyers, suppliers and operators."""


@app.command()
def token(
    org: Annotated[str, typer.Option(help="organisation id, e.g. karlstad")],
    role: Annotated[str, typer.Option(help="buyer, supplier or admin")],
    municipality: Annotated[
        str | None, typer.Option(help="the buyer's municipality code, e.g. 1780")
    ] = None,
    hours: Annotated[float, typer.Option(help="lifetime in hours")] = 12.0,
) -> None:
    """Print a development JWT that the local services accept."""
    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}", param_hint="--role")
    settings = ServiceSettings()
    typer.echo(
        mint_token(
            settings.jwt_secret.get_secret_value(),
            org=org,
            role=role,  # type: ignore[arg-type,unused-ignore]
            municipality_code=municipality,
            ttl=timedelta(hours=hours),
            issuer=settings.jwt_issuer,
        )
    )


def main() -> None:
    app()
