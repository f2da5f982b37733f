"""`make demo`: the seed scenario, played through the public HTTP APIs only.

Karlstad's VR training for care staff goes from a hypothesis to an implementation and then
scales to 26 more public buyers, as in the source document; Karlstad's digital escort,
Hammarö's citizen portal, Helsingborg's sustainable purchasing and a need asking for a
social enterprise and gender-equal delivery follow. `MARKETPLACE_DEMO=short` plays a shorter
form (used by CI and the end-to-end test).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from marketplace_contracts.wording import organisations
from marketplace_platform.settings import ServiceSettings
from marketplace_platform.tokens import Role, mint_token

# A wide console even without a terminal (make demo in CI), so timeline lines stay whole.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)

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
SHORT_BUYERS = 5

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


@dataclass
class Endpoints:
    needs: str
    suppliers: str
    matching: str

    @classmethod
    def from_env(cls) -> Endpoints:
        def url(name: str, default_port: int) -> str:
            explicit = os.environ.get(f"MARKETPLACE_{name.upper()}_URL")
            port = os.environ.get(f"{name.upper()}_PORT", str(default_port))
            return explicit or f"http://127.0.0.1:{port}"

        return cls(url("needs", 8001), url("suppliers", 8002), url("matching", 8003))


@dataclass
class Tally:
    started: float = field(default_factory=time.monotonic)
    needs: int = 0
    adoptions: int = 0
    seen: Counter[str] = field(default_factory=Counter)
    implemented_at: float | None = None
    last_notification_at: float | None = None


class Demo:
    def __init__(self, endpoints: Endpoints, short: bool) -> None:
        self.endpoints = endpoints
        self.short = short
        self.run = uuid.uuid4().hex[:6]
        self.secret = ServiceSettings().jwt_secret.get_secret_value()
        self.http = httpx.AsyncClient(timeout=30)
        self.tally = Tally()
        self.seen_entries: set[str] = set()

    # -- plumbing -----------------------------------------------------------------------

    def token(self, org: str, role: Role, municipality: str | None = None) -> str:
        return mint_token(self.secret, org=org, role=role, municipality_code=municipality)

    async def call(
        self, method: str, url: str, token: str, json: Any = None, expect: int = 200
    ) -> Any:
        response = await self.http.request(
            method, url, json=json, headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code != expect:
            raise RuntimeError(f"{method} {url} -> {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def say(self, who: str, what: str, why: str = "") -> None:
        at = time.monotonic() - self.tally.started
        line = f"[dim]{at:6.1f}s[/dim]  [bold]{who:<20}[/bold] {what}"
        if why:
            line += f"\n{'':29}[dim]{why}[/dim]"
        console.print(line)

    async def inbox(self, base: str, token: str) -> list[dict[str, Any]]:
        body = await self.call("GET", f"{base}/v1/inbox", token)
        return list(body["items"])

    async def wait_inbox(
        self, base: str, token: str, predicate: Any, timeout: float = 60
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in await self.inbox(base, token):
                if predicate(entry):
                    return entry
            await asyncio.sleep(0.3)
        raise TimeoutError("the expected inbox entry did not arrive in time")

    def note(self, entry: dict[str, Any], kind: str) -> bool:
        key = f"{kind}/{entry['id']}"  # a match has one id in both the buyer's and
        if key in self.seen_entries:  # the supplier's inbox
            return False
        self.seen_entries.add(key)
        self.tally.seen[kind] += 1
        self.tally.last_notification_at = time.monotonic()
        return True

    @staticmethod
    def why(entry: dict[str, Any]) -> str:
        reasons = sorted(entry.get("reasons") or [], key=lambda r: -r["score"])
        return "; ".join(r["detail"] for r in reasons[:3])

    # -- actors -------------------------------------------------------------------------

    async def publish_solution(self, supplier: str, body: dict[str, Any]) -> dict[str, Any]:
        token = self.token(f"{supplier}-{self.run}", "supplier")
        solution = await self.call(
            "POST", f"{self.endpoints.suppliers}/v1/solutions", token, body, expect=201
        )
        self.say(
            supplier,
            f"publishes solution [cyan]{body['name']}[/cyan]",
            f"maturity {body['maturity']}, regions {', '.join(body['regions'])}",
        )
        return dict(solution)

    async def subscribe(self, supplier: str, body: dict[str, Any]) -> None:
        token = self.token(f"{supplier}-{self.run}", "supplier")
        await self.call(
            "POST", f"{self.endpoints.suppliers}/v1/subscriptions", token, body, expect=201
        )
        self.say(supplier, "subscribes to needs", ", ".join(f"{k}={v}" for k, v in body.items()))

    async def draft_and_publish(
        self, org: str, municipality: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        token = self.token(org, "buyer", municipality)
        need = await self.call(
            "POST",
            f"{self.endpoints.needs}/v1/needs",
            token,
            {**body, "municipality_code": municipality},
            expect=201,
        )
        await self.call("POST", f"{self.endpoints.needs}/v1/needs/{need['id']}/publish", token)
        self.tally.needs += 1
        self.say(org, f"publishes the need [cyan]{body['title']}[/cyan] as a hypothesis")
        return dict(need)

    async def move(self, org: str, municipality: str, need_id: str, phase: str, why: str) -> None:
        token = self.token(org, "buyer", municipality)
        await self.call(
            "POST",
            f"{self.endpoints.needs}/v1/needs/{need_id}/phase",
            token,
            {"phase": phase, "reason": why},
        )
        self.say(org, f"moves the need to [magenta]{phase}[/magenta]", why)

    async def supplier_notices(self, supplier: str, kind: str, need_id: str) -> None:
        token = self.token(f"{supplier}-{self.run}", "supplier")
        entry = await self.wait_inbox(
            self.endpoints.suppliers,
            token,
            lambda e: e["kind"] == kind and e.get("need_id") == need_id,
        )
        if self.note(entry, kind):
            label = "an alert" if kind == "alert.raised" else "a match"
            data = entry.get("data") or {}
            self.say(
                supplier,
                f"receives {label} for [cyan]{data.get('need_title')}[/cyan]",
                self.why(data),
            )

    async def buyer_sees_match(
        self, org: str, municipality: str, need_id: str, solution_id: str
    ) -> None:
        token = self.token(org, "buyer", municipality)
        entry = await self.wait_inbox(
            self.endpoints.needs,
            token,
            lambda e: (
                e["kind"] == "match"
                and e.get("solution_id") == solution_id
                and e.get("need_id") == need_id
            ),
        )
        if self.note(entry, "match"):
            self.say(
                org,
                f"sees the match [cyan]{entry['solution_name']}[/cyan] "
                f"(score {entry['score']:.2f})",
                self.why(entry),
            )

    # -- the scenario -------------------------------------------------------------------

    async def vr_case(self) -> None:  # noqa: PLR0915 - the scenario reads top to bottom
        console.rule("Karlstad: VR training for care staff (2022)")
        vr = await self.publish_solution(
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
        await self.subscribe("virotea", {"cpv_prefixes": ["805"], "phases": ["validation"]})

        need = await self.draft_and_publish(
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
        await self.buyer_sees_match("karlstad", "1780", need["id"], vr["id"])
        await self.supplier_notices("virotea", "match.found", need["id"])

        buyers = SCALING_BUYERS[:SHORT_BUYERS] if self.short else SCALING_BUYERS
        own_needs: dict[str, str] = {}
        with self.progress() as progress:
            task = progress.add_task("other buyers state the same need", total=len(buyers))
            for i, (org, municipality, how) in enumerate(buyers):
                token = self.token(org, "buyer", municipality)
                if how == "own" or len(municipality) != 4:
                    title, problem = OWN_NEED_TEXTS[i % len(OWN_NEED_TEXTS)]
                    code = municipality if len(municipality) == 4 else "1780"
                    body = {
                        "title": title,
                        "problem": problem,
                        "cpv_codes": ["80500000-9"],
                        "municipality_code": code,
                    }
                    created = await self.call(
                        "POST", f"{self.endpoints.needs}/v1/needs", token, body, expect=201
                    )
                    await self.call(
                        "POST", f"{self.endpoints.needs}/v1/needs/{created['id']}/publish", token
                    )
                    own_needs[org] = created["id"]
                    self.tally.needs += 1
                else:
                    await self.call(
                        "POST",
                        f"{self.endpoints.needs}/v1/needs/{need['id']}/cosign",
                        token,
                        {"municipality_code": municipality},
                    )
                progress.advance(task)
        cosigners = sum(1 for _, _, how in buyers if how == "cosign")
        self.say(
            "marketplace",
            f"{len(own_needs)} buyers published similar needs, {cosigners} co-signed Karlstad's",
        )

        await self.move(
            "karlstad",
            "1780",
            need["id"],
            "validation",
            "suppliers invited to experience the users' reality",
        )
        await self.supplier_notices("virotea", "alert.raised", need["id"])
        await self.move(
            "karlstad",
            "1780",
            need["id"],
            "co-creation",
            "market dialogue and prototypes with care staff",
        )
        await self.move("karlstad", "1780", need["id"], "procurement", "innovation procurement")
        token = self.token("karlstad", "buyer", "1780")
        await self.call(
            "POST",
            f"{self.endpoints.needs}/v1/needs/{need['id']}/implementation",
            token,
            {"solution_id": vr["id"]},
            expect=201,
        )
        self.tally.adoptions += 1
        self.tally.implemented_at = time.monotonic()
        self.say("karlstad", "implements [cyan]ViroteaED[/cyan]: the first customer")

        console.rule("Scaling beyond the first customer")
        waiting = {org: (municipality, own_needs.get(org)) for org, municipality, _ in buyers}
        with self.progress() as progress:
            task = progress.add_task("scaling opportunities -> adoptions", total=len(waiting))
            deadline = time.monotonic() + (90 if self.short else 300)
            while waiting and time.monotonic() < deadline:
                for org, (municipality, own_need) in list(waiting.items()):
                    token = self.token(
                        org, "buyer", municipality if len(municipality) == 4 else None
                    )
                    offers = [
                        e
                        for e in await self.inbox(self.endpoints.needs, token)
                        if e["kind"] == "scaling" and e.get("solution_id") == vr["id"]
                    ]
                    if not offers:
                        continue
                    best = max(offers, key=lambda e: e.get("adoption_count") or 0)
                    for offer in offers:
                        self.note(offer, "scaling")
                    progress.console.print(
                        f"[dim]{time.monotonic() - self.tally.started:6.1f}s[/dim]  "
                        f"[bold]{org:<20}[/bold] is told ViroteaED is used by "
                        f"{organisations(int(best.get('adoption_count') or 0), 'en')}, and joins"
                    )
                    adoption: dict[str, Any] = {"solution_id": vr["id"]}
                    if own_need:
                        adoption["need_id"] = own_need
                    if len(municipality) == 4:
                        adoption["municipality_code"] = municipality
                    await self.call(
                        "POST", f"{self.endpoints.needs}/v1/adoptions", token, adoption, expect=201
                    )
                    self.tally.adoptions += 1
                    del waiting[org]
                    progress.advance(task)
                await asyncio.sleep(0.3)
        if waiting:
            raise RuntimeError(f"no scaling opportunity reached: {', '.join(sorted(waiting))}")
        count = await self.wait_adoption_count(vr["id"], 1 + len(buyers))
        self.say(
            "suppliers",
            f"ViroteaED is used by [bold green]{count}[/bold green] organisation"
            + ("" if count == 1 else "s"),
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
            await asyncio.sleep(0.3)
        raise RuntimeError(f"adoption count stayed at {count}, expected {expected}")

    async def further_cases(self) -> None:
        console.rule("Further cases")
        escort = await self.publish_solution(
            "ledsaga",
            {
                "name": "Digital ledsagning",
                "description": "Digital ledsagning med videosamtal och positionering ger personer "
                "med funktionsnedsättning stöd att röra sig själva i staden.",
                "cpv_codes": ["85311200-4"],
                "regions": ["17"],
                "maturity": "pilot",
            },
        )
        await self.subscribe("ledsaga", {"keywords": ["ledsagning"]})
        need = await self.draft_and_publish(
            "karlstad",
            "1780",
            {
                "title": "Digital ledsagning för personer med funktionsnedsättning",
                "problem": "Personer med funktionsnedsättning vill kunna röra sig fritt utan "
                "fysisk ledsagare; vi behöver digital ledsagning som komplement.",
                "cpv_codes": ["85311200-4"],
            },
        )
        await self.buyer_sees_match("karlstad", "1780", need["id"], escort["id"])
        await self.supplier_notices("ledsaga", "alert.raised", need["id"])

        portal = await self.publish_solution(
            "portalbolaget",
            {
                "name": "Medborgarportal för e-tjänster",
                "description": "En digital medborgarportal där invånare hittar kommunens "
                "e-tjänster, följer sina ärenden och får svar dygnet runt.",
                "cpv_codes": ["72413000-8", "72212224-5"],
                "regions": ["SE"],
                "maturity": "market-ready",
            },
        )
        need = await self.draft_and_publish(
            "hammaro",
            "1761",
            {
                "title": "Digital medborgarportal",
                "problem": "Invånarna hittar inte kommunens e-tjänster och kan inte följa sina "
                "ärenden; vi behöver en samlad digital portal.",
                "cpv_codes": ["72413000-8"],
            },
        )
        await self.buyer_sees_match("hammaro", "1761", need["id"], portal["id"])

        purchasing = await self.publish_solution(
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
        need = await self.draft_and_publish(
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
        await self.buyer_sees_match("helsingborg", "1283", need["id"], purchasing["id"])

        cleaning = await self.publish_solution(
            "stadkooperativet",
            {
                "name": "Städtjänster med arbetsintegrerande socialt företag",
                "description": "Lokalvård och städtjänster utförda av ett arbetsintegrerande "
                "socialt företag med jämställd bemanning och uppföljning på plats av "
                "arbetsvillkor och skyddsutrustning.",
                "cpv_codes": ["90910000-9"],
                "regions": ["17"],
                "maturity": "market-ready",
                "tags": ["social-enterprise", "gender-equality", "on-site-follow-up"],
            },
        )
        need = await self.draft_and_publish(
            "kil",
            "1715",
            {
                "title": "Städtjänster i samverkan med sociala företag",
                "problem": "Vi vill upphandla städtjänster i samverkan med arbetsintegrerande "
                "sociala företag, med jämställd leverans i en mansdominerad bransch och "
                "uppföljning på plats av fordon, löner och arbetsvillkor.",
                "cpv_codes": ["90910000-9"],
                "tags": ["social-enterprise", "gender-equality", "on-site-follow-up"],
            },
        )
        await self.buyer_sees_match("kil", "1715", need["id"], cleaning["id"])

    def progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )

    async def count_inboxes(self) -> Counter[str]:
        return self.tally.seen

    def summary(self) -> Table:
        t = self.tally
        table = Table(title="Summary")
        table.add_column("what")
        table.add_column("count", justify="right")
        table.add_row("needs published", str(t.needs))
        table.add_row("matches seen by buyers", str(t.seen["match"]))
        table.add_row("matches seen by suppliers", str(t.seen["match.found"]))
        table.add_row("alerts to suppliers", str(t.seen["alert.raised"]))
        table.add_row("scaling opportunities", str(t.seen["scaling"]))
        table.add_row("adoptions (implementation included)", str(t.adoptions))
        if t.implemented_at and t.last_notification_at:
            span = max(0.0, t.last_notification_at - t.implemented_at)
            table.add_row("implementation to last notification", f"{span:.1f} s")
        table.add_row("total time", f"{time.monotonic() - t.started:.1f} s")
        return table

    async def play(self) -> None:
        console.print(
            f"[bold]Marketplace demo[/bold] (run {self.run}, "
            f"{'short' if self.short else 'full'} form)"
        )
        await self.vr_case()
        await self.further_cases()
        console.print(self.summary())
        console.print("\nThe services keep running until [bold]make down[/bold]:")
        for name in ("needs", "suppliers", "matching"):
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
        await self.http.aclose()


def main() -> None:
    short = os.environ.get("MARKETPLACE_DEMO", "").lower() == "short"
    try:
        asyncio.run(Demo(Endpoints.from_env(), short).play())
    except (httpx.ConnectError, RuntimeError, TimeoutError) as exc:
        console.print(f"[red]demo failed:[/red] {exc}")
        sys.exit(1)


if __name__ == "__main__":
    main()
