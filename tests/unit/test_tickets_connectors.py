"""The exact requests each connector builds, against the backend's documented API (no network).

Backends with a real server in the tests (Request Tracker, SMTP) are also tested end to end in tests/integration.
The submit() flows of multi-step backends run against httpx.MockTransport to check that values from one answer
(session token, upload token, issue key) land in the next request.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any, ClassVar

import httpx
import pytest

from tickets.connectors import TYPES, HttpRequest, MailRequest, connector_class, make_connector
from tickets.connectors.base import Submitted, UploadThenCreate
from tickets.errors import AuthError, ConfigError, RejectedError, TransientError
from tickets.model import Attachment, IncidentType, Ticket

ZIP = b"PK\x03\x04 pretend zip \x00\xff bytes"


def ticket(**kw: Any) -> Ticket:
    base: dict[str, Any] = dict(summary="Printer offline", description="Since 9:00, whole floor",
                                incident_type=IncidentType.TECHNICAL_FAILURE, impact=1, urgency=2,
                                requester_name="Ann", requester_email="ann@example.org",
                                attachments=[Attachment("deskside-bundle-1.zip", "application/zip", ZIP)],
                                uid="11111111-2222-3333-4444-555555555555")
    base.update(kw)
    return Ticket(**base)


def multipart(req: HttpRequest) -> list[tuple[str, str | None, str, bytes]]:
    """Encode the request as httpx would send it and parse the parts back: (name, filename, type, data)."""
    files = [(f.field, (f.filename or None, f.data, f.content_type)) for f in req.files or []]
    r = httpx.Request(req.method, req.url, headers=req.headers, files=files, data=req.data)
    body = r.read()
    ctype = r.headers["content-type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    msg = BytesParser(policy=default_policy).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
    out = []
    for part in msg.iter_parts():
        out.append((part.get_param("name", header="content-disposition"), part.get_filename(),
                    part.get_content_type(), part.get_payload(decode=True)))
    return out


def test_every_backend_type_has_a_connector_with_schema_and_title() -> None:
    assert set(TYPES) == {"rt", "zammad", "glpi", "osticket", "jira", "freshdesk", "zendesk", "redmine", "github",
                          "gitlab", "email", "webhook"}
    for t in TYPES:
        c = connector_class(t)
        assert c.type == t and c.title and c.schema.get("properties")


# ---- validate(): before any I/O ------------------------------------------------------------------------------
@pytest.mark.parametrize(("cfg", "message"), [
    ({"type": "rt", "queue": "General"}, "'url' is a required property"),
    ({"type": "rt", "url": "ftp://rt.example.org", "queue": "G"}, "is not an http(s) URL"),
    ({"type": "rt", "url": "http://rt.example.org", "queue": "G"}, "plain http"),
    ({"type": "rt", "url": "https://root:pw@rt.example.org", "queue": "G"}, "secrets go in the keyring"),
    ({"type": "rt", "url": "https://rt.example.org", "queue": "G", "auth": "basic"}, "needs user"),
    ({"type": "rt", "url": "https://rt.example.org", "queue": "G", "colour": "red"}, "'colour' was unexpected"),
    ({"type": "zendesk", "url": "https://x.zendesk.com"}, "needs user"),
    ({"type": "email", "host": "mail.example.org", "from": "me", "to": ["a@b.org"]}, "'me' is not an e-mail"),
    ({"type": "email", "host": "mail.example.org", "from": "a@b.org", "to": ["c@d.org"], "security": "none",
      "username": "u"}, "unencrypted"),
    ({"type": "github", "repo": "not a repo"}, "does not match"),
    ({"type": "nope"}, "unknown backend type 'nope'"),
])
def test_validate_reports_bad_config_clearly(cfg: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        make_connector("desk", cfg, {})
    assert message in str(exc.value)
    assert "desk" in str(exc.value) or "unknown backend type" in str(exc.value)


def test_missing_secret_says_how_to_store_it() -> None:
    c = make_connector("desk", {"type": "rt", "url": "https://rt.example.org", "queue": "General"}, {})
    with pytest.raises(ConfigError, match="deskside backend set-secret desk"):
        c.build(ticket())


# ---- Request Tracker -----------------------------------------------------------------------------------------
def test_rt_multipart_request() -> None:
    c = make_connector("rt", {"type": "rt", "url": "https://rt.example.org/", "queue": "Support",
                              "custom_fields": {"incident_type": "Incident Type", "marker": "Deskside Marker"}},
                       {"token": "1-2-abc"})
    (req,) = c.build(ticket())
    assert isinstance(req, HttpRequest)
    assert (req.method, req.url) == ("POST", "https://rt.example.org/REST/2.0/ticket")
    assert req.headers["Authorization"] == "token 1-2-abc"
    parts = multipart(req)
    assert [(p[0], p[1]) for p in parts] == [("JSON", None), ("Attachments", "deskside-bundle-1.zip")]
    payload = json.loads(parts[0][3])
    assert payload["Queue"] == "Support" and payload["Priority"] == 70 and payload["Requestor"] == "ann@example.org"
    assert payload["Subject"] == "Printer offline [deskside:11111111-2222-3333-4444-555555555555]"
    assert payload["CustomFields"] == {"Incident Type": "technical failure",
                                       "Deskside Marker": "11111111-2222-3333-4444-555555555555"}
    assert parts[1][2] == "application/zip" and parts[1][3] == ZIP


def test_rt_json_attachments_and_basic_auth_and_search() -> None:
    c = make_connector("rt", {"type": "rt", "url": "https://rt.example.org", "queue": "General", "auth": "basic",
                              "user": "helper", "attach": "json", "priorities": {"P2": 60}}, {"password": "pw"})
    (req,) = c.build(ticket())
    assert isinstance(req, HttpRequest)
    assert req.headers["Authorization"] == "Basic " + base64.b64encode(b"helper:pw").decode()
    assert req.json["Priority"] == 60
    assert req.json["Attachments"] == [{"FileName": "deskside-bundle-1.zip", "FileType": "application/zip",
                                        "FileContent": base64.b64encode(ZIP).decode()}]
    s = c.search_request(ticket())  # type: ignore[attr-defined]
    assert s.params["query"] == "Subject LIKE 'deskside:11111111-2222-3333-4444-555555555555'"


# ---- Zammad --------------------------------------------------------------------------------------------------
def test_zammad_request() -> None:
    c = make_connector("z", {"type": "zammad", "url": "https://zammad.example.org", "group": "Users"},
                       {"token": "tok"})
    (req,) = c.build(ticket())
    assert isinstance(req, HttpRequest)
    assert (req.method, req.url) == ("POST", "https://zammad.example.org/api/v1/tickets")
    assert req.headers["Authorization"] == "Token token=tok"
    body = req.json
    assert body["title"].endswith("[deskside:11111111-2222-3333-4444-555555555555]")
    assert (body["group"], body["customer"], body["priority"]) == ("Users", "guess:ann@example.org", "3 high")
    art = body["article"]
    assert (art["type"], art["internal"], art["content_type"]) == ("note", False, "text/plain")
    assert art["attachments"] == [{"filename": "deskside-bundle-1.zip", "data": base64.b64encode(ZIP).decode(),
                                   "mime-type": "application/zip"}]


# ---- GLPI ----------------------------------------------------------------------------------------------------
def test_glpi_plan() -> None:
    c = make_connector("g", {"type": "glpi", "url": "https://glpi.example.org", "use_app_token": True,
                             "category_id": 7}, {"user_token": "ut", "app_token": "at"})
    login, create, doc, logout = c.build(ticket(incident_type=IncidentType.REQUEST))
    assert isinstance(login, HttpRequest) and isinstance(create, HttpRequest) and isinstance(doc, HttpRequest)
    assert (login.method, login.url) == ("GET", "https://glpi.example.org/apirest.php/initSession")
    assert login.headers == {"Authorization": "user_token ut", "App-Token": "at"}
    assert (create.method, create.url) == ("POST", "https://glpi.example.org/apirest.php/Ticket")
    assert create.headers["Session-Token"] == "{session_token}" and create.headers["App-Token"] == "at"
    inp = create.json["input"]
    assert (inp["type"], inp["urgency"], inp["impact"], inp["itilcategories_id"]) == (2, 3, 4, 7)
    assert doc.url == "https://glpi.example.org/apirest.php/Document"
    parts = multipart(doc)
    assert parts[0][0] == "uploadManifest"
    assert json.loads(parts[0][3]) == {"input": {"name": "deskside-bundle-1.zip",
                                                 "_filename": ["deskside-bundle-1.zip"], "itemtype": "Ticket",
                                                 "items_id": "{ticket_id}"}}
    assert (parts[1][0], parts[1][1], parts[1][3]) == ("filename[0]", "deskside-bundle-1.zip", ZIP)
    assert isinstance(logout, HttpRequest) and logout.url.endswith("/killSession")


def test_glpi_submit_threads_session_and_ticket_id() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        path = req.url.path
        if path.endswith("/initSession"):
            return httpx.Response(200, json={"session_token": "S123"})
        if path.endswith("/Ticket"):
            return httpx.Response(201, json={"id": 42, "message": ""})
        if path.endswith("/Document"):
            return httpx.Response(201, json={"id": 9})
        return httpx.Response(200, json={})

    c = make_connector("g", {"type": "glpi", "url": "https://glpi.example.org"}, {"user_token": "ut"},
                       transport=httpx.MockTransport(handler))
    res = c.submit(ticket())
    assert (res.id, res.url) == ("42", "https://glpi.example.org/front/ticket.form.php?id=42")
    assert [r.url.path for r in seen] == ["/apirest.php/initSession", "/apirest.php/Ticket", "/apirest.php/Document",
                                          "/apirest.php/killSession"]
    assert all(r.headers["Session-Token"] == "S123" for r in seen[1:])
    assert b'"items_id": 42' in seen[2].read()


# ---- osTicket ------------------------------------------------------------------------------------------------
def test_osticket_request() -> None:
    c = make_connector("o", {"type": "osticket", "url": "https://help.example.org", "topic_id": 3},
                       {"api_key": "KEY"})
    (req,) = c.build(ticket())
    assert isinstance(req, HttpRequest)
    assert (req.method, req.url) == ("POST", "https://help.example.org/api/tickets.json")
    assert req.headers["X-API-Key"] == "KEY"
    b = req.json
    assert (b["name"], b["email"], b["priorityId"], b["topicId"]) == ("Ann", "ann@example.org", 3, 3)
    assert b["message"].startswith("data:text/plain;charset=utf-8,")
    assert b["attachments"] == [{"deskside-bundle-1.zip": "data:application/zip;base64,"
                                 + base64.b64encode(ZIP).decode()}]
    assert not c.searchable and not c.idempotent


def test_osticket_needs_a_requester_email() -> None:
    c = make_connector("o", {"type": "osticket", "url": "https://help.example.org"}, {"api_key": "KEY"})
    with pytest.raises(ConfigError, match="requester's e-mail"):
        c.build(ticket(requester_email=""))


# ---- Jira Service Management ----------------------------------------------------------------------------------
def test_jira_plan() -> None:
    c = make_connector("j", {"type": "jira", "url": "https://acme.atlassian.net", "service_desk_id": 4,
                             "request_type_id": "12", "user": "me@acme.example", "set_priority": True},
                       {"api_token": "AT"})
    up, create, attach = c.build(ticket())
    assert isinstance(up, HttpRequest) and isinstance(create, HttpRequest) and isinstance(attach, HttpRequest)
    assert up.url == "https://acme.atlassian.net/rest/servicedeskapi/servicedesk/4/attachTemporaryFile"
    assert up.headers["X-Atlassian-Token"] == "no-check" and up.headers["X-ExperimentalApi"] == "opt-in"
    assert up.headers["Authorization"] == "Basic " + base64.b64encode(b"me@acme.example:AT").decode()
    assert [(p[0], p[1], p[3]) for p in multipart(up)] == [("file", "deskside-bundle-1.zip", ZIP)]
    assert create.url == "https://acme.atlassian.net/rest/servicedeskapi/request"
    assert create.json["serviceDeskId"] == "4" and create.json["requestTypeId"] == "12"
    assert create.json["requestFieldValues"]["priority"] == {"name": "High"}
    assert attach.url == "https://acme.atlassian.net/rest/servicedeskapi/request/{issueKey}/attachment"
    assert attach.json["temporaryAttachmentIds"] == ["{temporaryAttachmentIds}"] and attach.json["public"] is True


def test_jira_submit_uses_temporary_ids_and_issue_key() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        if req.url.path.endswith("/attachTemporaryFile"):
            return httpx.Response(201, json={"temporaryAttachments": [{"temporaryAttachmentId": "tmp-1"}]})
        if req.url.path.endswith("/request"):
            return httpx.Response(201, json={"issueKey": "HELP-7",
                                             "_links": {"web": "https://acme.atlassian.net/servicedesk/x/HELP-7"}})
        return httpx.Response(200, json={})

    c = make_connector("j", {"type": "jira", "url": "https://acme.atlassian.net", "service_desk_id": 4,
                             "request_type_id": 12, "user": "me@acme.example"}, {"api_token": "AT"},
                       transport=httpx.MockTransport(handler))
    res = c.submit(ticket())
    assert res.id == "HELP-7" and res.url.endswith("/HELP-7")
    assert seen[2].url.path == "/rest/servicedeskapi/request/HELP-7/attachment"
    assert json.loads(seen[2].read())["temporaryAttachmentIds"] == ["tmp-1"]


# ---- Freshdesk -----------------------------------------------------------------------------------------------
def test_freshdesk_multipart_request() -> None:
    c = make_connector("f", {"type": "freshdesk", "url": "https://acme.freshdesk.com",
                             "ticket_type": {"technical failure": "Incident"}}, {"api_key": "K"})
    (req,) = c.build(ticket())
    assert isinstance(req, HttpRequest)
    assert (req.method, req.url) == ("POST", "https://acme.freshdesk.com/api/v2/tickets")
    assert req.headers["Authorization"] == "Basic " + base64.b64encode(b"K:X").decode()
    parts = multipart(req)
    fields = {(p[0], p[3].decode()) for p in parts if p[1] is None}
    assert ("email", "ann@example.org") in fields and ("priority", "3") in fields and ("status", "2") in fields
    assert ("tags[]", "deskside-11111111-2222-3333-4444-555555555555") in fields and ("type", "Incident") in fields
    assert [(p[0], p[1], p[3]) for p in parts if p[1]] == [("attachments[]", "deskside-bundle-1.zip", ZIP)]
    s = c.search_request(ticket())  # type: ignore[attr-defined]
    assert s.params["query"] == "\"tag:'deskside-11111111-2222-3333-4444-555555555555'\""


# ---- Zendesk -------------------------------------------------------------------------------------------------
def test_zendesk_plan_with_idempotency_key() -> None:
    c = make_connector("zd", {"type": "zendesk", "url": "https://acme.zendesk.com", "user": "agent@acme.example"},
                       {"token": "T"})
    assert c.idempotent
    up, create = c.build(ticket(incident_type=IncidentType.SOFTWARE_PROBLEM))
    assert isinstance(up, HttpRequest) and isinstance(create, HttpRequest)
    assert (up.method, up.url, up.params) == ("POST", "https://acme.zendesk.com/api/v2/uploads",
                                              {"filename": "deskside-bundle-1.zip"})
    assert up.content == ZIP and up.headers["Content-Type"] == "application/zip"
    assert up.headers["Authorization"] == "Basic " + base64.b64encode(b"agent@acme.example/token:T").decode()
    assert create.url == "https://acme.zendesk.com/api/v2/tickets"
    assert create.headers["Idempotency-Key"] == "11111111-2222-3333-4444-555555555555"
    t = create.json["ticket"]
    assert (t["priority"], t["type"]) == ("high", "problem")  # P2
    assert t["comment"]["uploads"] == ["{upload_token}"]
    assert t["requester"] == {"email": "ann@example.org", "name": "Ann"}


def test_zendesk_submit_passes_the_upload_token_and_retries_keep_the_key() -> None:
    keys: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.path == "/api/v2/uploads":
            return httpx.Response(201, json={"upload": {"token": "UP-1"}})
        keys.append(req.headers["Idempotency-Key"])
        assert json.loads(req.read())["ticket"]["comment"]["uploads"] == ["UP-1"]
        return httpx.Response(201, json={"ticket": {"id": 501}})

    c = make_connector("zd", {"type": "zendesk", "url": "https://acme.zendesk.com", "user": "a@acme.example"},
                       {"token": "T"}, transport=httpx.MockTransport(handler))
    t = ticket()
    assert c.submit(t).id == "501" and c.submit(t).id == "501"
    assert keys == [t.uid, t.uid]


# ---- Redmine -------------------------------------------------------------------------------------------------
def test_redmine_plan() -> None:
    c = make_connector("r", {"type": "redmine", "url": "https://redmine.example.org", "project": "support",
                             "tracker_id": 1}, {"api_key": "RK"})
    up, create = c.build(ticket())
    assert isinstance(up, HttpRequest) and isinstance(create, HttpRequest)
    assert (up.url, up.params, up.content) == ("https://redmine.example.org/uploads.json",
                                               {"filename": "deskside-bundle-1.zip"}, ZIP)
    assert up.headers == {"X-Redmine-API-Key": "RK", "Content-Type": "application/octet-stream"}
    issue = create.json["issue"]
    assert (issue["project_id"], issue["priority_id"], issue["tracker_id"]) == ("support", 4, 1)
    assert issue["uploads"] == [{"token": "{upload_token}", "filename": "deskside-bundle-1.zip",
                                 "content_type": "application/zip"}]


# ---- the shared upload-then-create step (Redmine, Zendesk, GitLab) ------------------------------------------
class _TwoStep(UploadThenCreate):
    """A made-up backend: POST /up answers {"upload": {"token": ...}}, POST /new creates with the tokens."""

    type = "twostep"
    title = "Two Step desk"
    short_title = "TwoStep"
    creates = "case"
    schema: ClassVar[dict[str, Any]] = {"required": ["url"], "properties": {"url": {"type": "string"}}}

    def upload_requests(self, ticket: Ticket) -> list[HttpRequest]:
        return [HttpRequest("POST", f"{self.config['url']}/up", content=a.data, params={"filename": a.filename},
                            step="upload") for a in ticket.attachments]

    def create_request(self, ticket: Ticket, refs: list[str]) -> HttpRequest:
        return HttpRequest("POST", f"{self.config['url']}/new", json={"subject": ticket.subject, "files": refs},
                           step="create")

    def on_create_status(self, resp: httpx.Response) -> None:
        if resp.status_code == 409:
            raise TransientError("already there", maybe_sent=True)


def _two_attachments() -> Ticket:
    return ticket(attachments=[Attachment("a.zip", "application/zip", b"A"), Attachment("b.zip", "application/zip",
                                                                                         b"B")])


def test_upload_then_create_plan_names_each_upload_by_a_placeholder() -> None:
    c = _TwoStep("t", {"url": "https://desk.example.org"})
    reqs = c.build(_two_attachments())
    assert [(r.step, r.url) for r in reqs if isinstance(r, HttpRequest)] == [
        ("upload", "https://desk.example.org/up"), ("upload", "https://desk.example.org/up"),
        ("create", "https://desk.example.org/new")]
    assert isinstance(reqs[-1], HttpRequest) and reqs[-1].json["files"] == ["{upload_token}", "{upload_token}"]


def test_upload_then_create_passes_each_answered_token_in_order() -> None:
    seen: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req.url.path)
        if req.url.path == "/up":
            return httpx.Response(201, json={"upload": {"token": f"tok-{req.read().decode()}"}})
        assert json.loads(req.read())["files"] == ["tok-A", "tok-B"]
        return httpx.Response(201, json={"case": {"id": 7}})

    c = _TwoStep("t", {"url": "https://desk.example.org"}, transport=httpx.MockTransport(handler))
    steps: list[str] = []
    answer = c.upload_then_create(_two_attachments(), timeout=5, cancel=None,
                                  progress=lambda text, _frac: steps.append(text))
    assert answer == {"case": {"id": 7}}
    assert seen == ["/up", "/up", "/new"]
    assert steps == ["TwoStep: uploading the bundle", "TwoStep: uploading the bundle", "TwoStep: creating the case"]


def test_upload_then_create_stops_at_a_failed_upload_and_lets_the_backend_judge_the_create() -> None:
    def refuse_upload(req: httpx.Request) -> httpx.Response:
        assert req.url.path == "/up", "nothing is created when the bundle could not be uploaded"
        return httpx.Response(413, json={"message": "too large"})

    c = _TwoStep("t", {"url": "https://desk.example.org"}, transport=httpx.MockTransport(refuse_upload))
    with pytest.raises(RejectedError, match=r"rejected the upload .*too large"):
        c.upload_then_create(_two_attachments(), timeout=5, cancel=None, progress=None)

    def conflict(req: httpx.Request) -> httpx.Response:
        if req.url.path == "/up":
            return httpx.Response(201, json={"upload": {"token": "t"}})
        return httpx.Response(409, json={"message": "exists"})

    c = _TwoStep("t", {"url": "https://desk.example.org"}, transport=httpx.MockTransport(conflict))
    with pytest.raises(TransientError, match="already there"):  # the backend's own hook ran first
        c.upload_then_create(_two_attachments(), timeout=5, cancel=None, progress=None)


# ---- GitHub / GitLab -----------------------------------------------------------------------------------------
def _zip_bundle() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("report.json", '{"host": "<host-1>"}')
        zf.writestr("logs/app.log.txt", "error: disk full\n")
        zf.writestr("report.html", "<html></html>")
    return buf.getvalue()


def test_github_inlines_the_bundle_text() -> None:
    c = make_connector("gh", {"type": "github", "repo": "acme/helpdesk"}, {"token": "ghp_x"})
    (req,) = c.build(ticket(attachments=[Attachment("b.zip", "application/zip", _zip_bundle())]))
    assert isinstance(req, HttpRequest)
    assert (req.method, req.url) == ("POST", "https://api.github.com/repos/acme/helpdesk/issues")
    assert req.headers["Authorization"] == "Bearer ghp_x"
    assert req.headers["Accept"] == "application/vnd.github+json"
    assert req.json["labels"] == ["support", "P2"]
    body = req.json["body"]
    assert '{"host": "<host-1>"}' in body and "error: disk full" in body and "<html>" not in body
    big = ticket(attachments=[Attachment("b.zip", "application/zip", _zip_bundle())], description="x" * 70000)
    (req,) = c.build(big)
    assert isinstance(req, HttpRequest) and len(req.json["body"]) <= 65536


def test_gitlab_plan() -> None:
    c = make_connector("gl", {"type": "gitlab", "url": "https://gitlab.example.org", "project": "it/helpdesk"},
                       {"token": "glpat-x"})
    up, create = c.build(ticket())
    assert isinstance(up, HttpRequest) and isinstance(create, HttpRequest)
    assert up.url == "https://gitlab.example.org/api/v4/projects/it%2Fhelpdesk/uploads"
    assert up.headers["PRIVATE-TOKEN"] == "glpat-x"
    assert [(p[0], p[1], p[3]) for p in multipart(up)] == [("file", "deskside-bundle-1.zip", ZIP)]
    assert create.url == "https://gitlab.example.org/api/v4/projects/it%2Fhelpdesk/issues"
    j = create.json
    assert j["confidential"] is True and j["issue_type"] == "incident" and j["labels"] == "support,P2"
    assert j["description"].endswith("Support bundle (redacted): {upload_markdown}")


# ---- webhook / e-mail ----------------------------------------------------------------------------------------
def test_webhook_request_with_signature() -> None:
    import hashlib
    import hmac

    c = make_connector("w", {"type": "webhook", "url": "https://hooks.example.org/desk", "sign": True,
                             "use_token": True}, {"signing_key": "sk", "token": "tk"})
    (req,) = c.build(ticket())
    assert isinstance(req, HttpRequest) and req.content is not None
    assert req.headers["Idempotency-Key"] == "11111111-2222-3333-4444-555555555555"
    assert req.headers["Authorization"] == "Bearer tk"
    assert req.headers["X-Deskside-Signature"] == "sha256=" + hmac.new(b"sk", req.content, hashlib.sha256).hexdigest()
    body = json.loads(req.content)
    assert (body["priority"], body["priority_label"], body["sla"]["response_minutes"]) == (2, "P2 high", 60)
    assert base64.b64decode(body["attachments"][0]["data_base64"]) == ZIP


@pytest.mark.parametrize("answer_url", ["file:///home/u/evil.desktop", "javascript:alert(1)", "  "])
def test_webhook_answer_url_is_kept_only_if_it_is_a_web_page(answer_url: str) -> None:
    """The receiver's answer names the ticket URL; the GUI opens it. Anything but http(s) is dropped."""
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"id": "T-9", "url": answer_url})

    c = make_connector("w", {"type": "webhook", "url": "https://hooks.example.org/desk"},
                       transport=httpx.MockTransport(handler))
    assert c.submit(ticket()) == Submitted("T-9", "")

    def good(req: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"id": "T-9", "url": "https://desk.example.org/T-9"})

    c = make_connector("w", {"type": "webhook", "url": "https://hooks.example.org/desk"},
                       transport=httpx.MockTransport(good))
    assert c.submit(ticket()).url == "https://desk.example.org/T-9"


