"""Messages people read, in the contact's language: plain text and HTML from the Jinja2
templates in `notifications/templates`, with the headers mail clients act on.

Every sentence a person reads comes from `WORDS` (Swedish and English, the same keys; a
test fails on a missing one) or from the shared wording of reasons, phases, places and
counts (`marketplace_contracts.wording`): never an event type or a field name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from marketplace_contracts import wording
from marketplace_contracts.wording import Lang

from ..domain.notices import Item, digest_order

MESSAGE_DOMAIN = "marketplace.local"
DIGEST_ITEMS = 100  # items shown in one digest; the rest are counted and linked

WORDS: Final[dict[str, dict[str, str]]] = {
    "sv": {
        "greeting": "Hej",
        "unsubscribe": "Avsluta de här utskicken",
        "settings": "Ändra vad du får",
        "link_need": "Se behovet i portalen",
        "link_solution": "Se lösningen i portalen",
        "score": "Matchning {percent} %",
        "from": "från",
        "buyer_match": "{solution} från {supplier} kan lösa ert behov",
        "supplier_match": "Er lösning {solution} passar ett behov hos {buyer}",
        "alert": "Ett nytt behov hos {buyer} passar er bevakning",
        "scaling": "{solution} {used_by} och kan passa ert behov",
        "alert_where": "{buyer}, {place}, fas: {phase}",
        "subject_buyer_match": "Ny matchning för {need}: {solution}",
        "subject_supplier_match": "Er lösning {solution} passar behovet {need}",
        "subject_alert": "Ett behov passar er bevakning: {need}",
        "subject_scaling": "{solution} {used_by}: passar {need}",
        "intro_immediate": "Marknadsplatsen har hittat något för er organisation.",
        "why_immediate": "Du får det här mejlet för att du är kontakt för {org} på "
        "marknadsplatsen för innovationsupphandling.",
        "subject_daily": "Dagens sammanfattning: {count}",
        "subject_weekly": "Veckans sammanfattning: {count}",
        "intro_daily": "Det här hände för {org} sedan förra sammanfattningen.",
        "intro_weekly": "Det här hände för {org} den senaste veckan.",
        "one_news": "1 nyhet",
        "many_news": "{count} nyheter",
        "more": "…och {count} till. Se alla i inkorgen: {url}",
        "why_digest": "Du får den här sammanfattningen för att du är kontakt för {org} på "
        "marknadsplatsen för innovationsupphandling.",
        "subject_verify": "Bekräfta din e-postadress",
        "intro_verify": "{org} har lagt till dig som kontakt på marknadsplatsen för "
        "innovationsupphandling. Bekräfta adressen för att börja få matchningar och "
        "bevakningar med e-post.",
        "verify_button": "Bekräfta adressen",
        "verify_ignore": "Om du inte känner igen det här kan du strunta i mejlet: du får "
        "inga fler utskick.",
        "why_verify": "Länken gäller i sju dagar.",
        "page_verified": "Adressen är bekräftad",
        "page_verified_text": "Tack! {email} får nu e-post från marknadsplatsen enligt "
        "de val som gjorts för kontakten.",
        "page_unsubscribe": "Avsluta utskick",
        "page_unsubscribe_ask": "Vill du sluta få {what} till {email}?",
        "page_unsubscribe_confirm": "Ja, avsluta",
        "page_unsubscribed": "Utskicken är avslutade",
        "page_unsubscribed_text": "{email} får inte längre {what}.",
        "what_all": "e-post från marknadsplatsen",
        "what_matches": "e-post om nya matchningar",
        "what_alerts": "e-post om den här bevakningen",
        "what_scaling": "e-post om lösningar som sprids till det här behovet",
        "page_bad_link": "Länken fungerar inte",
        "page_bad_link_text": "Länken är ändrad eller för gammal. Be om en ny från portalen.",
        "to_portal": "Till portalen",
    },
    "en": {
        "greeting": "Hello",
        "unsubscribe": "Stop these messages",
        "settings": "Change what you receive",
        "link_need": "See the need in the portal",
        "link_solution": "See the solution in the portal",
        "score": "Match {percent}%",
        "from": "from",
        "buyer_match": "{solution} from {supplier} may solve your need",
        "supplier_match": "Your solution {solution} fits a need of {buyer}",
        "alert": "A new need of {buyer} fits your watch",
        "scaling": "{solution} is {used_by} and may fit your need",
        "alert_where": "{buyer}, {place}, phase: {phase}",
        "subject_buyer_match": "New match for {need}: {solution}",
        "subject_supplier_match": "Your solution {solution} fits the need {need}",
        "subject_alert": "A need fits your watch: {need}",
        "subject_scaling": "{solution} is {used_by}: fits {need}",
        "intro_immediate": "The marketplace found something for your organisation.",
        "why_immediate": "You receive this e-mail as a contact of {org} on the marketplace "
        "for innovation procurement.",
        "subject_daily": "Today's digest: {count}",
        "subject_weekly": "This week's digest: {count}",
        "intro_daily": "This is what happened for {org} since the last digest.",
        "intro_weekly": "This is what happened for {org} in the past week.",
        "one_news": "1 new item",
        "many_news": "{count} new items",
        "more": "…and {count} more. See them all in the inbox: {url}",
        "why_digest": "You receive this digest as a contact of {org} on the marketplace for "
        "innovation procurement.",
        "subject_verify": "Confirm your e-mail address",
        "intro_verify": "{org} added you as a contact on the marketplace for innovation "
        "procurement. Confirm the address to start receiving matches and alerts by e-mail.",
        "verify_button": "Confirm the address",
        "verify_ignore": "If you do not recognise this, ignore the message: you will get "
        "nothing more.",
        "why_verify": "The link is valid for seven days.",
        "page_verified": "The address is confirmed",
        "page_verified_text": "Thank you! {email} now receives e-mail from the marketplace "
        "as chosen for the contact.",
        "page_unsubscribe": "Stop messages",
        "page_unsubscribe_ask": "Do you want to stop {what} to {email}?",
        "page_unsubscribe_confirm": "Yes, stop them",
        "page_unsubscribed": "The messages are stopped",
        "page_unsubscribed_text": "{email} no longer receives {what}.",
        "what_all": "e-mail from the marketplace",
        "what_matches": "e-mail about new matches",
        "what_alerts": "e-mail about this watch",
        "what_scaling": "e-mail about solutions spreading to this need",
        "page_bad_link": "The link does not work",
        "page_bad_link_text": "The link was altered or is too old. Ask for a new one in the "
        "portal.",
        "to_portal": "To the portal",
    },
}

_html = Environment(
    loader=PackageLoader("notifications", "templates"),
    autoescape=select_autoescape(["html.j2"]),
    undefined=StrictUndefined,
)
_text = Environment(
    loader=PackageLoader("notifications", "templates"),
    autoescape=False,  # noqa: S701 - plain text parts, never HTML
    undefined=StrictUndefined,
    trim_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Recipient:
    org: str
    contact_id: str
    name: str
    email: str
    language: Lang


@dataclass(frozen=True)
class Links:
    portal_url: str
    unsubscribe_url: str | None = None


def _say(lang: Lang, key: str, **values: Any) -> str:
    return WORDS[lang][key].format(**values)


def item_view(item: Item, lang: Lang, portal_url: str) -> dict[str, Any]:
    """One notice as a message shows it: heading, who, score, reasons, link."""
    audience = item.get("audience")
    names = {
        "solution": item.get("solution_name", ""),
        "supplier": item.get("supplier_org", ""),
        "buyer": item.get("buyer_org", ""),
        "need": item.get("need_title", ""),
    }
    if "subscription_id" in item:
        heading = _say(lang, "alert", **names)
        parties = _say(
            lang,
            "alert_where",
            buyer=names["buyer"],
            place=wording.place(str(item.get("municipality_code", "")), lang),
            phase=wording.name_of(wording.PHASE_NAMES, str(item.get("phase", "")), lang),
        )
    elif "adoption_count" in item:
        heading = _say(
            lang, "scaling", used_by=_used_by(int(item["adoption_count"]), lang), **names
        )
        parties = f"{names['solution']} {_say(lang, 'from')} {names['supplier']}"
    elif audience == "supplier":
        heading = _say(lang, "supplier_match", **names)
        parties = f"{names['need']} · {names['buyer']}"
    else:
        heading = _say(lang, "buyer_match", **names)
        parties = f"{names['solution']} {_say(lang, 'from')} {names['supplier']}"
    return {
        "heading": heading,
        "need": names["need"],
        "parties": parties,
        "score_line": _say(lang, "score", percent=round(float(item.get("score", 0)) * 100)),
        "reasons": [wording.render_reason(r, lang) for r in item.get("reasons") or []],
        "url": f"{portal_url}/needs/{item['need_id']}",
        "link_text": _say(lang, "link_need"),
    }


def _used_by(count: int, lang: Lang) -> str:
    words = wording.organisations(count, lang)
    return f"används redan av {words}" if lang == "sv" else f"already used by {words}"


def subject_of(item: Item, lang: Lang) -> str:
    names = {
        "solution": item.get("solution_name", ""),
        "need": item.get("need_title", ""),
    }
    if "subscription_id" in item:
        return _say(lang, "subject_alert", **names)
    if "adoption_count" in item:
        used_by = _used_by(int(item["adoption_count"]), lang)
        return _say(lang, "subject_scaling", used_by=used_by, **names)
    key = "subject_supplier_match" if item.get("audience") == "supplier" else "subject_buyer_match"
    return _say(lang, key, **names)


def _message(
    mail_id: str,
    *,
    to: Recipient,
    subject: str,
    template: str,
    values: Mapping[str, Any],
    links: Links,
    at: datetime,
) -> EmailMessage:
    lang = to.language
    context = {
        **values,
        "lang": lang,
        "w": WORDS[lang],
        "name": to.name,
        "subject": subject,
        "unsubscribe_url": links.unsubscribe_url,
        "settings_url": f"{links.portal_url}/contacts",
    }
    message = EmailMessage()
    message["To"] = formataddr((to.name, to.email))
    message["Subject"] = subject
    message["Date"] = format_datetime(at)
    # The same message keeps its Message-ID when sent again after a crash, so that mail
    # clients can tell the copy for what it is.
    message["Message-ID"] = f"<{mail_id}@{MESSAGE_DOMAIN}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Marketplace-Mail-Id"] = mail_id
    if links.unsubscribe_url:
        # RFC 8058: a POST to this URL with "List-Unsubscribe=One-Click" unsubscribes.
        message["List-Unsubscribe"] = f"<{links.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(_text.get_template(f"{template}.txt.j2").render(context))
    message.add_alternative(
        _html.get_template(f"{template}.html.j2").render(context), subtype="html"
    )
    message["Content-Language"] = lang  # after the parts: setting content drops Content-*
    return message


def immediate(mail_id: str, to: Recipient, item: Item, links: Links, at: datetime) -> EmailMessage:
    lang = to.language
    values = {
        "intro": _say(lang, "intro_immediate"),
        "why": _say(lang, "why_immediate", org=to.org),
        "entry": item_view(item, lang, links.portal_url),
    }
    return _message(
        mail_id,
        to=to,
        subject=subject_of(item, lang),
        template="immediate",
        values=values,
        links=links,
        at=at,
    )


def news(count: int, lang: Lang) -> str:
    return _say(lang, "one_news") if count == 1 else _say(lang, "many_news", count=count)


def digest(
    mail_id: str,
    to: Recipient,
    *,
    cadence: str,
    items: list[Item],
    links: Links,
    at: datetime,
) -> EmailMessage:
    lang = to.language
    groups = []
    shown = 0
    for _, group in digest_order(items):
        views = [item_view(i, lang, links.portal_url) for i in group[: DIGEST_ITEMS - shown]]
        if not views:
            break
        shown += len(views)
        groups.append({"title": views[0]["need"], "items": views})
    rest = len(items) - shown
    values = {
        "intro": _say(lang, f"intro_{cadence}", org=to.org),
        "why": _say(lang, "why_digest", org=to.org),
        "groups": groups,
        "more": _say(lang, "more", count=rest, url=f"{links.portal_url}/inbox") if rest else "",
    }
    subject = _say(lang, f"subject_{cadence}", count=news(len(items), lang))
    return _message(
        mail_id, to=to, subject=subject, template="digest", values=values, links=links, at=at
    )


def page(lang: Lang, title_key: str, text: str, portal_url: str, confirm: bool = False) -> str:
    """A page shown to a person who followed a link from a message."""
    return _html.get_template("page.html.j2").render(
        lang=lang,
        title=_say(lang, title_key),
        text=text,
        confirm=_say(lang, "page_unsubscribe_confirm") if confirm else "",
        portal_url=portal_url,
        portal_text=_say(lang, "to_portal"),
    )


def say(lang: Lang, key: str, **values: Any) -> str:
    return _say(lang, key, **values)


def verification(
    mail_id: str, to: Recipient, verify_url: str, portal_url: str, at: datetime
) -> EmailMessage:
    lang = to.language
    values = {
        "intro": _say(lang, "intro_verify", org=to.org),
        "why": _say(lang, "why_verify"),
        "verify_url": verify_url,
    }
    return _message(
        mail_id,
        to=to,
        subject=_say(lang, "subject_verify"),
        template="verify",
        values=values,
        links=Links(portal_url),
        at=at,
    )
