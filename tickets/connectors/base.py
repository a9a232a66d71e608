"""What every connector is: a config schema, validate() before any I/O, build() with no I/O, submit(), typed errors.

`build(ticket)` returns the exact requests `submit()` sends. Values only known after an earlier step (a session
token, an upload token, the new ticket's id) appear in build()'s output as `{placeholders}`.

Reading an HTTP answer (error text, JSON, Retry-After) is in `http_answers`; request parts shared by several
connectors (Basic auth, the bundle as inline text) are in `request_parts`.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import jsonschema

from ..cancel import CancelToken, Progress, no_progress
from ..errors import AuthError, ConfigError, RejectedError, TransientError
from ..lifecycle import NoStatus, TicketStatus
from ..model import Attachment, Ticket
from .http_answers import error_detail, json_of, origin_of, retry_after_of


@dataclass
class FilePart:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class HttpRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    data: dict[str, str] | None = None  # multipart form fields (with files) or urlencoded form
    files: list[FilePart] | None = None
    params: dict[str, str] | None = None
    step: str = ""  # what this request does: "create", "upload", "attach", "search", "login"...


@dataclass
class MailRequest:
    host: str
    port: int
    security: str  # "starttls" | "tls" | "none"
    username: str
    sender: str
    recipients: list[str]
    message: EmailMessage
    step: str = "send"


Request = HttpRequest | MailRequest


@dataclass(frozen=True)
class Submitted:
    id: str
    url: str
    warning: str = ""  # e.g. the ticket was created but its attachment could not be added


def is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


COMMON_HTTP_PROPERTIES: dict[str, Any] = {
    "ca_file": {"type": "string", "description": "PEM file with the CA that signed the backend's certificate"},
    "proxy": {"type": "string", "description": "HTTP(S) proxy URL, e.g. http://proxy.example.org:3128"},
}


class Connector:
    type: ClassVar[str] = ""
    #: Talks HTTP (gets the common ca_file/proxy settings).
    http: ClassVar[bool] = True
    title: ClassVar[str] = ""
    #: JSON schema of the `[backends.NAME]` table (without `type`).
    schema: ClassVar[dict[str, Any]] = {}
    #: Names of secrets this backend needs from the keyring, given the config (e.g. ("token",)).
    secret_fields: ClassVar[tuple[str, ...]] = ()
    #: The backend honours an idempotency key: a retry can never create a second ticket.
    idempotent: ClassVar[bool] = False
    #: find_existing() can look our marker up before a retry.
    searchable: ClassVar[bool] = False
    #: Seconds the backend's search may lag behind a new ticket; a marker search sooner than this after a
    #: cut-off attempt is not trusted to say "not there".
    search_lag: ClassVar[float] = 0.0
    #: How the bundle travels: "attachment", "link" (uploaded, linked in the text) or "inline" (text in the body).
    attachments: ClassVar[str] = "attachment"
    #: The longest subject/title the backend accepts (characters), or None: a longer summary is shortened there,
    #: the marker kept (Ticket.subject_within).
    subject_limit: ClassVar[int | None] = None
    #: `url` is the very address to send to (a webhook), not a base address joined with API paths: kept as written,
    #: trailing slash and all (Django answers `/api/tickets` with a 301 to `/api/tickets/`).
    url_is_endpoint: ClassVar[bool] = False

    def __init__(
        self,
        name: str,
        config: Mapping[str, Any],
        secrets: Mapping[str, str] | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = name
        self.config = self.validate(config, name=name)
        self.secrets = dict(secrets or {})
        self._transport = transport

    # ---- config ---------------------------------------------------------------------------------------------
    @classmethod
    def required_secrets(cls, config: Mapping[str, Any]) -> tuple[str, ...]:
        return cls.secret_fields

    @classmethod
    def validate(cls, config: Mapping[str, Any], name: str = "") -> dict[str, Any]:
        """Check the config before any I/O. Returns it with defaults filled in; raises ConfigError listing every
        problem and what to write instead."""
        where = f"[backends.{name}]" if name else f"the {cls.title} backend"
        cfg = {k: v for k, v in dict(config).items() if k != "type"}
        schema: dict[str, Any] = {"type": "object", "additionalProperties": False, **cls.schema}
        if cls.http:
            schema["properties"] = {**COMMON_HTTP_PROPERTIES, **schema.get("properties", {})}
        problems = []
        for err in sorted(jsonschema.Draft202012Validator(schema).iter_errors(cfg), key=lambda e: list(e.path)):
            loc = ".".join(str(p) for p in err.path) or "(table)"
            problems.append(f"{loc}: {err.message}")
        if problems:
            raise ConfigError(f"{where} ({cls.type}) is not valid: " + "; ".join(problems))
        for key, spec in cls.schema.get("properties", {}).items():
            if key not in cfg and "default" in spec:
                cfg[key] = spec["default"]
        for key in ("url", "api_url"):
            if key in cfg:
                checked = cls._check_url(str(cfg[key]), where, bool(cfg.get("allow_insecure_http", False)), key)
                # A base address is joined with API paths (no trailing slash); an endpoint is used as written.
                cfg[key] = str(cfg[key]) if cls.url_is_endpoint else checked
        cls.check(cfg, where)
        return cfg

    @classmethod
    def check(cls, cfg: dict[str, Any], where: str) -> None:
        """Connector-specific checks beyond the schema (override)."""

    @staticmethod
    def _check_url(url: str, where: str, allow_http: bool, key: str = "url") -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{where}: {key} {url!r} is not an http(s) URL; write e.g. https://helpdesk.example.org")
        if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_http:
            raise ConfigError(
                f"{where}: {key} {url!r} uses plain http, which would send the credentials unencrypted; "
                "use https, or set allow_insecure_http = true if you really mean it"
            )
        if parts.username or parts.password:
            raise ConfigError(f"{where}: put no user name or password in {key}; secrets go in the keyring")
        return url.rstrip("/")

    def secret(self, key: str) -> str:
        value = self.secrets.get(key)
        if not value:
            from ..secrets import env_name

            raise ConfigError(
                f"backend {self.name!r} has no {key} stored; run `deskside backend set-secret {self.name}"
                f"{'' if key == (self.required_secrets(self.config) or (key,))[0] else ' --field ' + key}` to put "
                f"it in the system keyring, or set {env_name(self.name, key)} in the environment"
            )
        return value

    def subject(self, ticket: Ticket) -> str:
        """The ticket's subject within this backend's `subject_limit`."""
        return ticket.subject_within(self.subject_limit)

    # ---- the three operations (override) ------------------------------------------------------------------
    def build(self, ticket: Ticket) -> list[Request]:
        raise NotImplementedError

    def submit(
        self,
        ticket: Ticket,
        *,
        timeout: float = 30.0,
        cancel: CancelToken | None = None,
        progress: Progress | None = None,
    ) -> Submitted:
        raise NotImplementedError

    def find_existing(self, ticket: Ticket, *, timeout: float = 30.0) -> Submitted | None:
        """The ticket carrying our marker, if the backend already has it (None if not, or not searchable)."""
        return None

    def test(self, *, timeout: float = 15.0) -> str:
        """Check connection and credentials without creating anything; returns a one-line description."""
        raise NotImplementedError

    # ---- following a sent ticket (override the *_requests and parse_status; tickets/lifecycle.py) ------------
    #: The backend has an API for a ticket's state and replies: follow/reply/reopen/set_priority work.
    follows: ClassVar[bool] = False

    def no_status(self, what: str = "status") -> NoStatus:
        return NoStatus(f"{self.title} ({self.name}): no {what} available; this backend cannot be asked about a "
                        "ticket after it was sent (follow it where the helpdesk answers you)")

    def status_requests(self, remote_id: str) -> list[HttpRequest]:
        """GETs whose JSON answers, in order, parse_status() reads."""
        raise self.no_status()

    def parse_status(self, remote_id: str, answers: list[Any]) -> TicketStatus:
        raise self.no_status()

    def reply_requests(self, remote_id: str, text: str, attachments: list[Attachment]) -> list[HttpRequest]:
        """A public comment from the requester (with the attachments, e.g. a fresh redacted bundle)."""
        raise self.no_status("reply")

    def reopen_requests(self, remote_id: str) -> list[HttpRequest]:
        raise self.no_status("reopen")

    def resolve_requests(self, remote_id: str) -> list[HttpRequest]:
        raise self.no_status("resolve")

    def priority_requests(self, remote_id: str, priority: int, status: TicketStatus) -> list[HttpRequest]:
        """Set the backend's priority for P`priority` (`status`: the ticket as followed just before)."""
        raise self.no_status("priority change")

    def text_only(self, attachments: list[Attachment]) -> None:
        if attachments:
            raise RejectedError(f"{self.title} ({self.name}): a reply cannot carry the bundle here; reply without "
                                "it (the bundle can be added in the helpdesk's own portal)")

    def run_follow(self, reqs: list[HttpRequest], timeout: float) -> list[httpx.Response]:
        """Send the requests of one follow-up operation (GLPI overrides it to open a session first)."""
        with self._client(timeout) as client:
            return [self.send(client, r) for r in reqs]

    def follow(self, remote_id: str, *, timeout: float = 30.0) -> TicketStatus:
        answers = [json_of(r, self.title) for r in self.run_follow(self.status_requests(remote_id), timeout)]
        return self.parse_status(remote_id, answers)

    def reply(self, remote_id: str, text: str, attachments: list[Attachment] | None = None, *,
              timeout: float = 30.0) -> None:
        self.run_follow(self.reply_requests(remote_id, text, list(attachments or [])), timeout)

    def reopen(self, remote_id: str, *, timeout: float = 30.0) -> None:
        self.run_follow(self.reopen_requests(remote_id), timeout)

    def resolve(self, remote_id: str, *, timeout: float = 30.0) -> None:
        self.run_follow(self.resolve_requests(remote_id), timeout)

    def set_priority(self, remote_id: str, priority: int, status: TicketStatus, *, timeout: float = 30.0) -> None:
        self.run_follow(self.priority_requests(remote_id, priority, status), timeout)

    # ---- HTTP helpers ---------------------------------------------------------------------------------------
    def _client(self, timeout: float) -> httpx.Client:
        verify: ssl.SSLContext | bool = True
        if self.config.get("ca_file"):
            try:
                verify = ssl.create_default_context(cafile=self.config["ca_file"])
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"backend {self.name!r}: ca_file {self.config['ca_file']!r} cannot be used "
                                  f"({exc}); point it to a PEM file with the CA certificate") from exc
        # Environment proxies are ignored on purpose (explicit `proxy = ...` only), so nothing is routed
        # somewhere the user did not configure for this backend.
        return httpx.Client(timeout=timeout, transport=self._transport, follow_redirects=False, verify=verify,
                            proxy=self.config.get("proxy") or None,
                            headers={"User-Agent": "Deskside/0.1 (+tickets)"}, trust_env=False)

    def send(
        self,
        client: httpx.Client,
        req: HttpRequest,
        cancel: CancelToken | None = None,
        on_status: Callable[[httpx.Response], None] | None = None,
    ) -> httpx.Response:
        """Send one request; map failures to typed errors. `on_status` may raise a more precise error first."""
        if cancel is not None:
            cancel.raise_if_cancelled()
        files = None
        if req.files:
            files = [(f.field, (f.filename or None, f.data, f.content_type)) for f in req.files]
        what = f"{self.title} ({self.name})"
        creates = req.method.upper() in ("POST", "PUT", "PATCH")
        try:
            resp = client.request(req.method, req.url, headers=req.headers, json=req.json, content=req.content,
                                  data=req.data, files=files, params=req.params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransientError(f"{what} cannot be reached at {origin_of(req.url)}: {exc or type(exc).__name__}; "
                                 "the ticket waits in the outbox and is retried", maybe_sent=False) from exc
        except httpx.TimeoutException as exc:
            raise TransientError(f"{what} did not answer in time ({type(exc).__name__}); it may still have "
                                 "received the request, so the next try checks first", maybe_sent=creates) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{what}: connection failed during the request ({exc or type(exc).__name__})",
                                 maybe_sent=creates) from exc
        if on_status is not None:
            on_status(resp)
        self.raise_for_status(resp, req)
        return resp

    def raise_for_status(self, resp: httpx.Response, req: HttpRequest) -> None:
        code = resp.status_code
        what = f"{self.title} ({self.name})"
        if 300 <= code < 400 and code != 304:
            # Not followed on purpose: the credentials go only to the configured server.
            where = resp.headers.get("location", "")
            raise RejectedError(f"{what} answered with a redirect (HTTP {code}) to {where or 'another address'}; "
                                f"if that is the right server, put its base address in url = ... of "
                                f"[backends.{self.name}]")
        if code < 400:
            return
        detail = error_detail(resp)
        if code == 401:
            raise AuthError(f"{what} refused the credentials (HTTP 401{': ' + detail if detail else ''}); "
                            f"check them with `deskside backend set-secret {self.name}`")
        if code == 403:
            raise AuthError(f"{what} does not allow this (HTTP 403{': ' + detail if detail else ''}); check the "
                            "account's rights and the backend settings")
        if code in (408, 425, 429, 502, 503, 504) or code >= 500:
            retry_after = retry_after_of(resp)
            maybe = req.method.upper() in ("POST", "PUT", "PATCH") and code not in (429, 503)
            raise TransientError(f"{what} is temporarily failing (HTTP {code}{': ' + detail if detail else ''}); "
                                 "the ticket waits in the outbox and is retried", maybe_sent=maybe,
                                 retry_after=retry_after)
        raise RejectedError(f"{what} rejected the {req.step or 'request'} (HTTP {code}"
                            f"{': ' + detail if detail else ''}); fix the backend settings or the ticket and retry")

    def run_plan(self, reqs: list[HttpRequest], *, timeout: float, cancel: CancelToken | None,
                 progress: Progress | None) -> list[httpx.Response]:
        progress = progress or no_progress
        out = []
        with self._client(timeout) as client:
            for i, r in enumerate(reqs):
                progress(f"{self.title}: {r.step or r.method}", i / max(1, len(reqs)))
                out.append(self.send(client, r, cancel))
        progress(f"{self.title}: done", 1.0)
        return out


