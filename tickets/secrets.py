"""Backend secrets in the system keyring (Secret Service, macOS Keychain, Windows Credential Locker).

There is no silent plaintext fallback: without a working keyring `SecretUnavailable` says so and what to do.
Only when the user explicitly asks (`plaintext_file=...`, from `[secrets] plaintext_fallback = true`) are secrets
kept in a 0600 file instead. `DESKSIDE_SECRET_<BACKEND>_<FIELD>` environment variables override both (for
headless automation; they are never written anywhere).
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from .errors import SecretUnavailable

SERVICE = "deskside"
log = logging.getLogger(__name__)

#: How every "no keyring" message begins (the GUI words a ticket held by it as a keyring problem, not a refusal).
NO_KEYRING = "no usable system keyring was found"
_HELP = (
    NO_KEYRING + ", so Deskside cannot store or read backend secrets. "
    "On Linux, run a Secret Service (GNOME Keyring or KWallet) in your desktop session, and install "
    "the Python package 'secretstorage'; on a server without a session, set DESKSIDE_SECRET_<BACKEND>_<FIELD> "
    "in the environment, or set `plaintext_fallback = true` under [secrets] in config.toml if you accept a "
    "plain file readable only by you."
)


def env_name(backend: str, field: str) -> str:
    return "DESKSIDE_SECRET_" + re.sub(r"[^A-Za-z0-9]", "_", f"{backend}_{field}").upper()


def _account(backend: str, field: str) -> str:
    return f"backend:{backend}:{field}"


def keyring_problem(kr: KeyringBackend | None = None) -> str | None:
    """None when a real keyring backend is available, else a description of why not."""
    kr = kr or keyring.get_keyring()
    name = f"{type(kr).__module__}.{type(kr).__name__}"
    if "fail" in name.lower() or "null" in name.lower():
        return f"the keyring backend is {name}"
    try:
        if kr.priority <= 0:  # type: ignore[operator]
            return f"the keyring backend {name} is not usable here"
    except Exception as exc:  # keyring computes priority lazily and may raise
        return f"the keyring backend {name} is not usable: {exc}"
    chain = getattr(kr, "backends", None)
    if chain is not None and not chain:
        return "no keyring backend is available"
    return None


class SecretStore:
    def __init__(self, plaintext_file: Path | None = None, backend: KeyringBackend | None = None) -> None:
        self.plaintext_file = plaintext_file
        self._backend = backend

    @property
    def _kr(self) -> KeyringBackend:
        return self._backend or keyring.get_keyring()

    def backend_name(self) -> str:
        if keyring_problem(self._kr) is None:
            kr = self._kr
            return f"{type(kr).__module__}.{type(kr).__name__}"
        if self.plaintext_file is not None:
            return f"plaintext file {self.plaintext_file} (you asked for it)"
        return "none"

    def title(self) -> str:
        """Where secrets go, in words for a person ("the system keyring (Secret Service)"); "" when nowhere."""
        if keyring_problem(self._kr) is None:
            name = f"{type(self._kr).__module__}.{type(self._kr).__name__}".lower()
            for part, title in (("secretservice", "the system keyring (Secret Service)"),
                                ("kwallet", "the system keyring (KWallet)"), ("macos", "the macOS Keychain"),
                                ("windows", "the Windows Credential Manager")):
                if part in name:
                    return title
            return "the system keyring"
        if self.plaintext_file is not None:
            return f"a file only you can read ({self.plaintext_file}), as [secrets] plaintext_fallback asks"
        return ""

    def _use_file(self) -> bool:
        problem = keyring_problem(self._kr)
        if problem is None:
            return False
        if self.plaintext_file is not None:
            return True
        log.info("no keyring for backend secrets: %s", problem)  # the backend's class name: for the log only
        raise SecretUnavailable(_HELP)

    def get(self, backend: str, field: str) -> str | None:
        env = os.environ.get(env_name(backend, field))
        if env:
            return env
        if self._use_file():
            return self._read_file().get(_account(backend, field))
        try:
            return self._kr.get_password(SERVICE, _account(backend, field))
        except keyring.errors.KeyringError as exc:
            raise SecretUnavailable(f"the keyring could not be read ({exc}); is it locked? {_HELP}") from exc

    def set(self, backend: str, field: str, value: str) -> str:
        """Store a secret; returns where it went."""
        if not value:
            raise ValueError("the secret is empty")
        if self._use_file():
            data = self._read_file()
            data[_account(backend, field)] = value
            self._write_file(data)
            return f"the plaintext file {self.plaintext_file}"
        try:
            self._kr.set_password(SERVICE, _account(backend, field), value)
        except keyring.errors.KeyringError as exc:
            raise SecretUnavailable(f"the keyring refused to store the secret ({exc}); is it locked? "
                                    f"{_HELP}") from exc
        return f"the system keyring ({self.backend_name()})"

    def delete(self, backend: str, field: str) -> bool:
        if self._use_file():
            data = self._read_file()
            found = data.pop(_account(backend, field), None) is not None
            self._write_file(data)
            return found
        try:
            self._kr.delete_password(SERVICE, _account(backend, field))
        except keyring.errors.PasswordDeleteError:
            return False
        except keyring.errors.KeyringError as exc:
            raise SecretUnavailable(f"the keyring could not delete the secret ({exc}). {_HELP}") from exc
        return True

    def status(self, backend: str, fields: tuple[str, ...]) -> str:
        """Where the backend's secrets come from, for `backend list`: "no secret needed", "environment
        (VAR)", "keyring", or what is missing and how to give it. Never the secret itself."""
        if not fields:
            return "no secret needed"
        parts = []
        for f in fields:
            var = env_name(backend, f)
            if os.environ.get(var):
                parts.append(f"{f}: environment ({var})")
                continue
            try:
                found = self.get(backend, f)
            except SecretUnavailable:
                parts.append(f"{f}: MISSING (no keyring here; set {var})")
                continue
            where = "plaintext file" if self._use_file() else "keyring"
            parts.append(f"{f}: {where}" if found else
                         f"{f}: MISSING (`deskside backend set-secret {backend} --field {f}` or set {var})")
        return "; ".join(parts)

    def for_backend(self, backend: str, fields: tuple[str, ...]) -> dict[str, str]:
        out = {}
        for f in fields:
            try:
                v = self.get(backend, f)
            except SecretUnavailable as exc:
                raise SecretUnavailable(f"backend {backend!r} needs its {f}: set {env_name(backend, f)} in the "
                                        f"environment, or make a keyring available. {exc}") from exc
            if v:
                out[f] = v
        return out

    def _read_file(self) -> dict[str, str]:
        assert self.plaintext_file is not None
        try:
            data = json.loads(self.plaintext_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise SecretUnavailable(f"the secrets file {self.plaintext_file} cannot be read: {exc}") from exc
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write_file(self, data: dict[str, str]) -> None:
        assert self.plaintext_file is not None
        self.plaintext_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.plaintext_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        tmp.replace(self.plaintext_file)
