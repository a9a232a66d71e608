"""Fixes found against real helpdesks: subject budgets, Redmine's set-up errors worded, webhook URLs as written,
where each backend's secret comes from (own logic: Redmine answers are played by httpx.MockTransport)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tickets.connectors import make_connector
from tickets.errors import AuthError, ConfigError, RejectedError
from tickets.model import Ticket
from tickets.secrets import SecretStore
from tickets.service import Draft, TicketService

LONG = "The VPN client drops the tunnel every few minutes " * 5  # 250 characters


def test_a_long_summary_is_shortened_to_redmines_subject_limit_and_the_marker_kept() -> None:
    t = Ticket(summary=LONG.strip()[:250])
    c = make_connector("r", {"type": "redmine", "url": "https://redmine.example.org", "project": "it"},
                       {"api_key": "K"})
    subject = c.build(t)[-1].json["issue"]["subject"]  # type: ignore[union-attr]
    assert len(subject) == 255 and subject.endswith(f"… {t.marker}")
    assert subject.startswith("The VPN client drops the tunnel")
    short = Ticket(summary="Printer offline")
    assert c.build(short)[-1].json["issue"]["subject"] == short.subject  # type: ignore[union-attr]


def _redmine(handler: httpx.MockTransport) -> TicketService:
    cfg = {"type": "redmine", "url": "https://redmine.example.org", "project": "helpdsk"}
    return TicketService(backends={"r": cfg}, data_dir=Path("/nonexistent"), transport=handler)


def _send(tmp_path: Path, answer: httpx.Response, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DESKSIDE_SECRET_R_API_KEY", "K")
    svc = TicketService(backends={"r": {"type": "redmine", "url": "https://redmine.example.org",
                                        "project": "helpdsk"}},
                        data_dir=tmp_path, transport=httpx.MockTransport(lambda req: answer))
    e = svc.submit(svc.build_preview(Draft(summary="x")))
    assert e.state == "failed"
    return e.last_error


def test_redmine_unknown_project_says_what_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = httpx.Response(422, json={"errors": ["Project cannot be blank", "Tracker cannot be blank",
                                                  "Status cannot be blank"]})
    msg = _send(tmp_path, answer, monkeypatch)
    assert "has no project 'helpdsk'" in msg and "set project = \"IDENTIFIER\" in [backends.r]" in msg


def test_redmine_disabled_rest_api_says_how_to_enable_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    msg = _send(tmp_path, httpx.Response(403, text=""), monkeypatch)
    assert "REST API is switched off" in msg and "Enable REST web service" in msg


def test_redmine_backend_test_names_the_unknown_project(monkeypatch: pytest.MonkeyPatch) -> None:
    def answer(req: httpx.Request) -> httpx.Response:
        if req.url.path == "/users/current.json":
            return httpx.Response(200, json={"user": {"login": "ann"}})
        return httpx.Response(404, json={})

    c = make_connector("r", {"type": "redmine", "url": "https://redmine.example.org", "project": "helpdsk"},
                       {"api_key": "K"}, transport=httpx.MockTransport(answer))
    with pytest.raises(RejectedError, match="has no project 'helpdsk'"):
        c.test()
    c403 = make_connector("r", {"type": "redmine", "url": "https://redmine.example.org", "project": "helpdsk"},
                          {"api_key": "K"}, transport=httpx.MockTransport(lambda r: httpx.Response(403)))
    with pytest.raises(AuthError, match="REST API"):
        c403.test()


def test_webhook_url_is_used_as_written_and_base_urls_are_joined() -> None:
    hook = make_connector("h", {"type": "webhook", "url": "http://127.0.0.1:8000/api/tickets/"}, {})
    assert hook.build(Ticket(summary="x"))[0].url == "http://127.0.0.1:8000/api/tickets/"  # type: ignore[union-attr]
    rt = make_connector("rt", {"type": "rt", "url": "https://rt.example.org/", "queue": "G"}, {"token": "t"})
    assert rt.build(Ticket(summary="x"))[0].url == "https://rt.example.org/REST/2.0/ticket"  # type: ignore[union-attr]


def test_a_missing_secret_names_the_exact_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    c = make_connector("help-desk", {"type": "rt", "url": "https://rt.example.org", "queue": "G"}, {})
    with pytest.raises(ConfigError, match=r"set DESKSIDE_SECRET_HELP_DESK_TOKEN in the environment"):
        c.build(Ticket(summary="x"))


def test_secret_status_from_environment_and_for_secretless_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    store = SecretStore()
    assert store.status("mail", ()) == "no secret needed"
    monkeypatch.setenv("DESKSIDE_SECRET_RT_TOKEN", "t0k")
    assert store.status("rt", ("token",)) == "token: environment (DESKSIDE_SECRET_RT_TOKEN)"


@pytest.mark.parametrize(("extra", "error"), [
    ({"body_template": {"title": "{subjekt}"}}, r"unknown placeholder\(s\) subjekt"),
    ({"body_template": {"queue": "{queue}"}}, "set queue = "),
    ({"body_template": {"a": {"b": "{subject}"}}, "bundle": "multipart"}, "cannot nest"),
    ({"body_template": {"a": "{subject}"}, "bundle": "multipart", "sign": True}, "needs a JSON body")])
def test_webhook_template_mistakes_are_named(extra: dict[str, object], error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        make_connector("h", {"type": "webhook", "url": "https://hook.example.org/t/", **extra}, {})


def test_webhook_template_fills_numbers_as_numbers_and_text_inside_text() -> None:
    c = make_connector("h", {"type": "webhook", "url": "https://hook.example.org/t/", "queue": 7,
                             "body_template": {"queue": "{queue}", "title": "[IT] {summary}", "p": "{priority}",
                                               "files": [{"name": "{bundle_filename}", "b64": "{bundle_base64}"}]}},
                       {})
    t = Ticket(summary="Disk full", impact=1, urgency=1)
    body = json.loads(c.build(t)[0].content or b"")  # type: ignore[union-attr]
    assert body == {"queue": 7, "title": "[IT] Disk full", "p": 1, "files": [{"name": "", "b64": ""}]}
