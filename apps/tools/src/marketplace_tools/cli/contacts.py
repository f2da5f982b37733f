"""`contacts` (who gets e-mail for an organisation, and confirming an address by its link)
and `mail` (the development capture of the messages sent), over the notifications API."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any, Final
from urllib.parse import parse_qs, quote, urlsplit

import typer
from rich.markup import escape

from .api import cfg
from .core import (
    CliError,
    Config,
    Lang,
    check,
    emit_json,
    out,
    print_listing,
    reports_errors,
    short_time,
)

if TYPE_CHECKING:
    import httpx

contacts_app = typer.Typer(
    help="Your organisation's contacts: who gets matches and alerts by e-mail."
)
mail_app = typer.Typer(help="Development: the messages the local capture server took.")

# key: (Swedish, English); what a person reads, in the language of --lang.
WORDS: Final[dict[str, tuple[str, str]]] = {
    "added": (
        "lade till kontakten {name} <{email}> ([bold]{id}[/])",
        "added the contact {name} <{email}> ([bold]{id}[/])",
    ),
    "added_verify": (
        "ett meddelande med en länk för att bekräfta adressen har skickats till {email}; "
        "följ länken, eller: marketplace contacts verify LÄNK",
        "a message with a link to confirm the address went to {email}; follow the link, "
        "or: marketplace contacts verify LINK",
    ),
    "added_verified": (
        "adressen räknas som bekräftad direkt (utvecklingsläge)",
        "the address counts as confirmed at once (development)",
    ),
    "contacts_title": ("kontakter för {org} ({n})", "contacts of {org} ({n})"),
    "contacts_none": (
        "{org} har inga kontakter än: lägg till en med marketplace contacts add",
        "{org} has no contacts yet: add one with marketplace contacts add",
    ),
    "yes": ("ja", "yes"),
    "no": ("nej", "no"),
    "lang_sv": ("svenska", "Swedish"),
    "lang_en": ("engelska", "English"),
    "address_ok": ("fungerar", "works"),
    "address_failing": ("studsar: {detail} (sedan {at})", "bounces: {detail} (since {at})"),
    "verified": (
        "adressen är bekräftad: den får nu e-post från marknadsplatsen",
        "the address is confirmed: it now receives e-mail from the marketplace",
    ),
    "bad_link": (
        "länken fungerar inte: den är ändrad, äldre än sju dagar eller gäller en adress som "
        "kontakten inte har längre; be om en ny med marketplace contacts resend KONTAKT-ID",
        "the link does not work: it was altered, is older than seven days or is for an "
        "address the contact no longer has; ask for a new one with "
        "marketplace contacts resend CONTACT_ID",
    ),
    "no_token": (
        "ingen token i {given!r}: ge hela länken ur meddelandet eller bara dess token",
        "no token in {given!r}: give the whole link from the message or just its token",
    ),
    "resent": (
        "ett nytt meddelande för att bekräfta adressen har skickats till {email}",
        "a new message to confirm the address went to {email}",
    ),
    "already_verified": (
        "{email} är redan bekräftad: inget meddelande skickades",
        "{email} is confirmed already: no message was sent",
    ),
    "removed": ("tog bort kontakten {id}", "removed the contact {id}"),
    "refused": (
        "tjänsten notifications godtog inte {what}",
        "the notifications service refused {what}",
    ),
    "mail_title": ("fångad e-post ({n})", "captured mail ({n})"),
    "mail_none": ("ingen fångad e-post", "no captured mail"),
    "mail_none_to": ("ingen fångad e-post till {to}", "no captured mail to {to}"),
    "mail_show": (
        "visa ett meddelande: marketplace mail show FIL",
        "show one: marketplace mail show FILE",
    ),
    "mail_off": (
        "tjänsten notifications vid {url} visar ingen fångad e-post: den körs i produktion "
        "(MARKETPLACE_ENVIRONMENT=production)",
        "the notifications service at {url} shows no captured mail: it runs in production "
        "(MARKETPLACE_ENVIRONMENT=production)",
    ),
    "mail_missing": ("inget fångat meddelande {name}", "no captured message {name}"),
    "no_text": ("(meddelandet har ingen textdel)", "(the message has no plain-text part)"),
}
CONTACT_HEADERS: Final[dict[Lang, tuple[str, ...]]] = {
    "sv": ("id", "namn", "e-post", "språk", "bekräftad", "adressen"),
    "en": ("id", "name", "e-mail", "language", "verified", "address"),
}
MAIL_HEADERS: Final[dict[Lang, tuple[str, ...]]] = {
    "sv": ("fil", "ämne", "till", "tid"),
    "en": ("file", "subject", "to", "time"),
}
# The contact's fields as the options that set them, to name a refused one.
OPTIONS: Final = {"name": "--name", "email": "--email", "language": "--language"}
OPTIONS_TZ: Final = {**OPTIONS, "time_zone": "--time-zone"}


def say(lang: Lang, key: str, **values: Any) -> str:
    sv, en = WORDS[key]
    return (sv if lang == "sv" else en).format(**values)


OrgOption = Annotated[
    str | None,
    typer.Option(
        "--org",
        help="sign a development token for this organisation (default: the root --org)",
        show_default=False,
    ),
]
RoleOption = Annotated[
    str | None,
    typer.Option(
        "--role",
        help="role of that token: buyer or supplier (default: the root --role, else buyer)",
        show_default=False,
    ),
]
ContactId = Annotated[str, typer.Argument(help="the contact's id, as `contacts list` prints it")]


def as_org(c: Config, org: str | None, role: str | None) -> Config:
    """The root configuration, or one signing for the --org given to the command (which
    then wins over a --token, as it was named for this command)."""
    if org is None and role is None:
        return c
    return dataclasses.replace(
        c, org=org or c.org, role=role or c.role, token=None if org else c.token
    )


def refusal(c: Config, response: httpx.Response, options: dict[str, str]) -> CliError | None:
    """A refused field of a 409/422 said by the option that set it, else None."""
    if response.status_code not in (409, 422):
        return None
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return None
    said = []
    for error in errors:
        if not isinstance(error, dict):
            continue
        name = str(error.get("field", "")).split(".")[0]
        said.append(f"{options.get(name, name)}: {error.get('message', '')}")
    if not said:
        return None
    return CliError(say(c.lang, "refused", what="; ".join(said)))


def checked(c: Config, response: httpx.Response, options: dict[str, str]) -> Any:
    found = refusal(c, response, options)
    if found is not None:
        raise found
    check("notifications", response)
    return response.json() if response.content else None


def address_state(contact: dict[str, Any], lang: Lang) -> str:
    """ "fungerar", or "studsar: 550 5.1.1 no such user (sedan 2025-03-02 09:00:00)"."""
    failure = contact.get("failure")
    if contact.get("address_status") == "failing" or failure:
        failure = failure or {}
        detail = str(failure.get("detail") or "?")
        return say(lang, "address_failing", detail=detail, at=short_time(failure.get("at")))
    return say(lang, "address_ok")


def contact_rows(items: list[dict[str, Any]], lang: Lang) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for contact in items:
        language = str(contact.get("language"))
        rows.append(
            (
                escape(str(contact.get("id"))),
                escape(str(contact.get("name"))),
                escape(str(contact.get("email"))),
                say(lang, f"lang_{language}") if language in ("sv", "en") else escape(language),
                say(lang, "yes" if contact.get("verified") else "no"),
                escape(address_state(contact, lang)),
            )
        )
    return rows


def verification_token(given: str) -> str | None:
    """The token of a verification link (the whole URL, with or without its <>), or the
    token itself."""
    text = given.strip().strip("<>").strip()
    if "token=" in text or "://" in text or text.startswith("/"):
        query = urlsplit(text).query or text.partition("?")[2]
        tokens = parse_qs(query).get("token") or []
        return tokens[0].strip() if tokens and tokens[0].strip() else None
    return text or None


# --- contacts ------------------------------------------------------------------------------


@contacts_app.command("add")
@reports_errors
def contacts_add(  # noqa: PLR0917 - typer options
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="the person's name, as messages greet them")],
    email: Annotated[str, typer.Option(help="the address; a message asks to confirm it")],
    language_: Annotated[
        str, typer.Option("--language", help="language of the messages: sv or en")
    ] = "sv",
    time_zone: Annotated[
        str | None,
        typer.Option(
            help="IANA time zone of the digests' hour (default: the service's, Europe/Stockholm)",
            show_default=False,
        ),
    ] = None,
    org: OrgOption = None,
    role: RoleOption = None,
) -> None:
    """Add a contact: the address gets a message with a link to confirm it."""
    c = as_org(cfg(ctx), org, role)
    if language_ not in ("sv", "en"):
        raise typer.BadParameter(f"must be sv or en, not {language_!r}", param_hint="--language")
    body: dict[str, Any] = {"name": name, "email": email, "language": language_}
    if time_zone:
        body["time_zone"] = time_zone
    response = c.send("notifications", "POST", "/v1/contacts", role="buyer", body=body)
    contact = checked(c, response, OPTIONS_TZ)
    if c.as_json:
        emit_json(contact)
        return
    out.print(
        say(
            c.lang,
            "added",
            name=escape(str(contact["name"])),
            email=escape(str(contact["email"])),
            id=escape(str(contact["id"])),
        )
    )
    if contact.get("verified"):
        out.print(say(c.lang, "added_verified"))
    else:
        out.print(say(c.lang, "added_verify", email=escape(str(contact["email"]))))


@contacts_app.command("list")
@reports_errors
def contacts_list(ctx: typer.Context, org: OrgOption = None, role: RoleOption = None) -> None:
    """Your organisation's contacts: confirmed or not, and an address that bounces."""
    c = as_org(cfg(ctx), org, role)
    answer = c.call("notifications", "GET", "/v1/contacts", role="buyer")
    if c.as_json:
        emit_json(answer)
        return
    items: list[dict[str, Any]] = answer.get("items") or []
    who = escape(c.org or "")
    if not items:
        out.print(say(c.lang, "contacts_none", org=who or "-"))
        return
    title = say(c.lang, "contacts_title", org=who, n=len(items))
    print_listing(title, CONTACT_HEADERS[c.lang], contact_rows(items, c.lang))


