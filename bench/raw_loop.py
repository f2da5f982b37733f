"""The baselines of the throughput benchmark: plain aiokafka consume-and-produce loops.

    python -m bench.raw_loop --mode score --in TOPIC --out TOPIC --group GROUP
    python -m bench.raw_loop --mode noop  --in TOPIC --out TOPIC --group GROUP

Both keep the same reliability as the services (acks=all, idempotent producer, offsets
committed only after what a batch caused was acknowledged) and use aiokafka the way it
is fastest: `getmany` batches, sends not awaited one by one, one commit per batch.

* score: for every need.published record, parse the CloudEvent, index the need, rank the
  same 10 000 solutions with matching's SolutionIndex (top k, threshold), evaluate the
  same 1 000 subscriptions, and produce the match.found and alert.raised CloudEvents
  (no database: the service's only extra is its "once" bookkeeping);
* noop: forward every record unchanged (the broker's and client's limit on this machine).

Prints `ready` once it can consume (the index is built), then runs until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("score", "noop"), required=True)
    ap.add_argument("--in", dest="src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--solutions", type=int, default=10_000)
    ap.add_argument("--subscriptions", type=int, default=1_000)
    args = ap.parse_args(argv)

    work: Any = None
    if args.mode == "score":
        work = _scorer(args.solutions, args.subscriptions)

    consumer = AIOKafkaConsumer(
        args.src,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=100,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=args.bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=1,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    await consumer.start()
    print("ready", flush=True)
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=100)
            futures = []
            for records in batches.values():
                for record in records:
                    if work is None:
                        futures.append(await producer.send(args.out, record.value, key=record.key))
                    else:
                        for key, value in work(record.value):
                            futures.append(await producer.send(args.out, value, key=key))
            if futures:
                await asyncio.gather(*futures)
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


def _scorer(n_solutions: int, n_subscriptions: int) -> Any:
    from bench.common import corpus, solution_events, subscription_events
    from marketplace_contracts import events as ev
    from marketplace_contracts.events import CloudEvent, deterministic_id, envelope
    from marketplace_platform.kafka import encode_event
    from matching.adapters.profiles import need_profile, solution_profile, subscription_profile
    from matching.domain.need_index import NeedIndex
    from matching.domain.solution_index import SolutionIndex
    from matching.domain.subscriptions import SubscriptionIndex
    from matching.service.engine import build_alert, build_match_found
    from matching.settings import MatchingSettings

    settings = MatchingSettings()
    weights = settings.weights()
    solutions, _ = corpus(n_solutions, 1)
    index = SolutionIndex(weights)
    for e in solution_events(solutions):
        payload = e.payload()
        assert isinstance(payload, ev.SolutionPublished)
        index.upsert(solution_profile(payload))
    needs = NeedIndex(weights, solutions=index)
    subs = SubscriptionIndex()
    for e in subscription_events(solutions, n_subscriptions):
        payload = e.payload()
        assert isinstance(payload, ev.SubscriptionUpserted)
        subs.upsert(subscription_profile(payload))

    def work(value: bytes) -> list[tuple[bytes, bytes]]:
        event = CloudEvent.model_validate_json(value)
        payload = event.payload()
        if not isinstance(payload, ev.NeedPublished):
            return []
        need = need_profile(payload)
        needs.upsert(need)
        out = []
        for m in index.rank(need, k=settings.top_k, threshold=weights.threshold):
            sol = index.get(m.solution_id)
            if sol is None:
                continue
            found = build_match_found(need, sol, m)
            e = envelope(found, source="bench", event_id=deterministic_id("m", found.match_id))
            out.append((need.need_id.encode(), encode_event(e)))
        for sub, reasons in subs.matching(need):
            alert = build_alert(need, sub, reasons)
            e = envelope(alert, source="bench", event_id=deterministic_id("a", alert.alert_id))
            out.append((need.need_id.encode(), encode_event(e)))
        return out

    # warm: the index converts posting lists on first use, as a running service has done
    warm = solutions[:1]
    for s in warm:
        from bench.common import need_payload

        fake = envelope(need_payload(_need_like(s), "warm", "warm"), source="bench")
        work(encode_event(fake))
    return work


def _need_like(s: Any) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(
        title=s.name,
        problem=s.description,
        cpv_codes=s.cpv_codes,
        municipality_code="1780",
        tags=frozenset(),
        language=s.language or "sv",
    )


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1:]))
    except KeyboardInterrupt:
        pass
