"""The real stack for a fault scenario: three service processes on a topic prefix and
databases of their own, restartable on the same port; a private Kafka broker."""

from __future__ import annotations

import asyncio
import base64
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from tests.faults.workload import Fault
from tests.support.infra import (
    ROOT,
    ManagedProcess,
    ServiceHandle,
    free_port,
    setting,
    start_service,
    unique,
    wait_for_port,
    wait_healthy,
)

SERVICES = ("needs", "suppliers", "matching")
WEBHOOK_ENV = {
    "SUPPLIERS_WEBHOOKS_ALLOW_LOOPBACK": "true",
    "SUPPLIERS_WEBHOOK_TIMEOUT_S": "1.0",
    "SUPPLIERS_WEBHOOK_BASE_DELAY_S": "0.3",
    "SUPPLIERS_WEBHOOK_MAX_DELAY_S": "1.5",
    "SUPPLIERS_WEBHOOK_MAX_ATTEMPTS": "30",
    "SUPPLIERS_WEBHOOK_POLL_INTERVAL_S": "0.2",
    "SUPPLIERS_WEBHOOK_LEASE_S": "10",
}


@dataclass
class Stack:
    tmp: Path
    kafka: str = field(default_factory=lambda: setting("KAFKA_BOOTSTRAP_SERVERS"))
    mongodb_url: str = field(default_factory=lambda: setting("MONGODB_URL"))
    prefix: str = field(default_factory=lambda: unique("flt"))
    env: dict[str, str] = field(default_factory=dict)
    handles: dict[str, ServiceHandle] = field(default_factory=dict)
    extra: list[ServiceHandle] = field(default_factory=list)

    def db_name(self, service: str) -> str:
        return f"{self.prefix}_{service}".replace(".", "_").replace("-", "_")

    def start(
        self, name: str, *, port: int | None = None, env: dict[str, str] | None = None
    ) -> ServiceHandle:
        # A stable name per service, as a deployment gives it (static group membership):
        # a restarted service takes its partitions back under it.
        merged = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            "MARKETPLACE_KAFKA_GROUP_INSTANCE_ID": f"{name}-0",
            **WEBHOOK_ENV,
            **self.env,
            **(env or {}),
        }
        return start_service(
            name,
            self.tmp,
            topic_prefix=self.prefix,
            mongodb_url=self.mongodb_url,
            database_name=self.db_name(name),
            extra_env=merged,
            port=port,
        )

    async def up(self, names: tuple[str, ...] = SERVICES) -> None:
        for name in names:
            self.handles[name] = self.start(name)
        for name in names:
            await wait_healthy(self.handles[name], timeout=90)

    async def kill_and_restart(self, name: str, down_s: float = 1.0) -> Fault:
        """SIGKILL, then the same service on the same port, database and topics, once it
        is healthy; the fault lasts from the kill to the new process's start (its start-up
        is part of the recovery)."""
        old = self.handles[name]
        old.process.kill()
        killed = time.monotonic()
        await asyncio.sleep(down_s)
        self.handles[name] = self.start(name, port=old.port)
        fault = Fault(killed, time.monotonic())
        await wait_healthy(self.handles[name], timeout=90)
        return fault

    def url(self, name: str) -> str:
        return self.handles[name].url

    def stop(self) -> None:
        for handle in [*self.handles.values(), *self.extra]:
            handle.process.stop()

    def logs(self) -> str:
        return "\n".join(
            f"--- {h.process.name} ---\n{h.process.log_tail(15)}"
            for h in [*self.handles.values(), *self.extra]
        )

    def client(self) -> AsyncMongoClient[dict[str, Any]]:
        return AsyncMongoClient(self.mongodb_url, serverSelectionTimeoutMS=20000, tz_aware=True)


# --- a private Kafka broker ------------------------------------------------------------


@dataclass
class PrivateKafka:
    """One KRaft broker+controller from the cached jars, on free ports, with its own data
    directory, so that stopping it disturbs nobody else."""

    tmp: Path
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _java(self, *args: str) -> list[str]:
        home = Path(setting("MARKETPLACE_KAFKA_HOME"))
        return [
            "java",
            "-cp",
            str(home / "libs" / "*"),
            "-Xms128m",
            "-Xmx512m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={ROOT / 'deploy/local/kafka/log4j2.properties'}",
            f"-Dkafka.logs.dir={self.tmp / 'kafka-logs'}",
            *args,
        ]

    def format(self) -> None:
        import subprocess

        template = (ROOT / "deploy/local/kafka/server.properties.template").read_text()
        props = (
            template.replace("@KAFKA_PORT@", str(self.port))
            .replace("@CONTROLLER_PORT@", str(self.controller_port))
            .replace("@DATA_DIR@", str(self.tmp / "kafka-data"))
        )
        (self.tmp / "server.properties").write_text(props)
        # As Kafka's own random-uuid does: an id starting with '-' reads as an option.
        cluster = "-"
        while cluster.startswith("-"):
            cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        done = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster,
                "-c",
                str(self.tmp / "server.properties"),
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    async def start(self) -> None:
        self.process = ManagedProcess(
            "kafka",
            self._java("kafka.Kafka", str(self.tmp / "server.properties")),
            dict(os.environ),
            self.tmp / "kafka.out",
        ).start()
        await asyncio.to_thread(wait_for_port, self.port, 90)
        deadline = time.monotonic() + 90
        while True:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
            try:
                await admin.start()
                await admin.list_topics()
                await admin.describe_cluster()
                return
            except Exception as exc:
                if time.monotonic() > deadline or not self.process.alive():
                    raise RuntimeError(
                        "private Kafka did not start:\n" + self.process.log_tail()
                    ) from exc
                await asyncio.sleep(0.5)
            finally:
                await admin.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=30)


# --- poison ----------------------------------------------------------------------------


async def partitions(bootstrap: str, topic: str) -> list[int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        found = await producer.partitions_for(topic)
        return sorted(found)
    finally:
        await producer.stop()


async def produce(
    bootstrap: str, topic: str, records: list[tuple[int | None, bytes | None, bytes]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for partition, key, value in records:
            await producer.send_and_wait(topic, value, key=key, partition=partition)
    finally:
        await producer.stop()
