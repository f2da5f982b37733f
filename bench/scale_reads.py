"""What the scale benchmark calls: every read of the marketplace, the portal's pages built
on them, and three writes.

Each `Read` makes its next call (method, URL, development token or the portal's session
cookie, params or body) from the seeded samples (`Callers`: ids, orgs and filters drawn
from the seeded data, organisations in proportion to how much they hold). The writes
(publishing a seeded draft, moving a published need one phase on, recording an adoption)
use each seeded need or pair once and say what they changed, for the benchmark to put
back. `reads()` is the catalogue, in the order it is measured and reported
(`bench.bench_scale`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

CALL_TIMEOUT_S = 30.0


# --- what is called --------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    token: str
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None
    cookie: str | None = None  # a portal page: the signed-in session instead of a token

    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie} if self.cookie else _auth(self.token)


class Callers:
    """Tokens, ids, orgs and filters for the calls, drawn from the seeded samples."""

    def __init__(
        self,
        samples: dict[str, Any],
        needs_url: str,
        suppliers_url: str,
        portal_url: str | None = None,
    ) -> None:
        self.samples = samples
        self.needs = needs_url
        self.suppliers = suppliers_url
        self.portal = portal_url
        self.rng = random.Random(7)
        self._tokens: dict[tuple[str, str, str | None], str] = {}
        self._sessions: dict[tuple[str, str, str | None], str] = {}
        self.used: dict[str, list[str]] = {}  # what each write changed (need ids, pairs)

    def token(self, org: str, role: str, home: str | None = None) -> str:
        from marketplace_platform.auth import mint_token
        from marketplace_platform.settings import DEV_JWT_SECRET

        key = (org, role, home)
        if key not in self._tokens:
            self._tokens[key] = mint_token(
                DEV_JWT_SECRET, org=org, role=role, municipality_code=home
            )
        return self._tokens[key]

    async def session(
        self, client: httpx.AsyncClient, org: str, role: str, home: str | None = None
    ) -> str:
        """The portal's session cookie of a person signed in (the development sign-in, as
        in the demo), one per organisation and role, made outside the timing."""
        key = (org, role, home)
        if key not in self._sessions:
            # A client of its own: the shared one would send the last session's cookie.
            async with httpx.AsyncClient(base_url=self.portal or "", timeout=CALL_TIMEOUT_S) as own:
                page = await own.get("/signin")
                page.raise_for_status()
                found = re.search(r'name="csrf" value="([^"]+)"', page.text)
                if found is None:
                    raise RuntimeError("the portal's sign-in page holds no CSRF token")
                form = {
                    "org": org,
                    "role": role,
                    "municipality_code": home or "",
                    "csrf": found[1],
                }
                signed = await own.post("/signin", data=form)
                session = own.cookies.get("portal_session")
                if signed.status_code >= 400 or session is None:
                    raise RuntimeError(f"portal sign-in refused: {signed.status_code}")
            self._sessions[key] = f"portal_session={session}"
        return self._sessions[key]

    def pick(self, kind: str) -> Any:
        return self.rng.choice(self.samples[kind])

    def weighted_org(self, counts_kind: str) -> str:
        """An organisation in proportion to what it holds (a busy one reads more)."""
        counts: dict[str, int] = self.samples[counts_kind]
        return self.rng.choices(list(counts), list(counts.values()))[0]

    def buyer(self) -> str:
        who = self.pick("buyers")
        return self.token(who["org"], "buyer", who["home"])

    def supplier(self, org: str | None = None) -> str:
        return self.token(org or self.pick("solution_suppliers"), "supplier")

    def once(self, write: str, kind: str, i: int) -> dict[str, Any] | None:
        """The i-th seeded need of a kind, for a write that may change each need once."""
        values = self.samples.get(kind) or []
        if i >= len(values):
            return None
        self.used.setdefault(write, []).append(values[i]["id"])
        return dict(values[i])


MakeCall = Callable[[Callers, int, httpx.AsyncClient], Awaitable[Call | None]]


@dataclass(frozen=True)
class Read:
    name: str
    what: str
    make: MakeCall


def _get(
    base: Callable[[Callers], str], path: str | Callable[[Callers], str], **fixed: Any
) -> MakeCall:
    """A GET whose path and params (and `_token`, the caller) may draw from the samples."""

    async def make(c: Callers, i: int, client: httpx.AsyncClient) -> Call:
        params = {k: (v(c) if callable(v) else v) for k, v in fixed.items()}
        token = params.pop("_token")
        url = base(c) + (path(c) if callable(path) else path)
        return Call("GET", url, token, params or None)

    return make


def needs_url(c: Callers) -> str:
    return c.needs


def suppliers_url(c: Callers) -> str:
    return c.suppliers


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _second_page(c: Callers, i: int, client: httpx.AsyncClient) -> Call | None:
    """Page two of a list (unfiltered, by phase or by county): page one is asked first,
    untimed, for its cursor."""
    token = c.buyer()
    narrowed = [{"phase": c.pick("phase")}, {"region": c.pick("region")[:2]}][i % 2]
    for filters in (narrowed, {}):  # unfiltered when the narrowed list has one page only
        first = await client.get(
            f"{c.needs}/v1/needs", params=filters, headers=_auth(token), timeout=CALL_TIMEOUT_S
        )
        cursor = first.json().get("next") if first.status_code == 200 else None
        if cursor:
            return Call("GET", f"{c.needs}/v1/needs", token, {**filters, "cursor": cursor})
    return None


async def _publish(c: Callers, i: int, client: httpx.AsyncClient) -> Call | None:
    need = c.once("needs.publish", "drafts", i)
    if need is None:
        return None
    token = c.token(need["org"], "buyer", need["home"])
    return Call("POST", f"{c.needs}/v1/needs/{need['id']}/publish", token)


async def _move(c: Callers, i: int, client: httpx.AsyncClient) -> Call | None:
    need = c.once("needs.phase", "movable", i)
    if need is None:
        return None
    token = c.token(need["org"], "buyer", need["home"])
    body = {"phase": need["to"], "reason": None}
    return Call("POST", f"{c.needs}/v1/needs/{need['id']}/phase", token, body=body)


def _need_id(c: Callers) -> str:
    return f"/v1/needs/{c.pick('published')['id']}"


async def _matches(c: Callers, i: int, client: httpx.AsyncClient) -> Call:
    need = c.pick("with_matches")  # read by its owner: the owner and co-signers may
    token = c.token(need["org"], "buyer", need["home"])
    return Call("GET", f"{c.needs}/v1/needs/{need['id']}/matches", token)


def _inbox(base: Callable[[Callers], str], side: str, unread: bool) -> MakeCall:
    async def make(c: Callers, i: int, client: httpx.AsyncClient) -> Call:
        org = c.weighted_org(f"{side}_entries")
        token = c.token(org, side) if side == "supplier" else c.token(org, "buyer", None)
        return Call("GET", base(c) + "/v1/inbox", token, {"unread": "true"} if unread else None)

    return make


async def _subscriptions(c: Callers, i: int, client: httpx.AsyncClient) -> Call:
    org = c.weighted_org("subscribers")
    return Call("GET", f"{c.suppliers}/v1/subscriptions", c.supplier(org))


async def _adopt(c: Callers, i: int, client: httpx.AsyncClient) -> Call | None:
    """A buyer joins a published solution: each pair of `adoptable` (checked absent before
    the run) once; the benchmark deletes the adoptions and puts the solutions back after."""
    pairs = c.samples.get("adoptable") or []
    if i >= len(pairs):
        return None
    pair = pairs[i]
    c.used.setdefault("adoptions.record", []).append(f"{pair['org']}|{pair['solution']}")
    token = c.token(pair["org"], "buyer", pair["home"])
    body = {"solution_id": pair["solution"], "need_id": None, "municipality_code": None}
    return Call("POST", f"{c.needs}/v1/adoptions", token, body=body)


Visitor = Callable[[Callers, httpx.AsyncClient], Awaitable[str]]


async def as_buyer(c: Callers, client: httpx.AsyncClient) -> str:
    who = c.pick("buyers")
    return await c.session(client, who["org"], "buyer", who["home"])


async def as_busy_buyer(c: Callers, client: httpx.AsyncClient) -> str:
    """A buyer in proportion to its inbox (a busy one reads more), as the inbox API's read."""
    return await c.session(client, c.weighted_org("buyer_entries"), "buyer")


