"""Commands over the services' HTTP APIs: needs, solutions, subscribe, inbox, adopt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.panel import Panel

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
    print_listing,
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
    from marketplace_contracts.wording import inhabitants, organisations  # not at start

    demand = need.get("demand") or {}
    population = demand.get("population")
    lines = [
        f"[bold]{escape(str(need.get('title')))}[/]",
        f"id            {need.get('id')}",
        f"buyer         {need.get('buyer_org')} ({need.get('municipality_name') or ''} "
        f"{need.get('municipality_code') or ''})",
        f"phase/status  {need.get('phase')} / {need.get('status')}",
        f"CPV           {cpv_lines(need.get('cpv_codes'), lang, 14)}",
        f"tags          {', '.join(need.get('tags') or []) or '-'}",
        f"demand        {organisations(int(demand.get('organisations', 1)), lang)}, "
        + (inhabitants(int(population), lang) if isinstance(population, int) else "?"),
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
    # Not soft-wrapped like a line of output: the problem wraps inside the panel.
    out.print(Panel("\n".join(lines), title="need", expand=False), soft_wrap=False)


def need_table(items: list[dict[str, Any]], lang: Lang, total: Any = None) -> None:
    rows = [
        (
            escape(str(n.get("id"))),
            escape(str(n.get("title"))),
            escape(str(n.get("buyer_org"))),
            cpv_lines(n.get("cpv_codes"), lang, 0),
            str(n.get("phase")),
            str(n.get("status")),
            str(n.get("organisations", "")),
        )
        for n in items
    ]
    headers = ("id", "title", "buyer", "CPV", "phase", "status", "orgs")
    title = f"needs ({total if total is not None else len(items)})"
    print_listing(title, headers, rows, right={6})


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
    out.print(Panel("\n".join(lines), title="solution", expand=False), soft_wrap=False)


def entry_rows(items: list[dict[str, Any]], lang: Lang) -> list[tuple[str, ...]]:
    """Inbox entries as rows: id, heading, kind, time, score, in the reader's language."""
    from marketplace_contracts.wording import entry_heading, entry_kind, used_by

    rows: list[tuple[str, ...]] = []
    for e in items:
        score = e.get("score")
        shown = f"{score:.2f}" if isinstance(score, int | float) else ""
        adoptions = e.get("adoption_count")
        heading = entry_heading(e, lang)
        if adoptions:
            heading += f" ({used_by(int(adoptions), lang).lower()})"
        rows.append(
            (
                escape(str(e.get("id"))),
                escape(heading),
                escape(entry_kind(str(e.get("kind")), lang)),
                short_time(e.get("created_at") or e.get("updated_at")),
                shown.replace(".", ",") if lang == "sv" else shown,
            )
        )
    return rows


def entry_headers(lang: Lang) -> tuple[str, ...]:
    if lang == "sv":
        return ("id", "händelse", "slag", "tid", "poäng")
    return ("id", "event", "kind", "time", "score")


def show_entry(e: dict[str, Any], lang: Lang) -> None:
    """One entry as it arrives (`inbox follow`): a line, its id at the end, whole."""
    _id, heading, kind, when, score = entry_rows([e], lang)[0]
    extra = f"  {score}" if score else ""
    out.print(f"{when}  [bold]{kind}[/]{extra}  {heading}  [dim]{_id}[/]")


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
    from marketplace_contracts.wording import inhabitants, organisations  # not at start

    demand = need.get("demand") or {}
    out.print(
        f"co-signed need [bold]{need['id']}[/]: "
        f"{organisations(int(demand.get('organisations') or 1), c.lang)}, "
        f"{inhabitants(int(demand.get('population') or 0), c.lang)}"
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

    rows = [
        (
            escape(str(m.get("solution_id"))),
            escape(str(m.get("solution_name"))),
            f"{m.get('score', 0):.2f}",
            escape(str(m.get("supplier_org"))),
            escape("; ".join(render_reason(r, c.lang) for r in m.get("reasons") or [])),
        )
        for m in items
    ]
    headers = ("solution id", "solution", "score", "supplier", "why")
    print_listing(f"matches for {escape(need_id)}", headers, rows, right={2})


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
    rows = [
        (
            escape(str(s.get("id"))),
            escape(str(s.get("name"))),
            escape(str(s.get("supplier_org"))),
            str(s.get("maturity")),
            escape(", ".join(s.get("regions") or [])),
            str(s.get("adoption_count", 0)),
        )
        for s in items
    ]
    headers = ("id", "name", "supplier", "maturity", "regions", "adoptions")
    print_listing(f"solutions ({count})", headers, rows, right={5})
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
        help="needs (a buyer's inbox) or suppliers (a supplier's); default: the token's "
        "role; with --org and no --role, whichever of the two holds entries (buyer's first)",
        show_default=False,
    ),
]
INBOXES: dict[str, tuple[ServiceName, Role]] = {
    "needs": ("needs", "buyer"),
    "suppliers": ("suppliers", "supplier"),
}


