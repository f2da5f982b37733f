"""People's words for the process and for match reasons, in Swedish and English.

Reasons travel as data: a stable `code` and its `params` (see `MatchReason`), with an
English `detail` for integrators. What a buyer or a supplier reads is made here from the
code and the parameters, in their language, so the portal and the CLI say the same thing:
"Samma CPV-grupp: 805 Utbildningstjänster", "Används redan av 3 organisationer".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from .process import PRACTICE_TAGS
from .reference.cpv import lookup
from .reference.regions import UnknownRegion, parse_region

Lang = Literal["sv", "en"]

PHASE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "hypothesis": ("Hypotes", "Hypothesis"),
    "validation": ("Validering", "Validation"),
    "co-creation": ("Samskapande", "Co-creation"),
    "procurement": ("Upphandling", "Procurement"),
    "implementation": ("Implementering", "Implementation"),
    "scaling": ("Skalning", "Scaling"),
    "withdrawn": ("Återtaget", "Withdrawn"),
}
CPV_LEVEL_NAMES: Final[dict[str, tuple[str, str]]] = {
    "division": ("avdelning", "division"),
    "group": ("grupp", "group"),
    "class": ("klass", "class"),
    "category": ("kategori", "category"),
    "code": ("kod", "code"),
}
MATURITY_NAMES: Final[dict[str, tuple[str, str]]] = {
    "idea": ("Idé", "Idea"),
    "prototype": ("Prototyp", "Prototype"),
    "pilot": ("Pilot", "Pilot"),
    "market-ready": ("Marknadsmogen", "Market-ready"),
}
_ORGANISATIONS: Final = (("organisation", "organisationer"), ("organisation", "organisations"))
_INHABITANTS: Final = (("invånare", "invånare"), ("inhabitant", "inhabitants"))

# Inbox entries: their kinds as a person names them (the APIs' kinds are event-like codes:
# a buyer's "match" and "scaling", a supplier's "match.found", "alert.raised" and
# "webhook.paused"), and their headings, made from the entry's data.
ENTRY_KINDS: Final[dict[str, tuple[str, str]]] = {
    "match": ("Matchning", "Match"),
    "scaling": ("Skalningsmöjlighet", "Scaling opportunity"),
    "match.found": ("Matchning", "Match"),
    "alert.raised": ("Bevakning", "Watch"),
    "webhook.paused": ("Webhook pausad", "Webhook paused"),
}
ENTRY_HEADINGS: Final[dict[str, tuple[str, str]]] = {
    "match": ("{solution} passar ert behov {need}", "{solution} fits your need {need}"),
    "scaling": (
        "Skalningsmöjlighet: {solution} används redan på andra håll och passar {need}",
        "Scaling opportunity: {solution} already runs elsewhere and fits {need}",
    ),
    "match.found": (
        "Er lösning {solution} passar behovet {need}",
        "Your solution {solution} fits the need {need}",
    ),
    "alert.raised": ("Ett behov passar er bevakning: {need}", "A need fits your watch: {need}"),
    "webhook.paused": (
        "Er webhook {url} pausades efter upprepade misslyckade leveranser",
        "Your webhook {url} was paused after repeated failed deliveries",
    ),
}


def pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "sv" else pair[1]


def name_of(names: Mapping[str, tuple[str, str]], value: str, lang: Lang) -> str:
    pair = names.get(value)
    return pick(pair, lang) if pair else value


def organisation_word(count: int, lang: Lang) -> str:
    """ "organisation" for one, "organisationer" / "organisations" for more or none."""
    one, many = _ORGANISATIONS[0 if lang == "sv" else 1]
    return one if count == 1 else many


def organisations(count: int, lang: Lang) -> str:
    """ "1 organisation", "3 organisationer" / "3 organisations"."""
    return f"{count} {organisation_word(count, lang)}"


def inhabitants(count: int, lang: Lang, number: str | None = None) -> str:
    """ "1 invånare" / "1 inhabitant", "97000 inhabitants"; `number` is the count as the
    caller writes it ("97 000"), else the digits."""
    one, many = _INHABITANTS[0 if lang == "sv" else 1]
    return f"{number or count} {one if count == 1 else many}"


def used_by(count: int, lang: Lang) -> str:
    """ "Används av 1 organisation", "Used by 27 organisations"."""
    used = organisations(count, lang)
    return f"Används av {used}" if lang == "sv" else f"Used by {used}"


def entry_kind(kind: str, lang: Lang) -> str:
    """An inbox entry's kind in plain words: "Matchning", "Bevakning"."""
    return name_of(ENTRY_KINDS, kind, lang)


def entry_heading(entry: Mapping[str, Any], lang: Lang) -> str:
    """An inbox entry's heading in the reader's language, from its data: the names a
    buyer's entry carries, the event a supplier's entry keeps in `data`. An entry of an
    unknown kind, or without the names, keeps the service's own title."""
    data: Mapping[str, Any] = entry.get("data") or {}

    def value(key: str) -> str:
        return str(data.get(key) or entry.get(key) or "")

    names = {"solution": value("solution_name"), "need": value("need_title"), "url": value("url")}
    pair = ENTRY_HEADINGS.get(str(entry.get("kind")))
    if pair is None or not all(names[k] for k in names if "{" + k + "}" in pair[1]):
        return str(entry.get("title") or names["need"] or names["solution"])
    return pick(pair, lang).format(**names)


