"""Commands over the services' HTTP APIs: needs, solutions, subscribe, inbox, adopt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from marketplace_contracts.process import PHASES, PRACTICE_TAGS, practice_tag
from marketplace_platform.tokens import Role

from .core import (
    CliError,
    Config,
    Lang,
    ServiceName,
    cpv_name,
    emit_json,
    out,
    reports_errors,
    short_time,
)

needs_app = typer.Typer(help="Buyers' needs: draft, publish, move, co-sign, search, matches.")
solutions_app = typer.Typer(help="Suppliers' solutions: publish, search, show.")
inbox_app = typer.Typer(help="Your inbox: matches, alerts and scaling opportunities.")

Id = Annotated[str, typer.Argument(help="the id")]
Many = Annotated[list[str] | None, typer.Option()]


def cfg(ctx: typer.Context) -> Config:
    obj = ctx.find_root().obj
    if not isinstance(obj, Config):  # pragma: no cover - the root callback always sets it
        raise CliError("internal: no configuration")
    return obj


def load_body(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        body = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    if not isinstance(body, dict):
        raise CliError(f"{path} must hold a JSON object")
    return body


def merged(base: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Options given on the command line over the fields of --file; unset options are left out."""
    return {**base, **{k: v for k, v in fields.items() if v is not None and v != []}}


# --- output ------------------------------------------------------------------------------


def cpv_lines(codes: list[str] | None, lang: Lang, indent: int) -> str:
    """CPV codes with their labels, one a line, the lines after the first indented."""
    names = [escape(cpv_name(code, lang)) for code in codes or []]
    return ("\n" + " " * indent).join(names) or "-"


def show_need(need: dict[str, Any], lang: Lang) -> None:
    demand = need.get("demand") or {}
    lines = [
        f"[bold]{escape(str(need.get('title')))}[/]",
        f"id            {need.get('id')}",
        f"buyer         {need.get('buyer_org')} ({need.get('municipality_name') or ''} "
        f"{need.get('municipality_code') or ''})",
        f"phase/status  {need.get('phase')} / {need.get('status')}",
        f"CPV           {cpv_lines(need.get('cpv_codes'), lang, 14)}",
        f"tags          {', '.join(need.get('tags') or []) or '-'}",
        f"demand        {demand.get('organisations', 1)} organisation(s), "
        f"{demand.get('population', '?')} inhabitants",
        f"next phases   {', '.join(need.get('allowed_moves') or []) or '-'}",
        "",
        escape(str(need.get("problem") or "")),
    ]
    cosigners = need.get("cosigners") or []
    if cosigners:
        lines.append("")
        lines.append("co-signed by  " + ", ".join(str(c.get("org")) for c in cosigners))
    history = need.get("history") or []
    if history:
        lines.append("")
        for h in history:
            reason = f" ({escape(str(h['reason']))})" if h.get("reason") else ""
            lines.append(
                f"{short_time(h.get('at'))}  {h.get('from_phase') or '-'} -> "
                f"{h.get('to_phase')}  by {h.get('org')}{reason}"
            )
    out.print(Panel("\n".join(lines), title="need", expand=False))


def need_table(items: list[dict[str, Any]], lang: Lang, total: Any = None) -> None:
    table = Table(title=f"needs ({total if total is not None else len(items)})")
    table.add_column("id", no_wrap=True)
    table.add_column("title")
    table.add_column("buyer")
    table.add_column("CPV")
    table.add_column("phase")
    table.add_column("status")
    table.add_column("orgs", justify="right")
    for n in items:
        table.add_row(
            str(n.get("id")),
            escape(str(n.get("title"))),
            str(n.get("buyer_org")),
            cpv_lines(n.get("cpv_codes"), lang, 0),
            str(n.get("phase")),
            str(n.get("status")),
            str(n.get("organisations", "")),
        )
    out.print(table)


def show_solution(s: dict[str, Any], lang: Lang) -> None:
    lines = [
        f"[bold]{escape(str(s.get('name')))}[/]",
        f"id           {s.get('id')}",
        f"supplier     {s.get('supplier_org')}",
        f"maturity     {s.get('maturity')}   status {s.get('status')}",
        f"CPV          {cpv_lines(s.get('cpv_codes'), lang, 13)}",
        f"regions      {', '.join(s.get('regions') or [])}",
        f"tags         {', '.join(s.get('tags') or []) or '-'}",
        f"adoptions    {s.get('adoption_count', 0)}",
        "",
        escape(str(s.get("description") or "")),
    ]
    for d in s.get("deployments") or []:
        lines.append(
            f"runs at {d.get('buyer_org')} ({d.get('municipality_code')}) since "
            f"{short_time(d.get('since'))} [{d.get('kind')}]"
        )
    out.print(Panel("\n".join(lines), title="solution", expand=False))


