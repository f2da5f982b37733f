"""What every command shares: where the services are, the token, HTTP calls, errors, output."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from marketplace_platform.tokens import ROLES, Role, mint_token

# The HTTP client and the settings are imported by the commands that use them, not at
# start: `marketplace --help` and every command start in a fraction of a second.
if TYPE_CHECKING:
    import httpx

    from marketplace_contracts.reference import CpvCode
    from marketplace_platform.settings import ServiceSettings

ServiceName = Literal["needs", "suppliers", "matching", "notifications"]
Lang = Literal["sv", "en"]
LANGS: tuple[Lang, ...] = ("sv", "en")
DEFAULT_URLS: dict[ServiceName, str] = {
    "needs": "http://127.0.0.1:8001",
    "suppliers": "http://127.0.0.1:8002",
    "matching": "http://127.0.0.1:8003",
    "notifications": "http://127.0.0.1:8004",
}

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CliError(Exception):
    """A failure to report on one line (exit code 1), never with a traceback."""


P = ParamSpec("P")
T = TypeVar("T")


def reports_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Turn `CliError` (and interruptions) into one clear line on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except CliError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None

    return wrapper


def language(value: str | None) -> Lang:
    """The language of labels: --lang if given, else LANG's ("sv_SE.UTF-8"), else Swedish."""
    if value is not None:
        if value not in LANGS:
            raise typer.BadParameter(f"must be sv or en, not {value!r}", param_hint="--lang")
        return "en" if value == "en" else "sv"
    return "en" if os.environ.get("LANG", "").startswith("en") else "sv"


def dev_settings() -> ServiceSettings:
    from marketplace_platform.settings import ServiceSettings

    try:
        return ServiceSettings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise CliError(f"the environment's settings are invalid: {exc}") from None


