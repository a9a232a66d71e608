"""The generic webhook with a body template against a real django-helpdesk (tests/servers/helpdesk.start.sh:
SQLite, REST API, Token auth, 127.0.0.1): `/api/tickets/` needs `queue` and `title`, takes the bundle as a multipart
file, and answers `/api/tickets` (no slash) with a 301, so the URL must be used as written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import need
from tickets.errors import AuthError
from tickets.service import Draft, TicketService

pytestmark = pytest.mark.integration
ENV_FILE = Path(os.environ.get("DESKSIDE_HELPDESK_ENV", "/tmp/deskside-helpdesk.env"))


def helpdesk() -> dict[str, str]:
    need(ENV_FILE.exists(), f"a django-helpdesk started by tests/servers/helpdesk.start.sh (env file {ENV_FILE})")
    env = dict(line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line)
    try:
        ok = httpx.get(f"{env['HD_URL']}/api/tickets/", timeout=30).status_code == 401
    except httpx.HTTPError:
        ok = False
    need(ok, f"django-helpdesk answering at {env['HD_URL']}")
    return env


TEMPLATE = {"queue": "{queue}", "title": "{subject}", "description": "{body}", "priority": "{priority}",
            "submitter_email": "{requester_email}"}


def _svc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hd: dict[str, str], token: str | None = None,
         **extra: Any) -> TicketService:
    monkeypatch.setenv("DESKSIDE_SECRET_DH_TOKEN", token or hd["HD_TOKEN"])
    cfg = {"type": "webhook", "url": f"{hd['HD_URL']}/api/tickets/", "use_token": True, "auth_scheme": "Token",
           "queue": int(hd["HD_QUEUE"]), "body_template": TEMPLATE, **extra}
    return TicketService(backends={"dh": cfg}, data_dir=tmp_path / "data")


def _ticket(hd: dict[str, str], tid: str) -> dict[str, Any]:
    r = httpx.get(f"{hd['HD_URL']}/api/tickets/{tid}/", headers={"Authorization": f"Token {hd['HD_TOKEN']}"},
                  timeout=30)
    r.raise_for_status()
    data: dict[str, Any] = r.json()
    return data


def test_template_with_the_bundle_as_a_multipart_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hd = helpdesk()
    svc = _svc(tmp_path, monkeypatch, hd, bundle="multipart")
    p = svc.build_preview(Draft(summary="Laptop will not dock", description="since Monday", impact="high",
                                urgency="medium", requester_email="ann@corp.example"),
                          report={"host": "pc1", "findings": []})
    entry = svc.submit(p, timeout=60)
    assert entry.state == "sent", entry.last_error
    t = _ticket(hd, entry.remote_id or "")
    assert t["title"] == p.ticket.subject and t["queue"] == int(hd["HD_QUEUE"])
    assert t["priority"] == p.ticket.priority == 2  # the number, not a label
    assert t["submitter_email"] == "ann@corp.example" and "since Monday" in t["description"]
    (att,) = t["followup_set"][0]["followupattachment_set"]
    assert p.bundle is not None and (att["filename"], att["size"]) == (p.bundle.filename, p.bundle.size)


def test_template_as_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hd = helpdesk()
    svc = _svc(tmp_path, monkeypatch, hd, bundle="none")
    entry = svc.submit(svc.build_preview(Draft(summary="Printer jams", impact="low", urgency="low")), timeout=60)
    assert entry.state == "sent", entry.last_error
    t = _ticket(hd, entry.remote_id or "")
    assert t["title"].startswith("Printer jams [deskside:") and t["priority"] == 5


def test_backend_test_proves_the_token_only_where_it_can(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hd = helpdesk()
    url = f"{hd['HD_URL']}/api/tickets/"
    ok = _svc(tmp_path, monkeypatch, hd, test_url=url).test_backend("dh")
    assert ok.startswith("webhook credentials accepted: GET") and "HTTP 200" in ok
    with pytest.raises(AuthError, match=r"refused the request .*HTTP 401"):
        _svc(tmp_path, monkeypatch, hd, token="wrong", test_url=url).test_backend("dh")
    plain = _svc(tmp_path, monkeypatch, hd).test_backend("dh")  # no test_url: says it could not check
    assert "the token was NOT checked" in plain and "set test_url" in plain


def test_a_refused_ticket_is_edited_and_sent_again_through_the_cli() -> None:
    """django-helpdesk's title takes 200 characters: a long summary is refused (failed); `ticket outbox edit`
    shortens it (redacted like a new ticket) and `retry` sends it, with the same marker."""
    import json
    import re

    from tests.e2e.test_ticket_cli import config, deskside

    hd = helpdesk()
    config(f'[backends.dh]\ntype = "webhook"\nurl = "{hd["HD_URL"]}/api/tickets/"\nuse_token = true\n'
           f'auth_scheme = "Token"\nqueue = {hd["HD_QUEUE"]}\nbundle = "none"\n'
           '[backends.dh.body_template]\nqueue = "{queue}"\ntitle = "{subject}"\ndescription = "{body}"\n'
           'priority = "{priority}"\n')
    env = {"DESKSIDE_SECRET_DH_TOKEN": hd["HD_TOKEN"]}
    long = "The shared drive disconnects whenever the laptop wakes from sleep " * 3
    r = deskside("ticket", "new", "--summary", long[:200], "--yes", env=env)
    assert r.returncode == 4 and "no more than 200 characters" in r.stderr, (r.stdout, r.stderr)
    (entry,) = json.loads(deskside("ticket", "outbox", "list", "--json").stdout)
    assert entry["state"] == "failed"
    r = deskside("ticket", "outbox", "edit", "1", "--summary", "Shared drive drops after sleep on ann@corp.example",
                 env=env)
    assert r.returncode == 0 and "it is now queued" in r.stdout, (r.stdout, r.stderr)
    assert "ann@corp.example" not in r.stdout and "<email-" in r.stdout  # redacted as always
    r = deskside("ticket", "outbox", "retry", "1", env=env)
    assert r.returncode == 0, (r.stdout, r.stderr)
    m = re.search(r"Sent: ticket (\d+)", r.stdout)
    assert m
    t = _ticket(hd, m.group(1))
    assert t["title"].startswith("Shared drive drops after sleep on <email-")
    assert t["title"].endswith(f"[deskside:{entry['uid']}]")  # the same marker: a retry still finds it
    r = deskside("ticket", "outbox", "edit", "1", "--summary", "again", env=env)
    assert r.returncode == 2 and "is sent" in r.stderr