def entry_title(e: dict[str, Any]) -> str:
    for key in ("title", "need_title", "solution_name"):
        if e.get(key):
            return str(e[key])
    return ""


def show_entry(e: dict[str, Any]) -> None:
    score = e.get("score")
    extra = f" score {score:.2f}" if isinstance(score, int | float) else ""
    adoptions = e.get("adoption_count")
    extra += f", used by {adoptions}" if adoptions else ""
    out.print(
        f"{short_time(e.get('created_at') or e.get('updated_at'))}  [bold]{e.get('kind')}[/]"
        f"{extra}  {escape(entry_title(e))}  [dim]{e.get('id')}[/]"
    )


# --- needs ---------------------------------------------------------------------------------


def _tags(values: list[str] | None) -> list[str] | None:
    """Each --tag as its code; a code, or a Swedish or English name, is accepted."""
    if values is None:
        return None
    codes = []
    for value in values:
        code = practice_tag(value)
        if code is None:
            known = "; ".join(f"{c} ({n['sv']})" for c, n in PRACTICE_TAGS.items())
            raise typer.BadParameter(f"no practice tag {value!r}: choose one of {known}")
        codes.append(code)
    return codes


TAG_OPTION = typer.Option(
    "--tag",
    help="a practice requirement, repeat for more: "
    + ", ".join(f"{c} ({n['sv']})" for c, n in PRACTICE_TAGS.items())
    + "; the code or the Swedish or English name",
    callback=_tags,
)


@needs_app.command("create")
@reports_errors
def needs_create(  # noqa: PLR0917 - typer options
    ctx: typer.Context,
    title: Annotated[str | None, typer.Option(help="a short title (required)")] = None,
    problem: Annotated[
        str | None, typer.Option(help="the problem, not a specification (required)")
    ] = None,
    cpv: Annotated[
        list[str] | None, typer.Option(help="CPV code, e.g. 80500000; repeat for more (required)")
    ] = None,
    municipality: Annotated[
        str | None, typer.Option(help="municipality code (default: --municipality of the root)")
    ] = None,
    tag: Annotated[list[str] | None, TAG_OPTION] = None,
    outcome: Annotated[list[str] | None, typer.Option(help="a desired outcome")] = None,
    target_group: Annotated[str | None, typer.Option()] = None,
    language: Annotated[str | None, typer.Option(help="sv or en")] = None,
    budget: Annotated[int | None, typer.Option(help="budget in SEK")] = None,
    timeline: Annotated[str | None, typer.Option()] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="a JSON file with the need's fields")
    ] = None,
) -> None:
    """Draft a need (only you see it until you publish it)."""
    c = cfg(ctx)
    body = merged(
        load_body(file),
        title=title,
        problem=problem,
        cpv_codes=cpv,
        municipality_code=municipality or c.municipality,
        tags=tag,
        desired_outcomes=outcome,
        target_group=target_group,
        language=language,
        budget_sek=budget,
        timeline=timeline,
    )
    lacking = [f for f in ("title", "problem", "cpv_codes", "municipality_code") if f not in body]
    if lacking:
        names = {"cpv_codes": "--cpv", "municipality_code": "--municipality"}
        raise CliError("a need needs " + ", ".join(names.get(f, f"--{f}") for f in lacking))
    need = c.call("needs", "POST", "/v1/needs", role="buyer", body=body)
    if c.as_json:
        emit_json(need)
        return
    out.print(f"drafted need [bold]{need['id']}[/] ({need['phase']}, {need['status']})")
    out.print(f"publish it with: marketplace needs publish {need['id']}")


@needs_app.command("publish")
@reports_errors
def needs_publish(ctx: typer.Context, need_id: Id) -> None:
    """Publish a draft: every signed-in organisation sees it; matching scores it."""
    c = cfg(ctx)
    need = c.call("needs", "POST", f"/v1/needs/{need_id}/publish", role="buyer")
    if c.as_json:
        emit_json(need)
        return
    out.print(f"published need [bold]{need['id']}[/] in phase {need['phase']}")


