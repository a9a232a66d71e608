"""A generic JSON webhook: one POST with the whole ticket and the bundle (base64) in a JSON document.

Headers: `Idempotency-Key: <ticket uid>` and `X-Deskside-Marker`; with a `signing_key` secret, an
`X-Deskside-Signature: sha256=<hex HMAC of the body>`. Set `idempotent = true` only if the receiver honours the
Idempotency-Key (then a retry after a cut-off attempt is safe); otherwise such a ticket becomes "uncertain".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, ClassVar

from ..cancel import CancelToken, Progress
from ..model import Ticket
from .base import Connector, HttpRequest, Request, Submitted
from .http_answers import json_of


class WebhookConnector(Connector):
    type = "webhook"
    title = "JSON webhook"
    url_is_endpoint = True  # POSTed to exactly as written (a trailing slash matters to Django and others)
    schema: ClassVar[dict[str, Any]] = {
        "required": ["url"],
        "properties": {
            "url": {"type": "string"},
            "auth_header": {"type": "string", "default": "Authorization",
                            "description": "header that carries the `token` secret, if one is stored"},
            "auth_scheme": {"type": "string", "default": "Bearer"},
            "use_token": {"type": "boolean", "default": False},
            "sign": {"type": "boolean", "default": False, "description": "HMAC-SHA256 with the signing_key secret"},
            "idempotent": {"type": "boolean", "default": False},
            "include_bundle": {"type": "boolean", "default": True},
            "id_field": {"type": "string", "default": "id"},
            "url_field": {"type": "string", "default": "url"},
            "allow_insecure_http": {"type": "boolean", "default": False},
        },
    }

    @classmethod
    def required_secrets(cls, config: Any) -> tuple[str, ...]:
        out: tuple[str, ...] = ()
        if config.get("use_token"):
            out += ("token",)
        if config.get("sign"):
            out += ("signing_key",)
        return out

    @property
    def idempotent(self) -> bool:  # type: ignore[override]
        return bool(self.config.get("idempotent"))

    def payload(self, ticket: Ticket) -> dict[str, Any]:
        return {
            "deskside_version": 1,
            "uid": ticket.uid,
            "marker": ticket.marker,
            "subject": ticket.subject,
            "summary": ticket.summary,
            "description": ticket.description,
            "body": ticket.body_text(),
            "incident_type": ticket.incident_type.value,
            "impact": ticket.impact,
            "urgency": ticket.urgency,
            "scale": ticket.scale,
            "priority": ticket.priority,
            "priority_label": ticket.priority_label,
            "sla": {"response_minutes": ticket.sla.response_minutes,
                    "resolution_minutes": ticket.sla.resolution_minutes} if ticket.sla else None,
            "category": ticket.category,
            "requester": {"name": ticket.requester_name, "email": ticket.requester_email},
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": len(a.data),
                 "data_base64": base64.b64encode(a.data).decode()}
                for a in ticket.attachments
            ] if self.config["include_bundle"] else [],
        }

    def build(self, ticket: Ticket) -> list[Request]:
        body = json.dumps(self.payload(ticket), separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": ticket.uid,
                   "X-Deskside-Marker": ticket.marker}
        if self.config["use_token"]:
            scheme = self.config["auth_scheme"]
            headers[self.config["auth_header"]] = f"{scheme} {self.secret('token')}".strip()
        if self.config["sign"]:
            mac = hmac.new(self.secret("signing_key").encode(), body, hashlib.sha256).hexdigest()
            headers["X-Deskside-Signature"] = f"sha256={mac}"
        return [HttpRequest("POST", self.config["url"], headers, content=body, step="create")]

    def submit(self, ticket: Ticket, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> Submitted:
        reqs = [r for r in self.build(ticket) if isinstance(r, HttpRequest)]
        (resp,) = self.run_plan(reqs, timeout=timeout, cancel=cancel, progress=progress)
        tid, url = ticket.uid, ""
        if resp.content.strip():
            try:
                data = json_of(resp, "the webhook")
            except Exception:
                data = {}
            if isinstance(data, dict):
                tid = str(data.get(self.config["id_field"], tid))
                url = str(data.get(self.config["url_field"], ""))
        if not url.lower().startswith(("https://", "http://")):
            url = ""  # only a web page is a ticket link (the GUI opens it: never file:, javascript:...)
        return Submitted(tid, url)

    def test(self, *, timeout: float = 15.0) -> str:
        # A webhook has no read-only endpoint to probe; check that it answers at all (any HTTP status).
        import httpx

        try:
            with self._client(timeout) as client:
                resp = client.request("HEAD", self.config["url"])
        except httpx.HTTPError as exc:
            from ..errors import TransientError

            raise TransientError(f"the webhook {self.config['url']} cannot be reached: {exc}") from exc
        return f"webhook {self.config['url']} answers (HTTP {resp.status_code} to HEAD); nothing was sent"
