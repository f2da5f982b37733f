"""`cpv search` and `cpv suggest`: the CPV vocabulary, over the needs service's reference API."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .api import cfg
from .core import CliError, Lang, cpv_full, emit_json, language, out, reports_errors

cpv_app = typer.Typer(help="CPV codes: search the vocabulary, suggest codes for a need.")

LangOption = Annotated[
    str | None,
    typer.Option(help="language of the labels: sv or en (default: the root --lang)"),
]


@cpv_app.command("search")
@reports_errors
def cpv_search(  # noqa: PLR0917 - typer options
    ctx: typer.Context,
    query: Annotated[
        str | None,
        typer.Argument(
            metavar="QUERY", help='words of the label ("städ") or digits of the code ("909")'
        ),
    ] = None,
    parent: Annotated[str | None, typer.Option(help="list the sub-codes of this code")] = None,
    lang: LangOption = None,
    limit: Annotated[int, typer.Option(min=1, help="codes per page")] = 20,
    cursor: Annotated[str | None, typer.Option(help="the next page, as printed")] = None,
) -> None:
    """Find CPV codes by words or digits, or list a code's sub-codes."""
    c = cfg(ctx)
    if not (query or "").strip() and not parent:
        raise CliError("cpv search needs a QUERY (words or digits) or --parent CODE")
    labels: Lang = language(lang) if lang is not None else c.lang
    params = {"q": query, "parent": parent, "lang": labels, "limit": limit, "cursor": cursor}
    answer = c.call("needs", "GET", "/v1/reference/cpv", role="buyer", params=params)
    if c.as_json:
        emit_json(answer)
        return
    items: list[dict[str, Any]] = answer.get("items") or []
    if not items:
        out.print("no CPV codes found")
        return
    table = Table(title=f"CPV codes ({len(items)}{' or more' if answer.get('next') else ''})")
    table.add_column("code", no_wrap=True)
    table.add_column("label")
    table.add_column("level")
    for item in items:
        code = str(item.get("code"))
        table.add_row(
            str(item.get("full") or cpv_full(code)),
            escape(str(item.get("label") or "")),
            str(item.get("level") or ""),
        )
    out.print(table)
    if answer.get("next"):
        out.print(f"next page: --cursor {escape(str(answer['next']))}")


@cpv_app.command("suggest")
@reports_errors
def cpv_suggest(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="the need's title")],
    problem: Annotated[str, typer.Option(help="the problem, in the buyer's words")],
    language_: Annotated[
        str | None,
        typer.Option(
            "--language",
            help="sv or en: the language of title and problem (default: guessed from them)",
        ),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Suggest CPV codes for a need from its title and problem, best first, with the reasons."""
    c = cfg(ctx)
    labels: Lang = language(lang) if lang is not None else c.lang
    body = {"title": title, "problem": problem}
    if language_ is not None:
        body["language"] = language_
    answer = c.call(
        "needs",
        "POST",
        "/v1/reference/cpv/suggest",
        role="buyer",
        body=body,
        params={"lang": labels},
    )
    if c.as_json:
        emit_json(answer)
        return
    items: list[dict[str, Any]] = answer.get("items") or []
    if not items:
        out.print("no CPV codes to suggest")
        return
    table = Table(title=f"suggested CPV codes ({len(items)})")
    table.add_column("code", no_wrap=True)
    table.add_column("label")
    table.add_column("score", justify="right")
    table.add_column("why")
    for item in items:
        score = item.get("score")
        table.add_row(
            cpv_full(str(item.get("code"))),
            escape(str(item.get("label") or "")),
            f"{score:.2f}" if isinstance(score, int | float) else "",
            escape(str(item.get("reason") or "")),
        )
    out.print(table)