@needs_app.command("phase")
@reports_errors
def needs_phase(
    ctx: typer.Context,
    need_id: Id,
    phase: Annotated[str, typer.Argument(help="the phase to move to: " + ", ".join(PHASES))],
    reason: Annotated[str | None, typer.Option(help="why (required when moving back)")] = None,
) -> None:
    """Move a need forward one phase, or back any number of phases with a reason."""
    c = cfg(ctx)
    body = merged({"phase": phase}, reason=reason)
    need = c.call("needs", "POST", f"/v1/needs/{need_id}/phase", role="buyer", body=body)
    if c.as_json:
        emit_json(need)
        return
    out.print(f"need [bold]{need['id']}[/] is now in phase {need['phase']}")


@needs_app.command("withdraw")
@reports_errors
def needs_withdraw(
    ctx: typer.Context, need_id: Id, reason: Annotated[str | None, typer.Option()] = None
) -> None:
    """Withdraw a need from any phase."""
    c = cfg(ctx)
    body = {"reason": reason} if reason else None
    need = c.call("needs", "POST", f"/v1/needs/{need_id}/withdraw", role="buyer", body=body)
    if c.as_json:
        emit_json(need)
        return
    out.print(f"withdrew need [bold]{need['id']}[/]")


@needs_app.command("cosign")
@reports_errors
def needs_cosign(
    ctx: typer.Context,
    need_id: Id,
    municipality: Annotated[str | None, typer.Option(help="your municipality code")] = None,
) -> None:
    """Co-sign another buyer's need: "we have this need too"."""
    c = cfg(ctx)
    code = municipality or c.municipality
    body = {"municipality_code": code} if code else None
    need = c.call("needs", "POST", f"/v1/needs/{need_id}/cosign", role="buyer", body=body)
    if c.as_json:
        emit_json(need)
        return
    demand = need.get("demand") or {}
    out.print(
        f"co-signed need [bold]{need['id']}[/]: {demand.get('organisations')} organisations, "
        f"{demand.get('population')} inhabitants"
    )


