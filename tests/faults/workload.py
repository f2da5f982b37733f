"""A steady, deterministic stream for the fault suite, and what it must produce.

Every solution belongs to a *pair* ``p``; every need ``j`` belongs to pair ``j % solutions``.
A pair has words of its own (made-up words nobody else uses) and a group-level CPV code;
solutions serve a region that covers no buyer (region score 0) and share no practice tag
with the needs, so a need and a solution of different pairs score at most
0.3 * 0.6 (same CPV group) + 0.15 * 0.56 (fit) = 0.264, below the 0.3 threshold, while the
need and the solution of the same pair also share their words. Each supplier subscribes to
its pair's CPV group and one of its words. Hence, deterministically:

* buyer inbox (needs DB): one ``match`` per published need and published solution of its pair;
* supplier inbox (suppliers DB): one ``match.found`` per such pair, and one ``alert.raised``
  per subscription and published need of its pair.

"Expected" is computed from what the databases hold as committed (published needs,
published solutions, subscriptions), so a command retried after a crash, which may have
been applied twice, is counted as what it is; nothing is assumed about timing.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from marketplace_contracts.reference.cpv import all_codes, significant_prefix
from marketplace_platform.auth import Role, mint_token
from marketplace_platform.settings import DEV_JWT_SECRET

FULL = os.environ.get("MARKETPLACE_FAULTS", "").lower() == "full"
NEEDS = 2000 if FULL else 40
SOLUTIONS = 500 if FULL else 12

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiouy"
_SYLLABLES = [c + v for c in _CONSONANTS for v in _VOWELS]  # 84
GROUP_CODES = sorted(c.code for c in all_codes() if len(significant_prefix(c.code)) == 3)
# The buyers' municipality (Karlstad, county 17); solutions serve Gotland (county 09) only.
BUYER_MUNICIPALITY = "1780"
SOLUTION_REGION = "09"


def word(pair: int, k: int) -> str:
    """A made-up word of fixed length, distinct for each (pair, k): no stem, no compound
    part and no substring of one pair's words is a word of another pair."""
    n = pair * 3 + k
    a, rest = n % 84, n // 84
    b, c = rest % 84, rest // 84
    return "q" + _SYLLABLES[a] + _SYLLABLES[b] + _SYLLABLES[c % 84] + "x"


def words(pair: int) -> tuple[str, str, str]:
    return word(pair, 0), word(pair, 1), word(pair, 2)


def pair_code(pair: int) -> str:
    return GROUP_CODES[pair % len(GROUP_CODES)]


def pair_of_text(text: str) -> int | None:
    for token in text.split():
        if len(token) == 8 and token.startswith("q") and token.endswith("x"):
            a = _SYLLABLES.index(token[1:3])
            b = _SYLLABLES.index(token[3:5])
            c = _SYLLABLES.index(token[5:7])
            return (a + 84 * b + 84 * 84 * c) // 3
    return None


def supplier_org(pair: int) -> str:
    return f"sup-{pair:04d}"


def buyer_org(need: int) -> str:
    return f"buyer-{need % 7}"


def auth(org: str, role: Role) -> dict[str, str]:
    token = mint_token(DEV_JWT_SECRET, org=org, role=role, municipality_code=BUYER_MUNICIPALITY)
    return {"Authorization": f"Bearer {token}"}


def need_body(j: int, solutions: int) -> dict[str, Any]:
    w0, w1, w2 = words(j % solutions)
    return {
        "title": f"{w0} {w1}",
        "problem": f"{w0} {w1} {w2}. {w2} {w0}.",
        "cpv_codes": [pair_code(j % solutions)],
        "municipality_code": BUYER_MUNICIPALITY,
        "tags": ["gender-equality"],
    }


def solution_body(p: int) -> dict[str, Any]:
    w0, w1, w2 = words(p)
    return {
        "name": f"{w0} {w1}",
        "description": f"{w0} {w1} {w2} {w0}",
        "cpv_codes": [pair_code(p)],
        "regions": [SOLUTION_REGION],
        "maturity": "market-ready",
        "tags": [],
        "languages": ["sv"],
    }


