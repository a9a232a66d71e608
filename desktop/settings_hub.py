"""The Settings page's services (`ui.settings_services.SettingsHub`): read and write settings in the user's
config.toml (never a secret: those go to the keyring through tickets_hub.py), and the app's small state file (the
welcome was shown) in the data dir. Every method may block and is called on a worker thread."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path as FsPath
from typing import Any

from common.errors import UserError
from ui.settings_services import ConfigNotice, SettingsSnapshot, SettingValue
from ui.settings_spec import Path

from . import paths, settings

log = logging.getLogger(__name__)


def state_file() -> FsPath:
    """The app's state (not settings): what the user has already seen. In the data dir, not in config.toml."""
    return paths.data_dir() / "state.json"


def read_state() -> dict[str, Any]:
    try:
        data = json.loads(state_file().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:  # unreadable: start afresh (it only remembers what was shown)
        log.warning("cannot read %s: %s", state_file(), exc)
        return {}
    return data if isinstance(data, dict) else {}


def write_state(**values: Any) -> None:
    data = {**read_state(), **values}
    path = state_file()
    paths.ensure(path.parent)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    tmp.replace(path)


def _get(config: dict[str, Any], path: Path) -> Any:
    cur: Any = config
    for part in path:
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _set(config: dict[str, Any], path: Path, value: Any) -> None:
    cur = config
    for part in path[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            cur[part] = nxt
        cur = nxt
    if value is None:
        cur.pop(path[-1], None)
    else:
        cur[path[-1]] = value


def _prune(config: dict[str, Any], path: Path) -> None:
    """Drop tables that a removal left empty (so no bare `[diagnostics.logs]` stays behind)."""
    for depth in range(len(path) - 1, 0, -1):
        parent = _get(config, path[:depth - 1]) if depth > 1 else config
        table = _get(config, path[:depth])
        if isinstance(parent, dict) and table == {}:
            parent.pop(path[depth - 1], None)


class SettingsHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()

    def load(self, keys: list[Path]) -> SettingsSnapshot:
        from . import config_layers

        snap = SettingsSnapshot(config_path=str(paths.config_file()))
        try:
            layered = config_layers.load()
        except settings.ConfigError as exc:  # the user's file is broken: show the organisation's values alone
            snap.problem = str(exc)
            layered = config_layers.load(user_path=paths.config_file().with_name("config.toml.unreadable-absent"))
        if layered.system_present:
            snap.organisation_path = str(layered.system_path)
        snap.notices = [ConfigNotice(str(n.file), n.message, n.line, organisation=n.file == layered.system_path)
                        for n in layered.notices]
        for key in keys:
            dotted = ".".join(key)
            snap.values[key] = SettingValue(
                user=None if snap.problem else layered.user_value(dotted),
                organisation=layered.system_value(dotted), locked=layered.is_locked(dotted),
                adds_to_organisation=dotted in config_layers.UNION_LISTS)
        return snap

    def save(self, changes: dict[Path, Any]) -> str:
        from . import config_layers

        with self._lock:
            try:
                layered = config_layers.load()
                for key in changes:
                    lock = layered.lock_of(".".join(key))
                    if lock is not None:
                        raise UserError(f"{'.'.join(key)} is set by your organisation and locked in "
                                        f"{layered.system_path}; it cannot be changed here")
                config = settings.load_user()  # never the merged view: the organisation's values stay theirs
                for key, value in changes.items():
                    _set(config, key, value)
                    if value is None:
                        _prune(config, key)
                path = settings.save(config)  # checked against the schema first; a refused value names the key
            except settings.ConfigError as exc:
                raise UserError(str(exc)) from exc
        n = len(changes)
        return f"Saved {n} setting{'s' if n != 1 else ''} to {path}."

    def welcome_state(self) -> tuple[bool, bool]:
        from . import config_layers

        shown = read_state().get("welcome_shown") is True
        try:
            backends = config_layers.load().value("backends")
        except settings.ConfigError:
            backends = config_layers.load(user_path=paths.config_file().with_name("absent")).value("backends")
        return shown, isinstance(backends, dict) and bool(backends)

    def mark_welcome_shown(self) -> None:
        write_state(welcome_shown=True)