@needs_app.command("list")
@reports_errors
def needs_list(  # noqa: PLR0917 - typer options
    ctx: typer.Context,
    mine: Annotated[
        bool, typer.Option(metavar="", help="your organisation's needs, drafts included")
    ] = False,
    cpv: Annotated[str | None, typer.Option(help="CPV prefix or code")] = None,
    region: Annotated[str | None, typer.Option(help="municipality, county, NUTS or SE")] = None,
    phase: Annotated[str | None, typer.Option(help="one of " + ", ".join(PHASES))] = None,
    q: Annotated[str | None, typer.Option("--q", "-q", help="text search")] = None,
    cursor: Annotated[str | None, typer.Option(help="the next page, as printed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
) -> None:
    """Search published needs (or --mine)."""
    c = cfg(ctx)
    page = {"cursor": cursor, "limit": limit}
    if mine:
        answer = c.call("needs", "GET", "/v1/needs/mine", role="buyer", params=page)
    else:
        params = {"cpv": cpv, "region": region, "phase": phase, "q": q, **page}
        answer = c.call("needs", "GET", "/v1/needs", role="buyer", params=params)
    if c.as_json:
        emit_json(answer)
        return
    items = answer.get("items") or []
    need_table(items, c.lang, f"{len(items)} or more" if answer.get("next") else None)
    if answer.get("next"):
        out.print(f"next page: --cursor {escape(str(answer['next']))}")


@needs_app.command("show")
@reports_errors
def needs_show(ctx: typer.Context, need_id: Id) -> None:
    """One need with its co-signers, aggregated demand and history."""
    c = cfg(ctx)
    need = c.call("needs", "GET", f"/v1/needs/{need_id}", role="buyer")
    if c.as_json:
        emit_json(need)
        return
    show_need(need, c.lang)


@needs_app.command("matches")
@reports_errors
def needs_matches(ctx: typer.Context, need_id: Id) -> None:
    """The solutions matched to a need, best first, with the reasons."""
    c = cfg(ctx)
    answer = c.call("needs", "GET", f"/v1/needs/{need_id}/matches", role="buyer")
    if c.as_json:
        emit_json(answer)
        return
    items = answer.get("items") or []
    if not items:
        out.print("no matches yet")
        return
    from marketplace_contracts.wording import render_reason  # the event models: not at start

    table = Table(title=f"matches for {need_id}")
    table.add_column("score", justify="right")
    table.add_column("solution")
    table.add_column("supplier")
    table.add_column("solution id", no_wrap=True)
    table.add_column("why")
    for m in items:
        reasons = "; ".join(render_reason(r, c.lang) for r in m.get("reasons") or [])
        table.add_row(
            f"{m.get('score', 0):.2f}",
            escape(str(m.get("solution_name"))),
            str(m.get("supplier_org")),
            str(m.get("solution_id")),
            escape(reasons),
        )
    out.print(table)


@needs_app.command("implement")
@reports_errors
def needs_implement(ctx: typer.Context, need_id: Id, solution_id: Id) -> None:
    """Record the solution you implemented for your need."""
    c = cfg(ctx)
    body = {"solution_id": solution_id}
    need = c.call("needs", "POST", f"/v1/needs/{need_id}/implementation", role="buyer", body=body)
    if c.as_json:
        emit_json(need)
        return
    out.print(f"need [bold]{need['id']}[/] implemented with {solution_id} ({need['phase']})")


# --- adopt ---------------------------------------------------------------------------------


@reports_errors
def adopt(
    ctx: typer.Context,
    solution_id: Id,
    need: Annotated[str | None, typer.Option(help="your need (or one you co-signed)")] = None,
    municipality: Annotated[str | None, typer.Option(help="your municipality code")] = None,
) -> None:
    """Join a solution already implemented elsewhere (records an adoption)."""
    c = cfg(ctx)
    body = merged(
        {"solution_id": solution_id}, need_id=need, municipality_code=municipality or c.municipality
    )
    adoption = c.call("needs", "POST", "/v1/adoptions", role="buyer", body=body)
    if c.as_json:
        emit_json(adoption)
        return
    out.print(f"adopted solution [bold]{solution_id}[/] (adoption {adoption.get('adoption_id')})")


# --- solutions and subscriptions ---------------------------------------------------------


@solutions_app.command("create")
@reports_errors
def solutions_create(  # noqa: PLR0917 - typer options
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="the solution's name (required)")] = None,
    description: Annotated[
        str | None, typer.Option(help="what it does, for whom (required)")
    ] = None,
    cpv: Annotated[
        list[str] | None, typer.Option(help="CPV code, e.g. 80500000; repeat (required)")
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option(help='served region: "1780", "17", "SE311" or "SE"; repeat (required)'),
    ] = None,
    maturity: Annotated[
        str | None, typer.Option(help="idea, prototype, pilot or market-ready (required)")
    ] = None,
    tag: Annotated[list[str] | None, TAG_OPTION] = None,
    price_model: Annotated[str | None, typer.Option()] = None,
    language: Annotated[list[str] | None, typer.Option()] = None,
    file: Annotated[Path | None, typer.Option("--file", help="a JSON file with the fields")] = None,
) -> None:
    """Publish a solution."""
    c = cfg(ctx)
    body = merged(
        load_body(file),
        name=name,
        description=description,
        cpv_codes=cpv,
        regions=region,
        maturity=maturity,
        tags=tag,
        price_model=price_model,
        languages=language,
    )
    lacking = [
        f for f in ("name", "description", "cpv_codes", "regions", "maturity") if f not in body
    ]
    if lacking:
        names = {"cpv_codes": "--cpv", "regions": "--region"}
        raise CliError("a solution needs " + ", ".join(names.get(f, f"--{f}") for f in lacking))
    solution = c.call("suppliers", "POST", "/v1/solutions", role="supplier", body=body)
    if c.as_json:
        emit_json(solution)
        return
    out.print(f"published solution [bold]{solution['id']}[/] ({solution.get('maturity')})")


