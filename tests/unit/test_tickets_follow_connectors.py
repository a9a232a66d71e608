"""Following a sent ticket: the exact requests each backend's follow/reply/reopen/priority sends (against the
backend's documented API, through httpx.MockTransport), and how its answers map onto the common model (state,
public replies, ours or the helpdesk's). Request Tracker is also tested against the real RT in tests/integration."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tickets.connectors import connector_class, make_connector
from tickets.connectors.base import Connector
from tickets.errors import RejectedError
from tickets.lifecycle import NoStatus, State, TicketStatus
from tickets.model import Attachment

BUNDLE = [Attachment("deskside-bundle-2.zip", "application/zip", b"PK\x03\x04zip")]

CONFIGS: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "rt": ({"type": "rt", "url": "https://rt.example.org", "queue": "General"}, {"token": "T"}),
    "zammad": ({"type": "zammad", "url": "https://zammad.example.org", "group": "Users"}, {"token": "T"}),
    "glpi": ({"type": "glpi", "url": "https://glpi.example.org"}, {"user_token": "UT"}),
    "jira": ({"type": "jira", "url": "https://acme.atlassian.net", "service_desk_id": 4, "request_type_id": "12",
              "user": "me@acme.example"}, {"api_token": "AT"}),
    "freshdesk": ({"type": "freshdesk", "url": "https://acme.freshdesk.com"}, {"api_key": "K"}),
    "zendesk": ({"type": "zendesk", "url": "https://acme.zendesk.com", "user": "a@acme.example"}, {"token": "T"}),
    "redmine": ({"type": "redmine", "url": "https://redmine.example.org", "project": "support"}, {"api_key": "RK"}),
    "github": ({"type": "github", "repo": "acme/helpdesk"}, {"token": "ghp_x"}),
    "gitlab": ({"type": "gitlab", "url": "https://gitlab.example.org", "project": "it/helpdesk"}, {"token": "glpat"}),
}

# What each backend answers to the status requests (path -> JSON), the remote id, and what must come out:
# (state, backend word, [(reply text, ours)]).
ANSWERS: dict[str, tuple[str, dict[str, Any], tuple[State, str, list[tuple[str, bool]]]]] = {
    "rt": ("7", {
        "/REST/2.0/ticket/7": {"Status": "stalled", "Created": "2026-01-05T09:00:00Z", "Priority": "70",
                               "Resolved": "1970-01-01T00:00:00Z"},
        "/REST/2.0/ticket/7/history": {"items": [
            {"id": "1", "Type": "Create", "Creator": {"id": "ann"}, "Created": "2026-01-05T09:00:00Z"},
            {"id": "2", "Type": "Comment", "Creator": {"id": "bob"}, "Created": "2026-01-05T09:05:00Z"},
            {"id": "3", "Type": "Correspond", "Creator": {"id": "bob"}, "Created": "2026-01-05T09:10:00Z"}]},
        "/REST/2.0/ticket/7/attachments": {"items": [
            {"TransactionId": "2", "ContentType": "text/plain", "Filename": "", "Content": "internal note"},
            {"TransactionId": "3", "ContentType": "text/plain", "Filename": "", "Content": "Restart it please"}]},
    }, (State.WAITING, "stalled", [("Restart it please", False)])),
    "zammad": ("12", {
        "/api/v1/tickets/12": {"state": "pending reminder", "created_at": "2026-01-05T09:00:00.000Z",
                               "priority": "2 normal"},
        "/api/v1/ticket_articles/by_ticket/12": [
            {"id": 1, "sender": "Customer", "from": "Ann", "body": "Printer offline", "internal": False,
             "created_at": "2026-01-05T09:00:00Z"},
            {"id": 2, "sender": "Agent", "from": "Bob", "body": "internal", "internal": True},
            {"id": 3, "sender": "Agent", "from": "Bob", "body": "Which printer?", "internal": False,
             "created_at": "2026-01-05T09:30:00Z"},
            {"id": 4, "sender": "Customer", "from": "Ann", "body": "The 3rd floor one", "internal": False,
             "created_at": "2026-01-05T09:40:00Z"}],
    }, (State.WAITING, "pending reminder", [("Which printer?", False), ("The 3rd floor one", True)])),
    "glpi": ("31", {
        "/apirest.php/initSession": {"session_token": "S1"},
        "/apirest.php/Ticket/31": {"status": 5, "date_creation": "2026-01-05 09:00:00", "users_id_recipient": 8,
                                   "solvedate": "2026-01-06 10:00:00", "priority": 3},
        "/apirest.php/Ticket/31/ITILFollowup": [
            {"id": 1, "users_id": 2, "content": "&lt;p&gt;Fixed &amp;amp; tested&lt;/p&gt;", "is_private": 0,
             "date_creation": "2026-01-06 09:00:00"},
            {"id": 2, "users_id": 2, "content": "secret", "is_private": 1}],
        "/apirest.php/killSession": {},
    }, (State.RESOLVED, "solved", [("Fixed & tested", False)])),
    "jira": ("HD-4", {
        "/rest/servicedeskapi/request/HD-4": {
            "reporter": {"accountId": "me"}, "createdDate": {"epochMillis": 1767603600000},
            "currentStatus": {"status": "Waiting for customer", "statusCategory": "INDETERMINATE"}},
        "/rest/servicedeskapi/request/HD-4/comment": {"values": [
            {"id": "10", "body": "Can you send a photo?", "public": True, "author": {"accountId": "agent",
                                                                                     "displayName": "Bob"},
             "created": {"epochMillis": 1767604000000}}]},
    }, (State.WAITING, "Waiting for customer", [("Can you send a photo?", False)])),
    "freshdesk": ("55", {
        "/api/v2/tickets/55": {"status": 4, "created_at": "2026-01-05T09:00:00Z", "priority": 2,
                               "stats": {"resolved_at": "2026-01-05T12:00:00Z"}},
        "/api/v2/tickets/55/conversations": [
            {"id": 1, "body_text": "Done on our side", "private": False, "incoming": False,
             "created_at": "2026-01-05T11:00:00Z"},
            {"id": 2, "body_text": "note", "private": True, "incoming": False}],
    }, (State.RESOLVED, "Resolved", [("Done on our side", False)])),
    "zendesk": ("99", {
        "/api/v2/tickets/99.json": {"ticket": {"status": "open", "requester_id": 5,
                                               "created_at": "2026-01-05T09:00:00Z", "priority": "high"}},
        "/api/v2/tickets/99/comments.json": {"comments": [
            {"id": 1, "author_id": 5, "plain_body": "Printer offline", "public": True},
            {"id": 2, "author_id": 6, "plain_body": "On it", "public": True, "created_at": "2026-01-05T09:20:00Z"},
            {"id": 3, "author_id": 6, "plain_body": "internal", "public": False}]},
    }, (State.OPEN, "open", [("On it", False)])),
    "redmine": ("17", {
        "/issues/17.json": {"issue": {"status": {"id": 4, "name": "Feedback"}, "author": {"id": 3},
                                      "created_on": "2026-01-05T09:00:00Z", "priority": {"name": "Urgent"},
                                      "journals": [
                                          {"id": 1, "notes": "", "user": {"id": 9, "name": "Bob"}},
                                          {"id": 2, "notes": "Which model?", "user": {"id": 9, "name": "Bob"},
                                           "created_on": "2026-01-05T10:00:00Z"},
                                          {"id": 3, "notes": "private", "private_notes": True,
                                           "user": {"id": 9, "name": "Bob"}}]}},
    }, (State.WAITING, "Feedback", [("Which model?", False)])),
    "github": ("42", {
        "/repos/acme/helpdesk/issues/42": {"state": "closed", "state_reason": "completed", "user": {"login": "ann"},
                                           "created_at": "2026-01-05T09:00:00Z",
                                           "closed_at": "2026-01-06T09:00:00Z",
                                           "labels": [{"name": "deskside"}, {"name": "P3"}],
                                           "html_url": "https://github.com/acme/helpdesk/issues/42"},
        "/repos/acme/helpdesk/issues/42/comments": [
            {"id": 1, "user": {"login": "bob"}, "body": "Fixed in 1.2", "created_at": "2026-01-05T10:00:00Z"},
            {"id": 2, "user": {"login": "ann"}, "body": "Thanks", "created_at": "2026-01-05T11:00:00Z"}],
    }, (State.RESOLVED, "completed", [("Fixed in 1.2", False), ("Thanks", True)])),
    "gitlab": ("8", {
        "/api/v4/projects/it%2Fhelpdesk/issues/8": {"state": "opened", "author": {"id": 1},
                                                    "created_at": "2026-01-05T09:00:00Z", "labels": ["P2"],
                                                    "web_url": "https://gitlab.example.org/it/helpdesk/-/issues/8"},
        "/api/v4/projects/it%2Fhelpdesk/issues/8/notes": [
            {"id": 1, "system": True, "body": "added label", "author": {"id": 2, "username": "bob"}},
            {"id": 2, "body": "Looking", "author": {"id": 2, "username": "bob"}, "created_at": "2026-01-05T10:00:00Z"},
            {"id": 3, "body": "internal", "internal": True, "author": {"id": 2, "username": "bob"}}],
    }, (State.OPEN, "opened", [("Looking", False)])),
}


def connector(kind: str, handler: Any) -> Connector:
    cfg, secrets = CONFIGS[kind]
    return make_connector(kind, cfg, secrets, transport=httpx.MockTransport(handler))


def recorder(answers: dict[str, Any]) -> tuple[list[httpx.Request], Any]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.raw_path.decode().split("?")[0]
        if path in answers:
            return httpx.Response(200, json=answers[path])
        return httpx.Response(200, json={"ok": True})

    return seen, handler


@pytest.mark.parametrize("kind", sorted(ANSWERS))
def test_follow_reads_state_and_public_replies(kind: str) -> None:
    remote_id, answers, (state, word, replies) = ANSWERS[kind]
    seen, handler = recorder(answers)
    status = connector(kind, handler).follow(remote_id)
    assert (status.state, status.backend_state) == (state, word)
    assert [(r.text, r.ours) for r in status.replies] == replies
    assert status.created is not None and status.url
    assert all(r.method == "GET" for r in seen)
    assert {r.url.raw_path.decode().split("?")[0] for r in seen} == set(answers)


def test_rt_requests_exactly() -> None:
    seen, handler = recorder(ANSWERS["rt"][1])
    c = connector("rt", handler)
    c.follow("7")
    assert [str(r.url) for r in seen] == [
        "https://rt.example.org/REST/2.0/ticket/7",
        "https://rt.example.org/REST/2.0/ticket/7/history?fields=Type%2CCreated%2CCreator&per_page=100",
        "https://rt.example.org/REST/2.0/ticket/7/attachments?fields=TransactionId%2CContent%2CContentType%2CFilename"
        "&per_page=100"]
    assert all(r.headers["Authorization"] == "token T" for r in seen)
    (reply,) = c.reply_requests("7", "thanks", BUNDLE)
    assert (reply.method, reply.url) == ("POST", "https://rt.example.org/REST/2.0/ticket/7/correspond")
    assert reply.json == {"Content": "thanks", "ContentType": "text/plain", "Attachments": [
        {"FileName": "deskside-bundle-2.zip", "FileType": "application/zip", "FileContent": "UEsDBHppcA=="}]}
    (reopen,) = c.reopen_requests("7")
    assert (reopen.method, reopen.url, reopen.json) == ("PUT", "https://rt.example.org/REST/2.0/ticket/7",
                                                        {"Status": "open"})
    (prio,) = c.priority_requests("7", 1, TicketStatus("7", State.OPEN, "open"))
    assert prio.json == {"Priority": 90}


STATUS = TicketStatus("x", State.RESOLVED, "done", labels=("deskside", "P4"))
# kind, remote id -> (reply, reopen, priority P2) as (method, path, body)
WRITES: dict[str, tuple[str, tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]] = {
    "zammad": ("12", ("POST", "/api/v1/ticket_articles", {"ticket_id": 12, "body": "thanks", "type": "web",
                                                         "internal": False, "content_type": "text/plain"}),
               ("PUT", "/api/v1/tickets/12", {"state": "open"}), ("PUT", "/api/v1/tickets/12", {"priority": "3 high"})),
    "glpi": ("31", ("POST", "/apirest.php/ITILFollowup", {"input": {"itemtype": "Ticket", "items_id": 31,
                                                                    "content": "thanks", "is_private": 0}}),
             ("PUT", "/apirest.php/Ticket/31", {"input": {"status": 2}}),
             ("PUT", "/apirest.php/Ticket/31", {"input": {"priority": 4}})),
    "freshdesk": ("55", ("POST", "/api/v2/tickets/55/notes", {"body": "thanks", "private": False, "incoming": True}),
                  ("PUT", "/api/v2/tickets/55", {"status": 2}), ("PUT", "/api/v2/tickets/55", {"priority": 3})),
    "zendesk": ("99", ("PUT", "/api/v2/tickets/99.json", {"ticket": {"comment": {"body": "thanks", "public": True}}}),
                ("PUT", "/api/v2/tickets/99.json", {"ticket": {"status": "open"}}),
                ("PUT", "/api/v2/tickets/99.json", {"ticket": {"priority": "high"}})),
    "redmine": ("17", ("PUT", "/issues/17.json", {"issue": {"notes": "thanks"}}),
                ("PUT", "/issues/17.json", {"issue": {"status_id": 2}}),
                ("PUT", "/issues/17.json", {"issue": {"priority_id": 4}})),
    "github": ("42", ("POST", "/repos/acme/helpdesk/issues/42/comments", {"body": "thanks"}),
               ("PATCH", "/repos/acme/helpdesk/issues/42", {"state": "open"}),
               ("PATCH", "/repos/acme/helpdesk/issues/42", {"labels": ["deskside", "P2"]})),
    "gitlab": ("8", ("POST", "/api/v4/projects/it%2Fhelpdesk/issues/8/notes", {"body": "thanks"}),
               ("PUT", "/api/v4/projects/it%2Fhelpdesk/issues/8", {"state_event": "reopen"}),
               ("PUT", "/api/v4/projects/it%2Fhelpdesk/issues/8", {"add_labels": "P2",
                                                                   "remove_labels": "P1,P3,P4,P5"})),
    "jira": ("HD-4", ("POST", "/rest/servicedeskapi/request/HD-4/comment", {"body": "thanks", "public": True}),
             (), ("PUT", "/rest/api/2/issue/HD-4", {"fields": {"priority": {"name": "High"}}})),
}


@pytest.mark.parametrize("kind", sorted(WRITES))
def test_reply_reopen_and_priority_send_exactly(kind: str) -> None:
    remote_id, reply, reopen, prio = WRITES[kind]
    seen, handler = recorder(ANSWERS[kind][1])
    c = connector(kind, handler)

    def sent() -> tuple[str, str, Any]:
        (r,) = [r for r in seen if not r.url.path.endswith(("/initSession", "/killSession"))]
        seen.clear()
        return r.method, r.url.raw_path.decode(), json.loads(r.content)

    c.reply(remote_id, "thanks")
    assert sent() == reply
    if reopen:
        c.reopen(remote_id)
        assert sent() == reopen
    else:
        with pytest.raises(NoStatus, match="reopen"):
            c.reopen(remote_id)
    c.set_priority(remote_id, 2, STATUS)
    assert sent() == prio


def test_glpi_follow_opens_and_closes_a_session() -> None:
    seen, handler = recorder(ANSWERS["glpi"][1])
    connector("glpi", handler).follow("31")
    assert [r.url.path for r in seen] == ["/apirest.php/initSession", "/apirest.php/Ticket/31",
                                          "/apirest.php/Ticket/31/ITILFollowup", "/apirest.php/killSession"]
    assert seen[0].headers["Authorization"] == "user_token UT"
    assert all(r.headers["Session-Token"] == "S1" for r in seen[1:])


@pytest.mark.parametrize("kind", ["zendesk", "redmine", "gitlab", "jira", "glpi"])
def test_a_reply_with_a_bundle_where_the_backend_cannot_take_one_says_so(kind: str) -> None:
    seen, handler = recorder(ANSWERS[kind][1])
    with pytest.raises(RejectedError, match="cannot carry the bundle"):
        connector(kind, handler).reply(ANSWERS[kind][0], "thanks", BUNDLE)
    assert [r for r in seen if "Session" not in r.url.path] == []


def test_freshdesk_and_zammad_replies_carry_the_bundle() -> None:
    seen, handler = recorder({})
    connector("freshdesk", handler).reply("55", "see <attached>\nlog", BUNDLE)
    (r,) = seen
    body = r.read()
    assert b'name="body"\r\n\r\nsee &lt;attached&gt;<br>log' in body and b"deskside-bundle-2.zip" in body
    (z,) = make_connector("z", *CONFIGS["zammad"]).reply_requests("12", "see", BUNDLE)
    assert z.json["attachments"] == [{"filename": "deskside-bundle-2.zip", "mime-type": "application/zip",
                                      "data": "UEsDBHppcA=="}]


def test_github_reply_inlines_the_bundle_text() -> None:
    (r,) = make_connector("gh", *CONFIGS["github"]).reply_requests("42", "see below", BUNDLE)
    assert r.json["body"].startswith("see below\n\n")


@pytest.mark.parametrize("kind", ["email", "webhook"])
def test_email_and_webhook_say_no_status_available(kind: str) -> None:
    cfg = ({"type": "email", "host": "127.0.0.1", "from": "a@example.org", "to": ["b@example.org"]}
           if kind == "email" else {"type": "webhook", "url": "https://hooks.example.org/x"})
    c = make_connector("m", cfg, {"password": "p", "token": "t"})
    assert not connector_class(kind).follows
    for call in (lambda: c.follow("1"), lambda: c.reply("1", "x"), lambda: c.reopen("1")):
        with pytest.raises(NoStatus, match=r"no .*available"):
            call()