async def as_supplier(c: Callers, client: httpx.AsyncClient) -> str:
    return await c.session(client, c.pick("solution_suppliers"), "supplier")


def _page(path: Callable[[Callers], str], visitor: Visitor, **params: Any) -> MakeCall:
    """A portal page as the visitor sees it, signed in (outside the timing)."""

    async def make(c: Callers, i: int, client: httpx.AsyncClient) -> Call | None:
        if c.portal is None:
            return None
        cookie = await visitor(c, client)
        query = {k: (v(c) if callable(v) else v) for k, v in params.items()}
        return Call("GET", c.portal + path(c), "", query or None, cookie=cookie)

    return make


def portal_pages() -> list[Read]:
    return [
        Read("portal.needs", "portal /needs", _page(lambda c: "/needs", as_buyer)),
        Read(
            "portal.needs.q",
            "portal /needs?q=<a title word>",
            _page(lambda c: "/needs", as_buyer, q=lambda c: c.pick("need_words")),
        ),
        Read(
            "portal.need",
            "portal /needs/{id}",
            _page(lambda c: f"/needs/{c.pick('published')['id']}", as_buyer),
        ),
        Read("portal.needs.mine", "portal /needs/mine", _page(lambda c: "/needs/mine", as_buyer)),
        Read("portal.inbox", "portal /inbox (buyer)", _page(lambda c: "/inbox", as_busy_buyer)),
        Read("portal.solutions", "portal /solutions", _page(lambda c: "/solutions", as_supplier)),
        Read(
            "portal.solution",
            "portal /solutions/{id}",
            _page(lambda c: f"/solutions/{c.pick('solutions')}", as_supplier),
        ),
        Read(
            "portal.subscriptions",
            "portal /supplier/subscriptions",
            _page(lambda c: "/supplier/subscriptions", as_supplier),
        ),
    ]