class UploadThenCreate(Connector):
    """A backend that takes the bundle first (each upload answers with a reference: a token, a link), then creates
    the ticket naming those references (Redmine, Zendesk, GitLab). Subclasses give the two requests and say where
    the reference is in an upload's answer; `build()` and the sending are here, once."""

    #: Stands for an upload's reference in build()'s output (it is only known once the upload has answered).
    upload_placeholder: ClassVar[str] = "{upload_token}"
    #: What the create request makes, for the progress text ("creating the issue").
    creates: ClassVar[str] = "ticket"
    #: The backend's name in progress texts and error messages, when `title` is longer ("GitLab issues").
    short_title: ClassVar[str] = ""

    @property
    def who(self) -> str:
        return self.short_title or self.title

    def upload_requests(self, ticket: Ticket) -> list[HttpRequest]:
        raise NotImplementedError

    def create_request(self, ticket: Ticket, refs: list[str]) -> HttpRequest:
        raise NotImplementedError

    def upload_ref(self, answer: Any) -> str:
        """The reference in an upload's answer; by default `{"upload": {"token": ...}}`."""
        return str((answer.get("upload") or {}).get("token", ""))

    def on_create_status(self, resp: httpx.Response) -> None:
        """May raise a more precise error for the create request's answer before the generic status mapping."""

    def build(self, ticket: Ticket) -> list[Request]:
        ups: list[Request] = list(self.upload_requests(ticket))
        return [*ups, self.create_request(ticket, [self.upload_placeholder] * len(ups))]

    def upload_then_create(self, ticket: Ticket, *, timeout: float, cancel: CancelToken | None,
                           progress: Progress | None) -> Any:
        """Send the uploads, then the create request with the references they answered; returns the create
        request's JSON answer (the subclass reads the new ticket's id from it)."""
        progress = progress or no_progress
        with self._client(timeout) as client:
            refs = []
            for up in self.upload_requests(ticket):
                progress(f"{self.who}: uploading the bundle", 0.2)
                refs.append(self.upload_ref(json_of(self.send(client, up, cancel), self.who)))
            progress(f"{self.who}: creating the {self.creates}", 0.6)
            create = self.create_request(ticket, refs)
            return json_of(self.send(client, create, cancel, self.on_create_status), self.who)