@solutions_app.command("list")
@reports_errors
def solutions_list(  # noqa: PLR0917 - typer options
    ctx: typer.Context,
    cpv: Annotated[str | None, typer.Option()] = None,
    region: Annotated[str | None, typer.Option()] = None,
    q: Annotated[str | None, typer.Option("--q", "-q")] = None,
    supplier: Annotated[str | None, typer.Option()] = None,
    cursor: Annotated[str | None, typer.Option(help="the next page, as printed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
) -> None:
    """Search published solutions (in Swedish order of names, a page at a time)."""
    c = cfg(ctx)
    params = {
        "cpv": cpv,
        "region": region,
        "q": q,
        "supplier": supplier,
        "cursor": cursor,
        "limit": limit,
    }
    answer = c.call("suppliers", "GET", "/v1/solutions", role="supplier", params=params)
    if c.as_json:
        emit_json(answer)
        return
    items = answer.get("items") or []
    count = f"{len(items)} or more" if answer.get("next") else str(len(items))
    table = Table(title=f"solutions ({count})")
    for column in ("id", "name", "supplier", "maturity", "regions", "adoptions"):
        table.add_column(column, no_wrap=column == "id")
    for s in items:
        table.add_row(
            str(s.get("id")),
            escape(str(s.get("name"))),
            str(s.get("supplier_org")),
            str(s.get("maturity")),
            ", ".join(s.get("regions") or []),
            str(s.get("adoption_count", 0)),
        )
    out.print(table)
    if answer.get("next"):
        out.print(f"next page: --cursor {escape(str(answer['next']))}")


@solutions_app.command("show")
@reports_errors
def solutions_show(ctx: typer.Context, solution_id: Id) -> None:
    """One solution with its deployments and adoption count."""
    c = cfg(ctx)
    solution = c.call("suppliers", "GET", f"/v1/solutions/{solution_id}", role="supplier")
    if c.as_json:
        emit_json(solution)
        return
    show_solution(solution, c.lang)


@reports_errors
def subscribe(
    ctx: typer.Context,
    cpv: Annotated[
        list[str] | None, typer.Option(help='CPV prefix "805" or a code; repeat')
    ] = None,
    region: Annotated[list[str] | None, typer.Option(help='"1780", "17" or "SE"; repeat')] = None,
    keyword: Annotated[list[str] | None, typer.Option(help="a keyword; repeat")] = None,
    phase: Annotated[
        list[str] | None, typer.Option(help="a need phase: " + ", ".join(PHASES) + "; repeat")
    ] = None,
) -> None:
    """Subscribe (as a supplier) to needs by CPV, region, keyword and phase."""
    c = cfg(ctx)
    body = merged({}, cpv_prefixes=cpv, regions=region, keywords=keyword, phases=phase)
    if not body:
        raise CliError("a subscription needs at least one of --cpv, --region, --keyword, --phase")
    sub = c.call("suppliers", "POST", "/v1/subscriptions", role="supplier", body=body)
    if c.as_json:
        emit_json(sub)
        return
    out.print(f"subscribed: [bold]{sub.get('id')}[/]")


# --- inbox ---------------------------------------------------------------------------------

InboxService = Annotated[
    str | None,
    typer.Option(
        "--service",
        help="needs (buyers) or suppliers; default: from the token's role",
        show_default=False,
    ),
]


def inbox_target(c: Config, service: str | None) -> tuple[ServiceName, Role]:
    if service is None:
        role = c.token_role()
        if role in (None, "buyer"):
            return "needs", "buyer"
        if role == "supplier":
            return "suppliers", "supplier"
        raise CliError(f"a token with role {role!r} has no inbox: pass --service")
    if service == "needs":
        return "needs", "buyer"
    if service == "suppliers":
        return "suppliers", "supplier"
    raise CliError(f"--service must be needs or suppliers, not {service!r}")


@inbox_app.command("list")
@reports_errors
def inbox_list(
    ctx: typer.Context,
    service: InboxService = None,
    unread: Annotated[bool, typer.Option(metavar="", help="only unread entries")] = False,
    cursor: Annotated[str | None, typer.Option(help="the next page, as printed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
) -> None:
    """Your inbox, newest first, a page at a time."""
    c = cfg(ctx)
    name, role = inbox_target(c, service)
    params: dict[str, Any] = {
        "limit": limit,
        "unread": "true" if unread else None,
        "cursor": cursor,
    }
    answer = c.call(name, "GET", "/v1/inbox", role=role, params=params)
    if c.as_json:
        emit_json(answer)
        return
    items = answer.get("items") or []
    if not items:
        out.print("the inbox is empty" if not cursor else "no more entries")
    for entry in items:
        show_entry(entry)
    if answer.get("next"):
        out.print(f"next page: --cursor {escape(str(answer['next']))}")


@inbox_app.command("follow")
@reports_errors
def inbox_follow(ctx: typer.Context, service: InboxService = None) -> None:
    """Follow your inbox live (unread entries first), until Ctrl-C."""
    c = cfg(ctx)
    name, role = inbox_target(c, service)
    if not c.as_json:
        out.print(f"[dim]following the {name} inbox; Ctrl-C stops[/]")
    for event, _event_id, data in c.stream_events(name, "/v1/inbox/stream", role):
        try:
            entry = json.loads(data)
        except ValueError:
            entry = {"kind": event, "title": data}
        if c.as_json:
            typer.echo(json.dumps(entry, ensure_ascii=False))
        else:
            show_entry(entry if isinstance(entry, dict) else {"kind": event, "title": data})
