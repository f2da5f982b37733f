"""Secrets: none in the repository, none in the logs, and the public development signing
key refused in production."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from marketplace_platform.auth import mint_token
from marketplace_platform.settings import DEV_JWT_SECRET
from tests.faults import report
from tests.faults.stack import Stack
from tests.support.infra import ROOT

PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")
ASSIGNMENT = re.compile(
    r"""(?i)(secret|password|passwd|token|api[_-]?key|private[_-]?key|signing[_-]?key)"""
    r"""[\w-]*["']?\s*[:=]\s*["']([^"'\s]{16,})["']"""
)

# Values that name themselves as made up (test fixtures, examples), not credentials.
PLACEHOLDERS = ("0123456789", "example", "secret", "test", "dummy", "fake", "changeme")


def entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


def test_no_key_or_secret_in_the_repository() -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    findings: list[str] = []
    scanned = 0
    for name in filter(None, files):
        path = ROOT / name.decode()
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(errors="ignore")
        scanned += 1
        if PRIVATE_KEY.search(text):
            findings.append(f"{path}: private key header")
        for match in ASSIGNMENT.finditer(text):
            value = match.group(2)
            if value == DEV_JWT_SECRET or "{" in value or "$" in value:
                continue  # the deliberately public development key; templates
            if any(marker in value.lower() for marker in PLACEHOLDERS):
                continue  # test fixtures that say what they are
            if entropy(value) >= 4.0 and re.search(r"\d", value) and re.search(r"[A-Za-z]", value):
                findings.append(f"{path}: {match.group(0)[:80]}")
    report.hostile("repository_files_scanned", scanned)
    assert scanned > 50
    assert not findings, "\n".join(findings)


@pytest.mark.infra
async def test_no_secret_or_token_in_the_logs(tmp_path: Path) -> None:
    stack = Stack(tmp_path, env={"LOG_LEVEL": "DEBUG"})
    secret = "log-probe-secret-" + uuid.uuid4().hex
    try:
        await stack.up(("suppliers",))
        tok = mint_token(DEV_JWT_SECRET, org="log-probe", role="supplier")
        headers = {"Authorization": f"Bearer {tok}"}
        async with httpx.AsyncClient(timeout=15) as c:
            base = stack.url("suppliers")
            r = await c.post(
                base + "/v1/webhooks",
                json={"url": "http://127.0.0.1:9/p", "secret": secret},
                headers=headers,
            )
            assert r.status_code == 201, r.text
            assert secret not in r.text
            # Refused calls log too: a bad body with the secret in it, an expired token.
            await c.post(
                base + "/v1/webhooks", json={"url": "x", "secret": secret}, headers=headers
            )
            expired = mint_token(
                DEV_JWT_SECRET, org="log-probe", role="supplier", ttl=timedelta(seconds=-60)
            )
            await c.get(base + "/v1/webhooks", headers={"Authorization": f"Bearer {expired}"})
            listed = await c.get(base + "/v1/webhooks", headers=headers)
            assert secret not in listed.text
    finally:
        stack.stop()
    log = stack.handles["suppliers"].process.log_path.read_text(errors="replace")
    assert log.strip(), "the service logged nothing"
    leaks = [
        name
        for name, v in (("webhook secret", secret), ("token", tok), ("signing key", DEV_JWT_SECRET))
        if v in log
    ]
    report.hostile("log_lines_checked", len(log.splitlines()))
    assert not leaks, f"found in the log: {leaks}"


@pytest.mark.parametrize("service", ["needs", "suppliers", "matching", "notifications"])
def test_the_development_key_is_refused_in_production(service: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MARKETPLACE_JWT_SECRET", "JWT_SECRET")}
    env["MARKETPLACE_ENVIRONMENT"] = "production"
    env[f"{service.upper()}_PORT"] = "1"  # never reached: it must refuse before listening
    done = subprocess.run(
        [sys.executable, "-m", service],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "MARKETPLACE_JWT_SECRET must be set in production" in output, output[-2000:]
