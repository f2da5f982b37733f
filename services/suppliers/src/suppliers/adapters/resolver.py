"""Resolving a webhook host to the addresses it would be sent to."""

from __future__ import annotations

import asyncio
import socket


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6); empty when it does not resolve."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=5
        )
    except (OSError, TimeoutError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))
