"""The local development SMTP server: it accepts every message and delivers none.

`make infra` (deploy/local/infra.sh) runs it so that the notifications service and the
tests send real SMTP without a real mail server: each accepted message is written, as the
raw bytes received, to its own `.eml` file in the capture directory (`.local/mail/`), with
one `X-Captured-Rcpt-To:` header per envelope recipient prepended (Bcc recipients appear
nowhere else). The file names sort by arrival (`20261206T220102.123456-1a2b3c4d.eml`, UTC,
strictly increasing within a run) and each file appears whole: it is written under a
hidden temporary name in the same directory and then renamed.

    .venv/bin/python deploy/local/mail_capture.py [--host 127.0.0.1] [--port 2525] [--dir D]

`--port 0` takes a free port. Once listening it prints `listening on HOST:PORT` on stdout.
SIGTERM or SIGINT stops it. It reads no environment variables.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

DEFAULT_DIR = Path(__file__).resolve().parents[2] / ".local" / "mail"


class CaptureHandler:
    """aiosmtpd handler: every message DATA delivers becomes one `.eml` file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._last = datetime.min.replace(tzinfo=UTC)

    def next_name(self) -> str:
        now = datetime.now(UTC)
        if now <= self._last:  # the same microsecond, or the clock went back
            now = self._last + timedelta(microseconds=1)
        self._last = now
        return f"{now:%Y%m%dT%H%M%S.%f}-{secrets.token_hex(4)}.eml"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        newline = b"\r\n" if b"\r\n" in raw else b"\n"
        header = b"".join(
            b"X-Captured-Rcpt-To: " + clean(rcpt).encode("utf-8", "surrogateescape") + newline
            for rcpt in envelope.rcpt_tos
        )
        name = self.next_name()  # taken here, in arrival order, before any await
        try:
            await asyncio.to_thread(write_atomically, self.directory / name, header + raw)
        except OSError as error:
            print(f"could not write {name}: {error}", file=sys.stderr, flush=True)
            return "451 4.3.0 Could not store the message"
        print(f"captured {name} for {', '.join(envelope.rcpt_tos)}", flush=True)
        return "250 2.0.0 Message captured"


def clean(address: str) -> str:
    """An envelope address as one header line (a bare CR or LF would end the header)."""
    return address.replace("\r", "").replace("\n", "")


def write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


async def serve(host: str, port: int, directory: Path) -> None:
    handler = CaptureHandler(directory)
    loop = asyncio.get_running_loop()

    def protocol() -> Any:
        return SMTP(handler, hostname="mail-capture.local", enable_SMTPUTF8=True)

    server = await loop.create_server(protocol, host, port)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    bound = server.sockets[0].getsockname()
    print(f"listening on {bound[0]}:{bound[1]}, writing to {directory}", flush=True)
    await stop.wait()
    server.close()
    try:  # an idle client may keep its connection open; do not wait for it long
        await asyncio.wait_for(server.wait_closed(), timeout=2)
    except TimeoutError:
        pass
    print("stopped", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525, help="0: any free port")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where .eml files go")
    args = parser.parse_args()
    directory = args.dir.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.host, args.port, directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