def inbox_target(c: Config, service: str | None) -> tuple[ServiceName, Role] | None:
    """The inbox to read: by --service, else by the token's role; None when the role is
    not known (--org without --role signs a token for either)."""
    if service is None:
        role = c.token_role()
        if role is None:
            return None
        if role == "buyer":
            return INBOXES["needs"]
        if role == "supplier":
            return INBOXES["suppliers"]
        raise CliError(f"a token with role {role!r} has no inbox: pass --service")
    if service in INBOXES:
        return INBOXES[service]
    raise CliError(f"--service must be needs or suppliers, not {service!r}")


def read_inbox(
    c: Config, service: str | None, params: dict[str, Any]
) -> tuple[ServiceName, dict[str, Any]]:
    """The inbox's page and the service it came from. An organisation signed for with
    --org and no --role may be a buyer or a supplier: its buyer inbox is asked first and,
    when that holds nothing (or its service does not answer), its supplier inbox."""
    target = inbox_target(c, service)
    if target is not None:
        name, role = target
        return name, c.call(name, "GET", "/v1/inbox", role=role, params=params)
    try:
        answer = c.call("needs", "GET", "/v1/inbox", role="buyer", params=params)
    except CliError:
        answer = None
    if answer and answer.get("items"):
        return "needs", answer
    try:
        supplied = c.call("suppliers", "GET", "/v1/inbox", role="supplier", params=params)
    except CliError:
        if answer is None:
            raise
        return "needs", answer
    if answer is not None and not supplied.get("items"):
        return "needs", answer  # both empty: the buyer's, as with a buyer's token
    return "suppliers", supplied


@inbox_app.command("list")
@reports_errors
def inbox_list(
    ctx: typer.Context,
    service: InboxService = None,
    unread: Annotated[bool, typer.Option(metavar="", help="only unread entries")] = False,
    cursor: Annotated[str | None, typer.Option(help="the next page, as printed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
) -> None:
    """Your inbox, newest first, a page at a time (in the language of --lang)."""
    c = cfg(ctx)
    params: dict[str, Any] = {
        "limit": limit,
        "unread": "true" if unread else None,
        "cursor": cursor,
    }
    name, answer = read_inbox(c, service, params)
    if c.as_json:
        emit_json(answer)
        return
    items = answer.get("items") or []
    sv = c.lang == "sv"
    if not items:
        if cursor:
            out.print("inga fler händelser" if sv else "no more entries")
        else:
            out.print("inkorgen är tom" if sv else "the inbox is empty")
    else:
        whose = {"needs": ("köparens", "buyer"), "suppliers": ("leverantörens", "supplier")}[name]
        title = f"{whose[0]} inkorg" if sv else f"{whose[1]} inbox"
        print_listing(f"{title} ({len(items)})", entry_headers(c.lang), entry_rows(items, c.lang))
    if answer.get("next"):
        # A cursor is one inbox's: a found inbox is named for the next page to ask it.
        found = f"--service {name} " if inbox_target(c, service) is None else ""
        out.print(f"next page: {found}--cursor {escape(str(answer['next']))}")


@inbox_app.command("follow")
@reports_errors
def inbox_follow(ctx: typer.Context, service: InboxService = None) -> None:
    """Follow your inbox live (unread entries first), until Ctrl-C."""
    c = cfg(ctx)
    target = inbox_target(c, service)
    if target is None:  # --org without --role: the inbox that holds entries
        name, _ = read_inbox(c, None, {"limit": 1})
        target = INBOXES[name]
    name, role = target
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
            show_entry(entry if isinstance(entry, dict) else {"kind": event, "title": data}, c.lang)
