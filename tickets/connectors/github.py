"""GitHub issues: `POST /repos/{owner}/{repo}/issues`. GitHub has no attachment upload API, so the readable parts
of the bundle (report.json, log excerpts) are inlined in the issue body (at most 65,536 characters; the rest is
cut with a note). No idempotency key; a retry searches our marker in the title first (the search index can lag
a minute behind). Note that issues in a public repository are public."""

from __future__ import annotations

from typing import Any, ClassVar

from ..cancel import CancelToken, Progress
from ..errors import RejectedError
from ..lifecycle import Reply, State, TicketStatus, parse_time
from ..model import Attachment, Ticket
from .base import Connector, HttpRequest, Request, Submitted
from .http_answers import json_of
from .request_parts import inline_bundle_text

MAX_BODY = 65536
PRIORITY_LABELS = ("P1", "P2", "P3", "P4", "P5")


class GitHubConnector(Connector):
    type = "github"
    title = "GitHub issues"
    subject_limit = 256  # characters
    follows = True
    searchable = True
    search_lag = 120.0
    secret_fields = ("token",)
    attachments = "inline"
    schema: ClassVar[dict[str, Any]] = {
        "required": ["repo"],
        "properties": {
            "repo": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"},
            "api_url": {"type": "string", "default": "https://api.github.com",
                        "description": "GitHub Enterprise: https://github.example.org/api/v3"},
            "labels": {"type": "array", "items": {"type": "string"}, "default": ["support"]},
            "label_priority": {"type": "boolean", "default": True, "description": "add a label like P2"},
            "inline_bundle": {"type": "boolean", "default": True},
            "allow_insecure_http": {"type": "boolean", "default": False},
        },
    }

    @classmethod
    def check(cls, cfg: dict[str, Any], where: str) -> None:
        cfg.setdefault("api_url", "https://api.github.com")
        cfg["api_url"] = cls._check_url(cfg["api_url"], where, bool(cfg.get("allow_insecure_http")), "api_url")

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret('token')}", "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28"}

    def body(self, ticket: Ticket) -> str:
        text = ticket.body_text()
        if self.config["inline_bundle"] and ticket.attachments:
            room = MAX_BODY - len(text) - 200
            text += "\n\n### Support bundle (redacted)\n\n" + inline_bundle_text(ticket, max(0, room))
        return text[:MAX_BODY]

    def build(self, ticket: Ticket) -> list[Request]:
        labels = list(self.config["labels"])
        if self.config["label_priority"]:
            labels.append(f"P{ticket.priority}")
        return [HttpRequest("POST", f"{self.config['api_url']}/repos/{self.config['repo']}/issues",
                            {**self._headers(), "Content-Type": "application/json"},
                            json={"title": self.subject(ticket), "body": self.body(ticket), "labels": labels},
                            step="create")]

    def submit(self, ticket: Ticket, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> Submitted:
        reqs = [r for r in self.build(ticket) if isinstance(r, HttpRequest)]
        (resp,) = self.run_plan(reqs, timeout=timeout, cancel=cancel, progress=progress)
        data = json_of(resp, "GitHub")
        if not isinstance(data, dict) or "number" not in data:
            raise RejectedError(f"GitHub ({self.name}) answered without an issue number: {str(data)[:200]}")
        return Submitted(str(data["number"]), str(data.get("html_url", "")))

    def search_request(self, ticket: Ticket) -> HttpRequest:
        return HttpRequest("GET", f"{self.config['api_url']}/search/issues", self._headers(),
                           params={"q": f'"{ticket.uid}" repo:{self.config["repo"]} in:title is:issue'},
                           step="search")

    def find_existing(self, ticket: Ticket, *, timeout: float = 30.0) -> Submitted | None:
        with self._client(timeout) as client:
            data = json_of(self.send(client, self.search_request(ticket)), "GitHub")
        items = [i for i in (data.get("items", []) if isinstance(data, dict) else [])
                 if ticket.uid in str(i.get("title", ""))]
        if not items:
            return None
        return Submitted(str(items[0]["number"]), str(items[0].get("html_url", "")))

    def test(self, *, timeout: float = 15.0) -> str:
        req = HttpRequest("GET", f"{self.config['api_url']}/repos/{self.config['repo']}", self._headers(),
                          step="repository lookup")
        with self._client(timeout) as client:
            data = json_of(self.send(client, req), "GitHub")
        if not data.get("has_issues", True):
            raise RejectedError(f"GitHub ({self.name}): issues are disabled in {self.config['repo']}")
        vis = "private" if data.get("private") else "PUBLIC (tickets will be visible to everyone)"
        return f"GitHub: repository {data.get('full_name', self.config['repo'])} found, {vis}"

    # ---- following a sent ticket --------------------------------------------------------------------------------
    def _issue(self, remote_id: str) -> str:
        return f"{self.config['api_url']}/repos/{self.config['repo']}/issues/{int(remote_id)}"

    def status_requests(self, remote_id: str) -> list[HttpRequest]:
        return [HttpRequest("GET", self._issue(remote_id), self._headers(), step="status"),
                HttpRequest("GET", f"{self._issue(remote_id)}/comments", self._headers(), params={"per_page": "100"},
                            step="replies")]

    def parse_status(self, remote_id: str, answers: list[Any]) -> TicketStatus:
        issue, comments = answers
        me = (issue.get("user") or {}).get("login")
        replies = tuple(Reply(str(c.get("id")), str((c.get("user") or {}).get("login") or ""),
                              parse_time(c.get("created_at")) or 0.0, str(c.get("body") or "").strip(),
                              ours=(c.get("user") or {}).get("login") == me) for c in comments)
        closed = issue.get("state") == "closed"
        state = (State.CLOSED if issue.get("state_reason") == "not_planned" else State.RESOLVED) if closed \
            else State.OPEN
        labels = tuple(str(lb.get("name", "")) for lb in issue.get("labels") or [] if isinstance(lb, dict))
        return TicketStatus(remote_id, state, str(issue.get("state_reason") or issue.get("state") or ""), replies,
                            created=parse_time(issue.get("created_at")), resolved_at=parse_time(issue.get("closed_at")),
                            priority=next((lb for lb in labels if lb in PRIORITY_LABELS), ""), labels=labels,
                            url=str(issue.get("html_url") or ""))

    def reply_requests(self, remote_id: str, text: str, attachments: list[Attachment]) -> list[HttpRequest]:
        body = text
        if attachments:  # no upload API: the readable bundle text goes inline, as when the issue was made
            bundle = inline_bundle_text(Ticket(summary='reply', attachments=attachments), MAX_BODY - len(text) - 200)
            body = f"{text}\n\n{bundle}"
        return [HttpRequest("POST", f"{self._issue(remote_id)}/comments", self._headers(), json={"body": body},
                            step="reply")]

    def reopen_requests(self, remote_id: str) -> list[HttpRequest]:
        return [HttpRequest("PATCH", self._issue(remote_id), self._headers(), json={"state": "open"}, step="reopen")]

    def priority_requests(self, remote_id: str, priority: int, status: TicketStatus) -> list[HttpRequest]:
        if not self.config["label_priority"]:
            raise self.no_status("priority (label_priority = false)")
        labels = [lb for lb in status.labels if lb not in PRIORITY_LABELS] + [f"P{priority}"]
        return [HttpRequest("PATCH", self._issue(remote_id), self._headers(), json={"labels": labels},
                            step="priority")]