@contacts_app.command("verify")
@reports_errors
def contacts_verify(
    ctx: typer.Context,
    link_or_token: Annotated[
        str,
        typer.Argument(
            metavar="LINK_OR_TOKEN",
            help="the link of the verification message (the whole URL) or its token; "
            "sent to the notifications service of --notifications-url",
        ),
    ],
) -> None:
    """Confirm an address by its verification link, as a click on it would (no sign-in)."""
    c = cfg(ctx)
    token = verification_token(link_or_token)
    if token is None:
        raise CliError(say(c.lang, "no_token", given=link_or_token))
    response = c.send("notifications", "GET", "/v1/verify", params={"token": token})
    if response.status_code in (400, 422):  # a bad link's page, or no token at all
        raise CliError(say(c.lang, "bad_link"))
    check("notifications", response)
    if c.as_json:
        emit_json({"verified": True})
        return
    out.print(say(c.lang, "verified"))


@contacts_app.command("resend")
@reports_errors
def contacts_resend(
    ctx: typer.Context, contact_id: ContactId, org: OrgOption = None, role: RoleOption = None
) -> None:
    """Send the verification message again, with a new link valid for seven days."""
    c = as_org(cfg(ctx), org, role)
    path = f"/v1/contacts/{quote(contact_id, safe='')}/verification"
    contact = c.call("notifications", "POST", path, role="buyer")
    if c.as_json:
        emit_json(contact)
        return
    key = "already_verified" if contact.get("verified") else "resent"
    out.print(say(c.lang, key, email=escape(str(contact.get("email")))))