@dataclass
class Config:
    """The root options, shared by every command through `typer.Context.obj`."""

    urls: dict[ServiceName, str]
    token: str | None = None
    org: str | None = None
    role: str | None = None
    municipality: str | None = None
    as_json: bool = False
    timeout: float = 10.0
    lang: Lang = "sv"

    def bearer(self, default_role: Role) -> str:
        """The token to send: --token / MARKETPLACE_TOKEN, or one minted for --org."""
        if self.token:
            return self.token
        if self.org:
            role = self.role or default_role
            if role not in ROLES:
                raise CliError(f"--role must be one of {', '.join(ROLES)}, not {role!r}")
            settings = dev_settings()
            return mint_token(
                settings.jwt_secret.get_secret_value(),
                org=self.org,
                role=role,  # type: ignore[arg-type,unused-ignore]
                municipality_code=self.municipality,
                ttl=timedelta(hours=1),
                issuer=settings.jwt_issuer,
            )
        raise CliError(
            "no token: pass --token or set MARKETPLACE_TOKEN, or sign a development token "
            "with --org ORG [--role ROLE] (before the command: marketplace --org karlstad ...)"
        )

    def token_role(self) -> str | None:
        """The role the calls will carry (read from the token, not verified here)."""
        if self.token:
            import jwt  # only when a token is given: its import slows every start

            try:
                claims = jwt.decode(self.token, options={"verify_signature": False})
            except jwt.PyJWTError:
                return None
            role = claims.get("role")
            return role if isinstance(role, str) else None
        return self.role

    def url(self, service: ServiceName, path: str) -> str:
        return self.urls[service].rstrip("/") + path

    def call(
        self,
        service: ServiceName,
        method: str,
        path: str,
        *,
        role: Role | None = None,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """One HTTP call; `role` None sends no token. Returns the JSON answer."""
        response = self.send(service, method, path, role=role, body=body, params=params)
        check(service, response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def send(
        self,
        service: ServiceName,
        method: str,
        path: str,
        *,
        role: Role | None = None,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """One HTTP call, its answer unchecked (a caller that reads a refusal itself);
        a service out of reach is a `CliError`."""
        import httpx

        headers = {"Authorization": f"Bearer {self.bearer(role)}"} if role else {}
        query = {k: v for k, v in (params or {}).items() if v is not None and v != []}
        try:
            with httpx.Client(timeout=self.timeout) as client:
                return client.request(
                    method, self.url(service, path), json=body, params=query, headers=headers
                )
        except httpx.HTTPError as exc:
            raise unreachable(service, self.urls[service], exc) from None
        except httpx.InvalidURL as exc:
            raise CliError(f"the {service} URL {self.urls[service]!r} is invalid: {exc}") from None

    def stream_events(
        self, service: ServiceName, path: str, role: Role
    ) -> Iterator[tuple[str, str, str]]:
        """A streamed answer's server-sent events, (event, id, data), as they arrive."""
        import httpx
        from httpx_sse import connect_sse

        headers = {"Authorization": f"Bearer {self.bearer(role)}"}
        timeout = httpx.Timeout(self.timeout, read=None)
        try:
            with (
                httpx.Client(timeout=timeout) as client,
                connect_sse(client, "GET", self.url(service, path), headers=headers) as source,
            ):
                if source.response.is_error:
                    source.response.read()
                    check(service, source.response)
                for sse in source.iter_sse():
                    if sse.data:  # an event without data is not dispatched
                        yield sse.event, sse.id, sse.data
        except httpx.HTTPError as exc:
            raise unreachable(service, self.urls[service], exc) from None


def unreachable(service: str, url: str, exc: httpx.HTTPError) -> CliError:
    import httpx

    if isinstance(exc, httpx.ConnectError):
        return CliError(
            f"cannot reach the {service} service at {url}: is it running? "
            f"(`make up` starts it; --{service}-url or MARKETPLACE_{service.upper()}_URL "
            "point elsewhere)"
        )
    if isinstance(exc, httpx.TimeoutException):
        return CliError(f"the {service} service at {url} did not answer in time")
    return CliError(f"the {service} service at {url} failed: {type(exc).__name__}: {exc}")


def check(service: str, response: httpx.Response) -> None:
    from marketplace_platform.api_answers import error_detail

    code = response.status_code
    if code < 400:
        return
    detail = error_detail(response)
    if code == 401:
        raise CliError(f"the {service} service refused the token (401): {detail}")
    if code == 403:
        raise CliError(f"the {service} service refused this to the token's role (403): {detail}")
    if code == 404:
        raise CliError(f"not found (404): {detail}")
    raise CliError(f"the {service} service answered {code} {response.reason_phrase}: {detail}")


TITLE_WIDTH = 24  # a table is printed when its titles get this much room, not less


def print_listing(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Collection[int] = (),
) -> None:
    """Rows of markup cells, the first the item's id, the second its name: a table when
    the terminal has room for every id whole on one line and the names readable, else
    one block per row, the name on its own line and the other cells beneath it, labelled.
    Either way an id is printed whole, as the commands that take it expect it."""
    from rich.padding import Padding
    from rich.table import Table

    table = Table(title=title)
    for i, header in enumerate(headers):
        table.add_column(
            header,
            no_wrap=i == 0,
            min_width=TITLE_WIDTH if i == 1 else None,
            justify="right" if i in right else "left",
        )
    for row in rows:
        table.add_row(*row)
    # The narrowest the table can be (its columns' longest words), measured unbounded.
    if table.__rich_measure__(out, out.options.update_width(10_000)).minimum <= out.width:
        out.print(table, soft_wrap=False)
        return
    out.print(f"[italic]{title}[/]", soft_wrap=False)
    for row in rows:
        details = Table.grid(padding=(0, 2))
        details.add_column(style="dim", no_wrap=True)
        details.add_column(overflow="fold")
        for header, cell in zip((headers[0], *headers[2:]), (row[0], *row[2:]), strict=True):
            details.add_row(header, cell)
        out.print("", soft_wrap=False)
        out.print(f"[bold]{row[1]}[/]", soft_wrap=False)
        out.print(Padding(details, (0, 0, 0, 2), expand=False), soft_wrap=False)


def emit_json(value: Any) -> None:
    """Plain JSON on stdout, for scripts (`--json`)."""
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def known_cpv(code: str) -> CpvCode | None:
    # The vocabularies are read when a code is, not at every start of the CLI.
    from marketplace_contracts.reference import InvalidCpvCode, lookup

    try:
        return lookup(code)
    except InvalidCpvCode:
        return None


def cpv_full(code: str) -> str:
    """The code with its check digit where known ("80500000-9"), else as it is."""
    entry = known_cpv(code)
    return entry.full if entry else code


def cpv_name(code: str, lang: Lang) -> str:
    """ "80500000-9 Utbildningstjänster": a CPV code with its check digit where known and its
    label; a code outside the vocabulary as it is."""
    entry = known_cpv(code)
    return f"{entry.full} {entry.label(lang)}" if entry else code


def short_time(value: Any) -> str:
    text = str(value or "")
    return text[:19].replace("T", " ")
