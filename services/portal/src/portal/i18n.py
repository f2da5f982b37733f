"""Swedish (default) and English texts, and Swedish conventions for dates and numbers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Literal

from marketplace_contracts.process import PRACTICE_TAGS
from marketplace_contracts.wording import (
    CPV_LEVEL_NAMES,
    ENTRY_HEADINGS,
    MATURITY_NAMES,
    PHASE_NAMES,
    entry_heading,
    entry_kind,
    history_note,
    name_of,
    organisation_word,
    pick,
    render_reason,
)

Lang = Literal["sv", "en"]
LANGS: Final[tuple[Lang, ...]] = ("sv", "en")
NBSP: Final = "\u00a0"

MONTHS: Final[dict[Lang, tuple[str, ...]]] = {
    "sv": (
        "januari", "februari", "mars", "april", "maj", "juni",
        "juli", "augusti", "september", "oktober", "november", "december",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip

# key: (Swedish, English)
TEXTS: Final[dict[str, tuple[str, str]]] = {
    "site": ("Innovationsmarknaden", "The innovation marketplace"),
    "tagline": (
        "Behovsdriven innovationsupphandling: 90 % innovation, 10 % upphandling.",
        "Demand-driven innovation procurement: 90 % innovation, 10 % procurement.",
    ),
    "skip": ("Hoppa till innehållet", "Skip to content"),
    "nav": ("Huvudmeny", "Main menu"),
    "home": ("Start", "Home"),
    "needs": ("Behov", "Needs"),
    "solutions": ("Lösningar", "Solutions"),
    "my_needs": ("Mina behov", "My needs"),
    "new_need": ("Nytt behov", "New need"),
    "inbox": ("Inkorg", "Inbox"),
    "my_solutions": ("Mina lösningar", "My solutions"),
    "subscriptions": ("Bevakningar", "Subscriptions"),
    "webhooks": ("Webhooks", "Webhooks"),
    "signin": ("Logga in", "Sign in"),
    "signout": ("Logga ut", "Sign out"),
    "signed_in_as": ("Inloggad som {org} ({role})", "Signed in as {org} ({role})"),
    "language": ("Språk", "Language"),
    "other_lang": ("In English", "På svenska"),
    "role_buyer": ("Köpare", "Buyer"),
    "role_supplier": ("Leverantör", "Supplier"),
    "role_admin": ("Administratör", "Administrator"),
    "signin_intro": (
        "Utvecklingsinloggning: välj organisation och roll. I produktion loggar du in via "
        "din organisations identitetstjänst (OIDC).",
        "Development sign-in: pick an organisation and a role. In production you sign in "
        "through your organisation's identity provider (OIDC).",
    ),
    "org": ("Organisation (kortnamn)", "Organisation (short name)"),
    "org_hint": (
        "Små bokstäver, siffror och bindestreck, t.ex. karlstad",
        "Lower-case letters, digits and hyphens, e.g. karlstad",
    ),
    "role": ("Roll", "Role"),
    "municipality": ("Kommun", "Municipality"),
    "municipality_opt": ("Kommun (för köpare)", "Municipality (for buyers)"),
    "none": ("Ingen", "None"),
    "err_org": ("Ange ett giltigt organisationsnamn.", "Enter a valid organisation name."),
    "err_role": ("Välj en roll.", "Choose a role."),
    "err_municipality": ("Välj en kommun ur listan.", "Choose a municipality from the list."),
    "err_csrf": (
        "Formuläret hade gått ut. Försök igen.",
        "The form had expired. Please try again.",
    ),
    "err_signin_needed": ("Logga in för att fortsätta.", "Sign in to continue."),
    "err_role_needed": ("Sidan kräver rollen {role}.", "This page needs the role {role}."),
    "fix_fields": ("Rätta de markerade fälten.", "Correct the marked fields."),
    "err_service": ("Tjänsten svarade: {detail}", "The service answered: {detail}"),
    "filters": ("Filter", "Filters"),
    "search": ("Sök", "Search"),
    "text": ("Fritext", "Text"),
    "cpv": ("CPV-kod", "CPV code"),
    "cpv_hint": ("T.ex. 805 eller 80500000-9", "E.g. 805 or 80500000-9"),
    "cpv_code_hint": (
        "Hela koder med åtta siffror, t.ex. 80500000-9; flera skiljs med komma.",
        "Whole codes of eight digits, e.g. 80500000-9; separate several with commas.",
    ),
    "region": ("Region", "Region"),
    "all_sweden": ("Hela Sverige", "All of Sweden"),
    "counties": ("Län", "Counties"),
    "municipalities": ("Kommuner", "Municipalities"),
    "phase": ("Fas", "Phase"),
    "any": ("Alla", "Any"),
    "results": ("{n} träffar", "{n} results"),
    "no_results": ("Inga träffar.", "No results."),
    "by_supplier": ("från {supplier}", "by {supplier}"),
    "my_solutions_none": (
        "Ni har inte publicerat någon lösning ännu.",
        "You have not published a solution yet.",
    ),
    "published": ("Publicerad", "Published"),
    "status": ("Status", "Status"),
    "status_draft": ("Utkast", "Draft"),
    "status_published": ("Publicerat", "Published"),
    "status_withdrawn": ("Återtaget", "Withdrawn"),
    "status_retired": ("Avvecklad", "Retired"),
    "title": ("Rubrik", "Title"),
    "problem": (
        "Problem (beskriv problemet, inte lösningen)",
        "Problem (describe the problem, not a solution)",
    ),
    "cpv_codes": ("CPV-koder (kommaseparerade)", "CPV codes (comma-separated)"),
    "cpv_list": ("CPV-koder", "CPV codes"),
    "cpv_chosen": ("Valda koder", "Chosen codes"),
    "cpv_none_chosen": ("Inga koder valda än.", "No codes chosen yet."),
    "cpv_search": ("Sök kod med ord eller siffror", "Search for a code by word or digits"),
    "cpv_search_hint": (
        "T.ex. städ eller 909. Välj en träff för att lägga till koden.",
        "E.g. cleaning or 909. Choose a result to add the code.",
    ),
    "cpv_suggest": ("Föreslå koder", "Suggest codes"),
    "cpv_suggest_hint": (
        "Förslagen bygger på rubriken och problemet som du har skrivit.",
        "The suggestions come from the title and the problem you have written.",
    ),
    "cpv_suggest_needs_text": (
        "Skriv en rubrik eller ett problem först.",
        "Write a title or a problem first.",
    ),
    "cpv_suggestions": ("{n} förslag", "{n} suggestions"),
    "cpv_more": ("Fler träffar", "More results"),
    "cpv_children": ("Visa underkoder", "Show sub-codes"),
    "cpv_children_of": ("Visa underkoder till {label}", "Show sub-codes of {label}"),
    "cpv_children_list": ("Underkoder till {label}", "Sub-codes of {label}"),
    "cpv_remove": ("Ta bort {label}", "Remove {label}"),
    "cpv_added": ("{label} har lagts till.", "{label} was added."),
    "cpv_removed": ("{label} har tagits bort.", "{label} was removed."),
    "cpv_unknown": ("okänd kod", "unknown code"),
    "cpv_unavailable": (
        "Kodsökningen är inte tillgänglig just nu. Skriv koderna i stället.",
        "The code search is not available right now. Type the codes instead.",
    ),
    "cpv_level": ("Nivå", "Level"),
    "tags": ("Inriktning", "Practices"),
    "need_language": ("Behovets språk", "Language of the need"),
    "save_draft": ("Spara utkast", "Save draft"),
    "preview": ("Befintliga lösningar", "Existing solutions"),
    "preview_hint": (
        "Medan du skriver visas lösningar som redan finns för liknande behov.",
        "While you type, solutions that already exist for similar needs appear here.",
    ),
    "preview_button": ("Visa befintliga lösningar", "Show existing solutions"),
    "preview_none": ("Inga befintliga lösningar hittades än.", "No existing solutions found yet."),
    "preview_unavailable": (
        "Förhandsvisningen är inte tillgänglig just nu.",
        "The preview is not available right now.",
    ),
    "preview_refused": (
        "Rätta uppgifterna i formuläret för att se befintliga lösningar.",
        "Correct the details in the form to see existing solutions.",
    ),
    "score": ("Poäng", "Score"),
    "publish": ("Publicera", "Publish"),
    "publish_hint": (
        "Utkastet syns bara för din organisation tills det publiceras.",
        "The draft is visible to your organisation only until it is published.",
    ),
    "move_phase": ("Byt fas", "Change phase"),
    "to_phase": ("Till fas", "To phase"),
    "reason": ("Motivering", "Reason"),
    "reason_hint": ("Krävs när behovet flyttas bakåt.", "Required when the need moves back."),
    "move": ("Flytta", "Move"),
    "choose_phase": ("Välj fas", "Choose a phase"),
    "last_phase_hint": (
        "{phase} är den sista fasen. Behovet kan flyttas tillbaka till en tidigare fas, "
        "med en motivering.",
        "{phase} is the last phase. The need can move back to an earlier phase, with a reason.",
    ),
    "withdraw": ("Återta behovet", "Withdraw the need"),
    "history": ("Historik", "History"),
    "history_created": ("Skapat", "Created"),
    "history_published": ("Publicerat", "Published"),
    "implementation_later": (
        "En implementerad lösning registreras när behovet har nått fasen Upphandling.",
        "An implemented solution is recorded once the need has reached the Procurement phase.",
    ),
    "choose_solution": ("Välj lösning", "Choose a solution"),
    "search_solutions": ("Sök bland lösningarna", "Search the solutions"),
    "search_solutions_hint": (
        "Namn, leverantör eller vad lösningen gör. Matchade lösningar visas först.",
        "Name, supplier or what the solution does. Matched solutions come first.",
    ),
    "no_solution_found": (
        "Ingen lösning hittades för ”{q}”. Pröva andra ord.",
        "No solution was found for “{q}”. Try other words.",
    ),
    "no_solutions_yet": (
        "Det finns inga lösningar att välja än.",
        "There are no solutions to choose from yet.",
    ),
    "matched_solutions": ("Matchade lösningar", "Matched solutions"),
    "other_solutions": ("Andra lösningar", "Other solutions"),
    "matches": ("Matchade lösningar", "Matched solutions"),
    "matches_none": ("Inga matchningar än.", "No matches yet."),
    "cosign": ("Vi har också detta behov", "We have this need too"),
    "cosigners": ("Medundertecknare", "Co-signers"),
    "demand": ("Efterfrågan", "Demand"),
    "demand_text": (
        "{orgs}, {pop} invånare",
        "{orgs}, {pop} inhabitants",
    ),
    "implementation": ("Implementering", "Implementation"),
    "record_implementation": (
        "Registrera implementerad lösning",
        "Record the implemented solution",
    ),
    "solution": ("Lösning", "Solution"),
    "record": ("Registrera", "Record"),
    "implemented": ("Implementerade lösningar", "Implemented solutions"),
    "buyer": ("Köpare", "Buyer"),
    "supplier": ("Leverantör", "Supplier"),
    "description": ("Beskrivning", "Description"),
    "maturity": ("Mognad", "Maturity"),
    "regions": ("Regioner där lösningen erbjuds", "Regions where the solution is offered"),
    "regions_hint": (
        "Välj en eller flera. Håll ned Ctrl (Cmd på Mac) för att välja fler än en.",
        "Choose one or more. Hold down Ctrl (Cmd on a Mac) to choose more than one.",
    ),
    "nuts_areas": ("Landsdelar och riksområden (NUTS)", "Parts of Sweden (NUTS)"),
    "served_regions": ("Verksam i", "Serves"),
    "price_model": ("Prismodell", "Price model"),
    "languages": (
        "Språk (kommaseparerade, t.ex. sv, en)",
        "Languages (comma-separated, e.g. sv, en)",
    ),
    "used_by": ("Används av {n} organisationer", "Used by {n} organisations"),
    "used_by_one": ("Används av 1 organisation", "Used by 1 organisation"),
    "where_it_runs": ("Var lösningen används", "Where it runs"),
    "runs_nowhere": ("Ingen organisation använder lösningen än.", "No organisation uses it yet."),
    "adoption_over_time": ("Spridning över tid", "Adoption over time"),
    "chart_label": (
        "Antal organisationer som använder {name}, från {first} till {last}: {n}",
        "Organisations using {name}, from {first} to {last}: {n}",
    ),
    "date": ("Datum", "Date"),
    "organisations": ("Organisationer", "Organisations"),
    "join": ("Anslut till lösningen", "Join this solution"),
    "join_hint": (
        "Registrerar att din organisation också använder lösningen.",
        "Records that your organisation uses this solution too.",
    ),
    "joined": ("Din organisation är nu ansluten.", "Your organisation has joined."),
    "deployments": ("Driftsättningar", "Deployments"),
    "since": ("Sedan", "Since"),
    "kind_implementation": ("Implementering", "Implementation"),
    "kind_adoption": ("Anslutning", "Adoption"),
    "new_solution": ("Ny lösning", "New solution"),
    "name": ("Namn", "Name"),
    "save": ("Spara", "Save"),
    "edit": ("Redigera", "Edit"),
    "retire": ("Avveckla", "Retire"),
    "new_subscription": ("Ny bevakning", "New subscription"),
    "cpv_prefixes": ("CPV-prefix (kommaseparerade)", "CPV prefixes (comma-separated)"),
    "keywords": ("Nyckelord (kommaseparerade)", "Keywords (comma-separated)"),
    "phases": ("Faser", "Phases"),
    "delete": ("Ta bort", "Delete"),
    "create": ("Skapa", "Create"),
    "subscriptions_none": ("Inga bevakningar än.", "No subscriptions yet."),
    "new_webhook": ("Ny webhook", "New webhook"),
    "url": ("Adress (URL)", "Address (URL)"),
    "secret": (
        "Hemlighet (minst 16 tecken, för HMAC-signaturen)",
        "Secret (16 characters or more, for the HMAC signature)",
    ),
    "webhooks_none": ("Inga webhooks än.", "No webhooks yet."),
    "deliveries": ("Senaste leveranser", "Recent deliveries"),
    "deliveries_none": ("Inga leveranser än.", "No deliveries yet."),
    "attempt": ("Försök", "Attempt"),
    "answer": ("Svar", "Answer"),
    "resume": ("Återuppta", "Resume"),
    "failures": ("Misslyckade i följd", "Consecutive failures"),
    "inbox_intro": (
        "Nya händelser visas här direkt, utan att du laddar om sidan.",
        "New events appear here at once, without reloading the page.",
    ),
    "inbox_none": ("Inkorgen är tom.", "The inbox is empty."),
    "inbox_new": ("{n} nya händelser", "{n} new events"),
    "inbox_new_one": ("{n} ny händelse", "{n} new event"),
    # A buyer's entries are headed in the template; the words are the shared ones.
    "match_for": ENTRY_HEADINGS["match"],
    "scaling_for": ENTRY_HEADINGS["scaling"],
    "unread": ("Oläst", "Unread"),
    "mark_read": ("Markera som läst", "Mark as read"),
    "reasons": ("Skäl", "Reasons"),
    "live_on": ("Live-uppdatering på", "Live updates on"),
    "not_found": ("Sidan finns inte.", "Page not found."),
    "welcome_buyer": (
        "Beskriv era behov som problem, följ dem genom faserna och se vilka lösningar "
        "som redan finns.",
        "Describe your needs as problems, move them through the phases and see which "
        "solutions exist.",
    ),
    "welcome_supplier": (
        "Publicera lösningar, bevaka behov och få matchningar direkt.",
        "Publish solutions, watch needs and receive matches at once.",
    ),
    "welcome_anon": (
        "Logga in för att se publicerade behov och lösningar.",
        "Sign in to browse published needs and solutions.",
    ),
    "back": ("Tillbaka", "Back"),
    "saved": ("Sparat.", "Saved."),
    "results_on_page": ("{n} träffar på sidan", "{n} results on this page"),
    "pages": ("Sidor", "Pages"),
    "first_page": ("Första sidan", "First page"),
    "next": ("Nästa", "Next"),
    # An organisation's e-mail contacts (the notifications service)
    "contacts": ("Kontakter", "Contacts"),
    "contacts_title": ("Kontakter som får e-post", "Contacts who receive e-mail"),
    "contacts_intro": (
        "De här personerna får e-post från marknadsplatsen för {org}: matchningar, "
        "bevakningar och lösningar som sprids. En ny adress får först ett meddelande med en "
        "länk att bekräfta den med; inget annat skickas dit förrän den är bekräftad.",
        "These people receive e-mail from the marketplace for {org}: matches, alerts and "
        "solutions spreading. A new address first gets a message with a link to confirm it; "
        "nothing else is sent there until it is confirmed.",
    ),
    "contacts_none": ("Inga kontakter än.", "No contacts yet."),
    "new_contact": ("Ny kontakt", "New contact"),
    "contact_name": ("Namn", "Name"),
    "contact_email": ("E-postadress", "E-mail address"),
    "contact_language": ("Språk i e-posten", "Language of the e-mail"),
    "contact_time_zone": ("Tidszon", "Time zone"),
    "contact_time_zone_hint": (
        "Sammanfattningar skickas klockan sju på morgonen i den här tidszonen (IANA-namn, "
        "t.ex. Europe/Stockholm).",
        "Digests are sent at seven in the morning in this time zone (an IANA name, e.g. "
        "Europe/Stockholm).",
    ),
    "lang_sv": ("Svenska", "Swedish"),
    "lang_en": ("Engelska", "English"),
    "add_contact": ("Lägg till kontakt", "Add contact"),
    "contact_added": (
        "{name} är tillagd. Ett meddelande med en länk för att bekräfta adressen har "
        "skickats till {email}.",
        "{name} was added. A message with a link to confirm the address went to {email}.",
    ),
    "contact_added_verified": ("{name} är tillagd.", "{name} was added."),
    "contact_verified": ("Bekräftad", "Confirmed"),
    "contact_unverified": ("Inte bekräftad än", "Not confirmed yet"),
    "contact_unverified_hint": (
        "Personen behöver följa länken i meddelandet som skickades till adressen.",
        "The person needs to follow the link in the message sent to the address.",
    ),
    "contact_failing": ("Adressen studsar: {detail}", "The address bounces: {detail}"),
    "contact_failing_hint": (
        "Inget skickas dit längre (sedan {date}). Ta bort kontakten och lägg till den med "
        "en adress som fungerar.",
        "Nothing is sent there any more (since {date}). Remove the contact and add it with "
        "an address that works.",
    ),
    "resend_verification": ("Skicka bekräftelsen igen", "Send the confirmation again"),
    "verification_sent": (
        "Ett nytt meddelande för att bekräfta adressen har skickats.",
        "A new message to confirm the address was sent.",
    ),
    "remove_contact": ("Ta bort kontakten", "Remove the contact"),
    "contact_removed": ("Kontakten är borttagen.", "The contact was removed."),
    "preferences": ("Vad {name} får med e-post", "What {name} receives by e-mail"),
    "save_preferences": ("Spara valen", "Save the choices"),
    "preferences_scoped": (
        "Dessutom gäller {n} val för enskilda behov eller bevakningar (från länkar i "
        "e-posten); de ändras inte här.",
        "{n} more choices apply to single needs or subscriptions (from links in the "
        "e-mail); they are not changed here.",
    ),
    "pref_matches": ("Matchningar", "Matches"),
    "pref_alerts": ("Bevakningar", "Alerts"),
    "pref_scaling": ("Spridning", "Scaling"),
    "cadence_immediate": ("Direkt", "Immediately"),
    "cadence_daily": ("Daglig sammanfattning", "Daily digest"),
    "cadence_weekly": ("Veckosammanfattning", "Weekly digest"),
    "cadence_off": ("Av", "Off"),
    # Development only: the mail the local capture server took
    "dev_mail": ("Fångad e-post (utveckling)", "Captured mail (development)"),
    "dev_mail_intro": (
        "Meddelanden som tjänsten notifications har skickat till den lokala "
        "fångstservern, nyaste först. Inget av dem har levererats till någon.",
        "Messages the notifications service sent to the local capture server, newest "
        "first. None of them was delivered to anyone.",
    ),
    "dev_mail_none": ("Ingen fångad e-post.", "No captured mail."),
    "mail_to": ("Till", "To"),
    "mail_from": ("Från", "From"),
    "mail_subject": ("Ämne", "Subject"),
    "mail_time": ("Tid", "Time"),
    "mail_language": ("Språk", "Language"),
    "mail_unsubscribe": ("Avregistrering (List-Unsubscribe)", "Unsubscribe (List-Unsubscribe)"),
    "mail_filter_to": ("Till adressen", "To the address"),
    "mail_text": ("Textdelen", "The plain text"),
    "mail_html": ("HTML-delen", "The HTML part"),
    "mail_html_hint": (
        "Visas utan skript och utan att länkarna öppnas; följ länkarna i textdelen.",
        "Shown without scripts and without opening its links; follow the links in the plain text.",
    ),
    "mail_no_text": ("Meddelandet har ingen textdel.", "The message has no plain text."),
    "all_mail": ("All fångad e-post", "All captured mail"),
}


# A refused field, said beside it: by the field (its root: "cpv_codes" for "cpv_codes.2") and
# the kind of refusal; "{value}" is what was refused. Rules: "empty" (missing, too short),
# "long", "unknown" and "malformed" (a validator's message says which), "taken" and "full"
# (a conflict: the value is another's, or there is no room for more), else "invalid". A
# form whose fields need words of their own names them "form.field" (see `field_errors`).
FIELD_ERRORS: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("title", "empty"): ("Ange en rubrik.", "Enter a title."),
    ("title", "long"): ("Rubriken är för lång.", "The title is too long."),
    ("problem", "empty"): ("Beskriv problemet.", "Describe the problem."),
    ("problem", "long"): ("Beskrivningen är för lång.", "The description is too long."),
    ("cpv_codes", "empty"): ("Välj minst en CPV-kod.", "Choose at least one CPV code."),
    ("cpv_codes", "long"): ("Högst 20 CPV-koder.", "At most 20 CPV codes."),
    ("cpv_codes", "unknown"): ("Okänd CPV-kod {value}.", "Unknown CPV code {value}."),
    ("cpv_codes", "malformed"): (
        "{value} är inte en hel CPV-kod: ange åtta siffror, t.ex. 80500000.",
        "{value} is not a whole CPV code: give eight digits, e.g. 80500000.",
    ),
    ("municipality_code", "empty"): ("Välj en kommun.", "Choose a municipality."),
    ("municipality_code", "malformed"): ("Välj en kommun.", "Choose a municipality."),
    ("municipality_code", "unknown"): (
        "Okänd kommunkod {value}.",
        "Unknown municipality code {value}.",
    ),
    ("name", "empty"): ("Ange lösningens namn.", "Enter the solution's name."),
    ("name", "long"): ("Namnet är för långt.", "The name is too long."),
    ("description", "empty"): ("Beskriv lösningen.", "Describe the solution."),
    ("regions", "empty"): ("Välj minst ett område.", "Choose at least one area."),
    ("regions", "unknown"): ("Okänt område {value}.", "Unknown area {value}."),
    ("maturity", "empty"): ("Välj mognad.", "Choose a maturity."),
    ("tags", "unknown"): ("Okänd tagg {value}.", "Unknown tag {value}."),
    # The contact form (`field_errors(errors, "contact")`): its own words for its fields.
    ("contact.name", "empty"): ("Ange kontaktens namn.", "Enter the contact's name."),
    ("contact.name", "long"): ("Namnet är för långt.", "The name is too long."),
    ("contact.name", "invalid"): ("Ange kontaktens namn.", "Enter the contact's name."),
    ("contact.email", "empty"): ("Ange en e-postadress.", "Enter an e-mail address."),
    ("contact.email", "long"): ("Adressen är för lång.", "The address is too long."),
    ("contact.email", "invalid"): (
        "{value} är inte en e-postadress.",
        "{value} is not an e-mail address.",
    ),
    ("contact.email", "taken"): (
        "{value} är redan en kontakt för organisationen.",
        "{value} is already a contact of the organisation.",
    ),
    ("contact.email", "full"): (
        "Organisationen har redan så många kontakter som går (50). Ta bort någon först.",
        "The organisation has as many contacts as it may (50). Remove one first.",
    ),
    ("contact.language", "invalid"): ("Välj svenska eller engelska.", "Choose Swedish or English."),
    ("contact.time_zone", "invalid"): (
        "Okänd tidszon {value}: ange ett IANA-namn, t.ex. Europe/Stockholm.",
        "Unknown time zone {value}: give an IANA name, e.g. Europe/Stockholm.",
    ),
    ("contact.time_zone", "unknown"): (
        "Okänd tidszon {value}: ange ett IANA-namn, t.ex. Europe/Stockholm.",
        "Unknown time zone {value}: give an IANA name, e.g. Europe/Stockholm.",
    ),
}
FIELD_INVALID: Final = ("Värdet godtogs inte.", "The value was not accepted.")
_EMPTY_RULES: Final = frozenset({"missing", "string_too_short", "too_short"})
_LONG_RULES: Final = frozenset({"string_too_long", "too_long"})


def _refusal(error: Mapping[str, Any]) -> str:
    rule = str(error.get("rule", ""))
    if rule in _EMPTY_RULES or error.get("value") == "":
        return "empty"
    if rule in _LONG_RULES:
        return "long"
    message = str(error.get("message", "")).lower()
    if rule == "conflict":  # taken by another ("already a contact"), or no room for more
        return "taken" if "already" in message else "full"
    if message.startswith(("must not be empty", "needs at least")):
        return "empty"
    if message.startswith(("unknown", "no ")):
        return "unknown"
    if message.startswith("malformed"):
        return "malformed"
    return "invalid"


class Translator:
    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def __call__(self, key: str, **values: object) -> str:
        pair = TEXTS.get(key)
        text = pick(pair, self.lang) if pair else key
        return text.format(**values) if values else text

    def phase(self, phase: str) -> str:
        return name_of(PHASE_NAMES, phase, self.lang)

    def cpv_level(self, level: str) -> str:
        return name_of(CPV_LEVEL_NAMES, level, self.lang)

    def maturity(self, value: str) -> str:
        return name_of(MATURITY_NAMES, value, self.lang)

    def entry_kind(self, kind: str) -> str:
        return entry_kind(kind, self.lang)

    def supplier_entry_title(self, entry: Mapping[str, Any]) -> str:
        """A supplier inbox entry's heading, made from its data in the reader's language."""
        return entry_heading(entry, self.lang)

    def history_note(
        self, entry: Mapping[str, Any], solutions: Mapping[str, Mapping[str, Any]]
    ) -> str:
        """A history entry's note: the service's, from its code, naming the solution from
        `solutions` by id; a person's reason as written (see `history_note`)."""
        return history_note(entry, self.lang, solutions)

    def organisations(self, count: int) -> str:
        """ "1 organisation", "2 organisationer" (the number as `number` writes it)."""
        return f"{self.number(count)} {organisation_word(count, self.lang)}"

    def field_errors(
        self, errors: list[Mapping[str, Any]], form: str | None = None
    ) -> dict[str, str]:
        """The services' refused fields as messages beside them, by field (the first one
        of each field wins); with `form`, in that form's own words ("contact.name")."""
        out: dict[str, str] = {}
        for error in errors:
            field = str(error.get("field", "")).split(".")[0]
            if not field or field in out:
                continue
            key = f"{form}.{field}" if form else field
            pair = FIELD_ERRORS.get((key, _refusal(error)), FIELD_INVALID)
            out[field] = pick(pair, self.lang).format(value=error.get("value", ""))
        return out

    def reason(self, reason: Mapping[str, Any]) -> str:
        """A match or alert reason in plain words (see `render_reason`)."""
        return render_reason(reason, self.lang)

    def tag(self, value: str) -> str:
        names = PRACTICE_TAGS.get(value)
        return names.get(self.lang, value) if names else value

    def number(self, value: float | int, decimals: int = 0) -> str:
        """Swedish: 97 000 and 0,82 (non-breaking space, decimal comma); English: 97,000."""
        text = f"{value:,.{decimals}f}"
        if self.lang == "sv":
            return text.replace(",", NBSP).replace(".", ",")
        return text

    def date(self, value: str | datetime | None, with_time: bool = False) -> str:
        """Swedish: 2 mars 2025 (14:05); English: 2 March 2025 (14:05)."""
        if value is None or value == "":
            return ""
        when = datetime.fromisoformat(value) if isinstance(value, str) else value
        text = f"{when.day} {MONTHS[self.lang][when.month - 1]} {when.year}"
        return f"{text} {when:%H:%M}" if with_time else text

    def iso(self, value: str | datetime | None) -> str:
        if value is None or value == "":
            return ""
        when = datetime.fromisoformat(value) if isinstance(value, str) else value
        return when.isoformat()
