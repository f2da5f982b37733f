"""A process that stores a need with its event in the outbox, then hangs before publishing.

The test kills it with SIGKILL at that point: the crash the outbox exists for.
"""

from __future__ import annotations

import asyncio
import sys

from marketplace_contracts.events import NeedPublished, envelope
from marketplace_platform.mongo import create_client
from marketplace_platform.outbox import save
from tests.platform.helpers import probe_settings


async def main(kafka: str, mongo: str, prefix: str, need_id: str) -> None:
    settings = probe_settings(kafka, mongo, prefix)
    client = create_client(settings)
    payload = NeedPublished(
        need_id=need_id,
        version=1,
        buyer_org="hammaro",
        title="Digital medborgarportal",
        problem="Invånarna hittar inte e-tjänsterna",
        cpv_codes=["72413000"],
        municipality_code="1761",
        phase="hypothesis",
    )
    event = envelope(payload, source=settings.source)
    await save(
        client[settings.database_name]["needs"],
        {"_id": need_id, "title": payload.title},
        [("needs", event)],
        expected_rev=None,
    )
    print(f"WRITTEN {event.id}", flush=True)
    await asyncio.sleep(3600)  # the publish that never comes


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
