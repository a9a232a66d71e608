"""`TicketService`: the one facade the CLI and the Get Help page use.

    svc = TicketService(backends=cfg["backends"], data_dir=..., secrets=SecretStore())
    preview = svc.build_preview(Draft(summary="..."), report=report_dict)   # nothing leaves the machine
    preview.items                                  # what is masked, where; toggle with disabled=...
    preview = svc.build_preview(draft, report=report_dict, disabled={"<host-1>"})
    entry = svc.submit(preview)                    # outbox first, then one attempt
    svc.outbox_list(); svc.retry(entry.id); svc.discard(entry.id); svc.process_due()
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .bundle import BUNDLE_CONTENT_TYPE, Bundle, build_bundle, renumbered, save_bundle
from .cancel import CancelToken, Progress
from .connectors import Connector, connector_class, make_connector
from .errors import ConfigError, SecretUnavailable
from .model import Attachment, IncidentType, SlaTarget, Ticket, parse_level, sla_policy
from .outbox import Outbox, OutboxEntry, OutboxError, write_problem
from .redact import RedactionItem, Redactor
from .redact_placeholders import PlaceholderStore, renumber
from .secrets import SecretStore


@dataclass
class Draft:
    """What the user typed (CLI flags or the Get Help form)."""

    summary: str
    description: str = ""
    incident_type: str = "technical failure"
    impact: str | int = "medium"
    urgency: str | int = "medium"
    category: str = ""
    requester_name: str = ""
    requester_email: str = ""
    since: str = ""  # the guided form: since when
    affected: str = ""  # the guided form: who is affected

    def full_description(self) -> str:
        parts = [self.description.strip()] if self.description.strip() else []
        if self.since.strip():
            parts.append(f"Since: {self.since.strip()}")
        if self.affected.strip():
            parts.append(f"Who is affected: {self.affected.strip()}")
        return "\n".join(parts)


@dataclass
class Preview:
    ticket: Ticket  # redacted, with the bundle attached: exactly what will be sent
    items: list[RedactionItem]
    disabled: frozenset[str]
    bundle: Bundle | None
    backend: str | None
    mapping: dict[str, str] = field(repr=False, default_factory=dict)  # placeholder -> value; stays local

    @property
    def sla(self) -> SlaTarget | None:
        return self.ticket.sla

    def redaction_summary(self) -> str:
        active = [i for i in self.items if i.placeholder not in self.disabled]
        if not self.items:
            return "nothing to mask was found"
        counts = Counter(i.kind for i in active)
        parts = [f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(counts.items())]
        off = len(self.items) - len(active)
        tail = f"; {off} left unmasked by you" if off else ""
        return f"{len(active)} distinct values masked ({', '.join(parts) or 'none'}){tail}"


class TicketService:
    def __init__(
        self,
        *,
        backends: Mapping[str, Mapping[str, Any]] | None = None,
        data_dir: Path,
        secrets: SecretStore | None = None,
        default_backend: str | None = None,
        sla: Mapping[str, Any] | None = None,
        scale: int = 3,
        users: Iterable[str] = (),
        hosts: Iterable[str] = (),
        keywords: Iterable[str] = (),
        domains: Iterable[str] = (),
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.backends = {str(k): dict(v) for k, v in (backends or {}).items()}
        self.data_dir = Path(data_dir)
        self.secrets = secrets or SecretStore()
        self.sla = sla_policy(dict(sla or {}))
        if scale not in (3, 5):
            raise ConfigError("[tickets] scale must be 3 or 5 (the size of the impact x urgency matrix)")
        self.scale = scale
        self.users, self.hosts, self.keywords = list(users), list(hosts), list(keywords)
        self.domains = list(domains)  # the organisation's DNS domains: every name in them is masked
        self._transport = transport
        if default_backend is not None and default_backend not in self.backends:
            raise ConfigError(f"[tickets] backend = {default_backend!r} but there is no [backends.{default_backend}]")
        self._default = default_backend
        self.outbox = Outbox(self.data_dir / "outbox.sqlite3", clock=clock, bundles_dir=self.data_dir / "bundles")
        self.placeholders = PlaceholderStore(self.data_dir)

    # ---- backends -------------------------------------------------------------------------------------------
    def backend_names(self) -> list[str]:
        return sorted(self.backends)

    def default_backend(self) -> str | None:
        if self._default:
            return self._default
        return next(iter(self.backends)) if len(self.backends) == 1 else None

    def validate_backend(self, name: str) -> dict[str, Any]:
        cfg = self._backend_cfg(name)
        return connector_class(cfg.get("type", "")).validate(cfg, name=name)

    def _backend_cfg(self, name: str) -> dict[str, Any]:
        if name not in self.backends:
            known = ", ".join(self.backend_names()) or "none configured"
            raise ConfigError(f"there is no backend {name!r} (known: {known}); add [backends.{name}] to config.toml")
        cfg = self.backends[name]
        if "type" not in cfg:
            raise ConfigError(f"[backends.{name}] has no type; add type = \"rt\" (or another backend type)")
        return cfg

    def secret_fields(self, name: str) -> tuple[str, ...]:
        cfg = self._backend_cfg(name)
        klass = connector_class(cfg["type"])
        return klass.required_secrets(klass.validate(cfg, name=name))

    def connector(self, name: str) -> Connector:
        cfg = self._backend_cfg(name)
        klass = connector_class(cfg["type"])
        fields = klass.required_secrets(klass.validate(cfg, name=name))
        secrets = self.secrets.for_backend(name, fields) if fields else {}
        return make_connector(name, cfg, secrets, transport=self._transport)

    def test_backend(self, name: str, timeout: float = 15.0) -> str:
        return self.connector(name).test(timeout=timeout)

    # ---- preview and submit -----------------------------------------------------------------------------------
    def make_ticket(self, draft: Draft) -> Ticket:
        impact = parse_level(draft.impact, self.scale)
        urgency = parse_level(draft.urgency, self.scale)
        t = Ticket(summary=draft.summary, description=draft.full_description(),
                   incident_type=IncidentType.parse(draft.incident_type), impact=impact, urgency=urgency,
                   scale=self.scale, category=draft.category, requester_name=draft.requester_name,
                   requester_email=draft.requester_email)
        t.sla = self.sla[t.priority]
        return t

    def build_preview(
        self,
        draft: Draft,
        report: Mapping[str, Any] | None = None,
        logs: Mapping[str, str] | None = None,
        disabled: Iterable[str] = (),
        backend: str | None = None,
        uid: str | None = None,
        keywords: Iterable[str] = (),
    ) -> Preview:
        """Everything that would be sent, redacted, and the list of masked items. No network I/O.

        Call again with `disabled` (placeholders the user switched off) to update; pass the previous preview's
        `ticket.uid` as `uid` to keep the same reference. `keywords`: extra words to mask in this ticket only
        (the Get Help page's own keywords), on top of the configured ones.
        """
        base = self.make_ticket(draft)
        if uid:
            base.uid = uid
        off = frozenset(disabled)
        red = Redactor(users=self.users, hosts=self.hosts, keywords=[*self.keywords, *keywords],
                       domains=self.domains, earlier=self.placeholders.earlier(),
                       digest=self.placeholders.digest)
        logs = dict(logs or {})
        texts = {"summary": draft.summary, "description": base.description, **logs}
        if logs:
            texts["(log file names)"] = "\n".join(logs)  # they become member names in the bundle
        items = red.scan(texts, {"report.json": dict(report)} if report else {})
        base.summary = red.redact_text(draft.summary, off)
        base.description = red.redact_text(base.description, off)
        bundle = None
        if report is not None or logs:
            bundle = build_bundle(base, report, logs, red, off)
            base.attachments = [Attachment(bundle.filename, BUNDLE_CONTENT_TYPE, bundle.data)]
        name = backend if backend is not None else self.default_backend()
        if name is not None:
            self._backend_cfg(name)
        return Preview(base, items, off, bundle, name, red.mapping())

    def submit(self, preview: Preview, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> OutboxEntry:
        """Write the ticket to the outbox (and the bundle and the local redaction mapping to the data dir), then
        try to send it once if a backend is configured. Backend failures are recorded in the entry, not raised."""
        bundle_path = ""
        self.outbox.check_writable()  # a read-only data folder: say so before anything is attempted
        try:
            # Under the store's lock: a ticket made at the same time may have taken one of this ticket's new
            # numbers for another value; then this ticket is renumbered (the same values stay masked).
            renames = self.placeholders.commit(preview.mapping)
            if renames:
                preview = _renumbered(preview, renames)
            t = preview.ticket
            if preview.bundle is not None:
                bundle_path = str(save_bundle(preview.bundle, self.data_dir / "bundles"))
            self.placeholders.save_ticket(t.uid, preview.mapping)
            entry = self.outbox.add(t, preview.backend, bundle_path)
        except (OSError, sqlite3.Error, OutboxError) as exc:
            self._discard_files(preview.ticket.uid, preview.bundle.filename if preview.bundle is not None else None)
            if isinstance(exc, OutboxError) and self.outbox.readonly:
                raise
            raise OutboxError(f"the ticket could not be saved in {self.data_dir} ({write_problem(exc)}), so nothing "
                              "was sent and nothing of it was kept. Free some space (or fix the permissions) and "
                              "try again") from exc
        if preview.backend is None:
            return entry
        try:
            conn = self.connector(preview.backend)
        except (ConfigError, SecretUnavailable) as exc:
            return self.outbox.mark_failed(entry.id, str(exc))
        return self.outbox.attempt(entry.id, conn, timeout=timeout, cancel=cancel, progress=progress)

    def _discard_files(self, uid: str, bundle_name: str | None) -> None:
        """A ticket that could not be written to the outbox leaves nothing behind: its bundle, its redaction map
        and any half-written temporary file would keep a full disk full, for a ticket that does not exist."""
        candidates = [self.placeholders.directory / f"{uid}.json"]
        candidates += list(self.placeholders.directory.glob(f"{uid}.json.*.tmp"))
        if bundle_name:
            bundle = self.data_dir / "bundles" / bundle_name
            candidates += [bundle, bundle.with_suffix(".zip.tmp")]
        candidates += list(self.placeholders.directory.glob(f"placeholders.json.{os.getpid()}.tmp"))
        for f in candidates:
            with contextlib.suppress(OSError):
                f.unlink()

    # ---- outbox ---------------------------------------------------------------------------------------------
    def outbox_list(self, include_closed: bool = True) -> list[OutboxEntry]:
        return self.outbox.entries(include_closed)

    def retry(self, entry_id: int, backend: str | None = None, *, timeout: float = 30.0,
              cancel: CancelToken | None = None, progress: Progress | None = None) -> OutboxEntry:
        """The user's retry: sends now, whatever the backoff says (also failed/uncertain/held tickets)."""
        entry = self.outbox.get(entry_id)
        name = backend or entry.backend or self.default_backend()
        if name is None:
            raise ConfigError("no backend is configured; add a [backends.NAME] table to config.toml "
                              "(see `deskside backend test NAME`), then retry")
        conn = self.connector(name)
        if entry.backend != name:
            self.outbox.set_backend(entry_id, name)
        return self.outbox.attempt(entry_id, conn, force=True, timeout=timeout, cancel=cancel, progress=progress)

    def retry_open(self, backend: str | None = None, *, timeout: float = 30.0, cancel: CancelToken | None = None,
                   progress: Progress | None = None) -> tuple[list[OutboxEntry], list[OutboxEntry]]:
        """The user's "retry everything now" (the backend is back, or one was just configured): every queued,
        retry, failed and held ticket is tried at once, whatever its backoff says; held ones (made when no backend
        existed) go to `backend`, else the default one. Returns (tried, left): `left` are those not tried, with
        the reason in their state (uncertain ones need the user's word each: `retry ID` or `discard ID`; held
        ones when there is still no backend to send them to)."""
        tried, left = [], []
        conns: dict[str, Connector] = {}
        for e in self.outbox.entries(include_closed=False):
            if cancel is not None and cancel.cancelled:
                break
            name = (backend if e.state == "held" or backend else None) or e.backend or self.default_backend()
            if e.state not in ("queued", "retry", "failed", "held") or name is None:
                left.append(e)
                continue
            try:
                conn = conns.get(name) or conns.setdefault(name, self.connector(name))
            except (ConfigError, SecretUnavailable) as exc:
                tried.append(self.outbox.mark_failed(e.id, str(exc)))
                continue
            if e.backend != name:
                self.outbox.set_backend(e.id, name)
            tried.append(self.outbox.attempt(e.id, conn, force=True, timeout=timeout, cancel=cancel,
                                             progress=progress))
        return tried, left

    def edit(self, entry_id: int, *, summary: str | None = None, description: str | None = None,
             impact: str | int | None = None, urgency: str | int | None = None) -> OutboxEntry:
        """Change a ticket that was not sent (e.g. refused by the backend): the new text is redacted like a new
        ticket's (the same values get the same placeholders), the bundle and the marker stay; a failed ticket
        becomes queued, so the next retry sends it. Raises ValueError/OutboxError for bad input."""
        old = self.outbox.ticket(entry_id)
        red = Redactor(users=self.users, hosts=self.hosts, keywords=self.keywords, domains=self.domains,
                       earlier=self.placeholders.earlier(), digest=self.placeholders.digest)
        texts = {k: v for k, v in (("summary", summary), ("description", description)) if v is not None}
        red.scan(texts, {})
        new = Ticket(summary=red.redact_text(summary) if summary is not None else old.summary,
                     description=red.redact_text(description) if description is not None else old.description,
                     incident_type=old.incident_type, scale=old.scale, category=old.category,
                     impact=parse_level(impact, old.scale) if impact is not None else old.impact,
                     urgency=parse_level(urgency, old.scale) if urgency is not None else old.urgency,
                     requester_name=old.requester_name, requester_email=old.requester_email, uid=old.uid)
        new.sla = self.sla[new.priority]
        renames = self.placeholders.commit(red.mapping())
        for before, after in renames.items():
            new.summary, new.description = (new.summary.replace(before, after),
                                            new.description.replace(before, after))
        return self.outbox.replace_ticket(entry_id, new, "edited by the user")

    def discard(self, entry_id: int) -> OutboxEntry:
        return self.outbox.discard(entry_id)

    def next_due_at(self) -> float | None:
        """When the next automatic retry is due (epoch seconds), or None if nothing waits for one. A GUI can
        schedule `process_due()` for then."""
        times = [e.next_attempt or e.updated for e in self.outbox.entries(include_closed=False)
                 if e.state in ("queued", "retry")]
        return min(times) if times else None

    def process_due(self, *, timeout: float = 30.0, cancel: CancelToken | None = None) -> list[OutboxEntry]:
        """Try every ticket whose retry time has come (call it periodically, or at start-up)."""
        out = []
        for e in self.outbox.due():
            if cancel is not None and cancel.cancelled:
                break
            name = e.backend or self.default_backend()
            if name is None or name not in self.backends:
                continue
            try:
                conn = self.connector(name)
            except (ConfigError, SecretUnavailable) as exc:
                out.append(self.outbox.mark_failed(e.id, str(exc)))
                continue
            out.append(self.outbox.attempt(e.id, conn, timeout=timeout, cancel=cancel))
        return out


def _renumbered(p: Preview, renames: Mapping[str, str]) -> Preview:
    """The preview with placeholders renamed everywhere it shows them (see `PlaceholderStore.commit`)."""
    def rename(text: str) -> str:
        return renumber(text, renames)

    t = p.ticket
    t.summary, t.description = rename(t.summary), rename(t.description)
    bundle = renumbered(p.bundle, rename) if p.bundle is not None else None
    if bundle is not None:
        t.attachments = [Attachment(bundle.filename, BUNDLE_CONTENT_TYPE, bundle.data)]
    for item in p.items:
        item.placeholder = renames.get(item.placeholder, item.placeholder)
    return Preview(t, p.items, frozenset(renames.get(d, d) for d in p.disabled), bundle, p.backend,
                   {renames.get(ph, ph): v for ph, v in p.mapping.items()})