def test_email_message() -> None:
    c = make_connector("m", {"type": "email", "host": "127.0.0.1", "port": 2525, "from": "desk@example.org",
                             "to": ["help@example.org"], "username": "u"}, {"password": "p"})
    (req,) = c.build(ticket())
    assert isinstance(req, MailRequest)
    assert (req.security, req.sender, req.recipients) == ("starttls", "desk@example.org", ["help@example.org"])
    msg = req.message
    assert msg["Message-ID"] == "<deskside.11111111-2222-3333-4444-555555555555@example.org>"
    assert msg["Reply-To"] == "ann@example.org"
    (att,) = list(msg.iter_attachments())
    assert att.get_content() == ZIP


# ---- HTTP errors map to typed errors ---------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "exc", "text"), [
    (401, AuthError, "refused the credentials"),
    (403, AuthError, "does not allow this"),
    (422, RejectedError, "rejected the create"),
    (503, TransientError, "temporarily failing"),
    (500, TransientError, "temporarily failing"),
])
def test_http_errors_are_typed(status: int, exc: type[Exception], text: str) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(status, json={"message": "nope"}))
    c = make_connector("z", {"type": "zammad", "url": "https://zammad.example.org", "group": "Users"},
                       {"token": "tok"}, transport=transport)
    with pytest.raises(exc, match=text) as info:
        c.submit(ticket())
    assert "nope" in str(info.value)
    if isinstance(info.value, TransientError):
        assert info.value.maybe_sent == (status == 500)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_a_clear_settings_error_not_an_endless_retry(status: int) -> None:
    """http -> https or a moved helpdesk: redirects are not followed (credentials stay with the configured
    server), and the answer says where to point url instead of retrying a non-JSON answer forever."""
    transport = httpx.MockTransport(lambda r: httpx.Response(
        status, headers={"Location": "https://rt.example.org/rt/REST/2.0/ticket"}, text="Moved"))
    c = make_connector("rt", {"type": "rt", "url": "https://rt.example.org", "queue": "General"},
                       {"token": "tok"}, transport=transport)
    with pytest.raises(RejectedError, match=r"redirect.*https://rt.example.org/rt/REST/2.0/ticket.*url = "):
        c.submit(ticket())
    with pytest.raises(RejectedError, match="redirect"):
        c.test()


def test_connection_refused_is_transient_and_not_sent() -> None:
    def refuse(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=req)

    c = make_connector("z", {"type": "zammad", "url": "https://zammad.example.org", "group": "Users"},
                       {"token": "tok"}, transport=httpx.MockTransport(refuse))
    with pytest.raises(TransientError, match="cannot be reached") as info:
        c.submit(ticket())
    assert info.value.maybe_sent is False


def test_common_http_settings_and_bad_ca_file(tmp_path: Any) -> None:
    cfg = {"type": "zammad", "url": "https://zammad.example.org", "group": "Users", "ca_file": str(tmp_path / "no.pem"),
           "proxy": "http://127.0.0.1:3128"}
    c = make_connector("z", cfg, {"token": "t"})
    with pytest.raises(ConfigError, match=r"ca_file .* cannot be used"):
        c.submit(ticket())
    with pytest.raises(ConfigError, match="'proxy' was unexpected"):
        make_connector("m", {"type": "email", "host": "127.0.0.1", "from": "a@b.org", "to": ["c@d.org"],
                             "proxy": "x"}, {})
