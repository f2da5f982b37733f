"""The `marketplace` command: one CLI over the public APIs, for buyers, suppliers and operators."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from typer._completion_classes import completion_init
from typer.completion import install_callback, show_callback

from marketplace_platform.tokens import ROLES, mint_token

from .api import adopt, inbox_app, needs_app, solutions_app, subscribe
from .contacts import contacts_app, mail_app
from .core import DEFAULT_URLS, Config, dev_settings, language, reports_errors
from .cpv import cpv_app
from .operations import events_app, status

# typer's own completion options show a "<bool>" in --help; the root declares them
# itself, as flags (`metavar=""`), with typer's callbacks and shells.
app = typer.Typer(
    help="Marketplace for demand-driven innovation procurement",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
completion_init()


@app.callback()
def _root(  # noqa: PLR0917 - typer options
    ctx: typer.Context,
    needs_url: Annotated[
        str, typer.Option(envvar="MARKETPLACE_NEEDS_URL", help="the needs service")
    ] = DEFAULT_URLS["needs"],
    suppliers_url: Annotated[
        str, typer.Option(envvar="MARKETPLACE_SUPPLIERS_URL", help="the suppliers service")
    ] = DEFAULT_URLS["suppliers"],
    matching_url: Annotated[
        str, typer.Option(envvar="MARKETPLACE_MATCHING_URL", help="the matching service")
    ] = DEFAULT_URLS["matching"],
    notifications_url: Annotated[
        str,
        typer.Option(envvar="MARKETPLACE_NOTIFICATIONS_URL", help="the notifications service"),
    ] = DEFAULT_URLS["notifications"],
    token_: Annotated[
        str | None,
        typer.Option("--token", envvar="MARKETPLACE_TOKEN", help="bearer JWT", show_default=False),
    ] = None,
    org: Annotated[
        str | None,
        typer.Option(help="sign a development token for this organisation (no --token needed)"),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            help="role of that token: buyer, supplier, admin (default: the command's; "
            "`inbox` reads the org's buyer inbox, or its supplier inbox when that is empty)"
        ),
    ] = None,
    municipality: Annotated[
        str | None, typer.Option(help="municipality code for that token and for new needs")
    ] = None,
    # metavar "": a flag takes no value, so its help shows no type
    as_json: Annotated[
        bool, typer.Option("--json", metavar="", help="print JSON instead of tables")
    ] = False,
    timeout: Annotated[float, typer.Option(help="HTTP timeout in seconds")] = 10.0,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            envvar="MARKETPLACE_LANG",
            help="language of labels and of the inbox: sv or en (default: from LANG, else sv)",
            show_default=False,
        ),
    ] = None,
    _install_completion: Annotated[
        bool,
        typer.Option(
            "--install-completion",
            metavar="",
            callback=install_callback,
            expose_value=False,
            is_eager=True,
            help="install completion for the current shell",
        ),
    ] = False,
    _show_completion: Annotated[
        bool,
        typer.Option(
            "--show-completion",
            metavar="",
            callback=show_callback,
            expose_value=False,
            is_eager=True,
            help="show completion for the current shell, to copy it or customise it",
        ),
    ] = False,
) -> None:
    """Commands for buyers, suppliers and operators.

    Connection options come before the command: `marketplace --org karlstad needs list`.
    """
    ctx.obj = Config(
        urls={
            "needs": needs_url,
            "suppliers": suppliers_url,
            "matching": matching_url,
            "notifications": notifications_url,
        },
        token=token_,
        org=org,
        role=role,
        municipality=municipality,
        as_json=as_json,
        timeout=timeout,
        lang=language(lang),
    )


@app.command()
@reports_errors
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
    settings = dev_settings()
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


app.add_typer(needs_app, name="needs")
app.add_typer(solutions_app, name="solutions")
app.command("subscribe")(subscribe)
app.add_typer(inbox_app, name="inbox")
app.add_typer(cpv_app, name="cpv")
app.command("adopt")(adopt)
app.add_typer(contacts_app, name="contacts")
app.add_typer(mail_app, name="mail")
app.add_typer(events_app, name="events")
app.command("status")(status)


def main() -> None:
    app()
