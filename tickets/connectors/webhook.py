"""A generic JSON webhook: one POST with the whole ticket and the bundle (base64) in a JSON document, or in the
receiver's own shape (`body_template`, placeholders like "{subject}"; the bundle as base64 or as a multipart file).

Headers: `Idempotency-Key: <ticket uid>` and `X-Deskside-Marker`; with a `token` secret, `<auth_header>: <auth_scheme>
<token>` (e.g. `Authorization: Token abc` for Django REST framework); with a `signing_key` secret, an
`X-Deskside-Signature: sha256=<hex HMAC of the body>`. Set `idempotent = true` only if the receiver honours the
Idempotency-Key (then a retry after a cut-off attempt is safe); otherwise such a ticket becomes "uncertain".
The URL is used exactly as written (a trailing slash is kept).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any, ClassVar

from ..cancel import CancelToken, Progress
from ..errors import AuthError, ConfigError, RejectedError, TransientError
from ..model import Ticket
from .base import Connector, FilePart, HttpRequest, Request, Submitted
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
            "body_template": {"type": "object", "description": "the body in the receiver's shape; strings may "
                              "hold placeholders such as {subject} (see PLACEHOLDERS)"},
            "bundle": {"enum": ["base64", "multipart", "none"], "default": "base64",
                       "description": "the bundle in the JSON ({bundle_base64}) or as a multipart file"},
            "bundle_field": {"type": "string", "default": "attachment"},
            "queue": {"type": ["string", "integer"], "description": "the value of {queue}"},
            "test_url": {"type": "string", "description": "an address the same credentials open with GET "
                         "(e.g. the ticket list): `backend test` proves the credentials there"},
        },
    }

    @classmethod
    def check(cls, cfg: dict[str, Any], where: str) -> None:
        if "test_url" in cfg:
            cls._check_url(str(cfg["test_url"]), where, bool(cfg["allow_insecure_http"]), "test_url")  # as written
        template = cfg.get("body_template")
        if template is None:
            return
        unknown = sorted(set(_placeholders(template)) - set(PLACEHOLDERS))
        if unknown:
            raise ConfigError(f"{where}: body_template uses unknown placeholder(s) {', '.join(unknown)}; known: "
                              f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}")
        if "queue" in _placeholders(template) and "queue" not in cfg:
            raise ConfigError(f"{where}: body_template uses {{queue}}; set queue = ... (the receiver's queue)")
        if cfg["bundle"] == "multipart":
            nested = [k for k, v in template.items() if isinstance(v, dict | list)]
            if nested:
                raise ConfigError(f"{where}: with bundle = \"multipart\" the body is form fields: body_template "
                                  f"cannot nest tables or lists ({', '.join(nested)})")
            if cfg["sign"]:
                raise ConfigError(f"{where}: sign = true needs a JSON body; use bundle = \"base64\" to sign")

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
            ] if self.config["include_bundle"] and self.config["bundle"] != "none" else [],
        }

    def values(self, ticket: Ticket) -> dict[str, Any]:
        """What each placeholder of body_template stands for (numbers stay numbers where a string is only it)."""
        bundle = ticket.attachments[0] if ticket.attachments else None
        return {"subject": ticket.subject, "summary": ticket.summary, "description": ticket.description,
                "body": ticket.body_text(), "priority": ticket.priority, "priority_label": ticket.priority_label,
                "impact": ticket.impact, "urgency": ticket.urgency, "incident_type": ticket.incident_type.value,
                "category": ticket.category, "requester_name": ticket.requester_name,
                "requester_email": ticket.requester_email, "queue": self.config.get("queue", ""),
                "uid": ticket.uid, "marker": ticket.marker,
                "bundle_base64": base64.b64encode(bundle.data).decode() if bundle else "",
                "bundle_filename": bundle.filename if bundle else ""}

    def _auth_headers(self) -> dict[str, str]:
        if not self.config["use_token"]:
            return {}
        return {self.config["auth_header"]: f"{self.config['auth_scheme']} {self.secret('token')}".strip()}

    def build(self, ticket: Ticket) -> list[Request]:
        headers = {"Idempotency-Key": ticket.uid, "X-Deskside-Marker": ticket.marker, **self._auth_headers()}
        template = self.config.get("body_template")
        if template is not None and self.config["bundle"] == "multipart":
            filled = _fill(template, self.values(ticket))
            fields = {k: str(v) for k, v in filled.items()}
            files = [FilePart(self.config["bundle_field"], a.filename, a.content_type, a.data)
                     for a in ticket.attachments]
            return [HttpRequest("POST", self.config["url"], headers, data=fields, files=files or None,
                                step="create")]
        if template is not None:
            doc = _fill(template, self.values(ticket))
        else:
            doc = self.payload(ticket)
        body = json.dumps(doc, separators=(",", ":")).encode()
        headers["Content-Type"] = "application/json"
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
        """With `test_url`: a GET there with the credentials proves them (2xx) or not (401/403). Without it a
        webhook has no read-only request: the URL is only shown to answer, and the output says the credentials
        were not checked."""
        import httpx

        url = self.config.get("test_url") or self.config["url"]
        method = "GET" if self.config.get("test_url") else "HEAD"
        try:
            with self._client(timeout) as client:
                resp = client.request(method, url, headers=self._auth_headers())
        except httpx.HTTPError as exc:
            raise TransientError(f"the webhook {url} cannot be reached: {exc}") from exc
        code = resp.status_code
        if code in (401, 403):
            sent = "the token" if self.config["use_token"] else "no credentials (use_token = false)"
            raise AuthError(f"the webhook {url} refused the request (HTTP {code} to {method} with {sent}); check the "
                            f"token (`deskside backend set-secret {self.name}`), auth_header and auth_scheme")
        if self.config.get("test_url"):
            if not 200 <= code < 300:
                raise RejectedError(f"the webhook's test_url {url} answered HTTP {code} to GET; point test_url to "
                                    "an address the same credentials open (e.g. the ticket list)")
            return f"webhook credentials accepted: GET {url} answered HTTP {code}; nothing was sent"
        creds = ("the token was NOT checked: a webhook has no read-only request that proves it; set test_url = "
                 "\"...\" to an address the same token opens (e.g. the receiver's ticket list) to check it"
                 if self.config["use_token"] else "no credentials are configured (use_token = false)")
        return f"webhook {url} answers (HTTP {code} to HEAD); {creds}; nothing was sent"


#: The placeholders of body_template: "{name}" in a string is replaced by the value; a string that is exactly one
#: placeholder becomes the value itself (so "{priority}" is the number 1-5, not the text "1").
PLACEHOLDERS = ("subject", "summary", "description", "body", "priority", "priority_label", "impact", "urgency",
                "incident_type", "category", "requester_name", "requester_email", "queue", "uid", "marker",
                "bundle_base64", "bundle_filename")
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def _placeholders(value: Any) -> list[str]:
    if isinstance(value, str):
        return _PLACEHOLDER.findall(value)
    if isinstance(value, dict):
        return [p for v in value.values() for p in _placeholders(v)]
    if isinstance(value, list):
        return [p for v in value for p in _placeholders(v)]
    return []


def _fill(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            return values[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), value)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value