def history_note(
    entry: Mapping[str, Any], lang: Lang, solutions: Mapping[str, Mapping[str, Any]] | None = None
) -> str:
    """A need's history entry's note in plain words: from its `reason_code` and
    `reason_params` where the service wrote one (naming the solution, and its supplier,
    from `solutions` by id), else the reason as the person moving the need wrote it."""
    code = entry.get("reason_code")
    params: Mapping[str, Any] = entry.get("reason_params") or {}
    sv = lang == "sv"
    if code == "implemented":
        solution = (solutions or {}).get(str(params.get("solution_id"))) or {}
        name, supplier = solution.get("name"), solution.get("supplier_org")
        if not name:
            return "En lösning implementerades" if sv else "A solution was implemented"
        if supplier:
            return (
                f"Implementerade {name} från {supplier}"
                if sv
                else f"Implemented {name} by {supplier}"
            )
        return f"Implementerade {name}" if sv else f"Implemented {name}"
    return str(entry.get("reason") or "")


def place(code: str, lang: Lang) -> str:
    if code == "SE":
        return "hela Sverige" if lang == "sv" else "all of Sweden"
    try:
        return parse_region(code).name
    except UnknownRegion:
        return code


def _cpv(prefix: str, lang: Lang) -> str:
    """ "805 Utbildningstjänster": a prefix with the label of the code it stands for."""
    entry = lookup(prefix.ljust(8, "0")) if prefix.isdigit() and len(prefix) <= 8 else None
    return f"{prefix} {entry.label(lang)}" if entry else prefix


def _tags(tags: Sequence[str], lang: Lang) -> str:
    return ", ".join(PRACTICE_TAGS.get(t, {}).get(lang, t) for t in tags)


def _fit(p: Mapping[str, Any], lang: Lang) -> str:
    maturity = name_of(MATURITY_NAMES, str(p.get("maturity")), lang).lower()
    phase = name_of(PHASE_NAMES, str(p.get("phase")), lang).lower()
    verdict = str(p.get("verdict"))
    if lang == "sv":
        verb = {"fits": "passar", "partly": "passar delvis"}.get(verdict, "passar inte")
        return f"Lösningens mognad ({maturity}) {verb} behovets fas ({phase})"
    verb = {"fits": "fits", "partly": "partly fits"}.get(verdict, "does not fit")
    return f"The solution's maturity ({maturity}) {verb} the need's phase ({phase})"


def _social(p: Mapping[str, Any], lang: Lang) -> str:
    count = int(p.get("adoptions", 0))
    if count == 0:
        return "Används inte någonstans ännu" if lang == "sv" else "Not in use anywhere yet"
    used = organisations(count, lang)
    return f"Används redan av {used}" if lang == "sv" else f"Already used by {used}"


def render_reason(reason: Mapping[str, Any], lang: Lang) -> str:
    """A reason in plain words; one stored before reasons carried codes keeps its detail."""
    code = str(reason.get("code") or "")
    p: Mapping[str, Any] = reason.get("params") or {}
    sv = lang == "sv"
    match code:
        case "cpv.shared":
            level = name_of(CPV_LEVEL_NAMES, str(p.get("level")), lang)
            prefix = _cpv(str(p.get("prefix")), lang)
            return f"Samma CPV-{level}: {prefix}" if sv else f"Same CPV {level}: {prefix}"
        case "cpv.none":
            return "Ingen gemensam CPV-kod" if sv else "No CPV code in common"
        case "text.terms":
            words = ", ".join(str(t) for t in p.get("terms", ()))
            return f"Gemensamma ord: {words}" if sv else f"Words in common: {words}"
        case "text.none":
            return "Inga gemensamma ord" if sv else "No words in common"
        case "region.municipality" | "region.county" | "region.country":
            where = place(str(p.get("place")), lang)
            return f"Finns i {where}" if sv else f"Available in {where}"
        case "region.none":
            where = place(str(p.get("place")), lang)
            return f"Finns inte i {where}" if sv else f"Not available in {where}"
        case "fit":
            return _fit(p, lang)
        case "tags.shared":
            tags = _tags(p.get("tags", ()), lang)
            return f"Uppfyller kraven: {tags}" if sv else f"Meets the requirements: {tags}"
        case "tags.none":
            return "Uppfyller inga av kraven" if sv else "Meets none of the requirements"
        case "social_proof":
            return _social(p, lang)
        case "subscription.phase":
            phase = name_of(PHASE_NAMES, str(p.get("phase")), lang).lower()
            return f"Behovet är i fasen {phase}" if sv else f"The need is in the {phase} phase"
        case "subscription.cpv":
            prefix = _cpv(str(p.get("prefix")), lang)
            return f"CPV-kod under {prefix}" if sv else f"CPV code under {prefix}"
        case "subscription.region":
            where = place(str(p.get("place")), lang)
            return f"Behovet finns i {where}" if sv else f"The need is in {where}"
        case "subscription.keywords":
            words = ", ".join(str(k) for k in p.get("keywords", ()))
            return f"Nyckelord: {words}" if sv else f"Keywords: {words}"
        case "subscription.all":
            return "Bevakar alla behov" if sv else "Watches every need"
    return str(reason.get("detail", ""))
