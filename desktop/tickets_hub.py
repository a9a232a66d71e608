"""The Get Help page's and the backend Settings' services (`ui.get_help_services.TicketsHub`): the ticket service
built from config.toml and the data dir, and editing `[backends.NAME]` tables with their secrets in the keyring.

Every method may block (config file, keyring over D-Bus, network) and is called on a worker thread.
Secrets never go to config.toml: they go to the `SecretStore` (the system keyring).
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any

from tickets.connection_test import run_test
from tickets.connectors import connector_class, make_connector
from tickets.errors import ConfigError, SecretUnavailable
from tickets.follow import Change, TicketFollower
from tickets.secrets import SecretStore, env_name
from tickets.service import TicketService
from ui.get_help_services import BackendRow, BackendsInfo

from . import paths, settings
from .wiring import config_table, secret_store, ticket_service

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


def _every_secret_field(klass: Any) -> list[str]:
    """Every secret a backend of this type may have stored, whatever its settings were (for clean-up)."""
    known = {"token", "password", "signing_key", "api_key", "api_token", "app_token", "user_token"}
    return sorted(set(klass.secret_fields) | known)


class TicketsHub:
    def __init__(self, secrets: SecretStore | None = None) -> None:
        self._lock = threading.RLock()
        self._svc: TicketService | None = None
        self._secrets = secrets

    # ---- the service ----------------------------------------------------------------------------------------
    def _store(self, config: dict[str, Any]) -> SecretStore:
        return self._secrets if self._secrets is not None else secret_store(config)

    def service(self) -> TicketService:
        """The same service `deskside ticket` builds (one place: wiring.ticket_service)."""
        with self._lock:
            if self._svc is None:
                config = self._load()
                self._svc = ticket_service(config, secrets=self._store(config))
            return self._svc

    def follower(self) -> TicketFollower:
        return TicketFollower(self.service())

    def notify(self, changes: list[Change]) -> str | None:
        from .notify import notify_changes

        return notify_changes(changes)

    # ---- settings -------------------------------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        """The settings in effect: the organisation's system file merged under the user's config.toml."""
        try:
            return settings.load()
        except settings.ConfigError as exc:
            raise ConfigError(str(exc)) from exc

    def _load_user(self) -> dict[str, Any]:
        """The user's config.toml alone: what the editing methods change and save."""
        try:
            return settings.load_user()
        except settings.ConfigError as exc:
            raise ConfigError(str(exc)) from exc

    @staticmethod
    def _refuse_locked(*keys: str) -> None:
        """ConfigError when the organisation locked one of `keys` (desktop/config_layers.py)."""
        from . import config_layers

        try:
            layered = config_layers.load()
        except settings.ConfigError as exc:
            raise ConfigError(str(exc)) from exc
        for key in keys:
            lock = layered.lock_of(key)
            if lock is not None:
                raise ConfigError(f"{key} is set by your organisation and locked in {layered.system_path}; "
                                  "it cannot be changed here")

    def backends(self) -> BackendsInfo:
        path = str(paths.config_file())
        try:
            config = self._load()
            store = self._store(config)
            tables = config_table(config, "backends", "[backends]")
            default = config_table(config, "tickets", "[tickets]").get("backend")
        except ConfigError as exc:
            return BackendsInfo([], None, "", False, path, problem=str(exc))
        where = store.title()
        keyring_ok = bool(where)
        if not keyring_ok:
            where = "no system keyring is available in this session"
        if default is None and len(tables) == 1:
            default = next(iter(tables))
        layered = self._layered()
        rows = []
        for name, table in sorted(tables.items()):
            table = dict(table) if isinstance(table, dict) else {}
            row = BackendRow(str(name), str(table.get("type", "")), table, default=name == default)
            if layered is not None:  # provided (and maybe locked) by the organisation's system config
                row.organisation = layered.source(f"backends.{name}") == "system"
                row.locked = layered.is_locked(f"backends.{name}")
            try:
                klass = connector_class(row.type)
                cfg = klass.validate(table, name=row.name)
                row.secret_fields = klass.required_secrets(cfg)
            except (ConfigError, ImportError) as exc:
                row.problem = str(exc) if isinstance(exc, ConfigError) else f"type {row.type!r} is not available"
            for f in row.secret_fields:
                if os.environ.get(env_name(row.name, f)):  # used before the keyring (headless set-ups)
                    row.secrets_from_env.add(f)
                    row.secrets_stored[f] = True
                    continue
                try:
                    row.secrets_stored[f] = keyring_ok and bool(store.get(row.name, f))
                except SecretUnavailable:
                    row.secrets_stored[f] = False
            rows.append(row)
        return BackendsInfo(rows, default, where, keyring_ok, path,
                            default_locked=layered is not None and layered.is_locked("tickets.backend"))

    @staticmethod
    def _layered() -> Any:
        from . import config_layers

        try:
            return config_layers.load()
        except settings.ConfigError:
            return None

    def save_backend(self, name: str, table: dict[str, Any], secrets: dict[str, str], *,
                     old_name: str | None = None, make_default: bool = False) -> str:
        name = name.strip()
        if not _NAME.match(name):
            raise ConfigError(f"the backend name {name!r} is not usable; use letters, digits, - and _ "
                              "(e.g. helpdesk), at most 40 characters")
        table = {k: v for k, v in table.items() if v is not None}
        type_ = str(table.get("type", ""))
        klass = connector_class(type_)
        cfg = klass.validate(table, name=name)  # raises ConfigError with every problem, before anything is written
        with self._lock:
            self._refuse_locked(*[f"backends.{n}" for n in (name, old_name) if n],
                                *(["tickets.backend"] if make_default else []))
            merged = self._load()
            if name != old_name and name in (merged.get("backends", {}) or {}):
                raise ConfigError(f"there is already a backend named {name!r}; choose another name")
            config = self._load_user()
            backends = dict(config.get("backends", {}) or {})
            store = self._store(merged)
            needed = klass.required_secrets(cfg)
            done = []
            where = ""
            for f, value in secrets.items():
                if value and f in needed:
                    # SecretUnavailable says what to do; config.toml is not touched then
                    store.set(name, f, value)
                    where = store.title()
                    done.append(f)
            if old_name and old_name != name:
                backends.pop(old_name, None)
                for f in needed:
                    if f not in done:
                        old = store.get(old_name, f)
                        if old:
                            store.set(name, f, old)
            backends[name] = table
            config["backends"] = backends
            tcfg = dict(config.get("tickets", {}) or {})
            if make_default or (old_name and tcfg.get("backend") == old_name):
                tcfg["backend"] = name
                config["tickets"] = tcfg
            path = settings.save(config)
            self._svc = None
            if old_name and old_name != name:  # renamed: no credential stays behind under the old name
                for f in _every_secret_field(klass):
                    try:
                        store.delete(old_name, f)
                    except SecretUnavailable:
                        pass
        try:
            missing = [f for f in needed if f not in done and not store.get(name, f)]
        except SecretUnavailable as exc:
            missing = [f"{', '.join(needed)} ({exc})"]
        parts = [f"Saved backend {name!r} to {path}"]
        if done:
            parts.append(f"stored the {', '.join(done)} in {where}")
        if missing:
            parts.append(f"still missing: {', '.join(missing)} (enter it, or the backend cannot sign in)")
        return "; ".join(parts) + "."

    def remove_backend(self, name: str) -> str:
        with self._lock:
            self._refuse_locked(f"backends.{name}")
            config = self._load_user()
            backends = dict(config.get("backends", {}) or {})
            table = backends.pop(name, None)
            if table is None:
                if name in (self._load().get("backends", {}) or {}):
                    raise ConfigError(f"backend {name!r} is provided by your organisation in "
                                      f"{paths.system_config_file()}; it cannot be removed here")
                raise ConfigError(f"there is no backend {name!r} in {paths.config_file()}")
            config["backends"] = backends
            tcfg = dict(config.get("tickets", {}) or {})
            if tcfg.get("backend") == name:
                tcfg.pop("backend")
                config["tickets"] = tcfg
            settings.save(config)
            self._svc = None
            store = self._store(config)
        removed = []
        try:
            klass = connector_class(str(table.get("type", "")))
            for f in _every_secret_field(klass):
                if store.delete(name, f):
                    removed.append(f)
        except (ConfigError, ImportError, SecretUnavailable):
            pass
        tail = f" and its {', '.join(removed)} from the keyring" if removed else ""
        return f"Removed backend {name!r}{tail}."

    def set_default(self, name: str) -> str:
        with self._lock:
            self._refuse_locked("tickets.backend")
            if name not in (self._load().get("backends", {}) or {}):
                raise ConfigError(f"there is no backend {name!r}")
            config = self._load_user()
            tcfg = dict(config.get("tickets", {}) or {})
            tcfg["backend"] = name
            config["tickets"] = tcfg
            settings.save(config)
            self._svc = None
        return f"New tickets go to {name!r}."

    def test_backend(self, name: str, table: dict[str, Any] | None, secrets: dict[str, str],
                     timeout: float) -> str:
        """Check the connection and the credentials, creating nothing; a failure is a ConnectionTestFailed that
        says in plain words what went wrong and what to do (tickets/connection_test.py)."""
        config = self._load()
        if table is None:
            table = dict((config.get("backends", {}) or {}).get(name) or {})
            if not table:
                raise ConfigError(f"there is no backend {name!r}")
        klass = connector_class(str(table.get("type", "")))
        cfg = klass.validate(table, name=name)

        def test() -> str:
            store = self._store(config)
            values: dict[str, str] = {}
            for f in klass.required_secrets(cfg):
                v = secrets.get(f) or store.get(name, f)
                if v:
                    values[f] = v
            return make_connector(name, table, values).test(timeout=timeout)

        return run_test(klass.title, cfg, test, timeout)