def subscription_body(p: int) -> dict[str, Any]:
    return {"cpv_prefixes": [significant_prefix(pair_code(p))], "keywords": [words(p)[2]]}


# --- sending ---------------------------------------------------------------------------


@dataclass
class Stream:
    """Sends the commands of a scenario; a refused connection or a 5xx (a service being
    killed, the database away) is retried until `deadline_s`."""

    needs_url: str
    suppliers_url: str
    n_needs: int = NEEDS
    n_solutions: int = SOLUTIONS
    sent: int = 0
    attempts: int = 0
    retried: int = 0
    need_ids: list[str] = field(default_factory=list)
    deadline_s: float = 120.0

    async def _call(
        self, client: httpx.AsyncClient, method: str, url: str, ok: tuple[int, ...], **kw: Any
    ) -> httpx.Response:
        deadline = time.monotonic() + self.deadline_s
        while True:
            self.attempts += 1
            try:
                response = await client.request(method, url, **kw)
                if response.status_code in ok:
                    return response
                if response.status_code < 500:
                    raise AssertionError(f"{method} {url}: {response.status_code} {response.text}")
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} {url} kept failing for {self.deadline_s}s")
            self.retried += 1
            await asyncio.sleep(0.3)

    async def solution(self, client: httpx.AsyncClient, p: int) -> None:
        org = supplier_org(p)
        await self._call(
            client,
            "POST",
            f"{self.suppliers_url}/v1/solutions",
            (201,),
            json=solution_body(p),
            headers=auth(org, "supplier"),
        )
        await self._call(
            client,
            "POST",
            f"{self.suppliers_url}/v1/subscriptions",
            (201,),
            json=subscription_body(p),
            headers=auth(org, "supplier"),
        )
        self.sent += 2

    async def need(self, client: httpx.AsyncClient, j: int) -> None:
        org = buyer_org(j)
        created = await self._call(
            client,
            "POST",
            f"{self.needs_url}/v1/needs",
            (201,),
            json=need_body(j, self.n_solutions),
            headers=auth(org, "buyer"),
        )
        need_id = created.json()["id"]
        # Publishing twice is refused with 409: a retry after a lost answer is fine.
        await self._call(
            client,
            "POST",
            f"{self.needs_url}/v1/needs/{need_id}/publish",
            (200, 409),
            headers=auth(org, "buyer"),
        )
        self.need_ids.append(need_id)
        self.sent += 2

    async def run(
        self,
        *,
        concurrency: int = 6,
        on_progress: dict[float, Any] | None = None,
    ) -> None:
        """Interleaves solutions and needs; `on_progress` maps a fraction of the stream
        (0.5 = half sent) to an async callback run once (the fault), while the rest of
        the stream keeps going."""
        steps: list[tuple[str, int]] = []
        per = max(1, self.n_needs // self.n_solutions)
        s = 0
        for j in range(self.n_needs):
            if j % per == 0 and s < self.n_solutions:
                steps.append(("solution", s))
                s += 1
            steps.append(("need", j))
        steps += [("solution", p) for p in range(s, self.n_solutions)]
        pending = dict(sorted((on_progress or {}).items()))
        faults: list[asyncio.Task[Any]] = []
        queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        for step in steps:
            queue.put_nowait(step)
        done = 0

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal done
            while True:
                try:
                    kind, i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if kind == "solution":
                    await self.solution(client, i)
                else:
                    await self.need(client, i)
                done += 1
                for frac in list(pending):
                    if done >= frac * len(steps):
                        faults.append(asyncio.create_task(pending.pop(frac)()))

        async with httpx.AsyncClient(timeout=10) as client:
            await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        for frac in list(pending):
            faults.append(asyncio.create_task(pending.pop(frac)()))
        await asyncio.gather(*faults)


# --- checking --------------------------------------------------------------------------


@dataclass
class Tally:
    expected: int
    found: int
    duplicated: int
    missing: list[Any]
    unexpected: list[Any]

    @property
    def exact(self) -> bool:
        return not self.missing and not self.unexpected and self.duplicated == 0


async def expected_and_found(needs_db: Any, suppliers_db: Any) -> Tally:
    """Compares the inboxes with what the committed state says they must hold."""
    needs = [
        d
        async for d in needs_db["needs"].find(
            {"status": "published"}, {"_id": 1, "title": 1, "buyer_org": 1}
        )
    ]
    solutions = [
        d
        async for d in suppliers_db["solutions"].find(
            {"status": {"$ne": "retired"}},
            {"_id": 1, "name": 1, "supplier_org": 1, "deployments": 1},
        )
    ]
    subs = [
        d
        async for d in suppliers_db["subscriptions"].find(
            {}, {"_id": 1, "keywords": 1, "supplier_org": 1, "deleted": 1, "status": 1}
        )
    ]
    by_pair_sol: dict[int, list[dict[str, Any]]] = {}
    for s in solutions:
        p = pair_of_text(s["name"])
        if p is not None:
            by_pair_sol.setdefault(p, []).append(s)
    by_pair_sub: dict[int, list[dict[str, Any]]] = {}
    for s in subs:
        if s.get("deleted") or s.get("status") == "deleted":
            continue
        p = pair_of_text(" ".join(s.get("keywords") or []))
        if p is not None:
            by_pair_sub.setdefault(p, []).append(s)
    expected: set[tuple[str, ...]] = set()
    for n in needs:
        p = pair_of_text(n["title"])
        if p is None:
            continue
        for s in by_pair_sol.get(p, []):
            expected.add(("match", n["buyer_org"], n["_id"], s["_id"]))
            expected.add(("match.found", s["supplier_org"], n["_id"], s["_id"]))
        for sub in by_pair_sub.get(p, []):
            expected.add(("alert.raised", sub["supplier_org"], n["_id"], sub["_id"]))
    # An adoption tells every other buyer with a need of the solution's pair, once.
    buyers_of_pair: dict[int, set[str]] = {}
    for n in needs:
        p = pair_of_text(n["title"])
        if p is not None:
            buyers_of_pair.setdefault(p, set()).add(n["buyer_org"])
    for s in solutions:
        using = {d["buyer_org"] for d in s.get("deployments") or []}
        p = pair_of_text(s["name"])
        if using and p is not None:
            for org in buyers_of_pair.get(p, set()) - using:
                expected.add(("scaling", org, "", s["_id"]))
    found: Counter[tuple[str, ...]] = Counter()
    async for e in needs_db["inbox"].find({"kind": {"$in": ["match", "scaling"]}}):
        need = e.get("need_id") if e["kind"] == "match" else ""
        found[(e["kind"], e["buyer_org"], need, e.get("solution_id"))] += 1
    async for e in suppliers_db["inbox"].find({"kind": {"$in": ["match.found", "alert.raised"]}}):
        other = e.get("solution_id") if e["kind"] == "match.found" else e.get("subscription_id")
        found[(e["kind"], e["supplier_org"], e.get("need_id"), other)] += 1
    return Tally(
        expected=len(expected),
        found=sum(1 for k in found if k in expected),
        duplicated=sum(c - 1 for c in found.values() if c > 1),
        missing=sorted(expected - set(found))[:10],
        unexpected=sorted(set(found) - expected)[:10],
    )


async def converge(
    needs_db: Any, suppliers_db: Any, *, timeout: float = 90, settle: float = 2.0
) -> tuple[Tally, float]:
    """Waits until the inboxes hold every expected entry (and stay so for `settle`
    seconds, to let any late duplicate show); returns the tally and when it was reached
    (time.monotonic)."""
    deadline = time.monotonic() + timeout
    tally = await expected_and_found(needs_db, suppliers_db)
    while True:
        if tally.found >= tally.expected and tally.expected > 0:
            reached = time.monotonic()
            await asyncio.sleep(settle)
            return await expected_and_found(needs_db, suppliers_db), reached
        if time.monotonic() > deadline:
            return tally, time.monotonic()
        await asyncio.sleep(0.5)
        tally = await expected_and_found(needs_db, suppliers_db)


# --- the recovery's timeline -----------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """A fault's window in time.monotonic(): from when it began to when it ended (a
    service restarted, the broker or the database started again; for a fault that has no
    end of its own, such as an instance killed for good, `ended` is when it began)."""

    began: float
    ended: float


WAITED_S = 1.0  # an entry stored this long after its source was published had to wait


def _wall(monotonic: float) -> float:
    return monotonic + (time.time() - time.monotonic())


async def recovery(
    needs_db: Any, suppliers_db: Any, fault: Fault, until: float | None = None
) -> dict[str, Any]:
    """Where the recovery from `fault` spent its time, from the inboxes as stored.

    The backlog is the inbox entries that the fault held up: stored after it began, more
    than WAITED_S after their source (the later of a need's publication and its
    solution's, or its subscription's for an alert); unhindered, an entry is stored well
    within that. Reported, in seconds from the fault's end (for a fault without one, such
    as an instance killed for good, from its beginning): when the first of them was stored
    after the end (handled again) and the last (backlog drained); the backlog's size and
    the rate it drained at, beside the steady rate of the ten seconds before the fault.
    Entries stored once `until` (time.monotonic) has come are another fault's."""
    published: dict[str, float] = {}
    async for n in needs_db["needs"].find({"status": "published"}, {"published_at": 1}):
        if n.get("published_at") is not None:
            published[n["_id"]] = n["published_at"].timestamp()
    solution_at: dict[str, float] = {}
    async for s in suppliers_db["solutions"].find({}, {"created_at": 1}):
        if s.get("created_at") is not None:
            solution_at[s["_id"]] = s["created_at"].timestamp()
    subscription_at: dict[str, float] = {}
    async for s in suppliers_db["subscriptions"].find({}, {"updated_at": 1}):
        if s.get("updated_at") is not None:
            subscription_at[s["_id"]] = s["updated_at"].timestamp()
    stored: list[tuple[float, float, str]] = []  # (source time, stored time, kind)
    for db, kinds in ((needs_db, ["match"]), (suppliers_db, ["match.found", "alert.raised"])):
        async for e in db["inbox"].find(
            {"kind": {"$in": kinds}},
            {"need_id": 1, "solution_id": 1, "subscription_id": 1, "kind": 1, "created_at": 1},
        ):
            need_at = published.get(e.get("need_id", ""))
            if need_at is None or e.get("created_at") is None:
                continue
            # The later of the two it needs: a subscription made after the need alerts then.
            if e["kind"] == "alert.raised":
                other = subscription_at.get(e.get("subscription_id", ""), need_at)
            else:
                other = solution_at.get(e.get("solution_id", ""), need_at)
            source = max(need_at, other)
            stored.append((source, e["created_at"].timestamp(), e["kind"]))
    began, ended = _wall(fault.began), _wall(fault.ended)
    last = _wall(until) if until is not None else float("inf")  # the next fault began
    held = [
        (at, kind) for source, at, kind in stored if began < at < last and at - source > WAITED_S
    ]
    backlog = sorted(at for at, _ in held)
    after_end = [at for at in backlog if at >= ended]
    steady_window = [at for _, at, _ in stored if began - 10 <= at < began]
    last_by_kind: dict[str, float] = {}
    for at, kind in held:
        last_by_kind[kind] = max(last_by_kind.get(kind, at), at)
    figures: dict[str, Any] = {
        "fault_s": round(ended - began, 1),
        "backlog": len(backlog),
        "first_handled_s": round(after_end[0] - ended, 2) if after_end else None,
        "drained_s": round(backlog[-1] - ended, 2) if backlog else None,
        "steady_per_s": round(len(steady_window) / 10, 1),
        "drained_s_by_kind": {k: round(at - ended, 2) for k, at in sorted(last_by_kind.items())},
    }
    if len(backlog) > 1 and backlog[-1] > backlog[0]:
        figures["drain_per_s"] = round(len(backlog) / (backlog[-1] - backlog[0]), 1)
    return figures
