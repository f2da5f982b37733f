"""`make demo`: the source document's story, played through the public HTTP APIs only.

The four procurements the document reports, each to the stage it reports, with the phase
moves and their reasons:

- VR training for care staff (Karlstad, 2022): implemented, then scaled to 26 more buyers;
- digital escort (Karlstad, 2024): implemented, the first two other buyers joining;
- digital citizen portal (Hammarö, 2024): implemented;
- Hållbar handling (Helsingborg, 2024-25): in procurement, suppliers alerted at validation
  and at co-creation;

and its three procurement practices (a work-integrating social enterprise, gender-equal
procurement, on-site follow-up of vehicles, payrolls and working conditions), each a need
whose requirement tag finds the supplier that meets it and not the other two.

`--pace` is the pause between steps, for reading (`0`: as fast as the services go). The
summary reads what the services stored: each case's phase, the organisations using its
solution, its matches, alerts and scaling opportunities, and the time from the VR
implementation to the last scaling opportunity stored, apart from the time spent joining.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from marketplace_contracts.wording import (
    PHASE_NAMES,
    name_of,
    organisations,
    place,
    render_reason,
)
from marketplace_platform.settings import ServiceSettings
from marketplace_platform.tokens import Role, mint_token

# A wide console even without a terminal (make demo in CI), so timeline lines stay whole.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)

DEFAULT_PACE = 0.25

# The 26 further organisations of the VR case: (org id, municipality code, how it joins).
# "own" publishes a need of its own first; "cosign" says "we have this need too" on Karlstad's.
SCALING_BUYERS: list[tuple[str, str, str]] = [
    ("hammaro", "1761", "cosign"),
    ("kil", "1715", "own"),
    ("forshaga", "1763", "cosign"),
    ("grums", "1764", "own"),
    ("arvika", "1784", "own"),
    ("kristinehamn", "1781", "cosign"),
    ("sunne", "1766", "own"),
    ("torsby", "1737", "cosign"),
    ("saffle", "1785", "own"),
    ("arjang", "1765", "cosign"),
    ("eda", "1730", "own"),
    ("filipstad", "1782", "cosign"),
    ("hagfors", "1783", "own"),
    ("munkfors", "1762", "cosign"),
    ("storfors", "1760", "own"),
    ("orebro", "1880", "cosign"),
    ("vasteras", "1980", "own"),
    ("falun", "2080", "cosign"),
    ("uppsala", "0380", "own"),
    ("linkoping", "0580", "cosign"),
    ("jonkoping", "0680", "own"),
    ("umea", "2480", "cosign"),
    ("lulea", "2580", "own"),
    ("boras", "1490", "cosign"),
    ("gavle", "2180", "own"),
    ("region-varmland", "17", "cosign"),
]

OWN_NEED_TEXTS = [
    (
        "Öva svåra samtal i hemtjänsten med VR",
        "Vår omsorgspersonal behöver träna bemötande av brukare med demens i virtuell verklighet "
        "innan de möter situationerna i vardagen.",
    ),
    (
        "VR-träning för undersköterskor",
        "Undersköterskor i äldreomsorgen ska kunna öva hot- och våldssituationer och "
        "förflyttningar i en VR-miljö, som kompetensutveckling för vårdpersonal.",
    ),
    (
        "Kompetensutveckling för vårdpersonal med virtual reality",
        "Care staff need safe practice of difficult situations; we look for VR training for "
        "elderly care and home care staff.",
    ),
]

# The source document's practices: (tag, buyer, municipality, need, supplier, solution).
# Each practice is asked for in the trade where the document's examples use it, and each
# supplier meets one practice: the tag is what the buyer requires and the reason names it.
PRACTICES: list[tuple[str, str, str, dict[str, Any], str, dict[str, Any]]] = [
    (
        "social-enterprise",
        "kil",
        "1715",
        {
            "title": "Städtjänster i samverkan med arbetsintegrerande sociala företag",
            "problem": "Vi upphandlar lokalvård och städning av kommunens lokaler och kräver "
            "att leverantören samverkar med ett arbetsintegrerande socialt företag, så att "
            "personer långt från arbetsmarknaden får jobb.",
            "cpv_codes": ["90910000-9"],
        },
        "stadkooperativet",
        {
            "name": "Lokalvård och städning med arbetsintegrerande socialt företag",
            "description": "Städning och lokalvård av kontor, skolor och förskolor, utförd "
            "tillsammans med ett arbetsintegrerande socialt företag som anställer personer "
            "långt från arbetsmarknaden.",
            "cpv_codes": ["90910000-9"],
            "regions": ["17"],
            "maturity": "market-ready",
        },
    ),
    (
        "gender-equality",
        "harnosand",
        "2280",
        {
            "title": "Jämställd väghållning",
            "problem": "Väghållning är en bransch med ojämn könsfördelning. Vi ställer krav "
            "på och ger mervärde för entreprenörens jämställdhetsarbete: rekrytering, "
            "arbetstider och arbetsmiljö som passar alla som arbetar på våra gator och vägar.",
            "cpv_codes": ["45233141"],
        },
        "vagjamt",
        {
            "name": "Väghållning med jämställda arbetslag",
            "description": "Underhåll av gator och vägar: lagning, beläggning och skötsel av "
            "vägområden, med en plan för jämställda arbetslag: rekrytering av kvinnor, "
            "arbetstider och arbetsmiljö som passar alla.",
            "cpv_codes": ["45233141"],
            "regions": ["SE"],
            "maturity": "market-ready",
        },
    ),
    (
        "on-site-follow-up",
        "sunne",
        "1766",
        {
            "title": "Skolskjuts med uppföljning på plats",
            "problem": "Vi upphandlar skolskjuts för elever på landsbygden och följer upp "
            "avtalet på plats: kontroll av fordon samt lönelistor och arbetsvillkor för "
            "förarna, skyddsutrustning inräknad.",
            "cpv_codes": ["60130000"],
        },
        "skolresan",
        {
            "name": "Skolskjuts med öppen uppföljning",
            "description": "Skolskjuts och anpassade persontransporter med buss och taxi. "
            "Kunden kontrollerar på plats våra fordon, förarnas lönelistor, arbetsvillkor och "
            "skyddsutrustning när den vill.",
            "cpv_codes": ["60130000"],
            "regions": ["SE"],
            "maturity": "market-ready",
        },
    ),
]


def plural(count: int, one: str, many: str) -> str:
    """ "1 match", "3 matches": every count the demo prints."""
    return f"{count} {one if count == 1 else many}"


@dataclass
class Endpoints:
    needs: str
    suppliers: str
    matching: str
    notifications: str

    @classmethod
    def from_env(cls) -> Endpoints:
        def url(name: str, default_port: int) -> str:
            explicit = os.environ.get(f"MARKETPLACE_{name.upper()}_URL")
            port = os.environ.get(f"{name.upper()}_PORT", str(default_port))
            return explicit or f"http://127.0.0.1:{port}"

        return cls(
            url("needs", 8001),
            url("suppliers", 8002),
            url("matching", 8003),
            url("notifications", 8004),
        )


@dataclass
class Case:
    """One procurement of the story: what the summary reads back from the services."""

    title: str
    lead: tuple[str, str]  # the buyer that drives it: (org, municipality)
    need_ids: list[str] = field(default_factory=list)  # the lead's need first, then similar
    solution_id: str | None = None
    buyers: dict[str, str | None] = field(default_factory=dict)  # org -> municipality
    suppliers: list[str] = field(default_factory=list)


@dataclass
class Cascade:
    """The VR case's scaling, from the services' own timestamps."""

    buyers_told: int = 0
    implementation_to_last_opportunity_s: float | None = None
    joining_s: float | None = None


class Demo:
    def __init__(self, endpoints: Endpoints, pace: float) -> None:
        self.endpoints = endpoints
        self.pace = pace
        self.run = uuid.uuid4().hex[:6]
        self.secret = ServiceSettings().jwt_secret.get_secret_value()
        self.http = httpx.AsyncClient(timeout=30)
        self.started = time.monotonic()
        self.cases: list[Case] = []
        self.cascade = Cascade()
        self.needs_published = 0
        self.shown: set[str] = set()
        self.mail_contacts: list[str] = []

    # -- plumbing -----------------------------------------------------------------------

    def supplier(self, name: str) -> str:
        """Suppliers are new in every run, so a second demo on the same stack starts clean."""
        return f"{name}-{self.run}"

    def token(self, org: str, role: Role, municipality: str | None = None) -> str:
        return mint_token(self.secret, org=org, role=role, municipality_code=municipality)

    def buyer_token(self, org: str, municipality: str | None) -> str:
        # A region or an agency has no municipality of its own.
        return self.token(
            org, "buyer", municipality if municipality and len(municipality) == 4 else None
        )

    async def call(
        self, method: str, url: str, token: str, json: Any = None, expect: int = 200
    ) -> Any:
        response = await self.http.request(
            method, url, json=json, headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code != expect:
            raise RuntimeError(f"{method} {url} -> {response.status_code}: {response.text}")
        return response.json() if response.content else None

    async def say(self, who: str, what: str, why: str = "") -> None:
        """One step of the story, then the reading pause."""
        at = time.monotonic() - self.started
        line = f"[dim]{at:6.1f}s[/dim]  [bold]{who:<20}[/bold] {what}"
        if why:
            line += f"\n{'':29}[dim]{why}[/dim]"
        console.print(line)
        if self.pace > 0:
            await asyncio.sleep(self.pace)

    async def inbox(self, base: str, token: str, limit: int = 20) -> list[dict[str, Any]]:
        body = await self.call("GET", f"{base}/v1/inbox?limit={limit}", token)
        return list(body["items"])

    async def whole_inbox(self, base: str, token: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = f"limit=500&cursor={cursor}" if cursor else "limit=500"
            body = await self.call("GET", f"{base}/v1/inbox?{query}", token)
            entries.extend(body["items"])
            cursor = body.get("next")
            if not cursor:
                return entries

    async def wait_inbox(
        self,
        base: str,
        token: str,
        predicate: Callable[[dict[str, Any]], bool],
        timeout: float = 60,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in await self.inbox(base, token):
                if predicate(entry):
                    return entry
            await asyncio.sleep(0.2)
        raise TimeoutError("the expected inbox entry did not arrive in time")

    @staticmethod
    def why(reasons: list[dict[str, Any]] | None) -> str:
        best = sorted(reasons or [], key=lambda r: -r["score"])[:3]
        return "; ".join(render_reason(r, "en") for r in best)

    # -- actors -------------------------------------------------------------------------

    async def publish_solution(self, case: Case, name: str, body: dict[str, Any]) -> str:
        org = self.supplier(name)
        solution = await self.call(
            "POST",
            f"{self.endpoints.suppliers}/v1/solutions",
            self.token(org, "supplier"),
            body,
            expect=201,
        )
        case.suppliers.append(org)
        regions = ", ".join(place(r, "en") for r in body["regions"])
        await self.say(
            name,
            f"offers the solution [cyan]{body['name']}[/cyan]",
            f"maturity {body['maturity']}, serves {regions}",
        )
        return str(solution["id"])

    async def subscribe(self, case: Case, name: str, body: dict[str, Any], what: str) -> None:
        org = self.supplier(name)
        await self.call(
            "POST",
            f"{self.endpoints.suppliers}/v1/subscriptions",
            self.token(org, "supplier"),
            body,
            expect=201,
        )
        if org not in case.suppliers:
            case.suppliers.append(org)
        await self.say(name, "subscribes to needs", what)

    async def publish_need(
        self, case: Case, org: str, municipality: str, body: dict[str, Any], *, quiet: bool = False
    ) -> str:
        token = self.buyer_token(org, municipality)
        code = municipality if len(municipality) == 4 else case.lead[1]
        need = await self.call(
            "POST",
            f"{self.endpoints.needs}/v1/needs",
            token,
            {**body, "municipality_code": code},
            expect=201,
        )
        await self.call("POST", f"{self.endpoints.needs}/v1/needs/{need['id']}/publish", token)
        self.needs_published += 1
        case.need_ids.append(str(need["id"]))
        case.buyers[org] = municipality
        if not quiet:
            await self.say(org, f"publishes the need [cyan]{body['title']}[/cyan] as a hypothesis")
        return str(need["id"])

    async def cosign(self, case: Case, org: str, municipality: str, *, quiet: bool = False) -> None:
        await self.call(
            "POST",
            f"{self.endpoints.needs}/v1/needs/{case.need_ids[0]}/cosign",
            self.buyer_token(org, municipality),
            {"municipality_code": municipality} if len(municipality) == 4 else {},
        )
        case.buyers[org] = municipality
        if not quiet:
            await self.say(org, "co-signs: we have this need too")

    async def move(self, case: Case, phase: str, why: str) -> None:
        org, municipality = case.lead
        await self.call(
            "POST",
            f"{self.endpoints.needs}/v1/needs/{case.need_ids[0]}/phase",
            self.buyer_token(org, municipality),
            {"phase": phase, "reason": why},
        )
        await self.say(
            org, f"moves the need to [magenta]{name_of(PHASE_NAMES, phase, 'en')}[/magenta]", why
        )

    async def implement(self, case: Case, solution_name: str) -> datetime:
        """The lead buyer records its implementation; when the needs service stored it."""
        org, municipality = case.lead
        token = self.buyer_token(org, municipality)
        need_id = case.need_ids[0]
        await self.call(
            "POST",
            f"{self.endpoints.needs}/v1/needs/{need_id}/implementation",
            token,
            {"solution_id": case.solution_id},
            expect=201,
        )
        need = await self.call("GET", f"{self.endpoints.needs}/v1/needs/{need_id}", token)
        await self.say(org, f"implements [cyan]{solution_name}[/cyan]: the first customer")
        return datetime.fromisoformat(need["implementations"][-1]["at"])

    async def supplier_notices(self, case: Case, name: str, kind: str) -> None:
        need_id = case.need_ids[0]
        entry = await self.wait_inbox(
            self.endpoints.suppliers,
            self.token(self.supplier(name), "supplier"),
            lambda e: e["kind"] == kind and e.get("need_id") == need_id,
        )
        if f"{kind}/{entry['id']}" in self.shown:
            return
        self.shown.add(f"{kind}/{entry['id']}")
        data = entry.get("data") or {}
        label = "an alert" if kind == "alert.raised" else "a match"
        await self.say(
            name,
            f"receives {label} for [cyan]{data.get('need_title')}[/cyan]",
            self.why(data.get("reasons")),
        )

    async def buyer_sees_match(
        self, org: str, municipality: str, need_id: str, solution_id: str
    ) -> dict[str, Any]:
        entry = await self.wait_inbox(
            self.endpoints.needs,
            self.buyer_token(org, municipality),
            lambda e: (
                e["kind"] == "match"
                and e.get("solution_id") == solution_id
                and e.get("need_id") == need_id
            ),
        )
        await self.say(
            org,
            f"sees the match [cyan]{entry['solution_name']}[/cyan] (score {entry['score']:.2f})",
            self.why(entry["reasons"]),
        )
        return entry

    async def scaling_offers(self, case: Case, org: str) -> list[dict[str, Any]]:
        entries = await self.inbox(self.endpoints.needs, self.buyer_token(org, case.buyers[org]))
        return [
            e for e in entries if e["kind"] == "scaling" and e["solution_id"] == case.solution_id
        ]

    async def wait_until_told(self, case: Case, orgs: list[str], timeout: float = 90) -> datetime:
        """Every org holds a scaling opportunity for the case's solution; when the last one
        was stored (the needs service's own timestamp)."""
        told: dict[str, datetime] = {}
        deadline = time.monotonic() + timeout
        while len(told) < len(orgs) and time.monotonic() < deadline:
            waiting = [o for o in orgs if o not in told]
            found = await asyncio.gather(*(self.scaling_offers(case, o) for o in waiting))
            for org, offers in zip(waiting, found, strict=True):
                if offers:
                    told[org] = min(datetime.fromisoformat(e["created_at"]) for e in offers)
            if len(told) < len(orgs):
                await asyncio.sleep(0.1)
        if len(told) < len(orgs):
            missing = ", ".join(sorted(set(orgs) - set(told)))
            raise RuntimeError(f"no scaling opportunity reached: {missing}")
        return max(told.values())

    async def join(self, case: Case, org: str, own_need: str | None, solution_name: str) -> None:
        """A buyer told of the solution adopts it, for its own need when it has one."""
        municipality = case.buyers[org]
        offers = await self.scaling_offers(case, org)
        users = max((int(e.get("adoption_count") or 0) for e in offers), default=0)
        adoption: dict[str, Any] = {"solution_id": case.solution_id}
        if own_need:
            adoption["need_id"] = own_need
        if municipality and len(municipality) == 4:
            adoption["municipality_code"] = municipality
        await self.call(
            "POST",
            f"{self.endpoints.needs}/v1/adoptions",
            self.buyer_token(org, municipality),
            adoption,
            expect=201,
        )
        await self.say(
            org, f"is told {solution_name} is used by {organisations(users, 'en')}, and joins"
        )

    async def wait_adoption_count(self, solution_id: str, expected: int) -> int:
        token = self.token("observer", "admin")
        deadline = time.monotonic() + 60
        count = 0
        while time.monotonic() < deadline:
            solution = await self.call(
                "GET", f"{self.endpoints.suppliers}/v1/solutions/{solution_id}", token
            )
            count = int(solution["adoption_count"])
            if count >= expected:
                return count
            await asyncio.sleep(0.2)
        raise RuntimeError(f"adoption count stayed at {count}, expected {expected}")

    # -- the cases ----------------------------------------------------------------------

    def case(self, title: str, org: str, municipality: str) -> Case:
        case = Case(title, (org, municipality))
        self.cases.append(case)
        console.rule(title)
        return case

    async def contacts(self) -> None:
        """E-mail for a few of the story's organisations, when the notifications service
        runs (`make up` starts it against the local capture server): the VR supplier and
        the Hållbar handling supplier hear of alerts at once and of matches in the daily
        digest, Hammarö of the VR solution scaling to its need."""
        try:
            await self.http.get(f"{self.endpoints.notifications}/health")
        except httpx.HTTPError:
            console.print("[dim](no notifications service: the demo sends no e-mail)[/dim]")
            return
        hallbar = self.supplier("hallbarhandel")
        people = [
            (self.supplier("virotea"), "supplier", "Vera Virotea", "vera@virotea.example", "sv"),
            (hallbar, "supplier", "Hanna Holm", "hanna@hallbarhandel.example", "sv"),
            ("hammaro", "buyer", "Henrik Hammar", "henrik@hammaro.example", "en"),
        ]
        for org, role, name, address, language in people:
            answer = await self.http.post(
                f"{self.endpoints.notifications}/v1/contacts",
                json={"name": name, "email": address, "language": language},
                headers={"Authorization": f"Bearer {self.token(org, role)}"},  # type: ignore[arg-type]
            )
            # 409: a demo played before on this stack made Hammarö's contact already.
            if answer.status_code not in (201, 409):
                raise RuntimeError(f"adding a contact -> {answer.status_code}: {answer.text}")
            self.mail_contacts.append(address)
        await self.say(
            "e-mail", f"contacts of {len(people)} organisations get alerts and digests by e-mail"
        )

    async def vr_case(self) -> None:
        case = self.case("VR training for care staff (Karlstad, 2022)", "karlstad", "1780")
        case.solution_id = await self.publish_solution(
            case,
            "virotea",
            {
                "name": "ViroteaED – VR-träning för vård och omsorg",
                "description": "VR-utbildning där vårdpersonal och omsorgspersonal övar svåra "
                "situationer, bemötande vid demens, hot och våld och förflyttningar i virtuell "
                "verklighet. Kompetensutveckling för undersköterskor i hemtjänst och äldreomsorg.",
                "cpv_codes": ["80500000-9", "48190000-6"],
                "regions": ["SE"],
                "maturity": "pilot",
                "tags": ["gender-equality"],
                "languages": ["sv", "en"],
            },
        )
        await self.publish_solution(
            case,
            "skogsvard",
            {
                "name": "Snöröjning med eldrivna fordon",
                "description": "Snöröjning och halkbekämpning av gång- och cykelvägar med "
                "eldrivna fordon.",
                "cpv_codes": ["90620000-9"],
                "regions": ["17"],
                "maturity": "market-ready",
            },
        )
        await self.subscribe(
            case,
            "virotea",
            {"cpv_prefixes": ["805"], "phases": ["validation"]},
            "training services (CPV 805), when a need reaches validation",
        )
        need_id = await self.publish_need(
            case,
            "karlstad",
            "1780",
            {
                "title": "VR-utbildning för vårdpersonal",
                "problem": "Vårdpersonal och omsorgspersonal i hemtjänsten behöver öva svåra "
                "situationer, som bemötande av personer med demens, i en trygg miljö innan de "
                "möter verkligheten. Vi söker träning i virtuell verklighet (VR).",
                "cpv_codes": ["80500000-9"],
                "target_group": "vårdpersonal",
                "tags": ["gender-equality"],
            },
        )
        await self.buyer_sees_match("karlstad", "1780", need_id, case.solution_id)
        await self.supplier_notices(case, "virotea", "match.found")

        own_needs: dict[str, str] = {}
        with self.progress() as progress:
            task = progress.add_task("other buyers state the same need", total=len(SCALING_BUYERS))
            for i, (org, municipality, how) in enumerate(SCALING_BUYERS):
                if how == "own":
                    title, problem = OWN_NEED_TEXTS[i % len(OWN_NEED_TEXTS)]
                    body = {"title": title, "problem": problem, "cpv_codes": ["80500000-9"]}
                    own_needs[org] = await self.publish_need(
                        case, org, municipality, body, quiet=True
                    )
                else:
                    await self.cosign(case, org, municipality, quiet=True)
                progress.advance(task)
        cosigners = len(SCALING_BUYERS) - len(own_needs)
        await self.say(
            "marketplace",
            f"{plural(len(own_needs), 'buyer', 'buyers')} published similar needs, "
            f"{plural(cosigners, 'buyer', 'buyers')} co-signed Karlstad's",
        )

        await self.move(case, "validation", "suppliers invited to experience the users' reality")
        await self.supplier_notices(case, "virotea", "alert.raised")
        await self.move(case, "co-creation", "market dialogue and prototypes with care staff")
        await self.move(case, "procurement", "innovation procurement of the tested solution")
        implemented_at = await self.implement(case, "ViroteaED")

        console.rule("Scaling beyond the first customer")
        others = [org for org, _, _ in SCALING_BUYERS]
        last_told = await self.wait_until_told(case, others)
        self.cascade.buyers_told = len(others)
        self.cascade.implementation_to_last_opportunity_s = (
            last_told - implemented_at
        ).total_seconds()
        await self.say(
            "matching",
            f"told {plural(len(others), 'buyer', 'buyers')} with the same need, "
            f"{self.cascade.implementation_to_last_opportunity_s:.2f} s after the implementation",
        )
        joining = time.monotonic()
        for org in others:
            await self.join(case, org, own_needs.get(org), "ViroteaED")
        count = await self.wait_adoption_count(case.solution_id, 1 + len(others))
        self.cascade.joining_s = time.monotonic() - joining
        await self.move(case, "scaling", f"used by {organisations(count, 'en')}")
        await self.say(
            "suppliers",
            f"ViroteaED is used by [bold green]{organisations(count, 'en')}[/bold green]",
        )

    async def escort_case(self) -> None:
        case = self.case("Digital escort (Karlstad, 2024)", "karlstad", "1780")
        case.solution_id = await self.publish_solution(
            case,
            "ledsaga",
            {
                "name": "Digital ledsagning",
                "description": "Digital ledsagning med videosamtal och positionering ger personer "
                "med funktionsnedsättning stöd att röra sig själva i staden och resa på egen hand.",
                "cpv_codes": ["85311200-4"],
                "regions": ["SE"],
                "maturity": "pilot",
                "tags": ["accessibility"],
            },
        )
        await self.subscribe(
            case, "ledsaga", {"keywords": ["ledsagning"]}, "every need that mentions ledsagning"
        )
        need_id = await self.publish_need(
            case,
            "karlstad",
            "1780",
            {
                "title": "Digital ledsagning för personer med funktionsnedsättning",
                "problem": "Personer med funktionsnedsättning vill kunna röra sig fritt och resa "
                "på egen hand utan fysisk ledsagare; vi behöver digital ledsagning som "
                "komplement.",
                "cpv_codes": ["85311200-4"],
                "tags": ["accessibility"],
            },
        )
        await self.buyer_sees_match("karlstad", "1780", need_id, case.solution_id)
        await self.supplier_notices(case, "ledsaga", "alert.raised")
        await self.cosign(case, "kristinehamn", "1781")
        arvika_need = await self.publish_need(
            case,
            "arvika",
            "1784",
            {
                "title": "Ledsagning på distans",
                "problem": "Personer med funktionsnedsättning i Arvika behöver stöd för att "
                "resa själva; ledsagning på distans med digitala hjälpmedel kan ge mer "
                "självständighet.",
                "cpv_codes": ["85311200-4"],
            },
        )
        await self.move(case, "validation", "the users show how they travel today")
        await self.move(case, "co-creation", "a pilot with users and the supplier")
        await self.move(case, "procurement", "procurement after the pilot")
        await self.implement(case, "Digital ledsagning")
        await self.wait_until_told(case, ["kristinehamn", "arvika"])
        await self.join(case, "kristinehamn", None, "Digital ledsagning")
        await self.join(case, "arvika", arvika_need, "Digital ledsagning")
        count = await self.wait_adoption_count(case.solution_id, 3)
        await self.move(case, "scaling", f"scaling begun: used by {organisations(count, 'en')}")

    async def citizen_portal_case(self) -> None:
        case = self.case("Digital citizen portal (Hammarö, 2024)", "hammaro", "1761")
        case.solution_id = await self.publish_solution(
            case,
            "portalbolaget",
            {
                "name": "Medborgarportal för e-tjänster",
                "description": "En digital medborgarportal där invånare hittar kommunens "
                "e-tjänster, följer sina ärenden och får svar dygnet runt.",
                "cpv_codes": ["72413000-8", "72212224-5"],
                "regions": ["SE"],
                "maturity": "market-ready",
                "tags": ["digital-inclusion"],
            },
        )
        need_id = await self.publish_need(
            case,
            "hammaro",
            "1761",
            {
                "title": "Digital medborgarportal",
                "problem": "Invånarna hittar inte kommunens e-tjänster och kan inte följa sina "
                "ärenden; vi behöver en samlad digital portal.",
                "cpv_codes": ["72413000-8"],
            },
        )
        await self.buyer_sees_match("hammaro", "1761", need_id, case.solution_id)
        await self.move(case, "validation", "residents test how they look for e-services")
        await self.move(case, "co-creation", "the portal shaped with residents and staff")
        await self.move(case, "procurement", "procurement of the portal")
        await self.implement(case, "Medborgarportal för e-tjänster")

    async def sustainable_purchasing_case(self) -> None:
        case = self.case("Hållbar handling (Helsingborg, 2024-25)", "helsingborg", "1283")
        case.solution_id = await self.publish_solution(
            case,
            "hallbarhandel",
            {
                "name": "Hållbar handling – stöd för hållbara inköp",
                "description": "Ett verktyg för hållbara inköp som följer upp klimatpåverkan och "
                "sociala krav i kommunens avtal och beställningar.",
                "cpv_codes": ["72212000-4", "79400000-8"],
                "regions": ["SE"],
                "maturity": "pilot",
                "tags": ["sustainability"],
            },
        )
        await self.subscribe(
            case,
            "hallbarhandel",
            {"cpv_prefixes": ["794"], "phases": ["validation"]},
            "consultancy (CPV 794), when a need reaches validation",
        )
        await self.publish_solution(
            case,
            "klimatdata",
            {
                "name": "Klimatdata för inköpare",
                "description": "Beräknar klimatpåverkan per avtal och beställning ur "
                "kommunens inköpsdata och föreslår hållbarare val.",
                "cpv_codes": ["79400000-8"],
                "regions": ["SE"],
                "maturity": "prototype",
                "tags": ["sustainability"],
            },
        )
        await self.subscribe(
            case,
            "klimatdata",
            {"cpv_prefixes": ["794"], "phases": ["co-creation"]},
            "consultancy (CPV 794), when a need reaches co-creation",
        )
        need_id = await self.publish_need(
            case,
            "helsingborg",
            "1283",
            {
                "title": "Hållbar handling: hållbara inköp i hela kommunen",
                "problem": "Beställare saknar stöd för att göra hållbara inköp och följa upp "
                "klimatpåverkan och sociala krav i avtalen.",
                "cpv_codes": ["79400000-8"],
                "tags": ["sustainability"],
            },
        )
        await self.buyer_sees_match("helsingborg", "1283", need_id, case.solution_id)
        await self.move(case, "validation", "buyers across the city show how they order")
        await self.supplier_notices(case, "hallbarhandel", "alert.raised")
        await self.move(case, "co-creation", "the tool co-created with buyers and suppliers")
        await self.supplier_notices(case, "klimatdata", "alert.raised")
        await self.move(case, "procurement", "implementation planned for Q2 2025")

    async def practices(self) -> None:
        console.rule("Procurement practices: requirements that find the supplier meeting them")
        rows: list[tuple[Case, str, str]] = []
        for tag, org, municipality, need, supplier, solution in PRACTICES:
            case = Case(
                f"Practice: {need['title']} ({place(municipality, 'en')})", (org, municipality)
            )
            case.solution_id = await self.publish_solution(
                case, supplier, {**solution, "tags": [tag]}
            )
            rows.append((case, tag, supplier))
        for (case, tag, _supplier), (_, org, municipality, need, _, _) in zip(
            rows, PRACTICES, strict=True
        ):
            self.cases.append(case)
            need_id = await self.publish_need(case, org, municipality, {**need, "tags": [tag]})
            assert case.solution_id is not None
            await self.buyer_sees_match(org, municipality, need_id, case.solution_id)

    # -- the summary --------------------------------------------------------------------

    async def row(self, case: Case) -> tuple[str, str, str, str]:
        org, municipality = case.lead
        need = await self.call(
            "GET",
            f"{self.endpoints.needs}/v1/needs/{case.need_ids[0]}",
            self.buyer_token(org, municipality),
        )
        users = 0
        if case.solution_id:
            solution = await self.call(
                "GET",
                f"{self.endpoints.suppliers}/v1/solutions/{case.solution_id}",
                self.token("observer", "admin"),
            )
            users = int(solution["adoption_count"])
        buyer_inboxes = await asyncio.gather(
            *(
                self.whole_inbox(self.endpoints.needs, self.buyer_token(o, m))
                for o, m in case.buyers.items()
            )
        )
        supplier_inboxes = await asyncio.gather(
            *(
                self.whole_inbox(self.endpoints.suppliers, self.token(s, "supplier"))
                for s in case.suppliers
            )
        )
        needs = set(case.need_ids)
        buyer_entries = [e for inbox in buyer_inboxes for e in inbox]
        matches = {e["id"] for e in buyer_entries if e["kind"] == "match" and e["need_id"] in needs}
        opportunities = {
            e["id"]
            for e in buyer_entries
            if e["kind"] == "scaling" and e["solution_id"] == case.solution_id
        }
        alerts = {
            e["id"]
            for inbox in supplier_inboxes
            for e in inbox
            if e["kind"] == "alert.raised" and e.get("need_id") in needs
        }
        did = ", ".join(
            [
                plural(len(matches), "match", "matches"),
                plural(len(alerts), "alert", "alerts"),
                plural(len(opportunities), "scaling opportunity", "scaling opportunities"),
            ]
        )
        return (
            case.title,
            name_of(PHASE_NAMES, need["phase"], "en"),
            organisations(users, "en"),
            did,
        )

    async def summary(self) -> Table:
        table = Table(title="Summary")
        table.add_column("case")
        table.add_column("phase")
        table.add_column("using its solution", justify="right")
        table.add_column("what the marketplace did")
        for row in await asyncio.gather(*(self.row(c) for c in self.cases)):
            table.add_row(*row)
        c = self.cascade
        if c.implementation_to_last_opportunity_s is not None:
            table.add_section()
            table.add_row(
                "VR: implementation to the last scaling opportunity stored",
                "",
                plural(c.buyers_told, "buyer", "buyers"),
                f"{c.implementation_to_last_opportunity_s:.2f} s",
            )
        if c.joining_s is not None:
            table.add_row(
                f"VR: the buyers joining, {self.pace:g} s between steps",
                "",
                "",
                f"{c.joining_s:.1f} s",
            )
        table.add_row(
            "total", "", plural(self.needs_published, "need", "needs"),
            f"{time.monotonic() - self.started:.1f} s",
        )  # fmt: skip
        return table

    def progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )

    async def play(self) -> None:
        console.print(f"[bold]Marketplace demo[/bold] (run {self.run}, pace {self.pace:g} s)")
        try:
            await self.contacts()
            await self.vr_case()
            await self.escort_case()
            await self.citizen_portal_case()
            await self.sustainable_purchasing_case()
            await self.practices()
            console.print(await self.summary())
            await self.services()
        finally:
            await self.http.aclose()

    async def services(self) -> None:
        console.print("\nThe services keep running until [bold]make down[/bold]:")
        for name in ("needs", "suppliers", "matching", "notifications"):
            base = getattr(self.endpoints, name)
            console.print(f"  {name:<10} {base}   OpenAPI {base}/docs   AsyncAPI {base}/asyncapi")
        console.print(
            f"  {'open data':<10} {self.endpoints.needs}/v1/ocds/releases   "
            "every published need as OCDS releases, no token"
        )
        portal = os.environ.get("MARKETPLACE_PORTAL_URL") or (
            f"http://127.0.0.1:{os.environ.get('PORTAL_PORT', '8000')}"
        )
        try:
            await self.http.get(f"{portal}/health")
            console.print(
                f"  {'portal':<10} {portal}/signin   sign in as organisation "
                "[bold]karlstad[/bold], role buyer, municipality 1780"
            )
        except httpx.HTTPError:
            pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m marketplace_tools.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=float(os.environ.get("MARKETPLACE_DEMO_PACE", DEFAULT_PACE)),
        help=f"seconds between steps, for reading; 0 for as fast as possible ({DEFAULT_PACE})",
    )
    args = parser.parse_args(argv)
    if args.pace < 0:
        parser.error("--pace must be 0 or more seconds")
    try:
        asyncio.run(Demo(Endpoints.from_env(), args.pace).play())
    except (httpx.ConnectError, RuntimeError, TimeoutError) as exc:
        console.print(f"[red]demo failed:[/red] {exc}")
        sys.exit(1)


if __name__ == "__main__":
    main()