# --- mail (development) --------------------------------------------------------------------


def mail_time(value: Any) -> str:
    """A Date header in this machine's time: "2025-12-06 23:01:02"."""
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return str(value or "")
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def dev_mail(c: Config, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
    """A development answer; 404 for one message is left to the caller (no such file)."""
    response = c.send("notifications", "GET", path, params=params)
    if response.status_code == 404 and path == "/v1/dev/mail":
        raise CliError(say(c.lang, "mail_off", url=c.urls["notifications"]))
    if response.status_code != 404:
        check("notifications", response)
    return response


@mail_app.command("list")
@reports_errors
def mail_list(
    ctx: typer.Context,
    to: Annotated[
        str | None, typer.Option(help="only messages to this address", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="at most this many")] = 20,
) -> None:
    """The messages the capture server took, newest first: time, to, subject."""
    c = cfg(ctx)
    answer = dev_mail(c, "/v1/dev/mail", {"limit": limit, "to": to}).json()
    if c.as_json:
        emit_json(answer)
        return
    items: list[dict[str, Any]] = answer.get("items") or []
    if not items:
        out.print(say(c.lang, "mail_none_to", to=escape(to)) if to else say(c.lang, "mail_none"))
        return
    rows = [
        (
            escape(str(m.get("name"))),
            escape(str(m.get("subject"))),
            escape(str(m.get("to"))),
            mail_time(m.get("date")),
        )
        for m in items
    ]
    print_listing(say(c.lang, "mail_title", n=len(items)), MAIL_HEADERS[c.lang], rows)
    out.print(f"[dim]{say(c.lang, 'mail_show')}[/]")


@mail_app.command("show")
@reports_errors
def mail_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the message's file, as `mail list` prints it")],
) -> None:
    """One captured message: its headers and its plain-text body."""
    c = cfg(ctx)
    file = name.strip()
    file = file if file.endswith(".eml") else file + ".eml"
    response = dev_mail(c, f"/v1/dev/mail/{quote(file, safe='')}")
    if response.status_code == 404:
        dev_mail(c, "/v1/dev/mail", {"limit": 1})  # in production, this says so
        raise CliError(say(c.lang, "mail_missing", name=file))
    message = response.json()
    if c.as_json:
        emit_json(message)
        return
    headers = (
        ("From", message.get("from")),
        ("To", message.get("to")),
        ("Subject", message.get("subject")),
        ("Date", f"{message.get('date')} ({mail_time(message.get('date'))})"),
        ("Message-ID", message.get("message_id")),
        ("Content-Language", message.get("language")),
        ("List-Unsubscribe", message.get("list_unsubscribe")),
    )
    for header, value in headers:
        if value:
            out.print(f"[bold]{header}:[/] {escape(str(value))}")
    out.print("")
    text = message.get("text")
    # Not wrapped: a link in the text stays whole, to copy (or to `contacts verify`).
    out.print(escape(str(text)) if text else f"[dim]{say(c.lang, 'no_text')}[/]")
