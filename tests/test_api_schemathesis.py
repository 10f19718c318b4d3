"""The API keeps the promises of its own OpenAPI document, as schemathesis (an independent
testing tool) finds: every operation the document has, all checks, the stateful phase, on a
real `oncelink serve` with SQLite, with a fixed seed. A small budget here; `make api-check`
sets ONCELINK_API_CHECK_EXAMPLES=1000 for the thorough pass before a release.

The settings are in schemathesis.toml; this adds what only a running server knows: a token,
and real shares, links, webhooks and requests for secrets for the tool to pick from (its
"dictionaries"). An operation added to the document is in the run by itself; if it takes an
id this gives no value for, the run reports "missing test data" and fails until a dictionary
here gives it real ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from .live import live_server
from .test_api_live import make_token

ROOT = Path(__file__).resolve().parent.parent
SCHEMATHESIS = Path(sys.executable).with_name("st")
EXAMPLES = os.environ.get("ONCELINK_API_CHECK_EXAMPLES", "10")
SEED = "19"


def configuration(values: dict[str, list[str]]) -> str:
    """schemathesis.toml with these ``[dictionaries]`` added (a JSON list is TOML's too)."""
    added = "".join(
        f"\n[dictionaries.{name}]\nvalues = {json.dumps(entries)}\n"
        for name, entries in values.items()
    )
    return (ROOT / "schemathesis.toml").read_text() + added


def run_schemathesis(config: Path, base_url: str, token: str) -> subprocess.CompletedProcess[str]:
    """The tool as a user runs it, from the folder of ``config`` (where it keeps a cache)."""
    command = [str(SCHEMATHESIS), "--config-file", str(config), "--no-color", "run"]
    command += [f"{base_url}/api/v1/openapi.json", "-H", f"Authorization: Bearer {token}"]
    command += ["--checks", "all", "--max-examples", EXAMPLES, "--seed", SEED, "--workers", "1"]
    return subprocess.run(command, cwd=config.parent, capture_output=True, text=True, timeout=3600)


def create_share(http: httpx.Client) -> dict[str, Any]:
    created = http.post("/api/v1/shares", json={"note": "n", "links": 3})
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def create_webhook(http: httpx.Client) -> str:
    """A webhook's id; its host resolves to nothing here, so nothing is ever posted."""
    body = {"url": "https://hooks.example.com/oncelink", "events": ["link.granted"]}
    created = http.post("/api/v1/webhooks", json=body)
    assert created.status_code == 201, created.text
    webhook_id: str = created.json()["id"]
    return webhook_id


def create_requests(http: httpx.Client, base_url: str) -> list[str]:
    """Two requests for secrets: one waiting for its answer, one answered; their ids."""
    ids = []
    for answer in (None, "hunter2"):
        created = http.post("/api/v1/requests", json={"label": "a key"})
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
        if answer is not None:
            send_path = created.json()["url"].removeprefix(base_url)
            assert http.post(send_path, json={"note": answer}).status_code == 201
    return ids


def test_schemathesis_finds_the_api_true_to_its_document(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    token = make_token(instance, str(instance / "oncelink.sqlite3"), "ada")
    headers = {"Authorization": f"Bearer {token}"}
    with (
        live_server(instance, workers=1) as server,
        httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as http,
    ):
        kept, revocable = create_share(http), create_share(http)
        webhook, deletable_webhook = create_webhook(http), create_webhook(http)
        requests = create_requests(http, server.base_url)
        revocable_requests = create_requests(http, server.base_url)
        config = tmp_path / "schemathesis.toml"
        config.write_text(
            configuration(
                {
                    "shares": [kept["id"]],
                    "revocable_shares": [revocable["id"]],
                    "links": [link["url"] for link in kept["links"]],
                    "webhooks": [webhook],
                    "deletable_webhooks": [deletable_webhook],
                    "requests": requests,
                    "revocable_requests": revocable_requests,
                }
            )
        )
        run = run_schemathesis(config, server.base_url, token)
        paths = http.get("/api/v1/openapi.json").json()["paths"]
    operations = sum(len(item) for item in paths.values())
    print(run.stdout)  # the tool's report: `make api-check` shows it (-rP)
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    assert f"Selected: {operations}/{operations}\n  Tested: {operations}\n" in run.stdout, report
    assert "Stateful" in run.stdout, report
