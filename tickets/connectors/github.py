"""GitHub issues: `POST /repos/{owner}/{repo}/issues`. GitHub has no attachment upload API, so the readable parts
of the bundle (report.json, log excerpts) are inlined in the issue body (at most 65,536 characters; the rest is
cut with a note). No idempotency key; a retry searches our marker in the title first (the search index can lag
a minute behind). Note that issues in a public repository are public."""

from __future__ import annotations

from typing import Any, ClassVar

from ..cancel import CancelToken, Progress
from ..errors import RejectedError
from ..model import Ticket
from .base import Connector, HttpRequest, Request, Submitted
from .http_answers import json_of
from .request_parts import inline_bundle_text

MAX_BODY = 65536


class GitHubConnector(Connector):
    type = "github"
    title = "GitHub issues"
    subject_limit = 256  # characters
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
