"""Where the real infrastructure is, and helpers to run real processes against it.

`make test` starts Kafka and the database and exports their addresses; a test that needs
them and cannot reach them fails loudly (never skips).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiokafka.admin import AIOKafkaAdminClient

ROOT = Path(__file__).resolve().parents[2]
ENV_FILE = ROOT / ".local" / "infra.env"


def _env_file() -> dict[str, str]:
    if not ENV_FILE.exists():
        return {}
    pairs = (line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def setting(name: str) -> str:
    value = os.environ.get(name) or _env_file().get(name)
    if not value:
        raise RuntimeError(
            f"{name} is not set and {ENV_FILE} does not name it: run `make infra` (or `make test`)"
        )
    return value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Every name `unique` handed out in this process: what this session may clean up.
MADE_NAMES: set[str] = set()


def unique(prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    MADE_NAMES.add(name)
    return name


def made_here(resource: str) -> bool:
    """Whether a topic ("t-3f9a0c1b2d.needs") or database ("t-3f9a0c1b2d_needs",
    "race_3f9a0c1b2d") is named from a `unique` name of this process, so that a cleanup
    never touches what another session running at the same time made."""
    return any(
        resource == name or resource.startswith((f"{name}.", f"{name}_"))
        for made in MADE_NAMES
        for name in (made, made.replace("-", "_"))
    )


async def database_names(mongodb_url: str) -> set[str]:
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        mongodb_url, serverSelectionTimeoutMS=5000
    )
    try:
        return set(await client.list_database_names())
    finally:
        await client.close()


async def drop_databases(mongodb_url: str, names: set[str]) -> None:
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        mongodb_url, serverSelectionTimeoutMS=5000
    )
    try:
        for name in sorted(names):
            await client.drop_database(name)
    finally:
        await client.close()


async def topic_names(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, names: set[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=60_000)
    await admin.start()
    try:
        ordered = sorted(names)
        if not ordered:
            return
        for start in range(0, len(ordered), 200):
            await admin.delete_topics(ordered[start : start + 200], timeout_ms=60_000)
    finally:
        await admin.close()


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass
class ManagedProcess:
    """A real child process (a service or a database) that a test starts and stops."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, as in a crash."""
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start_ferretdb(tmp: Path) -> tuple[ManagedProcess, str]:
    """A private FerretDB on a free port (for tests that stop the database)."""
    binary = setting("MARKETPLACE_FERRETDB_BIN")
    port = free_port()
    proc = ManagedProcess(
        "ferretdb",
        [binary, "--listen-addr", f"127.0.0.1:{port}", "--data-dir", str(tmp / "ferretdb")],
        dict(os.environ),
        tmp / "ferretdb.log",
    ).start()
    wait_for_port(port)
    return proc, f"mongodb://127.0.0.1:{port}/"


@dataclass
class ServiceHandle:
    process: ManagedProcess
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_service(
    name: str,
    tmp: Path,
    *,
    topic_prefix: str,
    mongodb_url: str | None = None,
    database_name: str | None = None,
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
) -> ServiceHandle:
    port = port or free_port()
    upper = name.upper()
    env = dict(os.environ)
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": setting("KAFKA_BOOTSTRAP_SERVERS"),
            "MONGODB_URL": mongodb_url or setting("MONGODB_URL"),
            "MARKETPLACE_TOPIC_PREFIX": topic_prefix,
            "MARKETPLACE_ENVIRONMENT": "test",
            f"{upper}_PORT": str(port),
            f"{upper}_DATABASE_NAME": database_name or f"{topic_prefix}_{name}".replace(".", "_"),
            "MARKETPLACE_OUTBOX_GRACE_S": "1.0",
            # A test may leave an event pending as a crash would; find it within seconds.
            "MARKETPLACE_OUTBOX_FULL_SWEEP_S": "3.0",
        }
    )
    env.update(extra_env or {})
    proc = ManagedProcess(
        name, [sys.executable, "-m", name], env, tmp / f"{name}-{port}.log"
    ).start()
    return ServiceHandle(proc, port)


async def wait_healthy(handle: ServiceHandle, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    last: object = None
    async with httpx.AsyncClient(timeout=3) as client:
        while time.monotonic() < deadline:
            if not handle.process.alive():
                raise RuntimeError(f"{handle.process.name} exited:\n{handle.process.log_tail()}")
            try:
                response = await client.get(handle.url + "/health")
                last = response.json()
                if response.status_code == 200 and response.json().get("status") == "ok":
                    return dict(response.json())
            except httpx.HTTPError as exc:
                last = exc
            await asyncio.sleep(0.3)
    raise TimeoutError(
        f"{handle.process.name} not healthy after {timeout}s (last: {last})\n"
        f"{handle.process.log_tail()}"
    )
