"""Jira Service Management: the bundle first as a temporary file of the service desk, then
`POST /rest/servicedeskapi/request`, then the temporary file is attached to the new request.
No idempotency key; a retry searches our marker in the request summary first (`searchTerm`)."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

from ..cancel import CancelToken, Progress, no_progress
from ..errors import ConfigError, RejectedError, TicketError
from ..lifecycle import Reply, State, TicketStatus, parse_time, state_of
from ..model import Attachment, Ticket
from .base import Connector, FilePart, HttpRequest, Request, Submitted
from .http_answers import json_of
from .request_parts import basic_auth

DEFAULT_PRIORITIES = {"1": "Highest", "2": "High", "3": "Medium", "4": "Low", "5": "Lowest"}
#: Jira's status categories (every workflow status has one); "waiting" in a status name means the helpdesk waits.
STATES = {"new": State.NEW, "indeterminate": State.OPEN, "done": State.RESOLVED}
TEMP_IDS = "{temporaryAttachmentIds}"
ISSUE_KEY = "{issueKey}"


class JiraServiceManagementConnector(Connector):
    type = "jira"
    title = "Jira Service Management"
    subject_limit = 255  # characters
    follows = True
    searchable = True
    schema: ClassVar[dict[str, Any]] = {
        "required": ["url", "service_desk_id", "request_type_id"],
        "properties": {
            "url": {"type": "string", "description": "https://<site>.atlassian.net or the Data Center base URL"},
            "service_desk_id": {"type": ["string", "integer"]},
            "request_type_id": {"type": ["string", "integer"]},
            "auth": {"enum": ["basic", "bearer"], "default": "basic",
                     "description": "basic: user (e-mail) + api_token; bearer: a Data Center personal access token"},
            "user": {"type": "string"},
            "cloud": {"type": "boolean", "default": True},
            "set_priority": {"type": "boolean", "default": False,
                             "description": "send the priority field (only if the request type has it)"},
            "priorities": {"type": "object", "additionalProperties": {"type": "string"},
                           "default": DEFAULT_PRIORITIES},
            "on_behalf_of_requester": {"type": "boolean", "default": False},
            "public_attachment": {"type": "boolean", "default": True},
            "allow_insecure_http": {"type": "boolean", "default": False},
        },
    }

    @classmethod
    def required_secrets(cls, config: Any) -> tuple[str, ...]:
        return ("api_token",) if config.get("auth", "basic") == "basic" else ("token",)

    @classmethod
    def check(cls, cfg: dict[str, Any], where: str) -> None:
        if cfg["auth"] == "basic" and not cfg.get("user"):
            raise ConfigError(f"{where}: auth = \"basic\" needs user = \"you@example.org\" (with the API token "
                              "in the keyring)")
        cfg["priorities"] = {**DEFAULT_PRIORITIES, **{str(k).upper().lstrip("P"): v
                                                      for k, v in cfg["priorities"].items()}}

    @property
    def api(self) -> str:
        return f"{self.config['url']}/rest/servicedeskapi"

    def _headers(self) -> dict[str, str]:
        if self.config["auth"] == "bearer":
            return {"Authorization": f"Bearer {self.secret('token')}", "Accept": "application/json"}
        return {"Authorization": basic_auth(self.config["user"], self.secret("api_token")),
                "Accept": "application/json"}

    def upload_request(self, ticket: Ticket) -> HttpRequest | None:
        if not ticket.attachments:
            return None
        headers = {**self._headers(), "X-Atlassian-Token": "no-check"}
        if self.config["cloud"]:
            headers["X-ExperimentalApi"] = "opt-in"
        return HttpRequest("POST", f"{self.api}/servicedesk/{self.config['service_desk_id']}/attachTemporaryFile",
                           headers, files=[FilePart("file", a.filename, a.content_type, a.data)
                                           for a in ticket.attachments], step="upload")

    def create_request(self, ticket: Ticket) -> HttpRequest:
        fields: dict[str, Any] = {"summary": self.subject(ticket), "description": ticket.body_text()}
        if self.config["set_priority"]:
            fields["priority"] = {"name": self.config["priorities"][str(ticket.priority)]}
        body: dict[str, Any] = {"serviceDeskId": str(self.config["service_desk_id"]),
                                "requestTypeId": str(self.config["request_type_id"]),
                                "requestFieldValues": fields}
        if self.config["on_behalf_of_requester"] and ticket.requester_email:
            body["raiseOnBehalfOf"] = ticket.requester_email
        return HttpRequest("POST", f"{self.api}/request", {**self._headers(), "Content-Type": "application/json"},
                           json=body, step="create")

    def attach_request(self, key: str, temp_ids: Any) -> HttpRequest:
        return HttpRequest("POST", f"{self.api}/request/{key}/attachment",
                           {**self._headers(), "Content-Type": "application/json"},
                           json={"temporaryAttachmentIds": temp_ids, "public": self.config["public_attachment"],
                                 "additionalComment": {"body": "Support bundle (redacted) from Deskside"}},
                           step="attach")

    def build(self, ticket: Ticket) -> list[Request]:
        up = self.upload_request(ticket)
        out: list[Request] = [up] if up else []
        out.append(self.create_request(ticket))
        if up:
            out.append(self.attach_request(ISSUE_KEY, [TEMP_IDS]))
        return out

    def _web(self, key: str) -> str:
        return f"{self.config['url']}/browse/{key}"

    def submit(self, ticket: Ticket, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> Submitted:
        progress = progress or no_progress
        with self._client(timeout) as client:
            temp_ids: list[Any] = []
            up = self.upload_request(ticket)
            if up is not None:
                progress("Jira: uploading the bundle", 0.1)
                data = json_of(self.send(client, up, cancel), "Jira")
                temp_ids = [t.get("temporaryAttachmentId") for t in data.get("temporaryAttachments", [])]
            progress("Jira: creating the request", 0.5)
            data = json_of(self.send(client, self.create_request(ticket), cancel), "Jira")
            key = str(data.get("issueKey", ""))
            if not key:
                raise RejectedError(f"Jira ({self.name}) answered without an issue key: {str(data)[:200]}")
            url = str((data.get("_links") or {}).get("web") or self._web(key))
            warning = ""
            if temp_ids:
                progress("Jira: attaching the bundle", 0.8)
                try:
                    self.send(client, self.attach_request(key, temp_ids))
                except TicketError as exc:
                    warning = f"the request was created but the bundle could not be attached: {exc}"
        return Submitted(key, url, warning)

    def search_request(self, ticket: Ticket) -> HttpRequest:
        return HttpRequest("GET", f"{self.api}/request", self._headers(), params={
            "searchTerm": ticket.uid, "requestOwnership": "ALL_REQUESTS",
            "serviceDeskId": str(self.config["service_desk_id"]), "limit": "5"}, step="search")

    def find_existing(self, ticket: Ticket, *, timeout: float = 30.0) -> Submitted | None:
        with self._client(timeout) as client:
            data = json_of(self.send(client, self.search_request(ticket)), "Jira")
        for v in data.get("values", []) if isinstance(data, dict) else []:
            summary = next((f.get("value") for f in v.get("requestFieldValues", [])
                            if f.get("fieldId") == "summary"), "")
            if ticket.uid in str(summary) or not summary:
                key = str(v.get("issueKey"))
                return Submitted(key, str((v.get("_links") or {}).get("web") or self._web(key)))
        return None

    def test(self, *, timeout: float = 15.0) -> str:
        req = HttpRequest("GET", f"{self.api}/servicedesk/{self.config['service_desk_id']}", self._headers(),
                          step="service desk lookup")
        with self._client(timeout) as client:
            data = json_of(self.send(client, req), "Jira")
        return f"Jira Service Management at {self.config['url']}: service desk {data.get('projectName', '?')!r} found"

    # ---- following a sent ticket --------------------------------------------------------------------------------
    def status_requests(self, remote_id: str) -> list[HttpRequest]:
        key = quote(remote_id, safe="")
        return [HttpRequest("GET", f"{self.api}/request/{key}", self._headers(), step="status"),
                HttpRequest("GET", f"{self.api}/request/{key}/comment", self._headers(),
                            params={"public": "true", "internal": "false", "limit": "100"}, step="replies")]

    def parse_status(self, remote_id: str, answers: list[Any]) -> TicketStatus:
        req, comments = answers
        me = (req.get("reporter") or {}).get("accountId") or (req.get("reporter") or {}).get("key")

        def when(v: Any) -> float | None:
            return parse_time(v.get("epochMillis", 0) / 1000) if isinstance(v, dict) else parse_time(v)

        replies = []
        for c in comments.get("values") or []:
            author = c.get("author") or {}
            replies.append(Reply(str(c.get("id")), str(author.get("displayName") or ""), when(c.get("created")) or 0.0,
                                 str(c.get("body") or "").strip(),
                                 ours=(author.get("accountId") or author.get("key")) == me))
        cur = req.get("currentStatus") or {}
        name = str(cur.get("status") or "")
        state = state_of(str(cur.get("statusCategory") or ""), STATES)
        if "waiting" in name.lower() and state is State.OPEN:
            state = State.WAITING
        if "closed" in name.lower() and state is State.RESOLVED:
            state = State.CLOSED
        return TicketStatus(remote_id, state, name, tuple(replies), created=when(req.get("createdDate")),
                            resolved_at=when(cur.get("statusDate")) if state.finished else None,
                            url=str((req.get("_links") or {}).get("web") or self._web(remote_id)))

    def reply_requests(self, remote_id: str, text: str, attachments: list[Attachment]) -> list[HttpRequest]:
        self.text_only(attachments)
        return [HttpRequest("POST", f"{self.api}/request/{quote(remote_id, safe='')}/comment",
                            {**self._headers(), "Content-Type": "application/json"},
                            json={"body": text, "public": True}, step="reply")]

    def reopen_requests(self, remote_id: str) -> list[HttpRequest]:
        # A reopen is a workflow transition whose id differs per project: the comment asks for it instead.
        raise self.no_status("reopen (Jira workflows differ; reply instead, the agent reopens it)")

    def priority_requests(self, remote_id: str, priority: int, status: TicketStatus) -> list[HttpRequest]:
        # The service desk API has no priority; Jira's own issue API sets it (the account needs Edit Issues).
        return [HttpRequest("PUT", f"{self.config['url']}/rest/api/2/issue/{quote(remote_id, safe='')}",
                            {**self._headers(), "Content-Type": "application/json"},
                            json={"fields": {"priority": {"name": self.config["priorities"][str(priority)]}}},
                            step="priority")]
