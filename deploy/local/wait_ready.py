"""Wait until Kafka answers through its own protocol, the database answers a ping and
(with --smtp) the mail capture server greets with 220."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time

from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient


async def kafka_ready(bootstrap: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        await admin.describe_cluster()
        return True
    except Exception:
        return False
    finally:
        await admin.close()


async def mongo_ready(url: str) -> bool:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        url, serverSelectionTimeoutMS=2000
    )
    try:
        await client.admin.command("ping")
        return True
    except Exception:
        return False
    finally:
        await client.close()


async def smtp_ready(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 3)
    except (OSError, TimeoutError):
        return False
    try:
        greeting = await asyncio.wait_for(reader.readline(), 3)
        writer.write(b"QUIT\r\n")
        await writer.drain()
        return greeting.startswith(b"220")
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()


async def main() -> int:
    # Connection refusals while the broker boots are expected; keep them off the console.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser()
    parser.add_argument("--kafka", help="bootstrap servers; omitted: only the database")
    parser.add_argument("--mongo", required=True)
    parser.add_argument("--smtp", help="host:port of an SMTP server; omitted: none")
    parser.add_argument("--timeout", type=float, default=90)
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    pending = {"kafka": args.kafka is not None, "database": True, "smtp": args.smtp is not None}
    while time.monotonic() < deadline:
        if pending["kafka"] and await kafka_ready(args.kafka):
            pending["kafka"] = False
        if pending["database"] and await mongo_ready(args.mongo):
            pending["database"] = False
        if pending["smtp"] and await smtp_ready(args.smtp):
            pending["smtp"] = False
        if not any(pending.values()):
            return 0
        await asyncio.sleep(0.5)
    missing = ", ".join(name for name, waiting in pending.items() if waiting)
    print(f"[infra] not ready after {args.timeout:.0f}s: {missing}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
