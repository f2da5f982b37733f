"""The local SMTP capture server (deploy/local/mail_capture.py) that `make infra` starts.

It runs as a real process on a free port: what it accepts over SMTP lands, byte for byte
after the prepended `X-Captured-Rcpt-To` headers, in one `.eml` file per message, named in
arrival order and there by the time the server acknowledges the message; SIGTERM stops it.
"""

from __future__ import annotations

import email
import email.policy
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "local" / "mail_capture.py"
NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}-[0-9a-f]{8}\.eml$")
READY = re.compile(r"listening on (?P<host>[\d.]+):(?P<port>\d+)")


@dataclass
class Capture:
    process: subprocess.Popen[bytes]
    port: int
    directory: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start(directory: Path, log: Path, port: int = 0) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, str(SCRIPT), "--port", str(port), "--dir", str(directory)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


@pytest.fixture
def capture(tmp_path: Path) -> Iterator[Capture]:
    directory, log = tmp_path / "mail", tmp_path / "mail-capture.log"
    process = start(directory, log)
    try:
        deadline = time.monotonic() + 20
        while (ready := READY.search(log.read_text(errors="replace"))) is None:
            if process.poll() is not None:
                pytest.fail(f"mail_capture.py exited ({process.returncode}):\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"mail_capture.py did not start within 20 s:\n{log.read_text()}")
            time.sleep(0.05)
        yield Capture(process, int(ready["port"]), directory, log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def swedish_message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Marknadsplatsen <noreply@marketplace.local>"
    message["To"] = "Örjan Åström <orjan@karlstad.example>"
    message["Subject"] = "Ny matchning: Hållbar handling i Helsingborg – för dig"
    message["Message-ID"] = "<swedish@marketplace.local>"
    # A line that starts with a dot: SMTP stuffs it, and the server must unstuff it again.
    message.set_content("Hej Örjan!\n\nEtt behov på växa-väg matchar er lösning.\n.punkt\n")
    return message


def test_messages_are_written_whole_in_arrival_order_and_unchanged(capture: Capture) -> None:
    first = EmailMessage()
    first["From"] = "noreply@marketplace.local"
    first["To"] = "anna@arvika.example"
    first["Subject"] = "First message"
    first.set_content("Plain ASCII.\n")
    second = swedish_message()
    raw_second = second.as_bytes(policy=email.policy.SMTP)  # what goes over the wire

    with smtplib.SMTP("127.0.0.1", capture.port, timeout=10) as client:
        client.send_message(first)
        # Envelope recipients beyond the To: header (a Bcc) are kept only by the capture.
        refused = client.sendmail(
            "noreply@marketplace.local",
            ["orjan@karlstad.example", "hidden@hammaro.example"],
            raw_second,
        )
    assert refused == {}

    # Acknowledged means written: no waiting, and no temporary file left behind.
    files = sorted(capture.directory.iterdir())
    assert [f.name for f in files if NAME.match(f.name)] == [f.name for f in files], files
    assert len(files) == 2, capture.output()

    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert [m["Subject"] for m in parsed] == ["First message", second["Subject"]]
    assert parsed[0].get_all("X-Captured-Rcpt-To") == ["anna@arvika.example"]
    assert parsed[1].get_all("X-Captured-Rcpt-To") == [
        "orjan@karlstad.example",
        "hidden@hammaro.example",
    ]
    assert parsed[1]["To"] == "Örjan Åström <orjan@karlstad.example>"
    body = parsed[1].get_body(("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")  # the file keeps the wire's CRLF
    assert text == "Hej Örjan!\n\nEtt behov på växa-väg matchar er lösning.\n.punkt\n"

    # The bytes received, unchanged, after the prepended envelope headers.
    prefix = (
        b"X-Captured-Rcpt-To: orjan@karlstad.example\r\n"
        b"X-Captured-Rcpt-To: hidden@hammaro.example\r\n"
    )
    assert files[1].read_bytes() == prefix + raw_second


def test_sigterm_stops_it(capture: Capture) -> None:
    capture.process.send_signal(signal.SIGTERM)
    assert capture.process.wait(10) == 0, capture.output()
    assert "stopped" in capture.output()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", capture.port), 2):
        pass


def test_a_port_in_use_makes_it_exit_with_an_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = start(tmp_path / "mail", tmp_path / "log", port=taken.getsockname()[1])
        try:
            assert process.wait(20) != 0
        finally:
            if process.poll() is None:
                process.kill()
    assert "address already in use" in (tmp_path / "log").read_text().lower()