def reads() -> list[Read]:
    buyer, supplier = Callers.buyer, Callers.supplier
    return [
        Read("needs.list", "GET /v1/needs", _get(needs_url, "/v1/needs", _token=buyer)),
        Read(
            "needs.list.cpv",
            "GET /v1/needs?cpv=<2-5 digits>",
            _get(needs_url, "/v1/needs", _token=buyer, cpv=lambda c: c.pick("cpv")),
        ),
        Read(
            "needs.list.region",
            "GET /v1/needs?region=<county or municipality>",
            _get(needs_url, "/v1/needs", _token=buyer, region=lambda c: c.pick("region")),
        ),
        Read(
            "needs.list.phase",
            "GET /v1/needs?phase=<phase>",
            _get(needs_url, "/v1/needs", _token=buyer, phase=lambda c: c.pick("phase")),
        ),
        Read(
            "needs.list.q",
            "GET /v1/needs?q=<a title word>",
            _get(needs_url, "/v1/needs", _token=buyer, q=lambda c: c.pick("need_words")),
        ),
        Read("needs.list.page2", "GET /v1/needs?cursor=<page 1's next>", _second_page),
        Read("needs.mine", "GET /v1/needs/mine", _get(needs_url, "/v1/needs/mine", _token=buyer)),
        Read("needs.get", "GET /v1/needs/{id}", _get(needs_url, _need_id, _token=buyer)),
        Read("needs.matches", "GET /v1/needs/{id}/matches (owner)", _matches),
        Read("buyer.inbox", "GET /v1/inbox (buyer)", _inbox(needs_url, "buyer", False)),
        Read(
            "buyer.inbox.unread",
            "GET /v1/inbox?unread=true (buyer)",
            _inbox(needs_url, "buyer", True),
        ),
        Read(
            "supplier.inbox", "GET /v1/inbox (supplier)", _inbox(suppliers_url, "supplier", False)
        ),
        Read(
            "supplier.inbox.unread",
            "GET /v1/inbox?unread=true (supplier)",
            _inbox(suppliers_url, "supplier", True),
        ),
        Read(
            "solutions.list",
            "GET /v1/solutions",
            _get(suppliers_url, "/v1/solutions", _token=supplier),
        ),
        Read(
            "solutions.list.cpv",
            "GET /v1/solutions?cpv=<2-4 digits>",
            _get(
                suppliers_url,
                "/v1/solutions",
                _token=supplier,
                cpv=lambda c: c.pick("solution_cpv"),
            ),
        ),
        Read(
            "solutions.list.region",
            "GET /v1/solutions?region=<served region>",
            _get(
                suppliers_url,
                "/v1/solutions",
                _token=supplier,
                region=lambda c: c.pick("solution_region"),
            ),
        ),
        Read(
            "solutions.list.supplier",
            "GET /v1/solutions?supplier=<org>",
            _get(
                suppliers_url,
                "/v1/solutions",
                _token=supplier,
                supplier=lambda c: c.pick("solution_suppliers"),
            ),
        ),
        Read(
            "solutions.list.q",
            "GET /v1/solutions?q=<a description word>",
            _get(
                suppliers_url,
                "/v1/solutions",
                _token=supplier,
                q=lambda c: c.pick("solution_words"),
            ),
        ),
        Read(
            "solutions.get",
            "GET /v1/solutions/{id}",
            _get(
                suppliers_url,
                lambda c: f"/v1/solutions/{c.pick('solutions')}",
                _token=supplier,
            ),
        ),
        Read("subscriptions.list", "GET /v1/subscriptions", _subscriptions),
        *portal_pages(),
        Read("needs.publish", "POST /v1/needs/{draft}/publish", _publish),
        Read("needs.phase", "POST /v1/needs/{id}/phase (one phase on)", _move),
        Read("adoptions.record", "POST /v1/adoptions (a buyer joins a solution)", _adopt),
    ]
